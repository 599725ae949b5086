/**
 * The local backend: HTTP + WebSocket on 127.0.0.1 only, with a random token (like Jupyter).
 * - Every request's Host must name this server (DNS rebinding); a browser's Origin, when sent, must be
 *   this server's (other sites, and sandboxed HTML outputs whose Origin is "null", are refused).
 * - The page itself holds no secret and is served to anyone on this machine who can reach the port;
 *   the token is needed for every call: POST /api/rpc (header) and the socket /api/socket (query).
 *   No cookie carries it: cookies are not scoped by port, so a cookie would be sent to every other
 *   web server on 127.0.0.1. The page keeps the token in sessionStorage (scoped by origin, port included).
 * - The renderer is served as Vite built it, with a strict CSP; HTML outputs run in /frame.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_MESSAGE_BYTES, requestProblem, TOKEN_HEADER, type BackendRequest } from '../../shared/backend-contract.js';
import { isUserError, serializeError, type SerializedError } from '../../shared/errors.js';
import { SOCKET_PATH, socketRequestProblem, type ServerMessage, type SocketRequest } from '../../shared/socket-protocol.js';
import { createBackend, type Backend, type CallContext } from './backend.js';
import { FRAME_CSP, hostAllowed, originAllowed, pageCsp, tokenMatches } from './guard.js';
import type { ModelSlot } from './model-slot.js';
import { FRAME_HTML, MIME, plotlyPath, rendererAsset, rendererIndex } from './static-files.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

export interface ServerHandle {
  /** The URL to open, token included. */
  url: string;
  origin: string;
  token: string;
  close(): Promise<void>;
}

export interface ServerOptions {
  models: ModelSlot;
  /** The folder whose notebooks the workbench shows (default: the current directory). */
  workspace?: string;
  port?: number;
  token?: string;
  /** How long a store-browser query may run before it is stopped (default 10 s). */
  queryTimeoutMs?: number;
  /** Where the notebook-trust key and signatures live (default: the user's data folder, see trust.ts). */
  dataDir?: string;
}

const MAX_REQUEST_BYTES = MAX_MESSAGE_BYTES;

