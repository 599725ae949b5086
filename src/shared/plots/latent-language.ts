/** The latent-language figure (Wendler et al. 2024, Fig. 2 style): target and latent probability per layer with 95 % bands, entropy beside. */
import { layerLines } from './figures.js';
import { axis } from './style.js';
import type { PlotFigure } from './types.js';

/** Per layer: mean and interval (a `LayerSeries` of `latentLanguage` fits). */
export interface LatentBandSeries {
  mean: readonly number[];
  interval: readonly { low: number; high: number }[];
  normalInterval?: readonly { low: number; high: number }[];
}

/** Data of `latentLanguageLines` (a `LatentLanguageOutput` fits). */
export interface LatentLanguageLinesInput {
  to: string;
  latent: string;
  task?: string;
  from?: string;
  summary: { target: LatentBandSeries; latent: LatentBandSeries; entropy?: LatentBandSeries };
  /** `bootstrap` (default: percentile bootstrap over prompts) or `normal` (the paper's mean ± 1.96·sd/√n). */
  band?: 'bootstrap' | 'normal';
  /** Draw the entropy (bits) on a right-hand axis; default true. */
  entropy?: boolean;
  title?: string;
}

/** Probability of the target word and of the latent-language word per layer, 95 % bands, entropy on a second axis. */
export function latentLanguageLines(input: LatentLanguageLinesInput): PlotFigure {
  const pick = (s: LatentBandSeries) => (input.band === 'normal' && s.normalInterval ? s.normalInterval : s.interval);
  const series = (name: string, s: LatentBandSeries) => ({ name, values: s.mean, lower: pick(s).map((i) => i.low), upper: pick(s).map((i) => i.high) });
  const title = input.title ?? `${input.task ?? 'translation'}${input.from && input.from !== input.to ? ` ${input.from} → ${input.to}` : ` ${input.to}`}: logit-lens probability per layer`;
  const fig = layerLines({
    series: [series(input.to, input.summary.target), series(input.latent, input.summary.latent)],
    yTitle: `probability of the word's tokens (mean, 95 % CI over prompts)`,
    yRange: [0, 1],
    title,
  });
  const h = input.summary.entropy;
  if (h && input.entropy !== false) {
    fig.data.push({ type: 'scatter', mode: 'lines', name: 'entropy (bits)', x: [...h.mean.keys()], y: [...h.mean], yaxis: 'y2', line: { color: '#7F7F7F', dash: 'dot', width: 1.5 } });
    fig.layout['yaxis2'] = axis('entropy (bits)', { overlaying: 'y', side: 'right', rangemode: 'tozero', showgrid: false });
    fig.layout['margin'] = { ...(fig.layout['margin'] as Record<string, number>), r: 70 };
    // Inside the plot, top left (as the paper), so it does not cover the entropy axis.
    fig.layout['legend'] = { ...(fig.layout['legend'] as Record<string, unknown>), x: 0.02, y: 0.98, xanchor: 'left', yanchor: 'top', bgcolor: 'rgba(255,255,255,0.8)' };
  }
  return fig;
}
