/**
 * A code cell's outputs, in nbformat shapes, drawn in the page:
 * - streams (stdout/stderr) as text, consecutive chunks of one stream joined, as Jupyter does;
 * - errors with their traceback; the cell line they point at is highlighted in the editor (by the caller);
 * - rich data, richest first: Plotly figures (interactive, with SVG/PNG/PDF export), HTML in a sandboxed
 *   iframe (/frame: opaque origin, no network, so it can neither read the page nor call the backend);
 *   HTML of a notebook that is not trusted (Jupyter's trust model, see src/main/server/trust.ts) is
 *   sanitized and shown in a frame where no script runs at all (the CSP cannot stop WebRTC, a script can),
 *   SVG and PNG images, Markdown, JSON, plain text;
 * - progress bars of long operations (progress-bar.ts), updated in place by `update_display_data`.
 */
import type { NbOutput } from '../../shared/notebook-doc.js';
import { renderMarkdown } from '../markdown.js';
import { drawFigure, lightFigure, type Figure, type Layout, type PlotElement, type Trace } from '../plotly.js';
import { saveFile } from '../shell.js';
import { FRAME_STYLE } from '../../shared/frame-style.js';
import { PROGRESS_MIME } from '../../shared/progress-display.js';
import { renderProgress, updateProgress } from './progress-bar.js';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** Where an error points in its cell: the first "line N, column M" of the traceback. */
export function errorLine(o: NbOutput, label?: string): number | null {
  const text = [String(o['evalue'] ?? ''), ...((o['traceback'] as string[] | undefined) ?? [])].join('\n');
  const own = label ? new RegExp(`${label.replace(/[[\]]/g, '\\$&')}, line (\\d+)`).exec(text) : null;
  const any = own ?? /, line (\d+), column \d+/.exec(text);
  return any ? Number(any[1]) : null;
}

