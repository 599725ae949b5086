/** Cross-lingual alignment across layers (MEXA) from a capture's pooled residuals. */
import { alignment, type AlignmentResult } from '../analysis/alignment.js';
import { ALIGNMENT_RESULT, pooledByLayer, requireCaptureRun } from '../capture/stored-runs.js';
import { withStoreSync, type ProjectStore } from './store.js';

export type { AlignmentResult };

/** Options of `align`. */
export interface AlignOptions {
  /** A store or its path with a capture of parallel texts (same id across languages). */
  store: ProjectStore | string;
  /** The capture run; default `capture`. */
  run?: string;
  /** Pooled vector per text: mean over tokens (default) or the last token. */
  pool?: 'mean' | 'last';
  /** Report every language against this one (when it is in the capture); default `eng`. */
  pivot?: string;
  /** Store the result with the capture run (for `compareCheckpoints`); default true (false opens the store read-only). */
  save?: boolean;
}

/** Alignment per layer, with the pooling it used. */
export interface AlignOutput extends AlignmentResult {
  pool: 'mean' | 'last';
  /** The id of the stored result (null when not saved). */
  resultId: number | null;
}

/**
 * Per layer: the cosine-similarity matrix between languages, retrieval accuracy and the MEXA score
 * (share of texts whose translation is the best match in its row and its column), with mean and max
 * over layers (Kargaran et al. 2024).
 */
export function align(options: AlignOptions): AlignOutput {
  const pool = options.pool ?? 'mean';
  const pivot = options.pivot ?? 'eng';
  const save = options.save ?? true;
  return withStoreSync(options.store, { readonly: !save, create: false }, (store) => {
    const run = requireCaptureRun(store, options.run ?? 'capture');
    const numLayers = Number((run.model as { numLayers?: number }).numLayers ?? store.readNeuronStats(run.id).numLayers);
    const layers = pooledByLayer(store, run, numLayers, pool);
    const langs = [...(layers[0]?.keys() ?? [])];
    const r = { pool, ...alignment(layers, langs.includes(pivot) ? { pivot } : {}) };
    const resultId = save ? store.saveResult(run.id, ALIGNMENT_RESULT, { pool, pivot: r.pivot?.pivot ?? null }, r) : null;
    return { ...r, resultId };
  });
}
