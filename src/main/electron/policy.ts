/**
 * The Electron shell's security rules as plain functions (no `electron` import), so they are unit-tested
 * without an Electron binary; main.ts wires them to Electron's events.
 */
import { basename, extname } from 'node:path';

/** What a BrowserWindow's webPreferences must be: the page is a web page, with no Node in reach. */
export function secureWebPreferences(preload: string) {
  return {
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInSubFrames: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    preload,
  } as const;
}

/** Only the backend's own pages may be shown: a link elsewhere (or a file:// URL) never replaces the app. */
export function navigationAllowed(url: string, backendOrigin: string): boolean {
  try {
    return new URL(url).origin === backendOrigin;
  } catch {
    return false;
  }
}

/**
 * An IPC call is answered only for the backend's top-level page. Frames (a notebook's HTML output runs
 * in a sandboxed iframe) and pages of other origins are refused, even though the preload runs only in
 * the main frame: the check does not rely on that.
 */
export function senderAllowed(sender: { url: string; isMainFrame: boolean } | null | undefined, backendOrigin: string): boolean {
  return !!sender && sender.isMainFrame && navigationAllowed(sender.url, backendOrigin);
}

/** The file kinds the renderer may save through the native dialog (figures, notebooks, PDFs). */
export const SAVE_KINDS: Record<string, { name: string; extensions: string[] }> = {
  '.svg': { name: 'SVG image', extensions: ['svg'] },
  '.png': { name: 'PNG image', extensions: ['png'] },
  '.pdf': { name: 'PDF document', extensions: ['pdf'] },
  '.ipynb': { name: 'Notebook', extensions: ['ipynb'] },
  '.csv': { name: 'CSV table', extensions: ['csv'] },
  '.json': { name: 'JSON', extensions: ['json'] },
};

export interface SaveRequest {
  /** A suggested file name (never a path: the user picks the folder). */
  name: string;
  /** Text, or bytes as base64 when `base64` is set (PNG, PDF). */
  data: string;
  base64: boolean;
}

/** Validates the renderer's save arguments; a message saying what is wrong, or the request. */
export function parseSaveRequest(name: unknown, data: unknown, base64: unknown, maxBytes: number): SaveRequest | string {
  if (typeof name !== 'string' || name === '' || name.length > 200) return 'the file name must be a non-empty string';
  if (basename(name) !== name || name.startsWith('.')) return 'the file name must not contain a folder';
  if (!(extname(name).toLowerCase() in SAVE_KINDS)) return `cannot save ${extname(name) || 'files without an extension'} files`;
  if (typeof data !== 'string') return 'the data must be a string';
  if (base64 !== undefined && typeof base64 !== 'boolean') return '`base64` must be a boolean';
  const bytes = base64 ? Math.floor((data.length * 3) / 4) : Buffer.byteLength(data);
  if (bytes > maxBytes) return `the file is over ${maxBytes >> 20} MiB`;
  return { name, data, base64: base64 === true };
}

/** The open dialog's filters: notebooks only (the renderer opens the chosen file through the backend). */
export const OPEN_FILTERS = [{ name: 'Notebooks', extensions: ['ipynb'] }];

/** Electron 45's installer (@electron/get) declares Node >= 22.12; the app itself runs on Node >= 20. */
export const ELECTRON_INSTALL_NODE = [22, 12] as const;

export function nodeCanInstallElectron(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > ELECTRON_INSTALL_NODE[0] || (major === ELECTRON_INSTALL_NODE[0] && minor >= ELECTRON_INSTALL_NODE[1]);
}

/** Arguments of the backend child: `babelscope serve` for the workspace, printing its URL as JSON, opening no browser. */
export function backendArgs(cli: string, workspace: string | undefined, model: string | undefined, device: string | undefined): string[] {
  return [cli, 'serve', ...(workspace ? [workspace] : []), '--json', '--no-open', ...(model ? ['--model', model] : []), ...(device ? ['--device', device] : [])];
}
