/**
 * The backend's doors: Host, Origin and token checks on HTTP and WebSocket, the CSPs, no cookie.
 * No model is opened (the model slot opens lazily), so these run fast; the page in Chromium is covered
 * by test/e2e.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { TOKEN_HEADER } from '../../../src/shared/backend-contract.js';
import { hostAllowed, originAllowed, pageCsp, tokenMatches } from '../../../src/main/server/guard.js';
import { ModelSlot } from '../../../src/main/server/model-slot.js';
import { startServer, type ServerHandle } from '../../../src/main/server/server.js';
import { tinyModelDir } from '../../helpers/paths.js';
import { rawRequest } from '../../e2e/browser.js';

/** Opens a socket with the given headers; resolves 'open' or the refusal's status line. */
function trySocket(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => (ws.close(), resolve('open')));
    ws.on('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`));
    ws.on('error', (e) => resolve(`error ${e.message}`));
  });
}

describe('backend security', () => {
  let server: ServerHandle;
  let port: string;
  const rpcBody = JSON.stringify({ method: 'no-such-method', params: {} });

  before(async () => {
    server = await startServer({ models: new ModelSlot(tinyModelDir, 'cpu') });
    port = new URL(server.origin).port;
  });
  after(() => server?.close());

  it('guard rules: own hosts only, Origin absent or ours, token compared exactly', () => {
    assert.equal(hostAllowed('127.0.0.1:8888', 8888), true);
    assert.equal(hostAllowed('localhost:8888', 8888), true);
    assert.equal(hostAllowed('127.0.0.1:8889', 8888), false);
    assert.equal(hostAllowed('evil.example:8888', 8888), false);
    assert.equal(hostAllowed(undefined, 8888), false);
    assert.equal(originAllowed(undefined, 8888), true);
    assert.equal(originAllowed('http://127.0.0.1:8888', 8888), true);
    assert.equal(originAllowed('http://localhost:8888', 8888), true);
    assert.equal(originAllowed('null', 8888), false, 'a sandboxed frame');
    assert.equal(originAllowed('http://127.0.0.1:9999', 8888), false, 'another local server');
    assert.equal(originAllowed('https://evil.example', 8888), false);
    assert.equal(tokenMatches('abc', 'abc'), true);
    assert.equal(tokenMatches('abd', 'abc'), false);
    assert.equal(tokenMatches('ab', 'abc'), false);
    assert.equal(tokenMatches(['abc'], 'abc'), false);
    assert.match(pageCsp(8888), /connect-src 'self' ws:\/\/127\.0\.0\.1:8888 ws:\/\/localhost:8888/);
  });

  it('RPC: token required; a foreign Origin is refused even with the token; sets no cookie', async () => {
    const post = (headers: Record<string, string>) => rawRequest(`${server.origin}/api/rpc`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: rpcBody });
    assert.equal((await post({})).status, 403);
    assert.equal((await post({ [TOKEN_HEADER]: 'wrong' })).status, 403);
    const good = await post({ [TOKEN_HEADER]: server.token });
    assert.equal(good.status, 400, good.body);
    assert.match(good.body, /unknown method/);
    assert.equal((await post({ [TOKEN_HEADER]: server.token, origin: server.origin })).status, 400);
    for (const origin of ['null', 'http://127.0.0.1:1', 'https://evil.example'])
      assert.equal((await post({ [TOKEN_HEADER]: server.token, origin })).status, 403, origin);
    assert.equal((await post({ [TOKEN_HEADER]: server.token, host: `evil.example:${port}` })).status, 403);
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('set-cookie'), null, 'the token travels in no cookie (cookies are not scoped by port)');
  });

  it('WebSocket: token, Origin and Host are checked at the upgrade', async () => {
    const ws = `ws://127.0.0.1:${port}/api/socket`;
    assert.equal(await trySocket(`${ws}?token=${server.token}`, { origin: server.origin }), 'open');
    assert.equal(await trySocket(`${ws}?token=${server.token}`, {}), 'open', 'a non-browser client with the token');
    assert.equal(await trySocket(`${ws}?token=wrong`, { origin: server.origin }), 'HTTP 403');
    assert.equal(await trySocket(ws, { origin: server.origin }), 'HTTP 403');
    assert.equal(await trySocket(`${ws}?token=${server.token}`, { origin: 'http://127.0.0.1:1' }), 'HTTP 403');
    assert.equal(await trySocket(`${ws}?token=${server.token}`, { origin: 'null' }), 'HTTP 403');
    assert.equal(await trySocket(`${ws}?token=${server.token}`, { origin: server.origin, host: `evil.example:${port}` }), 'HTTP 403');
  });

  it('a socket call is answered with the contract’s error shape for an unknown method', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/socket?token=${server.token}`, { headers: { origin: server.origin } });
    await new Promise((r) => ws.once('open', r));
    const reply = new Promise<string>((r) => ws.once('message', (d) => r(String(d))));
    ws.send(JSON.stringify({ id: 7, method: 'nope', params: {} }));
    assert.deepEqual(JSON.parse(await reply), { id: 7, error: { name: 'BadRequest', message: 'unknown method "nope"' } });
    ws.close();
  });

  it('the HTML-output frame has its own CSP that allows no connection; assets outside dist/renderer are not served', async () => {
    const frame = await fetch(`${server.origin}/frame`);
    assert.equal(frame.status, 200);
    assert.match(frame.headers.get('content-security-policy') ?? '', /connect-src 'none'/);
    assert.equal((await fetch(`${server.origin}/assets/..%2f..%2fpackage.json`)).status, 404);
    assert.equal((await fetch(`${server.origin}/assets/../../package.json`)).status, 404);
    const plotly = await fetch(`${server.origin}/vendor/plotly.min.js`);
    assert.equal(plotly.status, 200);
    assert.match(plotly.headers.get('content-type') ?? '', /javascript/);
  });
});
