/**
 * The one contract between the renderer (browser or Electron window) and the local backend.
 * Requests are `{ method, params }` POSTed to /api/rpc with the session token; replies are
 * `{ result } | { error }`. Pure types and validators: no Node, no DOM.
 */
import type { SerializedError } from './errors.js';

export interface ModelSummary {
  dir: string;
  architecture: string;
  numLayers: number;
  hiddenSize: number;
  intermediateSize: number;
  vocabSize: number;
  device: string;
  taps: string[];
  /** The languages the lens labels tokens against by default, and where their token labels come from. */
  labels: { languages: string[]; corpus: string };
}

export interface LensCell {
  /** Top token at this layer and position, as text. */
  token: string;
  prob: number;
  entropy: number;
  /** Probability mass per language label (when languages were asked for). */
  languageMass?: Record<string, number>;
}

export interface LensView {
  tokens: string[];
  /** [layer][position] */
  cells: LensCell[][];
  /** Language labels of `languageMass`, in order (empty when none were asked for). */
  languages: string[];
  /** Signs that the text's own script or language is not among the labels (one sentence each). */
  labelWarnings: string[];
}

/** A file or folder in the workspace; `path` is relative to the workspace, with `/` separators. */
export interface WorkspaceEntry {
  name: string;
  path: string;
  /** `store`: a SQLite store (`*.db`), opened in the store browser. */
  kind: 'dir' | 'notebook' | 'store' | 'file';
  mtimeMs: number;
}

/** A notebook file as read: its text, and when it was last written (to detect changes by others). */
export interface NotebookFile {
  path: string;
  text: string;
  mtimeMs: number;
  /**
   * Whether its HTML/JavaScript outputs may run (Jupyter's trust model): true when this user produced
   * them here (saved from a run) or trusted the notebook; otherwise (or absent) they render without scripts.
   */
  trusted?: boolean;
  /** Unsaved work autosaved after the file was last saved (the app or the machine stopped): offered back. */
  recovery?: { text: string; savedAt: number; trusted?: boolean };
}

/** A running cell's output, pushed as the `kernel.output` event. */
export interface KernelOutputEvent {
  session: string;
  cellId: string;
  output: unknown;
}

/**
 * `update_display_data` of a cell's display (a progress bar), pushed as the `kernel.update` event: the
 * output shown with `displayId` now shows `output` (replaced in place, as Jupyter does).
 */
export interface KernelUpdateEvent {
  session: string;
  cellId: string;
  displayId: string;
  output: unknown;
}

export interface KernelStatusEvent {
  session: string;
  state: string;
  /** Why the kernel died, when it did. */
  message?: string;
}

/** A store file (`*.db`) in the workspace. */
export interface StoreFileInfo {
  path: string;
  sizeBytes: number;
  mtimeMs: number;
}

/** What the store browser shows of one store: its runs, results (bodies left out) and tables. */
export interface StoreOverview {
  path: string;
  runs: { id: number; name: string; kind: string; status: string; model: string; createdAt: string; finishedAt: string | null }[];
  results: { id: number; runId: number | null; kind: string; partial: boolean; createdAt: string; params: string }[];
  tables: { name: string; rows: number }[];
}

/** A cell of a query result as sent: BLOBs become a `<blob N bytes>` label. */
export type SqlValue = string | number | null;

export interface StoreQueryResult {
  columns: string[];
  rows: SqlValue[][];
  /** True when the statement returned more than `limit` rows (only the first `limit` are sent). */
  truncated: boolean;
  limit: number;
}

/**
 * The largest request the backend accepts, in UTF-8 bytes of its JSON: the HTTP body limit and the
 * WebSocket's `maxPayload` both. Text parameters are capped at the same number of characters (a
 * character is at least one byte), so the two limits agree; the page checks the size before sending,
 * so an oversized save fails alone with a clear message instead of closing the socket.
 */
export const MAX_MESSAGE_BYTES = 64 << 20;

/** Rows a store query sends at most. */
export const STORE_QUERY_LIMIT = 1000;

