/** Cross-lingual alignment across layers (MEXA) from a capture's pooled residuals. */
import type { RunStatus } from '../../shared/result-kinds.js';
import type { AlignmentResult } from '../analysis/alignment.js';
import { ALIGNMENT_RESULT, alignStoredRun, requireCaptureRun } from '../capture/stored-runs.js';
import { createSimilarityKernel } from '../model/similarity-kernel.js';
import type { DeviceRequest } from '../model/types.js';
import { longOperation, progressWithAbort, type LongRunningOptions } from './progress.js';
import { withStore, type ProjectStore } from './store.js';

export type { AlignmentResult };

/** Options of `align`. */
export interface AlignOptions extends LongRunningOptions {
  /** A store or its path with a capture of parallel texts (same id across languages). */
  store: ProjectStore | string;
  /** The capture run; default `capture`. */
  run?: string;
  /** Pooled vector per text: mean over tokens (default) or the last token. */
  pool?: 'mean' | 'last';
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
  pool: 'mean' | 'last';
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
  const pool = options.pool ?? 'mean';
  const pivot = options.pivot ?? 'eng';
  const save = options.save ?? true;
  return longOperation(options, 'align', async (o) => {
    const kernel = (options.kernel ?? 'onnx') === 'onnx' ? await createSimilarityKernel(options.device ?? 'cpu', (m) => process.stderr.write(m + '\n')) : undefined;
    try {
      return await withStore(options.store, { readonly: !save, create: false }, async (store) => {
        const run = requireCaptureRun(store, options.run ?? 'capture');
        const progress = progressWithAbort(o, 'align', 'alignment');
        const r = { pool, ...(await alignStoredRun(store, run, { pool, pivot, pivotRequired: options.pivot !== undefined, ...(kernel ? { kernel: kernel.run } : {}), onLayer: (done, total) => progress(done, total, 'layers') })) };
        const resultId = save ? store.saveResult(ALIGNMENT_RESULT, { runId: run.id, params: { pool, pivot: r.pivot?.pivot ?? null }, result: r, inputs: { run: run.id } }) : null;
        return { ...r, resultId, runStatus: run.status, partial: run.status !== 'done' };
      });
    } finally {
      await kernel?.dispose();
    }
  });
}
