/**
 * Bad HTTP input to the backend: malformed URLs, bodies and request lines get a 4xx with a short
 * message (no stack, none logged as a bug), and the backend keeps answering.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { MAX_MESSAGE_BYTES } from '../../../src/shared/backend-contract.js';
import { rpc, sharedBackend, type TestBackend } from '../backend-fixture.js';
import { faultCase } from '../harness.js';

/** Runs `fn` and returns what was written to stderr meanwhile (the server logs bugs there). */
async function stderrDuring(fn: () => Promise<void>): Promise<string> {
  const write = process.stderr.write.bind(process.stderr);
  let seen = '';
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    seen += String(chunk);
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return seen;
}

/** Sends raw bytes on a TCP connection and resolves with the status line of the answer ('' when closed without one). */
function rawHttp(b: TestBackend, bytes: string | Buffer): Promise<string> {
  const port = Number(new URL(b.server.origin).port);
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(bytes));
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    sock.on('error', () => {});
    sock.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
    sock.setTimeout(5000, () => sock.destroy());
  });
}

async function stillAnswers(b: TestBackend): Promise<void> {
  const r = await rpc(b.server, JSON.stringify({ method: 'workspace.info', params: {} }));
  assert.equal(r.status, 200);
  assert.equal(r.body.result.root, b.workspace);
}

export function registerCases(): void {
  const backend = sharedBackend();

  for (const path of ['/assets/%E0%A4%A.js', '/%ff', '/assets/%C0%AF..%C0%AF.js']) {
    faultCase('http-input', `GET ${path} (not percent-encoded UTF-8) is a 400, not a 500 with a stack`, async () => {
      const b = await backend();
      let res!: Response;
      const log = await stderrDuring(async () => {
        res = await fetch(`${b.server.origin}${path}`);
      });
      assert.equal(res.status, 400);
      const body = await res.text();
      assert.match(body, /percent-encoded/);
      assert.doesNotMatch(body + log, /URIError|    at /, 'no stack in the answer or the log');
      await stillAnswers(b);
    });
  }

  for (const [what, body, headers, status, message] of [
    ['a body that is not JSON', '{"method": "workspace.info", ', {}, 400, /not JSON/],
    ['a JSON body that is null', 'null', {}, 400, /JSON object/],
    ['params that are a list', JSON.stringify({ method: 'workspace.info', params: [] }), {}, 400, /params/],
    ['a form post (wrong content type)', 'method=workspace.info', { 'content-type': 'application/x-www-form-urlencoded' }, 415, /send JSON/],
    ['no token', JSON.stringify({ method: 'workspace.info', params: {} }), { 'x-babelscope-token': '' }, 403, /token/],
  ] as const) {
    faultCase('http-input', `an RPC with ${what} is a ${status} with a message`, async () => {
      const b = await backend();
      const r = await rpc(b.server, body, headers);
      assert.equal(r.status, status);
      assert.match(r.body.error.message, message);
      await stillAnswers(b);
    });
  }

  faultCase('http-input', `an RPC body over ${MAX_MESSAGE_BYTES >> 20} MiB is a 413 (the socket's limit too)`, async () => {
    const b = await backend();
    const r = await rpc(b.server, JSON.stringify({ method: 'notebook.write', params: { path: 'x.ipynb', text: 'z'.repeat(MAX_MESSAGE_BYTES) } })).catch((e: Error) => ({ status: -1, body: e.message }));
    // The server answers 413 as soon as the limit is passed; a client still sending may see the connection reset instead.
    assert.ok(r.status === 413 || r.status === -1, `status ${r.status}`);
    await stillAnswers(b);
  });

  for (const [what, bytes, status] of [
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n', 400],
    ['a header block over 16 KiB', `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['no Host header', 'GET / HTTP/1.0\r\n\r\n', 403],
    ['binary garbage', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) & 0xff)), 400],
  ] as const) {
    faultCase('http-input', `${what} gets a ${status} and the backend stays up`, async () => {
      const b = await backend();
      assert.match(await rawHttp(b, bytes), new RegExp(`^HTTP/1\\.1 ${status} `));
      await stillAnswers(b);
    });
  }

  faultCase('http-input', 'a request cut off in the middle of its body leaves the backend up', async () => {
    const b = await backend();
    const port = Number(new URL(b.server.origin).port);
    const log = await stderrDuring(() => new Promise<void>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.write(`POST /api/rpc HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\nx-babelscope-token: ${b.server.token}\r\ncontent-length: 1000\r\n\r\n{"method":`);
        setTimeout(() => (sock.destroy(), resolve()), 50);
      });
      sock.on('error', () => {});
    }));
    await stillAnswers(b);
    assert.doesNotMatch(log, /server error/, 'a client that went away is not a bug');
  });

  faultCase('http-input', 'a kernel for a notebook in a folder that does not exist is a UserError, not a crashed backend', async () => {
    const b = await backend();
    const r = await rpc(b.server, JSON.stringify({ method: 'kernel.start', params: { path: 'no/such/folder/x.ipynb' } }));
    assert.equal(r.body.error?.kind, 'user', JSON.stringify(r.body));
    assert.match(r.body.error.message, /does not exist/);
    await stillAnswers(b);
  });

  for (const [what, params, message] of [
    ['a NUL byte', { path: 'a\u0000b.ipynb' }, /NUL/],
    ['a path outside the workspace', { path: '../../etc/passwd' }, /outside the workspace/],
    ['a missing notebook', { path: 'missing.ipynb' }, /does not exist|not found|no such/i],
  ] as const) {
    faultCase('http-input', `notebook.read of ${what} is a UserError`, async () => {
      const b = await backend();
      const r = await rpc(b.server, JSON.stringify({ method: 'notebook.read', params }));
      assert.equal(r.body.error?.kind, 'user', JSON.stringify(r.body));
      assert.match(r.body.error.message, message);
    });
  }
}
