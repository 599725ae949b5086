/**
 * What a capture pools and keeps per text: the mean over tokens and/or the last token's residual, at
 * all layers or a subset, as float16 (default) or float32. About 1.14 × layers × 2 × d_model × 4 bytes
 * per text in float32: 1.2 MB per text for an 8 B model, so at scale a researcher keeps what they need.
 */
import { UserError } from '../../shared/errors.js';
import type { PooledDtype } from '../store/index.js';

/** A pooled vector: the mean over a text's tokens, or its last token. */
export type PooledKind = 'mean' | 'last';

/** What a capture pools and keeps per text, and how it stores it. */
export interface PoolingChoice {
  /** Which pooled vectors to keep; empty keeps none. */
  vectors: PooledKind[];
  /** Layers to keep them for. */
  layers: number[] | 'all';
  dtype: PooledDtype;
}

export const DEFAULT_POOLING: PoolingChoice = { vectors: ['mean', 'last'], layers: 'all', dtype: 'float16' };

/** What runs made before pooling became a choice recorded as their pooling (all layers, mean and last, float32). */
export const LEGACY_POOLING_PARAM = 'mean and last over tokens after <bos>';
export const LEGACY_POOLING: PoolingChoice = { vectors: ['mean', 'last'], layers: 'all', dtype: 'float32' };

/** `mean`, `last`, `mean,last` or `none`. */
export function parsePoolVectors(spec: string): PooledKind[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 1 && parts[0] === 'none') return [];
  const bad = parts.filter((p) => p !== 'mean' && p !== 'last');
  if (parts.length === 0 || bad.length) throw new UserError(`--pool must be mean, last, mean,last or none, got "${spec}"`);
  return (['mean', 'last'] as const).filter((k) => parts.includes(k));
}

/** `all`, or layers and ranges: `0,4,8-11`. */
export function parseLayerList(spec: string): number[] | 'all' {
  if (spec.trim() === 'all') return 'all';
  const layers = new Set<number>();
  for (const part of spec.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) {
      throw new UserError(`--pool-layers must list layers and ranges such as 0,4,8-11 (or all), got "${spec}"`);
    }
    for (let l = Number(m[1]); l <= Number(m[2] ?? m[1]); l++) layers.add(l);
  }
  return [...layers].sort((a, b) => a - b);
}

/** The layer indices to keep for a model of `numLayers` layers; UserError for layers it lacks. */
export function pooledLayerSet(choice: PoolingChoice, numLayers: number): Set<number> {
  if (choice.vectors.length === 0) return new Set();
  if (choice.layers === 'all') return new Set(Array.from({ length: numLayers }, (_, l) => l));
  const outside = choice.layers.filter((l) => l >= numLayers);
  if (outside.length) throw new UserError(`--pool-layers ${outside.join(',')}: the model has layers 0..${numLayers - 1}`);
  return new Set(choice.layers);
}
