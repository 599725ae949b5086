/**
 * The renderer's side of the backend contract (src/shared/backend-contract.ts), over one WebSocket
 * (src/shared/socket-protocol.ts). `call` is typed by the contract; events (a running cell's outputs,
 * progress) reach `on` handlers. Replies are validated here, at the boundary; an `{ error }` reply
 * becomes a thrown Error that keeps the server's message and hint.
 *
 * The access token arrives once in the address (`?token=`); it is moved to sessionStorage, which is
 * scoped to this origin (port included) and this tab, so a reload keeps working and no cookie carries
 * it to other servers on 127.0.0.1.
 */
import { MAX_MESSAGE_BYTES, type BackendMethod, type BackendMethods } from '../shared/backend-contract.js';
import { deserializeError, UserError, type SerializedError } from '../shared/errors.js';
import { isSocketEvent, SOCKET_PATH, type ServerMessage } from '../shared/socket-protocol.js';

export type Params<M extends BackendMethod> = Parameters<BackendMethods[M]>[0];
export type Result<M extends BackendMethod> = ReturnType<BackendMethods[M]>;

const TOKEN_KEY = 'babelscope.token';

/** Takes the token from `?token=` (removing it from the address bar and history, as Jupyter does) or from this tab's storage. */
export function takeToken(): string {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** An error as the UI shows it: a message and, when the server gave one, a hint. */
export function errorHint(e: unknown): string | undefined {
  const hint = (e as { hint?: unknown } | null)?.hint;
  return typeof hint === 'string' && hint !== '' ? hint : undefined;
}

function isSerializedError(v: unknown): v is SerializedError {
  return typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string';
}

function parse(raw: unknown): ServerMessage | null {
  if (typeof raw !== 'string') return null;
  try {
    const m = JSON.parse(raw) as unknown;
    if (typeof m !== 'object' || m === null) return null;
    if (typeof (m as { event?: unknown }).event === 'string') return m as ServerMessage;
    if (typeof (m as { id?: unknown }).id === 'number' && ('result' in m || ('error' in m && isSerializedError((m as { error: unknown }).error)))) return m as ServerMessage;
    return null;
  } catch {
    return null;
  }
}

/**
 * The backend closes a socket whose message is over MAX_MESSAGE_BYTES (and ends that page's kernels
 * with it), so a call that large fails here, alone, with a message that says what to do.
 */
function oversized(method: string, text: string): UserError | null {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: most messages need no encoding to be measured.
  if (text.length * 3 <= MAX_MESSAGE_BYTES) return null;
  const bytes = new TextEncoder().encode(text).byteLength;
  if (bytes <= MAX_MESSAGE_BYTES) return null;
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const what = method.startsWith('notebook.') ? 'the notebook' : `this \`${method}\` request`;
  return new UserError(
    `${what} is too large to send to the backend (${mib(bytes)}; the limit is ${mib(MAX_MESSAGE_BYTES)})`,
    method.startsWith('notebook.') ? 'Outputs are saved in the notebook: make the large ones smaller (display a summary, not every row), re-run those cells and save again.' : 'Send less at once.',
  );
}

type Pending = { resolve(v: unknown): void; reject(e: Error): void; method: string };

export class Connection {
  private socket: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, Set<(data: unknown) => void>>();
  private readonly stateHandlers = new Set<(connected: boolean) => void>();

  constructor(private readonly token: string) {}

  call<M extends BackendMethod>(method: M, params: Params<M>): Promise<Result<M>> {
    return this.open().then(
      (ws) =>
        new Promise<Result<M>>((resolve, reject) => {
          const id = this.nextId++;
          const text = JSON.stringify({ id, method, params });
          const problem = oversized(method, text);
          if (problem) return reject(problem);
          this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
          ws.send(text);
        }),
    );
  }

  on(event: string, handler: (data: unknown) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  onState(handler: (connected: boolean) => void): void {
    this.stateHandlers.add(handler);
  }

  private open(): Promise<WebSocket> {
    if (this.socket?.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    if (this.opening) return this.opening;
    if (!this.token) return Promise.reject(new UserError('this page has no access token', 'Open the URL printed by `babelscope serve` (it carries the token).'));
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${SOCKET_PATH}?token=${encodeURIComponent(this.token)}`;
    this.opening = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        this.socket = ws;
        this.opening = null;
        for (const h of this.stateHandlers) h(true);
        resolve(ws);
      };
      ws.onerror = () => {
        if (this.socket !== ws) {
          this.opening = null;
          reject(new UserError('cannot reach the Babelscope backend', 'Is `babelscope serve` still running? If the page was opened without its token, open the URL it printed.'));
        }
      };
      ws.onclose = () => {
        if (this.socket !== ws) return;
        this.socket = null;
        for (const [id, p] of this.pending) p.reject(new UserError(`the backend connection closed during \`${p.method}\``, 'Is `babelscope serve` still running?')), this.pending.delete(id);
        for (const h of this.stateHandlers) h(false);
      };
      ws.onmessage = (ev) => this.receive(ev.data);
    });
    return this.opening;
  }

  private receive(raw: unknown): void {
    const m = parse(raw);
    if (!m) return console.warn('ignored a malformed message from the backend');
    if (isSocketEvent(m)) {
      for (const h of this.handlers.get(m.event) ?? []) h(m.data);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if ('error' in m) p.reject(deserializeError(m.error));
    else p.resolve(m.result);
  }
}
