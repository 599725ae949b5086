/**
 * Progress reports and cancellation shared by the API's long operations. An operation called without
 * `onProgress` reports to the ambient reporter its environment installed, if any (the Babelscope
 * kernel shows it as a progress bar, and aborts its signal when the cell is interrupted); outside such
 * an environment nothing changes.
 */
import { AMBIENT_PROGRESS, type AmbientOperation, type AmbientProgress, type OperationOutcome, type Progress } from '../../shared/ambient-progress.js';
import { CancellationError } from '../../shared/errors.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

export { AMBIENT_PROGRESS, type AmbientOperation, type AmbientProgress, type OperationOutcome, type Progress };

/** Options every long operation takes. */
export interface LongRunningOptions {
  /**
   * Called after each batch, prompt, pass or layer. Without it, the operation reports to the ambient
   * reporter (`AMBIENT_PROGRESS`): in a Babelscope notebook, a progress bar under the cell.
   */
  onProgress?: (p: Progress) => void;
  /**
   * Stops the operation between two batches: it then rejects with a `CancellationError`. A capture
   * writes what it has done before it stops, so running it again with the same run name resumes it.
   */
  signal?: AbortSignal;
}

function ambientProgress(): AmbientProgress | undefined {
  const hook = (globalThis as Record<symbol, unknown>)[AMBIENT_PROGRESS];
  return hook && typeof (hook as AmbientProgress).begin === 'function' ? (hook as AmbientProgress) : undefined;
}

/**
 * Runs a long operation with the options it should use: the caller's, completed by the ambient
 * reporter (its `onProgress` when the caller gave none, its signal joined to the caller's), which is
 * told how the operation ended.
 */
export async function longOperation<T>(options: LongRunningOptions, label: string, body: (o: LongRunningOptions) => Promise<T>): Promise<T> {
  const ambient = ambientProgress()?.begin(label, { show: !options.onProgress });
  if (!ambient) return body(options);
  const signal = options.signal ? AbortSignal.any([options.signal, ambient.signal]) : ambient.signal;
  const onProgress = options.onProgress ?? ((p: Progress) => ambient.onProgress(p));
  try {
    const result = await body({ onProgress, signal });
    ambient.end('done');
    return result;
  } catch (e) {
    ambient.end(e instanceof CancellationError || (signal.aborted && (e as Error)?.name === 'AbortError') ? 'cancelled' : 'error');
    throw e;
  }
}

/** Throws a CancellationError when the signal has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancellationError(`${what} was stopped`);
}

/** A progress callback that also stops the work when the signal is aborted. */
export function progressWithAbort(o: LongRunningOptions, stage: string, what: string): (done: number, total: number, detail?: string) => void {
  return (done, total, detail) => {
    throwIfAborted(o.signal, what);
    o.onProgress?.(withoutUndefined({ stage, done, total, detail }));
  };
}
