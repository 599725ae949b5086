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

export interface PlotlyStatic {
  react(el: HTMLElement, data: Trace[], layout?: Layout, config?: Config): Promise<PlotElement>;
  purge(el: HTMLElement): void;
  toImage(el: HTMLElement, opts: { format: 'svg' | 'png' | 'jpeg'; width?: number; height?: number; scale?: number }): Promise<string>;
  downloadImage(el: HTMLElement, opts: { format: 'svg' | 'png'; filename: string; width?: number; height?: number; scale?: number }): Promise<string>;
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

/** A figure's layout for the page's theme: in the dark one, the notebook's figure colours (as outputs.ts draws them). */
export function themedLayout(layout: Layout = {}): Layout {
  if (document.documentElement.dataset['theme'] !== 'dark') return layout;
  return { ...layout, template: undefined, paper_bgcolor: '#1e1f24', plot_bgcolor: '#1e1f24', font: { color: '#e4e6eb' } };
}
