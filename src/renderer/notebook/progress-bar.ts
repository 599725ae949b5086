/**
 * A long operation's progress bar in a cell's outputs (the `application/vnd.babelscope.progress+json`
 * MIME type, see src/shared/progress-display.ts): stage, done/total, percent, detail, elapsed time and
 * the time left, updated in place by `update_display_data`. A live bar (from the running kernel) has a
 * Cancel button; its clock keeps ticking between updates.
 */
import { formatClock, fractionDone, progressDisplayProblem, progressTitle, remainingMs, type ProgressDisplay } from '../../shared/progress-display.js';

interface BarElements {
  root: HTMLElement;
  title: HTMLElement;
  fill: HTMLElement;
  track: HTMLElement;
  count: HTMLElement;
  pct: HTMLElement;
  detail: HTMLElement;
  time: HTMLElement;
  cancel: HTMLButtonElement | null;
}

interface LiveBar {
  els: BarElements;
  p: ProgressDisplay;
  /** performance.now() when `p` arrived: elapsed time goes on from there until the next update. */
  at: number;
}

const bars = new WeakMap<HTMLElement, LiveBar>();
const ticking = new Set<HTMLElement>();
let clock: number | undefined;

/** Draws a bar into `wrap`; with `onCancel`, the bar is live (Cancel button, ticking clock). */
export function renderProgress(wrap: HTMLElement, value: unknown, onCancel?: () => void): void {
  const problem = progressDisplayProblem(value);
  if (problem) {
    const pre = document.createElement('pre');
    pre.className = 'output muted';
    pre.textContent = `(a progress output this app cannot show: ${problem})`;
    wrap.append(pre);
    return;
  }
  const p = value as ProgressDisplay;
  const root = document.createElement('div');
  root.className = 'progress-output';
  const title = span('progress-title');
  const track = document.createElement('div');
  track.className = 'progress-track';
  track.setAttribute('role', 'progressbar');
  const fill = document.createElement('div');
  fill.className = 'progress-fill';
  track.append(fill);
  const count = span('progress-count');
  const pct = span('progress-pct');
  const detail = span('progress-detail');
  const time = span('progress-time');
  root.append(title, track, count, pct, detail, time);
  let cancel: HTMLButtonElement | null = null;
  if (onCancel) {
    cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'progress-cancel';
    cancel.textContent = 'Cancel';
    cancel.title = 'Stop this operation between two batches (interrupts the cell; what it saved stays)';
    cancel.addEventListener('click', () => {
      cancel!.disabled = true;
      cancel!.textContent = 'Cancelling…';
      root.dataset['cancelling'] = 'true';
      onCancel();
    });
    root.append(cancel);
  }
  wrap.append(root);
  const bar: LiveBar = { els: { root, title, fill, track, count, pct, detail, time, cancel }, p, at: performance.now() };
  bars.set(wrap, bar);
  draw(bar);
  if (onCancel) watch(wrap, bar);
}

/** Shows a newer state of the bar drawn in `wrap`; false when `wrap` holds no bar. */
export function updateProgress(wrap: HTMLElement, value: unknown): boolean {
  const bar = bars.get(wrap);
  if (!bar || progressDisplayProblem(value)) return false;
  bar.p = value as ProgressDisplay;
  bar.at = performance.now();
  draw(bar);
  return true;
}

function span(cls: string): HTMLElement {
  const el = document.createElement('span');
  el.className = cls;
  return el;
}

function draw(bar: LiveBar, now = performance.now()): void {
  const { p, els } = bar;
  const live = p.state === 'running' && els.cancel !== null;
  const elapsedMs = p.elapsedMs + (live ? now - bar.at : 0);
  const f = fractionDone(p);
  els.root.dataset['state'] = p.state;
  els.title.textContent = progressTitle(p);
  els.title.title = p.label;
  els.track.classList.toggle('indeterminate', f === null && p.state === 'running');
  els.fill.style.width = f === null ? (p.state === 'running' ? '' : '100%') : `${(f * 100).toFixed(1)}%`;
  els.track.setAttribute('aria-valuemin', '0');
  els.track.setAttribute('aria-valuemax', String(p.total));
  els.track.setAttribute('aria-valuenow', String(p.done));
  els.count.textContent = p.total > 0 ? `${p.done}/${p.total}` : p.done > 0 ? String(p.done) : '';
  els.pct.textContent = f === null ? '' : `${Math.floor(f * 100)}%`;
  els.pct.hidden = f === null;
  els.detail.textContent = p.detail ?? '';
  els.detail.hidden = !p.detail;
  if (p.state === 'running') {
    const left = remainingMs({ ...p, elapsedMs: p.elapsedMs });
    const leftNow = left === null ? null : Math.max(0, left - (live ? now - bar.at : 0));
    els.time.textContent = `${formatClock(elapsedMs)}${leftNow === null ? '' : ` · ${formatClock(leftNow)} left`}`;
  } else {
    els.time.textContent = `${p.state === 'done' ? 'done in' : p.state === 'cancelled' ? 'cancelled after' : 'failed after'} ${formatClock(elapsedMs)}`;
  }
  if (p.state !== 'running') els.cancel?.remove(); // a finished bar has nothing left to cancel
}

/** One clock for all live bars: their elapsed and remaining times move every second between updates. */
function watch(wrap: HTMLElement, bar: LiveBar): void {
  if (bar.p.state !== 'running') return;
  ticking.add(wrap);
  clock ??= window.setInterval(() => {
    const now = performance.now();
    for (const w of ticking) {
      const b = bars.get(w);
      if (!b || !w.isConnected || b.p.state !== 'running') ticking.delete(w);
      else draw(b, now);
    }
    if (ticking.size === 0) {
      window.clearInterval(clock);
      clock = undefined;
    }
  }, 1000);
}
