/**
 * The workbench's figure export: the same path as `babelscope run --figures` (plotly.js in a headless
 * Chromium, src/main/notebook/figures.ts), so a PDF is vectors with its text, not a picture, and a
 * figure exported from the page and from `run` are the same file. One export at a time, each with its
 * own browser (exports are rare; nothing stays running).
 */
import { FigureRenderer, type FigureFormat, type PlotlyFigure } from '../notebook/figures.js';

let queue: Promise<unknown> = Promise.resolve();

export function exportFigure(figure: PlotlyFigure, format: FigureFormat): Promise<{ base64: string }> {
  const job = queue.then(async () => {
    const renderer = await FigureRenderer.open();
    try {
      const out = await renderer.render(figure, format);
      return { base64: (typeof out === 'string' ? Buffer.from(out, 'utf8') : out).toString('base64') };
    } finally {
      await renderer.close();
    }
  });
  queue = job.catch(() => undefined);
  return job;
}
