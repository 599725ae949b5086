/** Figure specs for the analyses (pure: data in, Plotly JSON out), in the style of style.ts. */
import { axis, baseLayout, colorRange, DIVERGING, OKABE_ITO, SEQUENTIAL, seriesStyle, SIZE, withAlpha, withLegendRoom, type ColorRange } from './style.js';
import type { PlotFigure, PlotTrace } from './types.js';

/** A value of a matrix or series; null = not measured (drawn as a gap). */
export type PlotValue = number | null;

const LAYER_AXIS = 'layer (block index)';

/** A labelled heatmap trace in the house style: thin gaps between cells, a titled colour bar, values in the cells. */
function heatmapTrace(o: {
  x: readonly (string | number)[];
  y: readonly string[];
  z: readonly (readonly PlotValue[])[];
  range: [number, number];
  colorscale: unknown;
  valueTitle: string;
  /** d3 format of the cell text; '' for none. */
  cellFormat: string;
  hovertemplate: string;
  extra?: Record<string, unknown>;
}): PlotTrace {
  return {
    type: 'heatmap',
    x: [...o.x],
    y: [...o.y],
    z: o.z.map((r) => [...r]),
    zmin: o.range[0],
    zmax: o.range[1],
    colorscale: o.colorscale,
    colorbar: { title: { text: o.valueTitle, side: 'right' }, thickness: 14 },
    ...(o.cellFormat ? { texttemplate: `%{z:${o.cellFormat}}`, textfont: { size: 10 } } : {}),
    hovertemplate: o.hovertemplate,
    xgap: 1,
    ygap: 1,
    ...o.extra,
  };
}

/** Data of `layerLanguageHeatmap`. */
export interface LayerLanguageHeatmapInput {
  /** Row labels (languages). */
  languages: readonly string[];
  /** `values[language][layer]`. */
  values: readonly (readonly PlotValue[])[];
  /** What a cell is, with its unit: e.g. `share of logit-lens top-1 tokens`. */
  valueTitle: string;
  title?: string;
  /** Colour range: `'data'` (default: the values' own min and max, so small differences show) or a fixed `[low, high]`, e.g. `[0, 1]` to compare figures. */
  range?: ColorRange;
  /** Write each value in its cell (d3 format); default `.2f`, `''` for none. */
  cellFormat?: string;
}

/** Layer × language heatmap (e.g. the working language: share of top-1 tokens per layer per language). */
export function layerLanguageHeatmap(input: LayerLanguageHeatmapInput): PlotFigure {
  const layers = Math.max(0, ...input.values.map((r) => r.length));
  const format = input.cellFormat ?? '.2f';
  const [zmin, zmax] = colorRange(input.values.flat(), input.range);
  return {
    data: [
      heatmapTrace({
        x: [...Array(layers).keys()],
        y: input.languages,
        z: input.values,
        range: [zmin, zmax],
        colorscale: SEQUENTIAL,
        valueTitle: input.valueTitle,
        cellFormat: format,
        hovertemplate: `%{y}, layer %{x}: %{z:.3f}<extra></extra>`,
      }),
    ],
    layout: baseLayout(input.title, {
      height: Math.max(SIZE.height * 0.6, 120 + 26 * input.languages.length),
      xaxis: axis(LAYER_AXIS, { dtick: 1 }),
      yaxis: axis('language', { autorange: 'reversed', type: 'category' }),
    }),
  };
}

/** One line of a line figure, with an optional band. */
export interface LineSeries {
  name: string;
  /** `values[layer]` (or per x). */
  values: readonly PlotValue[];
  /** Lower and upper edge of a band around the line (e.g. ± one standard deviation, a 95% interval). */
  lower?: readonly PlotValue[];
  upper?: readonly PlotValue[];
  /** Points to flag as meaningless (e.g. a checkpoint that has not learned the language): drawn as open crosses with `flagLabel` on hover. */
  flagged?: readonly boolean[];
  /** What a flag means; default `not learned: meaningless`. */
  flagLabel?: string;
}

