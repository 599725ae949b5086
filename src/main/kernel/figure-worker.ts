/**
 * The kernel's figure thread: draws the image fallbacks of Plotly figures in a headless Chromium
 * (src/main/notebook/figures.ts). It runs beside the cells' thread, not in it: an interrupt stops the
 * cells' thread at any instruction, which must never land inside the browser connection's callbacks.
 */
import { parentPort } from 'node:worker_threads';
import { figureFallbacks, FigureRenderer, type PlotlyFigure } from '../notebook/figures.js';

export type FigureRequest = { id: number; figure: PlotlyFigure };
export type FigureReply = { id: number; images: { 'image/svg+xml': string; 'image/png': string } } | { id: number; error: string };

let renderer: Promise<FigureRenderer> | undefined;
let queue: Promise<unknown> = Promise.resolve();

parentPort!.on('message', (m: FigureRequest) => {
  const job = queue.then(async (): Promise<FigureReply> => {
    try {
      renderer ??= FigureRenderer.open();
      return { id: m.id, images: await figureFallbacks(await renderer, m.figure) };
    } catch (e) {
      return { id: m.id, error: (e as Error).message.split('\n')[0]! };
    }
  });
  queue = job;
  void job.then((reply) => parentPort!.postMessage(reply));
});
