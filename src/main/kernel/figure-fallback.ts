/**
 * Image fallbacks for the Plotly figures cells show, so that every Jupyter client (nbconvert,
 * JupyterLab, VS Code, the workbench) saves a figure GitHub and plain viewers can show: one headless
 * Chromium per kernel, started on the first figure, through the figure export `babelscope run` uses
 * (src/main/notebook/figures.ts). Without a browser engine: one note on the kernel's log, and figures
 * stay Plotly JSON only. `BABELSCOPE_FIGURE_FALLBACK=0` turns it off (`run` adds its own).
 */
import type { MimeBundle } from '../../shared/kernel-types.js';
import { figureFallbacks, FigureRenderer, type PlotlyFigure } from '../notebook/figures.js';
import { PLOTLY_MIME } from './display.js';

export class FigureFallbacks {
  private renderer: Promise<FigureRenderer | null> | undefined;
  /** Renders run one at a time on the one page. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly note: (message: string) => void,
    private readonly enabled = process.env['BABELSCOPE_FIGURE_FALLBACK'] !== '0',
  ) {}

  /** Whether this bundle is a Plotly figure still without its image fallback. */
  wants(bundle: MimeBundle): boolean {
    return this.enabled && bundle[PLOTLY_MIME] !== undefined && bundle['image/svg+xml'] === undefined;
  }

  /** The bundle with its SVG and PNG added; the bundle as it was when no browser can draw it. */
  async withFallback(bundle: MimeBundle): Promise<MimeBundle> {
    if (!this.wants(bundle)) return bundle;
    this.renderer ??= FigureRenderer.open().catch((e: Error) => {
      this.note(`Plotly figures are saved without an image fallback: ${e.message}`);
      return null;
    });
    const renderer = await this.renderer;
    if (!renderer) return bundle;
    const job = this.queue.then(() => figureFallbacks(renderer, bundle[PLOTLY_MIME] as PlotlyFigure));
    this.queue = job.catch(() => undefined);
    try {
      return { ...bundle, ...(await job) };
    } catch (e) {
      this.note(`a figure's image fallback failed: ${(e as Error).message.split('\n')[0]}`);
      return bundle;
    }
  }

  async close(): Promise<void> {
    const renderer = await this.renderer;
    this.renderer = undefined;
    await renderer?.close().catch(() => undefined);
  }
}
