/**
 * Progress bars of long operations in cells, and their cancellation. Each operation (an API call that
 * got no `onProgress`, or a `progress(label)` handle of a cell) is one Jupyter display: a
 * `display_data` with a `transient.display_id` when it starts, then `update_display_data` with the
 * same id, at most one every THROTTLE_MS (the latest state always goes out, the final one at once).
 * Each owns an AbortController that the kernel aborts when the cell is interrupted.
 */
import { randomUUID } from 'node:crypto';
import { clearTimeout, setTimeout } from 'node:timers';
import type { CellGlobals } from '../../shared/cell-globals.js';
import { CancellationError } from '../../shared/errors.js';
import type { MimeBundle } from '../../shared/kernel-types.js';
import { progressBundle, type ProgressDisplay, type ProgressState } from '../../shared/progress-display.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

/** At most ten updates a second per bar: enough for the eye, little for the wire and the saved notebook. */
export const THROTTLE_MS = 100;

/** Where a bar's displays go (the cell that started the operation). */
export interface DisplaySink {
  display(bundle: MimeBundle, metadata: Record<string, unknown>, displayId?: string): void;
  updateDisplay(bundle: MimeBundle, metadata: Record<string, unknown>, displayId: string): void;
}

/** A report as the API makes it (src/main/api/progress.ts `Progress`). */
export interface ProgressReport {
  stage: string;
  done: number;
  total: number;
  detail?: string;
}

export class ProgressOperation {
  readonly id = `babelscope-progress-${randomUUID()}`;
  readonly controller = new AbortController();
  private readonly startedAt = Date.now();
  private current: Omit<ProgressDisplay, 'elapsedMs'>;
  private lastSentAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;

  constructor(
    label: string,
    private readonly sink: DisplaySink | undefined,
    /** Called once when the operation settles (the kernel forgets it). */
    private readonly onSettled: (op: ProgressOperation) => void,
    /** From a cell's `progress()` helper (ended with the cell) rather than an API call (ends itself). */
    readonly fromHelper = false,
  ) {
    this.current = { id: this.id, label, stage: label, done: 0, total: 0, state: 'running' };
    if (this.sink) {
      this.lastSentAt = Date.now();
      this.sink.display(progressBundle(this.snapshot()), {}, this.id);
    }
  }

  get running(): boolean {
    return !this.settled;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get state(): Readonly<Omit<ProgressDisplay, 'elapsedMs'>> {
    return this.current;
  }

  abort(): void {
    if (!this.controller.signal.aborted) this.controller.abort(new CancellationError('the cell was interrupted'));
  }

  report(p: ProgressReport): void {
    if (this.settled) return;
    const { detail: _old, ...rest } = this.current;
    this.current = { ...rest, stage: String(p.stage || this.current.label), done: finite(p.done), total: finite(p.total), ...(p.detail !== undefined && p.detail !== '' ? { detail: String(p.detail) } : {}) };
    if (!this.sink) return;
    const wait = this.lastSentAt + THROTTLE_MS - Date.now();
    if (wait <= 0) return this.send();
    // A trailing update, so the last report before a pause is always shown.
    this.timer ??= setTimeout(() => queueMicrotask(() => this.send()), wait);
  }

  /** Shows the final state at once; later reports and ends are ignored. */
  end(state: Exclude<ProgressState, 'running'>): void {
    if (this.settled) return;
    this.current = { ...this.current, state };
    this.send();
    this.settled = true;
    this.onSettled(this);
  }

  private send(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.settled || !this.sink) return;
    this.lastSentAt = Date.now();
    this.sink.updateDisplay(progressBundle(this.snapshot()), {}, this.id);
  }

  private snapshot(): ProgressDisplay {
    return { ...this.current, elapsedMs: Date.now() - this.startedAt };
  }
}

function finite(n: unknown): number {
  const v = Number(n);
  return Number.isFinite(v) && v >= 0 ? v : 0;
}

/** What a cell's `progress(label, total?)` returns: a bar for the cell's own loops, and options for API calls. */
export function progressHandle(op: ProgressOperation, total = 0): ReturnType<CellGlobals['progress']> {
  let done = 0;
  let size = total;
  let detail: string | undefined;
  const show = () => op.report(withoutUndefined({ stage: op.state.label, done, total: size, detail }));
  if (total > 0) show();
  return {
    /** Aborted when the cell is interrupted: check it in loops (or pass it to an API call). */
    signal: op.signal,
    /** Shows an API call's reports in this bar: `await capture({ …, ...bar })`. */
    onProgress: (p: ProgressReport) => op.report(p),
    /** Sets the count (and the total, and a detail text). */
    update(n: number, newTotal?: number, newDetail?: string) {
      done = n;
      if (newTotal !== undefined) size = newTotal;
      if (newDetail !== undefined) detail = newDetail;
      show();
    },
    /** Adds `n` (default 1) to the count. */
    tick(n = 1, newDetail?: string) {
      done += n;
      if (newDetail !== undefined) detail = newDetail;
      show();
    },
    /** Ends the bar (`done` by default); bars still running end with their cell. */
    end(state: Exclude<ProgressState, 'running'> = 'done') {
      op.end(state);
    },
  };
}
