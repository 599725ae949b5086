/**
 * Progress reports and cancellation shared by the API's long operations. An operation called without
 * `onProgress` reports to the ambient reporter its environment installed, if any (the Babelscope
 * kernel shows it as a progress bar, and aborts its signal when the cell is interrupted); outside such
 * an environment nothing changes.
 */
import { CancellationError } from '../../shared/errors.js';

/** One progress report: `done` of `total` units (texts, prompts, layers) of one stage. */
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

/**
 * The well-known global (`globalThis[Symbol.for("babelscope.progress")]`) where an environment installs
 * an {@link AmbientProgress}: the Babelscope kernel does, so every long call in a cell shows a bar and
 * stops when the cell is interrupted, without wiring `onProgress` and `signal` by hand.
 */
export const AMBIENT_PROGRESS: symbol = Symbol.for('babelscope.progress');

/** How an operation ended, for its ambient progress display. */
export type OperationOutcome = 'done' | 'cancelled' | 'error';

/** One long operation as its environment tracks it (see {@link AmbientProgress}). */
export interface AmbientOperation {
  /** Aborted by the environment (an interrupted cell): the operation stops between batches. */
  readonly signal: AbortSignal;
  /** Receives the operation's reports when the caller passed no `onProgress` of its own. */
  onProgress(p: Progress): void;
  /** Called once when the operation settles. */
  end(outcome: OperationOutcome): void;
}

/** What an environment installs at {@link AMBIENT_PROGRESS}. */
export interface AmbientProgress {
  /**
   * A long operation named `label` starts. `show` is false when the caller passed its own `onProgress`
   * (then only the signal is used). Returns undefined to leave the operation alone.
   */
  begin(label: string, options: { show: boolean }): AmbientOperation | undefined;
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
    o.onProgress?.({ stage, done, total, ...(detail !== undefined ? { detail } : {}) });
  };
}