/** Data of `layerLines`. */
export interface LayerLinesInput {
  series: readonly LineSeries[];
  /** The y quantity with its unit, e.g. `probability mass on the language's tokens`. */
  yTitle: string;
  title?: string;
  /**
   * A reference level drawn as a dashed grey line, e.g. chance retrieval accuracy: one value, or one
   * per x (a permutation baseline differs by layer), with an optional grey band (`low`, `high`: e.g.
   * its 2.5–97.5 % over permutations).
   */
  chance?: { value: number | readonly PlotValue[]; low?: readonly PlotValue[]; high?: readonly PlotValue[]; label?: string };
  /** x values (default 0, 1, …) and their title (default the layer). */
  x?: readonly (number | string)[];
  xTitle?: string;
  yRange?: [number, number];
}

/** Per-layer lines, one per series, each with an optional shaded band and an optional chance level. */
export function layerLines(input: LayerLinesInput): PlotFigure {
  const n = Math.max(0, ...input.series.map((s) => s.values.length));
  const x = input.x ? [...input.x] : [...Array(n).keys()];
  const data: PlotTrace[] = [];
  input.series.forEach((s, i) => {
    const { color, dash } = seriesStyle(i);
    if (s.lower && s.upper) {
      data.push({ type: 'scatter', mode: 'lines', x, y: [...s.lower], line: { width: 0 }, hoverinfo: 'skip', showlegend: false, legendgroup: s.name, name: `${s.name} (lower)` });
      data.push({
        type: 'scatter',
        mode: 'lines',
        x,
        y: [...s.upper],
        line: { width: 0 },
        fill: 'tonexty',
        fillcolor: withAlpha(color, 0.2),
        hoverinfo: 'skip',
        showlegend: false,
        legendgroup: s.name,
        name: `${s.name} (upper)`,
      });
    }
    data.push({ type: 'scatter', mode: 'lines+markers', name: s.name, legendgroup: s.name, x, y: [...s.values], line: { color, dash, width: 2 }, marker: { color, size: 5 } });
    const flagged = (s.flagged ?? []).flatMap((f, k) => (f && s.values[k] !== null && s.values[k] !== undefined ? [k] : []));
    if (flagged.length) {
      const label = s.flagLabel ?? 'not learned: meaningless';
      data.push({
        type: 'scatter',
        mode: 'markers',
        name: `${s.name}: ${label}`,
        legendgroup: s.name,
        x: flagged.map((k) => x[k]!),
        y: flagged.map((k) => s.values[k]!),
        marker: { color, size: 12, symbol: 'x-open', line: { width: 2, color } },
        hovertemplate: `${s.name}: %{y} (${label})<extra></extra>`,
      });
    }
  });
  const chance = input.chance;
  if (chance) {
    const name = chance.label ?? 'chance';
    if (chance.low && chance.high) {
      data.push({ type: 'scatter', mode: 'lines', x, y: [...chance.low], line: { width: 0 }, hoverinfo: 'skip', showlegend: false, legendgroup: name, name: `${name} (lower)` });
      data.push({
        type: 'scatter',
        mode: 'lines',
        x,
        y: [...chance.high],
        line: { width: 0 },
        fill: 'tonexty',
        fillcolor: withAlpha('#7F7F7F', 0.18),
        hoverinfo: 'skip',
        showlegend: false,
        legendgroup: name,
        name: `${name} (upper)`,
      });
    }
    const constant = typeof chance.value === 'number';
    data.push({
      type: 'scatter',
      mode: 'lines',
      name,
      legendgroup: name,
      x: constant ? [x[0] ?? 0, x[x.length - 1] ?? 0] : x,
      y: typeof chance.value === 'number' ? [chance.value, chance.value] : [...chance.value],
      line: { color: '#7F7F7F', dash: 'dash', width: 1.5 },
      hoverinfo: 'name+y',
    });
  }
  return withLegendRoom({
    data,
    layout: baseLayout(input.title, {
      xaxis: axis(input.xTitle ?? LAYER_AXIS, input.x ? {} : { dtick: 1 }),
      yaxis: axis(input.yTitle, input.yRange ? { range: input.yRange } : {}),
    }),
  });
}

