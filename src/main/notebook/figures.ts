/**
 * Plotly figure → SVG, PNG (print resolution) or PDF, rendered by plotly.js (served from node_modules,
 * never a CDN) in a headless browser driven by playwright-core: `BABELSCOPE_CHROMIUM`, else a system
 * Chromium/Chrome on PATH, else Electron's binary when it is installed.
 */
import { FIGURE_EXPORT_ELECTRON_MAIN } from '../electron/figure-export-main.js';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { UserError } from '../../shared/errors.js';

export type FigureFormat = 'svg' | 'png' | 'pdf';

export interface PlotlyFigure {
  data: unknown[];
  layout?: Record<string, unknown>;
}

const require = createRequire(import.meta.url);
const BROWSER_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];
/** PNG pixels per CSS pixel: 2 gives 1400 × 900 for Plotly's default 700 × 450 figure. */
export const PNG_SCALE = 2;
/** The PNG fallback saved in notebooks is at screen resolution (1×): it is for viewers that cannot show SVG. */
export const FALLBACK_PNG_SCALE = 1;

/**
 * The image fallbacks a Plotly output carries in a notebook, whichever client ran the cell: SVG, and
 * PNG for viewers that mangle SVG (nbconvert 6).
 */
export async function figureFallbacks(renderer: FigureRenderer, figure: PlotlyFigure): Promise<{ 'image/svg+xml': string; 'image/png': string }> {
  const svg = (await renderer.render(figure, 'svg')) as string;
  const png = (await renderer.render(figure, 'png', FALLBACK_PNG_SCALE)) as Buffer;
  return { 'image/svg+xml': svg, 'image/png': png.toString('base64') };
}

/** The browser to drive, or undefined when none exists. */
export function findBrowser(env: NodeJS.ProcessEnv = process.env): { kind: 'chromium' | 'electron'; path: string } | undefined {
  const explicit = env['BABELSCOPE_CHROMIUM'];
  if (explicit) {
    if (!existsSync(explicit)) throw new UserError(`BABELSCOPE_CHROMIUM points to ${explicit}, which does not exist`, 'Set it to a Chromium or Chrome executable, or unset it.');
    return { kind: 'chromium', path: explicit };
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter).filter(Boolean))
    for (const name of BROWSER_NAMES) {
      const p = join(dir, name);
      if (existsSync(p)) return { kind: 'chromium', path: p };
    }
  try {
    // Where the electron package says its binary is (path.txt), without loading it.
    const dir = dirname(require.resolve('electron/package.json'));
    const binary = join(dir, 'dist', readFileSync(join(dir, 'path.txt'), 'utf8').trim());
    if (existsSync(binary)) return { kind: 'electron', path: binary };
  } catch {
    /* not installed, or its binary was never downloaded (install scripts denied) */
  }
  return undefined;
}

const NO_BROWSER = new UserError(
  'figure export needs a browser engine, and none was found (no Chromium or Chrome on PATH, no Electron)',
  'Install Chromium (Debian/Ubuntu: sudo apt-get install chromium) or set BABELSCOPE_CHROMIUM to a Chrome/Chromium executable.',
);


interface PageLike {
  addScriptTag(o: { path: string }): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  setContent(html: string): Promise<void>;
  setViewportSize(s: { width: number; height: number }): Promise<void>;
  pdf?(o: Record<string, unknown>): Promise<Buffer>;
}

/** One browser for many figures; close() it when done. */
export class FigureRenderer {
  private constructor(
    private readonly page: PageLike,
    private readonly closeBrowser: () => Promise<void>,
  ) {}

  static async open(): Promise<FigureRenderer> {
    const browser = findBrowser();
    if (!browser) throw NO_BROWSER;
    const pw = await import('playwright-core').catch(() => {
      throw new UserError('figure export needs the playwright-core package, which is not installed beside Babelscope', 'Reinstall Babelscope (it is a dependency), or install it: npm install -g playwright-core');
    });
    const plotlyPath = require.resolve('plotly.js-dist-min');
    let page: PageLike;
    let close: () => Promise<void>;
    if (browser.kind === 'chromium') {
      const b = await pw.chromium.launch({ executablePath: browser.path, args: ['--no-sandbox', '--disable-gpu'] });
      page = (await b.newPage()) as unknown as PageLike;
      close = () => b.close();
    } else {
      const main = join(mkdtempSync(join(tmpdir(), 'babelscope-figures-')), 'main.cjs');
      writeFileSync(main, FIGURE_EXPORT_ELECTRON_MAIN);
      const app = await pw._electron.launch({ executablePath: browser.path, args: [main] });
      page = (await app.firstWindow()) as unknown as PageLike;
      close = () => app.close();
    }
    await page.setContent('<!doctype html><html><body style="margin:0"><div id="fig"></div></body></html>');
    await page.addScriptTag({ path: plotlyPath });
    return new FigureRenderer(page, close);
  }

  /** Renders one figure; SVG as text, PNG and PDF as bytes. `scale`: PNG pixels per CSS pixel (default PNG_SCALE, print resolution). */
  async render(figure: PlotlyFigure, format: FigureFormat, scale = PNG_SCALE): Promise<string | Buffer> {
    const layout = figure.layout ?? {};
    const width = typeof layout['width'] === 'number' ? layout['width'] : 700;
    const height = typeof layout['height'] === 'number' ? layout['height'] : 450;
    const url = await this.page.evaluate(
      async ({ fig, fmt, w, h, scale }) => {
        const P = (globalThis as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } }).Plotly;
        return P.toImage({ data: fig.data, layout: fig.layout ?? {} }, { format: fmt, width: w, height: h, scale });
      },
      { fig: figure, fmt: format === 'png' ? 'png' : 'svg', w: width, h: height, scale: format === 'png' ? scale : 1 },
    );
    if (format === 'png') return Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
    const svg = decodeURIComponent(url.slice(url.indexOf(',') + 1));
    if (format === 'svg') return svg;
    if (!this.page.pdf) throw new UserError('PDF export needs Chromium (Electron pages cannot print to PDF here)', 'Install Chromium or export SVG and convert it.');
    await this.page.setViewportSize({ width, height });
    await this.page.setContent(`<!doctype html><html><body style="margin:0">${svg}</body></html>`);
    const pdf = await this.page.pdf({ width: `${width}px`, height: `${height}px`, printBackground: true, pageRanges: '1' });
    await this.page.setContent('<!doctype html><html><body style="margin:0"><div id="fig"></div></body></html>');
    await this.page.addScriptTag({ path: require.resolve('plotly.js-dist-min') });
    return pdf;
  }

  close(): Promise<void> {
    return this.closeBrowser();
  }
}
