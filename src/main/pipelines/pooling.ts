/**
 * What a capture pools and keeps per text: MEXA's position-weighted mean, the uniform mean over tokens
 * and/or the last token's residual, at all layers or a subset, plus the embedding output and the final
 * norm's output (Hugging Face's first and last `hidden_states`), as float16 (default) or float32. About
 * 1.14 × (layers + 2) × 3 × d_model × 2 bytes per text in float16: 0.9 MB per text for an 8 B model,
 * so at scale a researcher keeps what they need.
 */
import { UserError } from '../../shared/errors.js';
import type { PooledDtype, PooledKind } from '../store/index.js';

export type { PooledKind };

/** The residual-stream points pooled besides the blocks. */
export type PooledEnd = 'embedding' | 'final_norm';

/** What a capture pools and keeps per text, and how it stores it. */
export interface PoolingChoice {
  /** Which pooled vectors to keep; empty keeps none. */
  vectors: PooledKind[];
  /** Blocks to keep them for (the residual after each). */
  layers: number[] | 'all';
  dtype: PooledDtype;
  /** Also the embedding output and the final norm's output; absent (none) in runs made before they existed. */
  ends?: PooledEnd[];
}

export const DEFAULT_POOLING: PoolingChoice = { vectors: ['wmean', 'mean', 'last'], layers: 'all', dtype: 'float16', ends: ['embedding', 'final_norm'] };

/** What runs made before pooling became a choice recorded as their pooling (all layers, mean and last, float32). */
export const LEGACY_POOLING_PARAM = 'mean and last over tokens after <bos>';
export const LEGACY_POOLING: PoolingChoice = { vectors: ['mean', 'last'], layers: 'all', dtype: 'float32' };

/** The block indices to keep for a model of `numLayers` layers; UserError for layers it lacks. */
export function pooledLayerSet(choice: PoolingChoice, numLayers: number): Set<number> {
  if (choice.vectors.length === 0) return new Set();
  if (choice.layers === 'all') return new Set(Array.from({ length: numLayers }, (_, l) => l));
  const outside = choice.layers.filter((l) => l >= numLayers);
  if (outside.length) throw new UserError(`--pool-layers ${outside.join(',')}: the model has blocks 0..${numLayers - 1}`);
  return new Set(choice.layers);
}

/**
 * The `layer` a pooled row of the store has for a residual-stream point: the block index, −1 for the
 * embedding output, the layer count for the final norm's output.
 */
export function storedLayerOf(point: number | PooledEnd, numLayers: number): number {
  return point === 'embedding' ? -1 : point === 'final_norm' ? numLayers : point;
}