const ANSI = /\u001b\[[0-9;]*m/g;

function pre(text: string, cls: string): HTMLElement {
  const el = document.createElement('pre');
  el.className = cls;
  el.textContent = text.replace(ANSI, '');
  return el;
}

/** Appends a stream chunk to the last output element when it is the same stream (streaming stdout). */
export function appendStream(container: HTMLElement, name: string, text: string): void {
  const last = container.lastElementChild as HTMLElement | null;
  if (last && last.dataset['stream'] === name) {
    last.textContent = (last.textContent ?? '') + text.replace(ANSI, '');
    return;
  }
  const el = pre(text, `output stream ${name}`);
  el.dataset['stream'] = name;
  container.append(el);
}

/** What a live output (from the running kernel, not a file) can do. */
export interface LiveOutputHooks {
  /** The display id the kernel may update this output by. */
  displayId?: string;
  /** Cancel button of a progress bar: stops the operation. */
  cancel?: () => void;
  /**
   * Whether scripts in HTML outputs may run: outputs produced here, or of a trusted notebook. Default
   * false: HTML is sanitized and shown in a frame without scripts.
   */
  trusted?: boolean;
}

export function renderOutput(container: HTMLElement, o: NbOutput, figureName: () => string, live: LiveOutputHooks = {}): void {
  switch (o.output_type) {
    case 'stream':
      return appendStream(container, String(o['name'] ?? 'stdout'), String(o['text'] ?? ''));
    case 'error': {
      const el = document.createElement('div');
      el.className = 'output error-output';
      const head = document.createElement('div');
      head.className = 'error-head';
      head.textContent = `${String(o['ename'])}: ${String(o['evalue'])}`;
      const tb = ((o['traceback'] as string[] | undefined) ?? []).filter((l, i) => !(i === 0 && l.replace(ANSI, '').trim() === `${String(o['ename'])}: ${String(o['evalue'])}`.trim()));
      el.append(head);
      if (tb.length) el.append(pre(tb.join('\n'), 'traceback'));
      container.append(el);
      return;
    }
    case 'display_data':
    case 'execute_result': {
      const wrap = renderBundle(container, (o['data'] ?? {}) as Record<string, unknown>, figureName, live);
      if (live.displayId) wrap.dataset['displayId'] = live.displayId;
      return;
    }
    default:
      container.append(pre(`(an output of type ${o.output_type} this app does not show)`, 'output muted'));
  }
}

/**
 * `update_display_data`: the output shown with `displayId` now shows `o`. A progress bar moves in
 * place; anything else is drawn again where it was. False when no output has that id.
 */
export function updateOutput(container: HTMLElement, displayId: string, o: NbOutput, figureName: () => string, live: LiveOutputHooks = {}): boolean {
  const wrap = [...container.querySelectorAll<HTMLElement>('.output.rich')].find((el) => el.dataset['displayId'] === displayId);
  if (!wrap) return false;
  const data = (o['data'] ?? {}) as Record<string, unknown>;
  if (data[PROGRESS_MIME] !== undefined && updateProgress(wrap, data[PROGRESS_MIME])) return true;
  // The kernel's image fallbacks for a figure arrived: the figure drawn stays as it is.
  if (data[PLOTLY_MIME] !== undefined && drawnFigures.get(wrap) === JSON.stringify(data[PLOTLY_MIME])) return true;
  // Drawn where the old output was (Plotly measures its container: it must be in the page).
  const holder = document.createElement('div');
  wrap.replaceWith(holder);
  renderOutput(holder, o, figureName, { ...live, displayId });
  holder.replaceWith(...holder.childNodes);
  return true;
}

/** The Plotly JSON each figure output was drawn from: a snapshot, as Plotly adds to the traces it draws. */
const drawnFigures = new WeakMap<HTMLElement, string>();

function renderBundle(container: HTMLElement, data: Record<string, unknown>, figureName: () => string, live: LiveOutputHooks): HTMLElement {
  const wrap = document.createElement('div');
  wrap.className = 'output rich';
  container.append(wrap);
  renderRich(wrap, data, figureName, live);
  return wrap;
}

function renderRich(wrap: HTMLElement, data: Record<string, unknown>, figureName: () => string, live: LiveOutputHooks): void {
  if (data[PROGRESS_MIME] !== undefined) return renderProgress(wrap, data[PROGRESS_MIME], live.cancel);
  if (data[PLOTLY_MIME]) {
    drawnFigures.set(wrap, JSON.stringify(data[PLOTLY_MIME]));
    return void renderPlotly(wrap, data[PLOTLY_MIME] as { data: Trace[]; layout?: Layout }, figureName);
  }
  if (typeof data['text/html'] === 'string') return live.trusted ? renderHtml(wrap, data['text/html']) : renderUntrustedHtml(wrap, data['text/html']);
  if (typeof data['image/svg+xml'] === 'string') return image(wrap, `data:image/svg+xml;charset=utf-8,${encodeURIComponent(data['image/svg+xml'])}`);
  if (typeof data['image/png'] === 'string') return image(wrap, `data:image/png;base64,${data['image/png'].replace(/\s/g, '')}`);
  if (typeof data['text/markdown'] === 'string') {
    const md = document.createElement('div');
    md.className = 'markdown';
    renderMarkdown(md, data['text/markdown']);
    return void wrap.append(md);
  }
  if (data['application/json'] !== undefined) return void wrap.append(pre(JSON.stringify(data['application/json'], null, 2), 'json'));
  wrap.append(pre(String(data['text/plain'] ?? ''), 'text'));
}

function image(wrap: HTMLElement, src: string): void {
  const img = document.createElement('img');
  img.src = src;
  img.alt = 'figure';
  wrap.append(img);
}

/**
 * HTML from a notebook runs in a sandboxed iframe without allow-same-origin: an opaque origin that
 * cannot read this page, its storage or the token, and whose CSP (served with /frame) allows no request.
 */
function renderHtml(wrap: HTMLElement, html: string): void {
  const frame = outputFrame('html-output', 'allow-scripts', 'HTML output');
  frame.src = '/frame';
  const onMessage = (e: MessageEvent) => {
    if (e.source !== frame.contentWindow) return;
    const d = e.data as { frameReady?: boolean; frameHeight?: number } | null;
    if (d?.frameReady) frame.contentWindow?.postMessage({ html }, '*');
    if (typeof d?.frameHeight === 'number') frame.style.height = `${Math.min(Math.max(d.frameHeight, 20), 2000) + 4}px`;
  };
  window.addEventListener('message', onMessage);
  wrap.append(frame);
}

/** An iframe for HTML output: sandboxed as asked, sending no referrer. */
function outputFrame(className: string, sandbox: string, title: string): HTMLIFrameElement {
  const frame = document.createElement('iframe');
  frame.className = className;
  frame.setAttribute('sandbox', sandbox);
  frame.setAttribute('referrerpolicy', 'no-referrer');
  frame.title = title;
  return frame;
}

/** Elements that load or run something; removed from untrusted HTML (the frame runs no script anyway). */
const UNSAFE_ELEMENTS = 'script, iframe, frame, frameset, object, embed, applet, base, link, meta, form, portal';

/** Untrusted HTML without scripts, handlers, frames and script URLs (Jupyter sanitizes untrusted HTML too). */
export function sanitizeHtml(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  for (const el of doc.querySelectorAll(UNSAFE_ELEMENTS)) el.remove();
  for (const el of doc.querySelectorAll('*')) {
    for (const attr of [...el.attributes]) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on') || name === 'srcdoc' || (/^(href|src|action|formaction|xlink:href|data)$/.test(name) && /^\s*(javascript|vbscript|data:text\/html)/i.test(attr.value))) el.removeAttribute(attr.name);
    }
  }
  return doc.body.innerHTML;
}

