/**
 * Rich display: turns a value into a MIME bundle. Objects choose their own rendering with a
 * `[Symbol.for("Jupyter.display")]()` method returning a bundle (Deno's convention); otherwise
 * arrays of records become an HTML table, Plotly figures `application/vnd.plotly.v1+json`, PNG bytes
 * `image/png`, and everything has a `text/plain` form.
 */
import { inspect } from 'node:util';
import type { CellGlobals } from '../../shared/cell-globals.js';
import type { MimeBundle } from '../../shared/kernel-types.js';

export const DISPLAY_SYMBOL = Symbol.for('Jupyter.display');
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

export function textOf(value: unknown): string {
  return inspect(value, { depth: 4, colors: false, maxArrayLength: 100, breakLength: 100 });
}

/** The MIME bundle for a value, or undefined when nothing should be shown (undefined). */
export function mimeBundle(value: unknown): MimeBundle | undefined {
  if (value === undefined) return undefined;
  const own = displayMethod(value);
  if (own) {
    const bundle = own.call(value) as unknown;
    if (!bundle || typeof bundle !== 'object') throw new TypeError('[Symbol.for("Jupyter.display")]() must return a MIME bundle object, e.g. { "text/html": "<b>hi</b>" }');
    return withText(bundle as MimeBundle, value);
  }
  if (value instanceof Uint8Array && PNG_MAGIC.every((b, i) => value[i] === b)) return png(value);
  if (isPlotlyFigure(value)) return plotly(value);
  if (isRecordArray(value)) return table(value);
  return { 'text/plain': textOf(value) };
}

function displayMethod(value: unknown): ((this: unknown) => unknown) | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  const m = (value as Record<symbol, unknown>)[DISPLAY_SYMBOL];
  return typeof m === 'function' ? (m as (this: unknown) => unknown) : undefined;
}

function withText(bundle: MimeBundle, value: unknown): MimeBundle {
  return 'text/plain' in bundle ? bundle : { ...bundle, 'text/plain': textOf(value) };
}

/** `{ data: [traces…], layout?, config?, frames? }` with at least one trace object. */
export function isPlotlyFigure(v: unknown): v is { data: object[]; layout?: object } {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  const data = (v as { data?: unknown }).data;
  return (
    keys.every((k) => k === 'data' || k === 'layout' || k === 'config' || k === 'frames') &&
    Array.isArray(data) &&
    data.length > 0 &&
    data.every((t) => t !== null && typeof t === 'object' && !Array.isArray(t))
  );
}

function isRecordArray(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.length > 0 && v.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r) && Object.getPrototypeOf(r) === Object.prototype);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function cellText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return inspect(v, { depth: 1, breakLength: Infinity });
}

export function table(rows: Record<string, unknown>[], maxRows = 1000): MimeBundle {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const shown = rows.slice(0, maxRows);
  const html =
    `<table><thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>` +
    shown.map((r) => `<tr>${columns.map((c) => `<td>${c in r ? escapeHtml(cellText(r[c])) : ''}</td>`).join('')}</tr>`).join('') +
    `</tbody></table>` +
    (rows.length > maxRows ? `<p>${rows.length - maxRows} more rows</p>` : '');
  const cells = [columns, ...shown.map((r) => columns.map((c) => (c in r ? cellText(r[c]) : '')))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const text = cells.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + (rows.length > maxRows ? `\n… ${rows.length - maxRows} more rows` : '');
  return { 'text/html': html, 'text/plain': text };
}

export function plotly(figure: { data: object[]; layout?: object }): MimeBundle {
  const json = JSON.parse(JSON.stringify({ data: figure.data, layout: figure.layout ?? {} })) as object;
  return { [PLOTLY_MIME]: json, 'text/plain': `<Plotly figure: ${figure.data.length} trace(s)>` };
}

export function png(bytes: Uint8Array | string): MimeBundle {
  return { 'image/png': typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('base64'), 'text/plain': '<PNG image>' };
}

/** The `display` global: `display(value)` plus helpers for explicit MIME types. */
export function makeDisplay(emit: (bundle: MimeBundle, metadata?: Record<string, unknown>) => void): CellGlobals['display'] {
  const show = (bundle: MimeBundle | undefined) => {
    if (bundle) emit(bundle);
  };
  return Object.assign((value: unknown) => show(mimeBundle(value) ?? { 'text/plain': 'undefined' }), {
    text: (s: string) => show({ 'text/plain': s }),
    html: (s: string) => show({ 'text/html': s, 'text/plain': s }),
    markdown: (s: string) => show({ 'text/markdown': s, 'text/plain': s }),
    svg: (s: string) => show({ 'image/svg+xml': s, 'text/plain': '<SVG image>' }),
    png: (bytes: Uint8Array | string) => show(png(bytes)),
    json: (v: unknown) => show({ 'application/json': JSON.parse(JSON.stringify(v)) as unknown, 'text/plain': textOf(v) }),
    table: (rows: Record<string, unknown>[]) => show(table(rows)),
    plotly: (figure: { data: object[]; layout?: object }) => show(plotly(figure)),
    mime: (bundle: MimeBundle) => show(bundle),
  });
}
