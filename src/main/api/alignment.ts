/** Cross-lingual alignment across layers (MEXA) from a capture's pooled residuals. */
import type { RunStatus } from '../../shared/result-kinds.js';
import type { AlignmentResult } from '../analysis/alignment.js';
import { alignStoredRun, layerView, requireCaptureRun, type LayerIndexing } from '../pipelines/stored-runs.js';
import type { PoolingKind } from '../analysis/alignment.js';
import { defaultLog } from '../model/open-defaults.js';
import type { DeviceRequest } from '../../shared/model-types.js';
import { longOperation, progressWithAbort, type LongRunningOptions } from './progress.js';
import { OPTION_DEFAULTS } from './defaults.js';
import { withStore, type ProjectStore } from './store.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

export type { AlignmentResult, LayerIndexing, PoolingKind };

/** Options of `align`. */
export interface AlignOptions extends LongRunningOptions {
  /** A store or its path with a capture of parallel texts (same id across languages). */
  store: ProjectStore | string;
  /** The capture run; default `capture`. */
  run?: string;
  /**
   * Pooled vector per text: `wmean`, MEXA's position-weighted mean (weights 1..n over all tokens,
   * <bos> included, as its embed_extractor.py; the default), `mean` (uniform, after <bos>) or `last`
   * (the last token). A capture made before `wmean` existed falls back to `mean`, and says so.
   */
  pool?: PoolingKind;
  /**
   * Layer numbering: `hidden_states` (default) as MEXA reports layers (Hugging Face's hidden_states:
   * 0 = embedding output, the last = after the final norm), or `blocks` (block index, the residual
   * after each block, the last one before the final norm).
   */
  layers?: LayerIndexing;
  /** Shuffles of the pairing for the chance levels of MEXA and retrieval (default 200, at least 100). */
  permutations?: number;
  /** Seed of the shuffles and of the bootstrap intervals (default 1). */
  seed?: number;
  /** Report every language against this one (when it is in the capture); default `eng`. */
  pivot?: string;
  /** Similarity kernel: onnxruntime's multi-threaded Gemm (default) or float32 JS. */
  kernel?: 'onnx' | 'js';
  /** Where the onnx kernel runs; default `cpu`. */
  device?: DeviceRequest;
  /** Store the result with the capture run (for `compareCheckpoints`); default true (false opens the store read-only). */
  save?: boolean;
}

/** Alignment per layer, with the pooling used, the stored result's id and whether the capture was finished. */
export interface AlignOutput extends AlignmentResult {
  pool: PoolingKind;
  /** How `layers[].layer` is numbered, a sentence saying so, and the layers of that numbering the capture lacks. */
  layerIndexing: LayerIndexing;
  layerNote: string;
  missingLayers: number[];
  /** What the reader should know: a fallback taken, layers missing. */
  notes: string[];
  /** The id of the stored result (null when not saved). */
  resultId: number | null;
  /** The capture run's status; anything but `done` means the numbers cover part of the corpus. */
  runStatus: RunStatus;
  /** True when the capture had not finished. */
  partial: boolean;
}

/**
 * Per layer: the cosine-similarity matrix between languages, retrieval accuracy and the MEXA score
 * (share of texts whose translation is the best match in its row and its column), with mean and max
 * over layers (Kargaran et al. 2024). Reads and computes one layer at a time, similarities in blocks,
 * so memory is one layer's vectors; layers the capture did not pool are absent.
 */
export async function align(options: AlignOptions): Promise<AlignOutput> {
  const defaults = OPTION_DEFAULTS.align;
  const pivot = options.pivot ?? defaults.pivot;
  const save = options.save ?? defaults.save;
  const indexing = options.layers ?? defaults.layers;
  return longOperation(options, 'align', async (o) => {
    // Imported here, not at the top: it loads onnxruntime into this thread, which every other API call
    // leaves to the model's worker (importing the API took ~50 ms longer with it, side by side).
    const kernel = (options.kernel ?? defaults.kernel) === 'onnx' ? await (await import('../model/similarity-kernel.js')).createSimilarityKernel(options.device ?? defaults.device, defaultLog) : undefined;
    try {
      return await withStore(options.store, { readonly: !save, create: false }, async (store) => {
        const run = requireCaptureRun(store, options.run ?? defaults.run);
        const notes: string[] = [];
        let pool: PoolingKind = options.pool ?? defaults.pool;
        if (options.pool === undefined && !store.pooledKinds(run.id).includes('wmean') && store.pooledKinds(run.id).includes('mean')) {
          pool = 'mean';
          notes.push(`run "${run.name}" has no position-weighted means (MEXA's default; captured before they existed): the uniform mean over tokens after <bos> is used`);
        }
        const view = layerView(store, run, indexing);
        if (view.missing.length) {
          notes.push(`layers ${view.missing.join(', ')} of this numbering were not pooled by the capture${indexing === 'hidden_states' ? ' (a capture made before the embedding output and the final norm were pooled lacks the first and the last; --layers blocks gives the block-indexed view)' : ''}`);
        }
        const progress = progressWithAbort(o, 'align', 'alignment');
        const r = {
          pool,
          layerIndexing: indexing,
          layerNote: view.note,
          missingLayers: view.missing,
          notes,
          ...(await alignStoredRun(store, run, {
            pool,
            layers: indexing,
            pivot,
            pivotRequired: options.pivot !== undefined,
            ...withoutUndefined({ kernel: kernel?.run }),
            permutations: options.permutations ?? defaults.permutations,
            seed: options.seed ?? defaults.seed,
            onLayer: (done, total) => progress(done, total, 'layers'),
          })),
        };
        const params = { pool, pivot: r.pivot?.pivot ?? null, layers: indexing, permutations: r.chanceMethod!.permutations, seed: r.chanceMethod!.seed };
        const resultId = save ? store.saveResult('alignment', { runId: run.id, params, result: r, inputs: { run: run.id } }) : null;
        return { ...r, resultId, runStatus: run.status, partial: run.status !== 'done' };
      });
    } finally {
      await kernel?.dispose();
    }
  });
}