/** Data of `neuronCountsChart` (a `LapeResult` fits). */
export interface NeuronCountsInput {
  /** language → neurons per layer (LapeResult.perLayer). */
  perLayer: Readonly<Record<string, readonly number[]>>;
  title?: string;
  /** Bars side by side (default) or stacked. */
  mode?: 'group' | 'stack';
  /** Languages the model has not learned (a selection's `unlearned`): their bars are faded, crossed and labelled meaningless. */
  unlearned?: readonly string[];
}

/** Language-specific neurons per layer per language (LAPE), as bars. */
export function neuronCountsChart(input: NeuronCountsInput): PlotFigure {
  const langs = Object.keys(input.perLayer);
  return withLegendRoom({
    data: langs.map((lang, i) => {
      const counts = input.perLayer[lang]!;
      const meaningless = input.unlearned?.includes(lang) ?? false;
      return {
        type: 'bar',
        name: meaningless ? `${lang} (not learned: meaningless)` : lang,
        x: [...counts.keys()],
        y: [...counts],
        marker: { color: OKABE_ITO[i % OKABE_ITO.length], ...(meaningless ? { opacity: 0.35, pattern: { shape: 'x' } } : i >= OKABE_ITO.length ? { pattern: { shape: '/' } } : {}) },
      };
    }),
    layout: baseLayout(input.title, {
      barmode: input.mode ?? 'group',
      bargap: 0.15,
      xaxis: axis(LAYER_AXIS, { dtick: 1 }),
      yaxis: axis('language-specific neurons (count)'),
    }),
  });
}

/** Data of `similarityMatrix`. */
export interface SimilarityMatrixInput {
  /** Row and column labels (languages). */
  labels: readonly string[];
  matrix: readonly (readonly PlotValue[])[];
  title?: string;
  /** Default `cosine similarity`. */
  valueTitle?: string;
  /** Colour range: `'data'` (default: the values' own min and max; MEXA similarities often all lie in 0.8–1) or a fixed `[low, high]` such as `[-1, 1]`. */
  range?: ColorRange;
  columnLabels?: readonly string[];
}

/** A language × language similarity matrix (e.g. one layer's cosine similarities). */
export function similarityMatrix(input: SimilarityMatrixInput): PlotFigure {
  const [zmin, zmax] = colorRange(input.matrix.flat(), input.range);
  const side = Math.max(320, 120 + 40 * input.labels.length);
  return {
    data: [
      heatmapTrace({
        x: input.columnLabels ?? input.labels,
        y: input.labels,
        z: input.matrix,
        range: [zmin, zmax],
        colorscale: SEQUENTIAL,
        valueTitle: input.valueTitle ?? 'cosine similarity',
        cellFormat: '.2f',
        hovertemplate: '%{y} × %{x}: %{z:.3f}<extra></extra>',
      }),
    ],
    layout: baseLayout(input.title, {
      width: side + 110,
      height: side,
      xaxis: axis('language', { type: 'category', constrain: 'domain' }),
      yaxis: axis('language', { type: 'category', autorange: 'reversed', scaleanchor: 'x', constrain: 'domain' }),
    }),
  };
}

