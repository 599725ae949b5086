/**
 * Image fallbacks for the Plotly figures cells show, so that every Jupyter client (nbconvert,
 * JupyterLab, VS Code, the workbench) saves a figure GitHub and plain viewers can show: one headless
 * Chromium per kernel, in a thread of its own (figure-worker.ts), started on the first figure, through
 * the figure export `babelscope run` uses. Without a browser engine: one note on the kernel's log, and
 * figures stay Plotly JSON only. `BABELSCOPE_FIGURE_FALLBACK=0` turns it off (`run` adds its own).
 */
import { Worker } from 'node:worker_threads';
import type { MimeBundle } from '../../shared/kernel-types.js';
import { PLOTLY_MIME } from './display.js';
import type { PlotlyFigure } from '../notebook/figures.js';
import type { FigureReply, FigureRequest } from './figure-worker.js';

export class FigureFallbacks {
  private worker: Worker | undefined;
  private unavailable = false;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: FigureReply) => void>();

  constructor(
    private readonly note: (message: string) => void,
    private readonly enabled = process.env['BABELSCOPE_FIGURE_FALLBACK'] !== '0',
  ) {}

  /** Whether this bundle is a Plotly figure still without its image fallback. */
  wants(bundle: MimeBundle): boolean {
    return this.enabled && !this.unavailable && bundle[PLOTLY_MIME] !== undefined && bundle['image/svg+xml'] === undefined;
  }

  /** The bundle with its SVG and PNG added; the bundle as it was when no browser can draw it. */
  async withFallback(bundle: MimeBundle): Promise<MimeBundle> {
    if (!this.wants(bundle)) return bundle;
    const id = this.nextId++;
    const reply = await new Promise<FigureReply>((resolve) => {
      this.waiting.set(id, resolve);
      this.thread().postMessage({ id, figure: bundle[PLOTLY_MIME] as PlotlyFigure } satisfies FigureRequest);
    });
    if ('images' in reply) return { ...bundle, ...reply.images };
    if (!this.unavailable) this.note(`Plotly figures are saved without an image fallback: ${reply.error}`);
    // No browser engine (or it failed to start): say it once, and stop trying for this kernel.
    if (/browser engine|Chromium|BABELSCOPE_CHROMIUM|playwright/i.test(reply.error)) this.unavailable = true;
    return bundle;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./figure-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (m: FigureReply) => {
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
    const fail = (why: string) => {
      this.worker = undefined;
      for (const [id, resolve] of this.waiting) resolve({ id, error: why });
      this.waiting.clear();
    };
    worker.on('error', (e) => fail(`the figure thread failed: ${e.message}`));
    worker.on('exit', () => fail('the figure thread stopped'));
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
