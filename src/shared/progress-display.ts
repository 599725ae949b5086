/**
 * The progress bar a kernel shows for a long operation, as a Jupyter display: one `display_data` with a
 * `transient.display_id`, then `update_display_data` messages with the same id. Its bundle holds the
 * bar as `application/vnd.babelscope.progress+json` (the workbench draws it) plus `text/plain` (a
 * tqdm-like line) and `text/html` (a `<progress>` element) for JupyterLab, nbconvert and GitHub.
 * Pure: no Node, no DOM.
 */

export const PROGRESS_MIME = 'application/vnd.babelscope.progress+json';

/** `running` until the operation ends; then how it ended. */
export type ProgressState = 'running' | 'done' | 'cancelled' | 'error';

export const PROGRESS_STATES: readonly ProgressState[] = ['running', 'done', 'cancelled', 'error'];

/** What the progress MIME type holds. `total` 0 means not known yet. */
export interface ProgressDisplay {
  /** The display id (also the bundle's `transient.display_id`). */
  id: string;
  /** The operation, e.g. `capture`; `stage` is the part of it running now (`baseline`, `ablate eng`). */
  label: string;
  stage: string;
  done: number;
  total: number;
  detail?: string;
  state: ProgressState;
  /** Milliseconds since the operation started, when this state was sent. */
  elapsedMs: number;
}

/** Runtime check of a progress MIME value (from a notebook file or the wire): a message, or null. */
export function progressDisplayProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'a progress display must be an object';
  const p = v as Record<string, unknown>;
  for (const k of ['id', 'label', 'stage'] as const) if (typeof p[k] !== 'string') return `\`${k}\` must be a string`;
  for (const k of ['done', 'total', 'elapsedMs'] as const) if (typeof p[k] !== 'number' || !Number.isFinite(p[k]) || (p[k] as number) < 0) return `\`${k}\` must be a number ≥ 0`;
  if (!PROGRESS_STATES.includes(p['state'] as ProgressState)) return '`state` must be running, done, cancelled or error';
  if (p['detail'] !== undefined && typeof p['detail'] !== 'string') return '`detail` must be a string';
  return null;
}

/** The share done, 0..1, or null while the total is unknown. */
export function fractionDone(p: Pick<ProgressDisplay, 'done' | 'total'>): number | null {
  return p.total > 0 ? Math.min(1, Math.max(0, p.done / p.total)) : null;
}

/** Estimated milliseconds left at the rate so far, or null when it cannot be told yet. */
export function remainingMs(p: Pick<ProgressDisplay, 'done' | 'total' | 'elapsedMs'>): number | null {
  if (p.total <= 0 || p.done <= 0 || p.done >= p.total) return null;
  return (p.elapsedMs / p.done) * (p.total - p.done);
}

/** `0:07`, `12:34`, `1:02:03` (tqdm's clock). */
export function formatClock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** The stage, or `label · stage` when the stage does not already say which operation it is. */
export function progressTitle(p: Pick<ProgressDisplay, 'label' | 'stage'>): string {
  return p.stage === '' || p.stage === p.label ? p.label : p.stage.startsWith(p.label) ? p.stage : `${p.label} · ${p.stage}`;
}

/** Time so far, and what is left (running) or how it ended: `[0:03<0:05]`, `done in 0:08`, `cancelled after 0:02`. */
export function progressTiming(p: ProgressDisplay): string {
  const elapsed = formatClock(p.elapsedMs);
  if (p.state === 'running') {
    const left = remainingMs(p);
    return `[${elapsed}<${left === null ? '?' : formatClock(left)}]`;
  }
  return p.state === 'done' ? `done in ${elapsed}` : `${p.state === 'cancelled' ? 'cancelled' : 'failed'} after ${elapsed}`;
}

const BAR_WIDTH = 20;

/** The tqdm-like line: `capture  42/100 [=======>            ] 42%  1834 tokens  [0:01<0:02]`. */
export function progressText(p: ProgressDisplay): string {
  const f = fractionDone(p);
  const count = p.total > 0 ? `${p.done}/${p.total}` : `${p.done}`;
  let bar: string;
  if (f === null) bar = `[${'?'.repeat(BAR_WIDTH)}]`;
  else {
    const full = Math.floor(f * BAR_WIDTH);
    bar = `[${'='.repeat(full)}${full < BAR_WIDTH ? '>' : ''}${' '.repeat(Math.max(0, BAR_WIDTH - full - 1))}]`;
  }
  const pct = f === null ? '' : ` ${Math.floor(f * 100)}%`;
  return [`${progressTitle(p)}  ${count} ${bar}${pct}`, p.detail, progressTiming(p)].filter(Boolean).join('  ');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A `<progress>` element with the same line beside it (for front ends that do not know the MIME type). */
export function progressHtml(p: ProgressDisplay): string {
  const value = p.total > 0 ? ` value="${Math.min(p.done, p.total)}" max="${p.total}"` : '';
  const f = fractionDone(p);
  const text = [`${progressTitle(p)} ${p.total > 0 ? `${p.done}/${p.total}` : p.done}${f === null ? '' : ` (${Math.floor(f * 100)}%)`}`, p.detail, progressTiming(p)].filter(Boolean).join(' · ');
  return `<div class="babelscope-progress" data-state="${p.state}"><progress${value} style="width:16em;vertical-align:middle"></progress> <span>${escapeHtml(text)}</span></div>`;
}

/** The whole MIME bundle of a progress display. */
export function progressBundle(p: ProgressDisplay): Record<string, unknown> {
  return { [PROGRESS_MIME]: { ...p }, 'text/plain': progressText(p), 'text/html': progressHtml(p) };
}
