/**
 * LensView → Plotly figures. Pure (no DOM), so the shapes are easy to reason about:
 * - the lens heatmap: x = input position, y = layer (0 at the bottom), z = top-1 probability,
 *   cell text = the top-1 token;
 * - the working language per layer: for each language label, the probability mass on its tokens,
 *   averaged over positions (the `<s>` at position 0 left out).
 */
import type { LensView } from '../shared/backend-contract.js';
import type { Layout, Trace } from './plotly.js';

/** Cell text is drawn only up to this many positions (beyond, it would not fit). */
export const MAX_POSITIONS_WITH_TEXT = 48;

/**
 * A token as Plotly should draw it: SentencePiece's ▁ as ␣, control characters visible, and
 * `<`, `>`, `&` escaped, since Plotly reads pseudo-HTML in text (`<s>` would strike through).
 */
export function displayToken(token: string): string {
  const shown = token
    .replaceAll('\u2581', '\u2423')
    .replaceAll('\n', '\u21b5')
    .replaceAll('\t', '\u21e5')
    .replaceAll('\r', '\\r');
  return shown.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Positions averaged for the language mass: all but a leading `<s>`-style special token. */
export function contentPositions(tokens: string[]): number[] {
  const all = tokens.map((_, p) => p);
  return tokens.length > 1 && /^<.*>$/.test(tokens[0] ?? '') ? all.slice(1) : all;
}

/** Mean language mass per layer: `[label] → [layer]`. */
export function meanLanguageMass(view: LensView): Map<string, number[]> {
  const positions = contentPositions(view.tokens);
  const out = new Map<string, number[]>();
  for (const label of view.languages)
    out.set(
      label,
      view.cells.map((row) => positions.reduce((s, p) => s + (row[p]?.languageMass?.[label] ?? 0), 0) / Math.max(1, positions.length)),
    );
  return out;
}

/** The languages with the most mass in one cell, as "rus 74% · cmn 9%". */
function topLanguages(mass: Record<string, number> | undefined, n = 3): string {
  if (!mass) return '';
  return Object.entries(mass)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`)
    .join(' · ');
}

const FONT = { family: 'Inter, "Segoe UI", system-ui, -apple-system, "Noto Sans", sans-serif', size: 12, color: '#1f2430' };

/** Shortens a drawn label to about `chars` characters (hover keeps the whole token). */
export function fitLabel(label: string, chars: number): string {
  const glyphs = [...label.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')];
  const cut = glyphs.length <= chars ? glyphs : [...glyphs.slice(0, Math.max(1, chars - 1)), '\u2026'];
  return cut.join('').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Options of `lensHeatmap`. */
export interface LensHeatmapOptions {
  /**
   * For an exported file (no hover to read a cut label): cells and ticks as wide as their longest
   * token, nothing shortened, and this title on top.
   */
  exportTitle?: string;
}

/** px per character of the 10–11 px labels (an upper bound for Latin, about right for CJK at 10 px). */
const CHAR_PX = 6.6;

/** The title of an exported lens figure: what it shows, the model and the text (shortened to a line). */
export function lensExportTitle(what: string, model: string, text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return `${what} · ${model} · “${fitLabel(displayToken(t), 70)}”`;
}

/**
 * The heatmap, sized to `widthAvailable` when the cells fit (wider, for a scrolling container,
 * when they do not). Cell and tick labels are shortened to their cell; the hover shows all. With
 * `exportTitle`, sized for a file instead: every label whole (see LensHeatmapOptions).
 */
export function lensHeatmap(view: LensView, widthAvailable: number, o: LensHeatmapOptions = {}): { data: Trace[]; layout: Layout } {
  const positions = view.tokens.length;
  const layers = view.cells.length;
  const forExport = o.exportTitle !== undefined;
  const showText = forExport || positions <= MAX_POSITIONS_WITH_TEXT;
  const colorbarSpace = 72;
  const narrowTicks = !showText;
  const longest = forExport ? Math.max(2, ...view.tokens.map((t) => [...displayToken(t)].length), ...view.cells.flat().map((c) => [...displayToken(c.token)].length)) : 0;
  const margin = { l: 56, r: 12 + colorbarSpace, t: forExport ? 44 : 8, b: narrowTicks ? 96 : 50 };
  const fit = (widthAvailable - margin.l - margin.r) / Math.max(1, positions);
  const cellWidth = forExport ? Math.max(30, Math.ceil(longest * CHAR_PX + 8)) : Math.min(120, Math.max(showText ? 30 : 12, fit));
  const width = Math.round(margin.l + margin.r + positions * cellWidth);
  const rowHeight = Math.max(18, Math.min(40, Math.round(520 / Math.max(1, layers))));
  const height = margin.t + margin.b + Math.max(150, layers * rowHeight);
  const chars = forExport ? Infinity : Math.max(2, Math.floor((cellWidth - 4) / 6.2));
  const hasMass = view.languages.length > 0;
  const trace: Trace = {
    type: 'heatmap',
    x: view.tokens.map((_, p) => p),
    y: view.cells.map((_, l) => l),
    z: view.cells.map((row) => row.map((c) => c.prob)),
    // The cell label: the top-1 token, shortened to its cell.
    text: view.cells.map((row) => row.map((c) => fitLabel(displayToken(c.token), chars))),
    // [top-1 token, entropy, top languages, input token] for the hover.
    customdata: view.cells.map((row) => row.map((c, p) => [displayToken(c.token), c.entropy, topLanguages(c.languageMass), displayToken(view.tokens[p] ?? '')])),
    zmin: 0,
    zmax: 1,
    xgap: 1,
    ygap: 1,
    colorscale: [
      [0, '#f7fbff'],
      [0.15, '#c6dbef'],
      [0.4, '#6baed6'],
      [0.7, '#2171b5'],
      [1, '#08306b'],
    ],
    colorbar: { title: { text: 'top-1 p', side: 'right' }, thickness: 10, len: 1, x: 1, xpad: 8, xanchor: 'left', outlinewidth: 0, tickformat: '.1f' },
    ...(showText ? { texttemplate: '%{text}', textfont: { size: 10 } } : {}),
    hovertemplate:
      '<b>%{customdata[0]}</b>  p = %{z:.3f}<br>entropy %{customdata[1]:.2f} nats<br>layer %{y}, position %{x} (input %{customdata[3]})' +
      (hasMass ? '<br>%{customdata[2]}' : '') +
      '<extra></extra>',
  };
  const tickChars = forExport ? Infinity : narrowTicks ? 12 : Math.max(2, Math.floor((cellWidth - 2) / 6.6));
  return {
    data: [trace],
    layout: {
      ...(forExport ? { title: { text: o.exportTitle, font: { size: 14 }, x: 0.5, xanchor: 'center', y: 0.98, yanchor: 'top' } } : {}),
      width,
      height,
      margin,
      font: FONT,
      paper_bgcolor: '#ffffff',
      plot_bgcolor: '#ffffff',
      xaxis: {
        title: { text: 'input token (position)', standoff: 4, font: { size: 12 } },
        tickmode: 'array',
        tickvals: view.tokens.map((_, p) => p),
        ticktext: view.tokens.map((t, p) =>
          narrowTicks ? fitLabel(displayToken(t), tickChars) : `${fitLabel(displayToken(t), tickChars)}<br><span style="font-size:9px;fill:#8a91a0">${p}</span>`,
        ),
        tickangle: narrowTicks ? -90 : 0,
        ticks: '',
        showgrid: false,
        zeroline: false,
        tickfont: { size: narrowTicks ? 9 : 11 },
      },
      yaxis: { title: { text: 'layer', standoff: 4, font: { size: 12 } }, dtick: layers > 16 ? 2 : 1, ticks: '', showgrid: false, zeroline: false },
      hoverlabel: { font: { family: FONT.family, size: 12 } },
    },
  };
}

/** Stable colours per language label; `shared` / `unknown` token sets are grey and dashed. */
const LANGUAGE_COLORS: Record<string, string> = {
  eng: '#1f77b4',
  deu: '#8c564b',
  fra: '#9467bd',
  spa: '#ff7f0e',
  rus: '#d62728',
  ell: '#17becf',
  arb: '#2ca02c',
  hin: '#e377c2',
  kor: '#bcbd22',
  cmn: '#b8860b',
};
const EXTRA_COLORS = ['#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd'];

function languageStyle(label: string, index: number): Record<string, unknown> {
  if (label === 'shared') return { color: '#7f7f7f', dash: 'dash', width: 1.5 };
  if (label === 'unknown') return { color: '#b0b0b0', dash: 'dot', width: 1.5 };
  return { color: LANGUAGE_COLORS[label] ?? EXTRA_COLORS[index % EXTRA_COLORS.length], width: 2.25 };
}

/** Peak mean mass below which a language's line starts hidden. */
export const NEGLIGIBLE_MASS = 0.02;

export function languageMassChart(view: LensView): { data: Trace[]; layout: Layout } {
  const mass = meanLanguageMass(view);
  const layers = view.cells.map((_, l) => l);
  const data: Trace[] = [...mass].map(([label, ys], i) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name: label,
    x: layers,
    y: ys,
    line: languageStyle(label, i),
    marker: { size: 5 },
    // With a dozen labels, those with almost no mass start as legend entries only (a click shows them).
    ...(Math.max(...ys) < NEGLIGIBLE_MASS && label !== 'shared' && label !== 'unknown' ? { visible: 'legendonly' } : {}),
    hovertemplate: `${label} %{y:.3f}<extra></extra>`,
  }));
  const top = Math.max(0.05, ...[...mass.values()].flat());
  return {
    data,
    layout: {
      height: 320,
      margin: { l: 56, r: 16, t: 12, b: 44 },
      font: FONT,
      paper_bgcolor: '#ffffff',
      plot_bgcolor: '#ffffff',
      hovermode: 'x unified',
      xaxis: { title: { text: 'layer' }, dtick: layers.length > 16 ? 2 : 1, gridcolor: '#eef0f4', zeroline: false },
      yaxis: { title: { text: 'mean probability mass' }, range: [0, Math.min(1, top * 1.08)], gridcolor: '#eef0f4', zeroline: false, tickformat: '.2f' },
      legend: { orientation: 'v', x: 1.01, y: 1, font: { size: 11 } },
    },
  };
}
