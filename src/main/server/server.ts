/**
 * The local backend over HTTP: binds 127.0.0.1 only and requires a random token (like Jupyter),
 * checks the Host header (DNS rebinding), serves the renderer with a strict CSP, and answers the
 * typed RPC of src/shared/backend-contract.ts at POST /api/rpc.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestProblem, TOKEN_HEADER, type BackendRequest } from '../../shared/backend-contract.js';
import { isUserError, serializeError } from '../../shared/errors.js';
import type { Model } from '../model/model.js';
import { createBackend } from './backend.js';

/** dist/src/main/server → the package root. */
const packageRoot = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..');
const STATIC: Record<string, { root: string; types: string[] }> = {
  '/web/': { root: join(packageRoot, 'dist', 'web'), types: ['.js', '.js.map'] },
  '/styles/': { root: join(packageRoot, 'src', 'renderer'), types: ['.css'] },
};
const PLOTLY = join(packageRoot, 'node_modules', 'plotly.js-dist-min', 'plotly.min.js');
const INDEX = join(packageRoot, 'src', 'renderer', 'index.html');
const MIME: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.html': 'text/html' };
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const COOKIE = 'babelscope_token';

export interface ServerHandle {
  /** The URL to open, token included. */
  url: string;
  origin: string;
  token: string;
  close(): Promise<void>;
}

export async function startServer(model: Model, opts: { port?: number; token?: string } = {}): Promise<ServerHandle> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const backend = createBackend(model);
  let origin = '';

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => send(res, 500, 'text/plain', String((e as Error).message)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? '';
    if (host !== new URL(origin).host && host !== new URL(origin).host.replace('127.0.0.1', 'localhost')) return send(res, 403, 'text/plain', 'wrong Host header');
    const url = new URL(req.url ?? '/', origin);
    if (req.method === 'POST' && url.pathname === '/api/rpc') return rpc(req, res);
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed');
    if (url.pathname === '/') {
      const byQuery = url.searchParams.get('token') === token;
      if (!byQuery && !hasTokenCookie(req)) return send(res, 403, 'text/plain', 'Open the URL printed by `babelscope serve` (it carries the access token).');
      // As Jupyter does: the token URL sets a same-site cookie, so a reload of the page (whose address
      // bar no longer shows the token) still works.
      const cookie: Record<string, string> = byQuery ? { 'set-cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` } : {};
      return send(res, 200, 'text/html', await readFile(INDEX), { 'content-security-policy': CSP, ...cookie });
    }
    if (url.pathname === '/vendor/plotly.min.js') return send(res, 200, 'text/javascript', await readFile(PLOTLY));
    for (const [prefix, { root, types }] of Object.entries(STATIC)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const rel = normalize(url.pathname.slice(prefix.length));
      if (rel.startsWith('..') || rel.includes('/..') || !types.some((t) => rel.endsWith(t))) break;
      try {
        return send(res, 200, MIME[extname(rel)] ?? 'application/octet-stream', await readFile(join(root, rel)));
      } catch {
        break;
      }
    }
    send(res, 404, 'text/plain', 'not found');
  }

  function hasTokenCookie(req: IncomingMessage): boolean {
    return (req.headers.cookie ?? '').split(';').some((c) => c.trim() === `${COOKIE}=${token}`);
  }

  async function rpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A cross-site page cannot send this JSON (it would need a CORS preflight we never answer), and the
    // SameSite=Strict cookie is not sent from other sites at all.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, 'application/json', JSON.stringify({ error: { name: 'BadRequest', message: 'send JSON (content-type: application/json)' } }));
    if (req.headers[TOKEN_HEADER] !== token && !hasTokenCookie(req)) return send(res, 403, 'application/json', JSON.stringify({ error: { name: 'Forbidden', message: 'missing or wrong token' } }));
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 1 << 20) return send(res, 413, 'application/json', JSON.stringify({ error: { name: 'TooLarge', message: 'request over 1 MiB' } }));
      chunks.push(c as Buffer);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, 'application/json', JSON.stringify({ error: { name: 'BadRequest', message: 'the body is not JSON' } }));
    }
    const problem = requestProblem(body);
    if (problem) return send(res, 400, 'application/json', JSON.stringify({ error: { name: 'BadRequest', message: problem } }));
    const { method, params } = body as BackendRequest;
    try {
      const result = await (backend[method] as (p: unknown) => Promise<unknown>)(params);
      send(res, 200, 'application/json', JSON.stringify({ result }));
    } catch (e) {
      // Bugs are logged with their stack here; the page gets the message (and hint) only.
      if (!isUserError(e)) process.stderr.write(`error in ${method}: ${(e as Error).stack ?? String(e)}\n`);
      const { stack: _stack, ...error } = serializeError(e);
      send(res, 200, 'application/json', JSON.stringify({ error }));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Browsers keep connections alive; a stopped backend must not wait for them.
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...headers });
  res.end(body);
}