export type BackendMethods = {
  model: (params: Record<string, never>) => ModelSummary;
  /** `languages` omitted: every language of the model's labels (`ModelSummary.labels`); `[]`: none. */
  lens: (params: { text: string; languages?: string[] }) => LensView;
  /** The model picker: open another model folder for the panels. */
  'model.open': (params: { dir: string; device: 'auto' | 'cpu' | 'cuda' }) => ModelSummary;
  'workspace.info': (params: Record<string, never>) => { root: string; recent: string[] };
  'workspace.list': (params: { dir: string }) => { dir: string; entries: WorkspaceEntry[] };
  'notebook.read': (params: { path: string }) => NotebookFile;
  /**
   * Writes atomically. Refused when the file changed on disk since `expectMtimeMs` (null: must not exist).
   * `trusted`: every output was produced here or trusted, so the saved outputs are signed (trusted next time).
   */
  'notebook.write': (params: { path: string; text: string; expectMtimeMs?: number | null; trusted?: boolean }) => { mtimeMs: number };
  'notebook.stat': (params: { path: string }) => { mtimeMs: number | null };
  /** Keeps unsaved work beside the workspace (.babelscope/recovery) until the notebook is saved. */
  'notebook.autosave': (params: { path: string; text: string; trusted?: boolean }) => { savedAt: number };
  /** The user trusts the notebook as it is on disk: its HTML/JavaScript outputs may run (like `jupyter trust`). */
  'notebook.trust': (params: { path: string }) => { trusted: boolean };
  'notebook.discardRecovery': (params: { path: string }) => Record<string, never>;
  /** The `babelscope` API's declarations, for the editor's completion, hover and diagnostics. */
  'api.types': (params: Record<string, never>) => { files: { path: string; text: string }[] };
  /** Node's declarations (@types/node, undici-types) at `file:///node_modules/…`: cells run in Node. About 2.5 MB, asked once. */
  'node.types': (params: Record<string, never>) => { files: { path: string; text: string }[] };
  /** Starts a kernel process for a notebook; outputs of its cells arrive as `kernel.output` events. */
  'kernel.start': (params: { path: string }) => { session: string };
  'kernel.execute': (params: { session: string; cellId: string; code: string }) => { status: string; executionCount: number | null };
  'kernel.interrupt': (params: { session: string }) => Record<string, never>;
  'kernel.restart': (params: { session: string }) => Record<string, never>;
  'kernel.shutdown': (params: { session: string }) => Record<string, never>;
  /** The store browser: the workspace's `*.db` files, one store's contents, SQL over it (read-only). */
  'store.list': (params: Record<string, never>) => { stores: StoreFileInfo[] };
  'store.overview': (params: { path: string }) => StoreOverview;
  'store.query': (params: { path: string; sql: string }) => StoreQueryResult;
  /**
   * A Plotly figure exported as `babelscope run` exports it (plotly.js in a headless Chromium): SVG,
   * PNG at print resolution, PDF as vectors with its text. The file's bytes, base64.
   */
  'figure.export': (params: { figure: { data: unknown[]; layout?: Record<string, unknown> }; format: 'svg' | 'png' | 'pdf' }) => { base64: string };
};

export type BackendMethod = keyof BackendMethods;
export type BackendRequest<M extends BackendMethod = BackendMethod> = { method: M; params: Parameters<BackendMethods[M]>[0] };
export type BackendReply<M extends BackendMethod = BackendMethod> = { result: ReturnType<BackendMethods[M]> } | { error: SerializedError };

export const TOKEN_HEADER = 'x-babelscope-token';

type Check = (p: Record<string, unknown>) => string | null;

const str = (key: string, max = 4096): Check => (p) => {
  if (typeof p[key] !== 'string') return `\`params.${key}\` must be a string`;
  return (p[key] as string).length <= max ? null : `\`params.${key}\` is longer than ${max} characters`;
};
const all = (...checks: Check[]): Check => (p) => checks.reduce<string | null>((err, c) => err ?? c(p), null);
const none: Check = () => null;
const optionalBool = (key: string): Check => (p) => (p[key] === undefined || typeof p[key] === 'boolean' ? null : `\`params.${key}\` must be true or false`);

/** One validator per method: adding a method without one fails the build (the Record is exhaustive). */
const PARAMS: Record<BackendMethod, Check> = {
  model: none,
  lens: (p) => {
    if (typeof p['text'] !== 'string') return '`params.text` must be a string';
    const l = p['languages'];
    if (l !== undefined && !(Array.isArray(l) && l.every((x) => typeof x === 'string' && /^[a-z_0-9]+$/.test(x)))) return '`params.languages` must be a list of language codes';
    return null;
  },
  'model.open': all(str('dir'), (p) => (['auto', 'cpu', 'cuda'].includes(p['device'] as string) ? null : '`params.device` must be auto, cpu or cuda')),
  'workspace.info': none,
  'workspace.list': str('dir'),
  'notebook.read': str('path'),
  'notebook.write': all(str('path'), str('text', MAX_MESSAGE_BYTES), optionalBool('trusted'), (p) => (p['expectMtimeMs'] === undefined || p['expectMtimeMs'] === null || typeof p['expectMtimeMs'] === 'number' ? null : '`params.expectMtimeMs` must be a number or null')),
  'notebook.stat': str('path'),
  'notebook.autosave': all(str('path'), str('text', MAX_MESSAGE_BYTES), optionalBool('trusted')),
  'notebook.trust': str('path'),
  'notebook.discardRecovery': str('path'),
  'api.types': none,
  'node.types': none,
  'kernel.start': str('path'),
  'kernel.execute': all(str('session'), str('cellId'), str('code', 16 << 20)),
  'kernel.interrupt': str('session'),
  'kernel.restart': str('session'),
  'kernel.shutdown': str('session'),
  'store.list': none,
  'store.overview': str('path'),
  'store.query': all(str('path'), str('sql', 1 << 20)),
  'figure.export': (p) => {
    const f = p['figure'] as { data?: unknown } | null;
    if (!f || typeof f !== 'object' || !Array.isArray(f.data)) return '`params.figure` must be a Plotly figure ({ data: [...], layout })';
    return ['svg', 'png', 'pdf'].includes(p['format'] as string) ? null : '`params.format` must be svg, png or pdf';
  },
};

/** Runtime check of an incoming request; returns a message saying what is wrong, or null. */
export function requestProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return 'the request body must be a JSON object';
  const { method, params } = body as { method?: unknown; params?: unknown };
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return '`params` must be an object';
  if (typeof method !== 'string' || !Object.hasOwn(PARAMS, method)) return `unknown method ${JSON.stringify(method)}`;
  return PARAMS[method as BackendMethod](params as Record<string, unknown>);
}