/** Data of `deactivationMatrix` (an `AblationMatrix` fits). */
export interface DeactivationMatrixInput {
  /** Row labels: the language whose neurons were deactivated. */
  deactivated: readonly string[];
  /** Column labels: the language evaluated. */
  evaluated: readonly string[];
  /** `delta[deactivated][evaluated]`: NLL with the neurons deactivated − baseline NLL. */
  delta: readonly (readonly PlotValue[])[];
  /** `[deactivated][evaluated]` 95 % interval of each delta (shown on hover). */
  deltaInterval?: readonly (readonly ({ low: number; high: number } | null)[])[];
  /** Per language: its diagonal entry's random band and whether it lies outside (marked on the diagonal). */
  diagonal?: Readonly<Record<string, { delta: number | null; randomBand?: { low: number; high: number } | null; outsideRandomBand?: boolean | null }>>;
  /** Random draws behind the band (for the legend). */
  randomDraws?: number;
  title?: string;
}

/**
 * The LAPE deactivation matrix: Δ mean NLL of each evaluated language when each language's neurons
 * are zeroed; the diagonal should rise most. Takes an `AblationMatrix` as it is: the hover gives each
 * cell's 95 % interval, and diagonal cells are marked by where they lie against the band of same-size
 * random neuron sets (filled: above it; open: within it, no better than random neurons).
 */
export function deactivationMatrix(input: DeactivationMatrixInput): PlotFigure {
  const values = input.delta.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const bound = Math.max(1e-9, ...values.map(Math.abs));
  const side = Math.max(320, 120 + 40 * Math.max(input.evaluated.length, input.deactivated.length));
  const ci = input.deltaInterval;
  const customdata = input.delta.map((row, i) =>
    row.map((_, j) => {
      const c = ci?.[i]?.[j];
      return c ? `95 % CI [${c.low >= 0 ? '+' : ''}${c.low.toFixed(3)}, ${c.high >= 0 ? '+' : ''}${c.high.toFixed(3)}]` : '';
    }),
  );
  const marks = (above: boolean) => {
    const langs = Object.entries(input.diagonal ?? {}).filter(
      ([l, d]) => d.randomBand && d.delta !== null && input.evaluated.includes(l) && input.deactivated.includes(l) && (d.delta > d.randomBand.high) === above,
    );
    if (langs.length === 0) return [];
    const trace: PlotTrace = {
      type: 'scatter',
      mode: 'markers',
      x: langs.map(([l]) => l),
      y: langs.map(([l]) => l),
      name: above ? `above the random band (2.5–97.5 % of ${input.randomDraws ?? '?'} draws)` : 'within/below the random band: no better than random neurons',
      marker: { symbol: above ? 'diamond' : 'diamond-open', size: 9, color: '#000000', line: { width: 1.5, color: '#000000' } },
      customdata: langs.map(([, d]) => `random band [${d.randomBand!.low.toFixed(3)}, ${d.randomBand!.high.toFixed(3)}]`),
      hovertemplate: `%{y}'s own Δ is ${above ? 'above' : 'not above'} the %{customdata}<extra></extra>`,
      showlegend: true,
    };
    return [trace];
  };
  return {
    data: [
      heatmapTrace({
        x: input.evaluated,
        y: input.deactivated,
        z: input.delta,
        range: [-bound, bound],
        colorscale: DIVERGING,
        valueTitle: 'Δ mean NLL (nats/token)',
        cellFormat: '+.2f',
        hovertemplate: ci
          ? "%{y}'s neurons off, %{x} text: Δ %{z:+.3f} nats/token, %{customdata}<extra></extra>"
          : "%{y}'s neurons off, %{x} text: Δ %{z:+.3f} nats/token<extra></extra>",
        extra: { zmid: 0, ...(ci ? { customdata } : {}) },
      }),
      ...marks(true),
      ...marks(false),
    ],
    layout: baseLayout(input.title, {
      width: side + 130,
      height: side + (input.diagonal ? 60 : 0),
      xaxis: axis('evaluated language', { type: 'category', side: 'bottom' }),
      yaxis: axis('deactivated language (its LAPE neurons zeroed)', { type: 'category', autorange: 'reversed' }),
      ...(input.diagonal ? { legend: { orientation: 'h', x: 0, y: -0.25, xanchor: 'left', yanchor: 'top' } } : {}),
    }),
  };
}