export async function startServer(opts: ServerOptions): Promise<ServerHandle> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const backend = createBackend({ models: opts.models, workspace: opts.workspace ?? process.cwd(), ...withoutUndefined({ queryTimeoutMs: opts.queryTimeoutMs, dataDir: opts.dataDir }) });
  let port = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      // The client went away mid-request (a closed tab, a cut connection): nothing to answer or log.
      if ((e as NodeJS.ErrnoException).code === 'ECONNRESET' || req.destroyed) return;
      if (isUserError(e)) return send(res, 500, 'text/plain', `${e.message}${e.hint ? `\n${e.hint}` : ''}`);
      process.stderr.write(`server error: ${(e as Error).stack ?? String(e)}\n`);
      send(res, 500, 'text/plain', 'internal error (see the server log)');
    });
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_REQUEST_BYTES });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, port)) return send(res, 403, 'text/plain', 'wrong Host header');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!decodable(url.pathname)) return send(res, 400, 'text/plain', 'bad request: the path is not valid percent-encoded UTF-8');
    if (url.pathname === '/api/rpc') {
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST only');
      return rpc(req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed');
    if (url.pathname === '/') return send(res, 200, 'text/html', await rendererIndex(), { 'content-security-policy': pageCsp(port) });
    if (url.pathname === '/frame') return send(res, 200, 'text/html', FRAME_HTML, { 'content-security-policy': FRAME_CSP });
    if (url.pathname === '/vendor/plotly.min.js') return send(res, 200, 'text/javascript', await readFile(plotlyPath()), { 'cache-control': 'max-age=3600' });
    const asset = rendererAsset(url.pathname);
    if (asset) {
      const body = await readFile(asset).catch(() => null);
      // Vite names assets by content hash, so they may be cached for good.
      if (body) return send(res, 200, MIME[extname(asset)]!, body, { 'cache-control': 'max-age=31536000, immutable' });
    }
    send(res, 404, 'text/plain', 'not found');
  }

  async function rpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fail = (status: number, name: string, message: string) => send(res, status, 'application/json', JSON.stringify({ error: { name, message } }));
    if (!originAllowed(req.headers.origin, port)) return fail(403, 'Forbidden', 'requests from other origins are refused');
    // A cross-site form cannot send JSON without a CORS preflight, which this server never answers.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return fail(415, 'BadRequest', 'send JSON (content-type: application/json)');
    if (!tokenMatches(req.headers[TOKEN_HEADER], token)) return fail(403, 'Forbidden', 'missing or wrong token');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_REQUEST_BYTES) return fail(413, 'TooLarge', `request over ${MAX_REQUEST_BYTES >> 20} MiB`);
      chunks.push(c as Buffer);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return fail(400, 'BadRequest', 'the body is not JSON');
    }
    const problem = requestProblem(body);
    if (problem) return fail(400, 'BadRequest', problem);
    const { method, params } = body as BackendRequest;
    const reply = await call(backend, method, params, { emit: () => {}, connection: 'http' });
    send(res, 200, 'application/json', JSON.stringify(reply));
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, why: string) => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if (!hostAllowed(req.headers.host, port)) return refuse(403, 'Wrong Host');
    if (!originAllowed(req.headers.origin, port)) return refuse(403, 'Wrong Origin');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== SOCKET_PATH) return refuse(404, 'Not Found');
    if (!tokenMatches(url.searchParams.get('token'), token)) return refuse(403, 'Wrong Token');
    sockets.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  let connections = 0;
  function serveSocket(ws: WebSocket): void {
    const connection = `ws${++connections}`;
    const post = (m: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    const ctx: CallContext = { emit: (event, data) => post({ event, data }), connection };
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return ws.close(1003, 'send JSON text frames');
      let msg: unknown;
      try {
        msg = JSON.parse(String(raw));
      } catch {
        return ws.close(1003, 'not JSON');
      }
      const problem = socketRequestProblem(msg);
      if (problem) return ws.close(1003, problem.slice(0, 120));
      const { id, method, params } = msg as SocketRequest;
      const bad = requestProblem({ method, params });
      if (bad) return post({ id, error: { name: 'BadRequest', message: bad } });
      void call(backend, method as BackendRequest['method'], params as BackendRequest['params'], ctx).then((reply) => post({ id, ...reply }));
    });
    // Without this handler a protocol error (a message over maxPayload, a text frame that is not UTF-8)
    // would be an uncaught 'error' event and end the backend with every kernel; ws closes the socket
    // itself with the matching code (1009, 1007), so only this page's connection ends.
    ws.on('error', (e) => process.stderr.write(`socket ${connection} closed: ${e.message}\n`));
    ws.on('close', () => backend.closed?.(connection));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    close: async () => {
      for (const ws of sockets.clients) ws.terminate();
      await backend.dispose();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Browsers keep connections alive; a stopped backend must not wait for them.
        server.closeAllConnections();
      });
    },
  };
}

async function call(backend: Backend, method: BackendRequest['method'], params: unknown, ctx: CallContext): Promise<{ result: unknown } | { error: SerializedError }> {
  try {
    return { result: await (backend[method] as (p: unknown, c: CallContext) => Promise<unknown>)(params, ctx) };
  } catch (e) {
    // Bugs are logged with their stack here; the page gets the message (and hint) only.
    if (!isUserError(e) && (e as { kind?: unknown }).kind !== 'cancelled') process.stderr.write(`error in ${method}: ${(e as Error).stack ?? String(e)}\n`);
    const { stack: _stack, ...error } = serializeError(e);
    return { error };
  }
}

function decodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  const text = type.startsWith('text/') || type.endsWith('json');
  res.writeHead(status, { 'content-type': text ? `${type}; charset=utf-8` : type, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', ...headers });
  res.end(body);
}
