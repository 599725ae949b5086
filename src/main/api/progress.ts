/** Progress reports and cancellation shared by the API's long operations. */
import { CancellationError } from '../../shared/errors.js';

/** One progress report: `done` of `total` units (texts, prompts, languages) of one stage. */
export interface Progress {
  /** What is running, e.g. `capture`, `ablate eng`, `baseline`. */
  stage: string;
  done: number;
  total: number;
  /** Extra detail for a progress bar, e.g. `1834 tokens`. */
  detail?: string;
}

/** Options every long operation takes. */
export interface LongRunningOptions {
  /** Called after each batch, prompt or language; the kernel shows it as a progress bar. */
  onProgress?: (p: Progress) => void;
  /**
   * Stops the operation between two batches: it then rejects with a `CancellationError`. A capture
   * writes what it has done before it stops, so running it again with the same run name resumes it.
   */
  signal?: AbortSignal;
}

/** Throws a CancellationError when the signal has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancellationError(`${what} was stopped`);
}

/** A progress callback that also stops the work when the signal is aborted. */
export function progressWithAbort(o: LongRunningOptions, stage: string, what: string): (done: number, total: number, detail?: string) => void {
  return (done, total, detail) => {
    throwIfAborted(o.signal, what);
    o.onProgress?.({ stage, done, total, ...(detail !== undefined ? { detail } : {}) });
  };
}