/** Data of `checkpointEvolution`. */
export interface CheckpointEvolutionInput {
  /** Checkpoint names in training order. */
  checkpoints: readonly string[];
  /** One line per language (or quantity): `values[checkpoint]`. */
  series: readonly LineSeries[];
  /** The y quantity with its unit, e.g. `mean NLL (nats/token)`. */
  yTitle: string;
  title?: string;
  yRange?: [number, number];
}

/** A quantity across training checkpoints, one line per language (Babel Tower style). */
export function checkpointEvolution(input: CheckpointEvolutionInput): PlotFigure {
  const fig = layerLines({ series: input.series, yTitle: input.yTitle, x: input.checkpoints, xTitle: 'training checkpoint', ...(input.title ? { title: input.title } : {}), ...(input.yRange ? { yRange: input.yRange } : {}) });
  return { data: fig.data, layout: { ...fig.layout, xaxis: { ...(fig.layout['xaxis'] as object), type: 'category' } } };
}

/** Data of `categoryBars`. */
export interface CategoryBarsInput {
  /** x categories, e.g. prompt languages. */
  categories: readonly string[];
  /**
   * One bar group member per series, e.g. `without ablation` / `with ablation`: `values[category]`;
   * `intervals[category]` (e.g. 95 % intervals) are drawn as error bars.
   */
  series: readonly { name: string; values: readonly PlotValue[]; intervals?: readonly ({ low: number; high: number } | null)[] }[];
  /** The y quantity with its unit, e.g. `line pass rate (share of responses)`. */
  yTitle: string;
  /** Default `language`. */
  xTitle?: string;
  title?: string;
  yRange?: [number, number];
  /** A reference level drawn as a dashed grey line. */
  chance?: { value: number; label?: string };
}

/** Asymmetric Plotly error bars from intervals around values (none where either is missing). */
function errorBars(values: readonly PlotValue[], intervals: readonly ({ low: number; high: number } | null)[]): Record<string, unknown> {
  const at = (k: number): [number, number] | null => {
    const v = values[k];
    const iv = intervals[k];
    return v === null || v === undefined || !iv ? null : [Math.max(0, iv.high - v), Math.max(0, v - iv.low)];
  };
  return {
    type: 'data',
    symmetric: false,
    array: values.map((_, k) => at(k)?.[0] ?? null),
    arrayminus: values.map((_, k) => at(k)?.[1] ?? null),
    color: '#404040',
    thickness: 1.2,
    width: 4,
  };
}

/** Grouped bars per category (e.g. LCB pass rates per prompt language, fertility per tokenizer), with error bars where intervals are given. */
export function categoryBars(input: CategoryBarsInput): PlotFigure {
  const data: PlotTrace[] = input.series.map((s, i) => ({
    type: 'bar',
    name: s.name,
    x: [...input.categories],
    y: [...s.values],
    marker: { color: OKABE_ITO[i % OKABE_ITO.length], ...(i >= OKABE_ITO.length ? { pattern: { shape: '/' } } : {}) },
    ...(s.intervals ? { error_y: errorBars(s.values, s.intervals) } : {}),
  }));
  if (input.chance) {
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: input.chance.label ?? 'chance',
      x: [input.categories[0], input.categories[input.categories.length - 1]],
      y: [input.chance.value, input.chance.value],
      line: { color: '#7F7F7F', dash: 'dash', width: 1.5 },
    });
  }
  return withLegendRoom({
    data,
    layout: baseLayout(input.title, {
      barmode: 'group',
      bargap: 0.2,
      xaxis: axis(input.xTitle ?? 'language', { type: 'category' }),
      yaxis: axis(input.yTitle, input.yRange ? { range: input.yRange } : {}),
    }),
  });
}