/**
 * HTML of a notebook that is not trusted: sanitized, in a frame without `allow-scripts`, so nothing in
 * it runs (no script, no handler, no RTCPeerConnection); `allow-same-origin` only lets this page
 * measure its height, and the page's CSP (inherited by srcdoc) loads nothing from elsewhere.
 */
function renderUntrustedHtml(wrap: HTMLElement, html: string): void {
  const frame = outputFrame('html-output untrusted', 'allow-same-origin', 'HTML output (not trusted: shown without scripts)');
  frame.srcdoc = `<!doctype html><html><head><meta charset="utf-8"><style>${FRAME_STYLE}</style></head><body>${sanitizeHtml(html)}</body></html>`;
  frame.addEventListener('load', () => {
    const d = frame.contentDocument?.documentElement;
    if (d) frame.style.height = `${Math.min(Math.max(d.scrollHeight, 20), 2000) + 4}px`;
  });
  wrap.append(frame);
}

async function renderPlotly(wrap: HTMLElement, fig: { data: Trace[]; layout?: Layout }, name: () => string): Promise<void> {
  const bar = document.createElement('div');
  bar.className = 'figure-bar';
  const plot = document.createElement('div');
  plot.className = 'plot';
  wrap.append(bar, plot);
  try {
    await drawFigure(plot, fig.data, fig.layout, { displaylogo: false, responsive: true });
    for (const format of ['svg', 'png', 'pdf'] as const) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'export';
      b.dataset['format'] = format;
      b.textContent = format.toUpperCase();
      b.title = `Export this figure as ${format.toUpperCase()}`;
      // Named as `babelscope run` names it: the cell's number, then the figure's within the cell.
      const figureIndex = () => [...(wrap.closest('.outputs')?.querySelectorAll('.plot') ?? [plot])].indexOf(plot) + 1;
      b.addEventListener('click', () => void exportFigure(plot, format, `${name()}-${figureIndex()}`).catch((e) => alertError(wrap, e)));
      bar.append(b);
    }
  } catch (e) {
    alertError(wrap, e);
  }
}

function alertError(wrap: HTMLElement, e: unknown): void {
  wrap.append(pre(`figure: ${e instanceof Error ? e.message : String(e)}`, 'output stream stderr'));
}

/** How figures are exported (set by the page): the backend's export, the same as `babelscope run --figures`; the file's bytes as base64. */
let exporter: ((figure: Figure, format: 'svg' | 'png' | 'pdf') => Promise<string>) | undefined;

export function setFigureExporter(fn: (figure: Figure, format: 'svg' | 'png' | 'pdf') => Promise<string>): void {
  exporter = fn;
}

const EXPORT_MIME = { svg: 'image/svg+xml', png: 'image/png', pdf: 'application/pdf' } as const;

/**
 * Exports a figure as it is now (zoom and all) in the light paper style, whatever the page's theme,
 * through the one export path (a PDF of vectors and text, as `run --format pdf` makes it).
 */
export async function exportFigure(plot: PlotElement, format: 'svg' | 'png' | 'pdf', name: string): Promise<void> {
  if (!exporter) throw new Error('figure export is not connected to the backend');
  const layout = plot.layout as { width?: number; height?: number } | undefined;
  const size = { width: layout?.width ?? (plot.clientWidth || 800), height: layout?.height ?? (plot.clientHeight || 450) };
  const figure = lightFigure(plot);
  const base64 = await exporter({ data: figure.data, layout: { ...figure.layout, ...size } }, format);
  if (format === 'svg') return saveFile(`${name}.svg`, { text: new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))) });
  return saveFile(`${name}.${format}`, { dataUrl: `data:${EXPORT_MIME[format]};base64,${base64}` });
}
