/**
 * The progress contract between the API's long operations and the environment that shows them: one
 * report's shape, and the well-known global where an environment (the Babelscope kernel) installs its
 * reporter. Here rather than in the API so the kernel can install it without loading the API.
 */

/** One progress report: `done` of `total` units (texts, prompts, layers) of one stage. */
export interface Progress {
  /** What is running, e.g. `capture`, `ablate eng`, `baseline`. */
  stage: string;
  done: number;
  total: number;
  /** Extra detail for a progress bar, e.g. `1834 tokens`. */
  detail?: string;
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
