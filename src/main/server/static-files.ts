/**
 * The files the backend serves: the renderer as Vite built it (dist/renderer), Plotly from wherever
 * npm installed it (resolved like an import, so it works from the repository and from an installed
 * package), and the /frame document that hosts HTML outputs.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join, normalize, sep } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { FRAME_STYLE } from '../../shared/frame-style.js';
import { packageRoot } from '../fs/package-root.js';

/** dist/src/main/server → the package root. */
export const rendererDir = join(packageRoot, 'dist', 'renderer');

const require = createRequire(import.meta.url);

export function plotlyPath(): string {
  return require.resolve('plotly.js-dist-min');
}

export const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.json': 'application/json',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The path of a built renderer asset under dist/renderer, or null when the URL path is not one. */
export function rendererAsset(urlPath: string): string | null {
  if (!urlPath.startsWith('/assets/')) return null;
  const rel = normalize(decodeURIComponent(urlPath.slice(1)));
  if (rel.split(sep).includes('..') || !(extname(rel) in MIME)) return null;
  return join(rendererDir, rel);
}

export async function rendererIndex(): Promise<Buffer> {
  try {
    return await readFile(join(rendererDir, 'index.html'));
  } catch {
    throw new UserError('the renderer is not built', 'Run `npm run build` (it runs `vite build` into dist/renderer).');
  }
}

/**
 * The document inside each HTML output's sandboxed iframe. The parent posts `{ html }`; the frame
 * writes it and reports its height so the output can size itself. Its origin is opaque (the sandbox has
 * no allow-same-origin) and its CSP forbids any connection.
 */
export const FRAME_HTML = `<!doctype html><html><head><meta charset="utf-8"></head><body><script>
var STYLE = ${JSON.stringify(FRAME_STYLE)};
addEventListener('message', function (e) {
  if (e.source !== parent || !e.data || typeof e.data.html !== 'string') return;
  // The height to show all of it, with the horizontal scrollbar of a wide table.
  var report = '<script>(function(){function h(){var d=document.documentElement;parent.postMessage({frameHeight:d.scrollHeight+(innerHeight-d.clientHeight)},"*")}' +
    'new ResizeObserver(h).observe(document.documentElement);addEventListener("load",h);h()})()<\\/script>';
  document.open();
  document.write('<!doctype html><html><head><meta charset="utf-8"><style>' + STYLE + '</style></head><body>' + e.data.html + report + '</body></html>');
  document.close();
}, { once: true });
parent.postMessage({ frameReady: true }, '*');
</script></body></html>`;
