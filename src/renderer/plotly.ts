/**
 * The part of Plotly (served as the global `Plotly` from /vendor/plotly.min.js, loaded on first use:
 * it is 4 MB and most sessions start without a figure) this page uses, typed by hand: no
 * @types/plotly.js dependency.
 */

export type Datum = number | string | null;

/** A trace; only the fields the page sets are named, the rest pass through. */
export interface Trace {
  type: 'heatmap' | 'scatter';
  name?: string;
  x?: Datum[];
  y?: Datum[];
  z?: number[][];
  text?: string[][] | string[];
  customdata?: unknown[];
  [key: string]: unknown;
}

export type Layout = Record<string, unknown>;
export type Config = Record<string, unknown>;

/** A plotted element: Plotly keeps the figure on it. */
export type PlotElement = HTMLElement & { data?: Trace[]; layout?: Layout };

/** A figure as Plotly takes it in place of a plotted element (toImage draws it off-screen). */
export interface Figure {
  data: Trace[];
  layout: Layout;
}

export interface PlotlyStatic {
  react(el: HTMLElement, data: Trace[], layout?: Layout, config?: Config): Promise<PlotElement>;
  relayout(el: HTMLElement, update: Record<string, unknown>): Promise<PlotElement>;
  purge(el: HTMLElement): void;
  toImage(el: HTMLElement | Figure, opts: { format: 'svg' | 'png' | 'jpeg'; width?: number; height?: number; scale?: number }): Promise<string>;
  Plots: { resize(el: HTMLElement): Promise<void> };
}

declare const Plotly: PlotlyStatic | undefined;

let loading: Promise<PlotlyStatic> | null = null;

/** Plotly, loaded once; an error that says what is missing when it cannot be. */
export function loadPlotly(): Promise<PlotlyStatic> {
  if (typeof Plotly !== 'undefined') return Promise.resolve(Plotly);
  loading ??= new Promise<PlotlyStatic>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/vendor/plotly.min.js';
    script.onload = () => (typeof Plotly === 'undefined' ? reject(new Error('Plotly did not define itself (/vendor/plotly.min.js)')) : resolve(Plotly));
    script.onerror = () => {
      loading = null;
      reject(new Error('Plotly did not load (/vendor/plotly.min.js)'));
    };
    document.head.append(script);
  });
  return loading;
}

/**
 * The dark theme's figure colours (the page's --panel, --text, --border, --muted). The light theme is
 * each figure's own layout: the paper style of src/shared/plots, and what exports always use.
 */
const DARK = { paper: '#1e1f24', text: '#e4e6eb', grid: '#34363f', line: '#9aa0ab', legend: 'rgba(0,0,0,0)' };

const isDark = () => document.documentElement.dataset['theme'] === 'dark';

/** Each drawn figure's own layout (as given, before any theme), so a theme change or an export can go back to it. */
const ownLayouts = new WeakMap<HTMLElement, Layout>();

function getPath(o: Layout | undefined, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/**
 * The `Plotly.relayout` update that shows a figure in a theme: the dark colours, or back to the
 * figure's own values (null: Plotly's default, where the figure named none). `current` names the axes.
 */
export function themeUpdate(own: Layout, current: Layout, dark: boolean): Record<string, unknown> {
  const axes = new Set(['xaxis', 'yaxis', ...Object.keys(current).filter((k) => /^[xy]axis\d*$/.test(k))]);
  const darkUpdate: Record<string, unknown> = {
    // A template (plotly.py's, say) would bring its own light colours back into what is not set here.
    template: null,
    paper_bgcolor: DARK.paper,
    plot_bgcolor: DARK.paper,
    'font.color': DARK.text,
    'legend.bgcolor': DARK.legend,
  };
  for (const a of axes) Object.assign(darkUpdate, { [`${a}.gridcolor`]: DARK.grid, [`${a}.zerolinecolor`]: DARK.grid, [`${a}.linecolor`]: DARK.line, [`${a}.tickcolor`]: DARK.line });
  if (dark) return darkUpdate;
  return Object.fromEntries(Object.keys(darkUpdate).map((k) => [k, structuredClone(getPath(own, k)) ?? null]));
}

/** `update` applied to a copy of `layout`, as relayout would (dotted paths; null removes). */
function applied(layout: Layout, update: Record<string, unknown>): Layout {
  const out = structuredClone(layout);
  for (const [path, value] of Object.entries(update)) {
    const keys = path.split('.');
    let o = out as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) o = (o[k] && typeof o[k] === 'object' ? o[k] : (o[k] = {})) as Record<string, unknown>;
    if (value === null) delete o[keys.at(-1)!];
    else o[keys.at(-1)!] = value;
  }
  return out;
}

/**
 * Draws a figure in the page's theme. Plotly keeps (and relayout changes) the objects it is given, so
 * it gets copies: the caller's figure, a notebook output that is saved as it came, never takes a
 * theme's colours.
 */
export async function drawFigure(el: HTMLElement, data: Trace[], layout: Layout = {}, config: Config = {}): Promise<PlotElement> {
  const P = await loadPlotly();
  const own = structuredClone(layout);
  ownLayouts.set(el, own);
  return P.react(el, structuredClone(data), applied(own, themeUpdate(own, own, isDark())), config);
}

/** Re-colours every figure on the page for the theme now set (their data and own layouts untouched). */
export async function rethemeFigures(): Promise<void> {
  if (typeof Plotly === 'undefined') return;
  const P = Plotly;
  const dark = isDark();
  const plots = [...document.querySelectorAll<PlotElement>('.js-plotly-plot')].filter((el) => ownLayouts.has(el) && el.layout);
  await Promise.all(plots.map((el) => P.relayout(el, themeUpdate(ownLayouts.get(el)!, el.layout!, dark))));
}

/**
 * A drawn figure as it is now (zoom and all) in the light paper style, whatever the page's theme: what
 * exports for papers are made from.
 */
export function lightFigure(el: PlotElement): Figure {
  const current = el.layout ?? {};
  const own = ownLayouts.get(el) ?? current;
  return { data: el.data ?? [], layout: applied(current, themeUpdate(own, current, false)) };
}

/**
 * A figure as SVG text at its own size (or the element's): a drawn one in the light paper style, with
 * `layoutPatch` (a title, say) on top, or a figure made for the file.
 */
export async function svgOf(source: PlotElement | Figure, layoutPatch: Layout = {}): Promise<string> {
  const figure = source instanceof HTMLElement ? lightFigure(source) : source;
  const el = source instanceof HTMLElement ? source : null;
  const layout = { ...figure.layout, ...layoutPatch };
  const size = { width: (layout['width'] as number | undefined) ?? (el?.clientWidth || 900), height: (layout['height'] as number | undefined) ?? (el?.clientHeight || 400) };
  const P = await loadPlotly();
  const url = await P.toImage({ data: figure.data, layout }, { format: 'svg', ...size });
  return decodeURIComponent(url.slice(url.indexOf(',') + 1));
}
