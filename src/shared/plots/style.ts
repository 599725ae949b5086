/**
 * One paper-ready style for every figure: a sans-serif font at print sizes, white background, axis
 * lines with outside ticks, the Okabe–Ito colour-blind-safe palette for categories, viridis for
 * magnitudes and a blue–white–vermillion scale centred on zero for signed differences.
 */
import type { PlotLayout } from './types.js';

/** Okabe & Ito (2008), ordered so neighbouring series stay distinct; yellow last (weak on white). */
export const OKABE_ITO: readonly string[] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

/** Line dashes, cycled after the palette so more than eight series stay distinguishable without colour. */
export const DASHES: readonly string[] = ['solid', 'dash', 'dot', 'dashdot'];

/** The font of every figure. */
export const FONT = { family: 'Helvetica, Arial, "Liberation Sans", sans-serif', size: 12, color: '#000000' } as const;
export const TITLE_FONT_SIZE = 14;

/** Default figure size in px (a one-column figure at 100 dpi is about 3.3 in wide; ours scale cleanly). */
export const SIZE = { width: 640, height: 400 } as const;

/** Viridis: perceptually uniform and colour-blind safe, for values from low to high. */
export const SEQUENTIAL = 'Viridis';

/** For signed values (Δ NLL): Okabe–Ito blue below zero, white at zero, vermillion above. */
export const DIVERGING: [number, string][] = [
  [0, '#0072B2'],
  [0.5, '#FFFFFF'],
  [1, '#D55E00'],
];

/** Colour and dash of the i-th series. */
export function seriesStyle(i: number): { color: string; dash: string } {
  return { color: OKABE_ITO[i % OKABE_ITO.length]!, dash: DASHES[Math.floor(i / OKABE_ITO.length) % DASHES.length]! };
}

/** `#RRGGBB` at an opacity, for bands. */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export function axis(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: { text: title, font: { size: FONT.size } },
    showline: true,
    linecolor: '#000000',
    linewidth: 1,
    ticks: 'outside',
    ticklen: 4,
    mirror: false,
    zeroline: false,
    showgrid: false,
    automargin: true,
    ...extra,
  };
}

/** The layout every helper starts from. */
export function baseLayout(title: string | undefined, extra: PlotLayout = {}): PlotLayout {
  return {
    ...(title ? { title: { text: title, font: { size: TITLE_FONT_SIZE }, x: 0.5, xanchor: 'center' } } : {}),
    font: { ...FONT },
    width: SIZE.width,
    height: SIZE.height,
    paper_bgcolor: '#FFFFFF',
    plot_bgcolor: '#FFFFFF',
    margin: { l: 70, r: 20, t: title ? 50 : 20, b: 60 },
    legend: { font: { size: FONT.size - 1 }, bgcolor: 'rgba(255,255,255,0.8)' },
    ...extra,
  };
}

/** Height of one legend entry in px as Plotly lays it out at the legend's font (measured in Chromium: 29 px). */
export const LEGEND_ROW = 30;

/**
 * Makes the figure tall enough for its legend to show every entry: a static export (SVG, PNG, PDF)
 * has no legend scrollbar, so entries below the plot area are cut off. Entries are the traces shown in
 * the legend (a band's edges are not).
 */
export function withLegendRoom<F extends { data: readonly Record<string, unknown>[]; layout: PlotLayout }>(figure: F): F {
  const entries = figure.data.filter((t) => t['showlegend'] !== false).length;
  if (entries < 2) return figure;
  const layout = figure.layout as { height?: number; margin?: { t?: number; b?: number }; title?: unknown };
  const t = layout.margin?.t ?? 20;
  const b = layout.margin?.b ?? 60;
  const needed = t + b + entries * LEGEND_ROW + 10;
  if ((layout.height ?? SIZE.height) >= needed) return figure;
  return { ...figure, layout: { ...figure.layout, height: needed } };
}

/** A colour range: fixed `[low, high]`, or `'data'` (the default of every heatmap): the data's own range. */
export type ColorRange = [number, number] | 'data';

/**
 * The colour range of a heatmap: the data's smallest and largest finite value for `'data'` (so
 * 0.03–0.14 spans the whole scale instead of one dark end of 0–1), or the fixed range given.
 */
export function colorRange(values: readonly (number | null)[], range: ColorRange = 'data'): [number, number] {
  if (range !== 'data') return range;
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  return [lo, hi];
}
