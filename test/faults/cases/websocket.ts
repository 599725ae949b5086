/**
 * The backend's WebSocket under hostile or broken clients: every bad frame ends that one connection
 * with the RFC 6455 code for it, and the backend keeps answering every other page (and its kernels).
 */
import assert from 'node:assert/strict';
import { MAX_MESSAGE_BYTES } from '../../../src/shared/backend-contract.js';
import { closeOf, collectEvents, frame, openSocket, rawSocket, sharedBackend, socketCall, type TestBackend } from '../backend-fixture.js';
import { faultCase } from '../harness.js';

/** The backend still answers a fresh page: it survived whatever the case did. */
async function stillAnswers(b: TestBackend): Promise<void> {
  const ws = await openSocket(b.server);
  try {
    const reply = await socketCall(ws, 'workspace.info', {});
    assert.equal(reply.result?.root, b.workspace);
  } finally {
    ws.close();
  }
}

export function registerCases(): void {
  const backend = sharedBackend();

  faultCase('websocket', `a message over ${MAX_MESSAGE_BYTES >> 20} MiB closes that socket with 1009; the backend answers others`, async () => {
    const b = await backend();
    const other = await openSocket(b.server);
    const ws = await openSocket(b.server);
    const closed = closeOf(ws);
    ws.send(JSON.stringify({ id: 1, method: 'notebook.autosave', params: { path: 'big.ipynb', text: 'x'.repeat(MAX_MESSAGE_BYTES) } }));
    assert.equal((await closed).code, 1009);
    assert.equal((await socketCall(other, 'workspace.info', {})).result?.root, b.workspace);
    other.close();
  });

  faultCase('websocket', 'a message just under the limit is read and answered (the two limits agree)', async () => {
    const b = await backend();
    const ws = await openSocket(b.server);
    const reply = await socketCall(ws, 'notebook.autosave', { path: 'big.ipynb', text: 'y'.repeat(MAX_MESSAGE_BYTES - 200) });
    // The text fits the socket and the contract's text limit: the recovery copy is written.
    assert.equal(typeof reply.result?.savedAt, 'number', JSON.stringify(reply.error));
    ws.close();
    await stillAnswers(b);
  });

  faultCase('websocket', 'a text frame that is not UTF-8 closes that socket with 1007', async () => {
    const b = await backend();
    const raw = await rawSocket(b.server);
    raw.write(frame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
    assert.equal(await raw.closeCode, 1007);
    await stillAnswers(b);
  });

  faultCase('websocket', 'a binary frame closes with 1003 (the protocol is JSON text)', async () => {
    const b = await backend();
    const ws = await openSocket(b.server);
    const closed = closeOf(ws);
    ws.send(Buffer.from(JSON.stringify({ id: 1, method: 'workspace.info', params: {} })), { binary: true });
    assert.equal((await closed).code, 1003);
    await stillAnswers(b);
  });

  for (const [what, text] of [
    ['text that is not JSON', '{"id": 1, "method": '],
    ['JSON that is not an object', '[1, 2, 3]'],
    ['a request without an id', '{"method": "workspace.info", "params": {}}'],
    ['a request whose id is not an integer', '{"id": 1.5, "method": "workspace.info", "params": {}}'],
    ['a request whose method is not a string', '{"id": 1, "method": 42, "params": {}}'],
  ] as const) {
    faultCase('websocket', `${what} closes with 1003 and a reason`, async () => {
      const b = await backend();
      const ws = await openSocket(b.server);
      const closed = closeOf(ws);
      ws.send(text);
      const { code, reason } = await closed;
      assert.equal(code, 1003);
      assert.ok(reason.length > 0, 'the close says why');
      await stillAnswers(b);
    });
  }

  for (const [what, method, params, message] of [
    ['an unknown method', 'no.such.method', {}, /unknown method/],
    ['params that are not an object', 'workspace.list', 'dir', /params.*object/],
    ['a parameter of the wrong type', 'notebook.read', { path: 7 }, /params\.path.*string/],
    ['a path longer than the contract allows', 'notebook.read', { path: 'a/'.repeat(3000) }, /longer than 4096/],
  ] as const) {
    faultCase('websocket', `${what} gets a BadRequest reply and the socket stays open`, async () => {
      const b = await backend();
      const ws = await openSocket(b.server);
      const reply = await socketCall(ws, method, params);
      assert.equal(reply.error?.name, 'BadRequest');
      assert.match(reply.error!.message, message);
      assert.equal((await socketCall(ws, 'workspace.info', {})).result?.root, b.workspace, 'the same socket still works');
      ws.close();
    });
  }

  for (const [what, bytes, code] of [
    ['an unmasked client frame', frame(0x1, Buffer.from('{}'), { mask: false }), 1002],
    ['a frame with reserved bits set', frame(0x1, Buffer.from('{}'), { rsv: 0b100 }), 1002],
    ['a frame with an unknown opcode', frame(0x3, Buffer.from('{}')), 1002],
    ['a ping over 125 bytes', frame(0x9, Buffer.alloc(200, 0x61)), 1002],
    ['a fragmented ping', frame(0x9, Buffer.from('hi'), { fin: false }), 1002],
    ['a continuation frame with nothing to continue', frame(0x0, Buffer.from('{}')), 1002],
    ['a close frame with an invalid status code', frame(0x8, Buffer.from([0x03, 0xe7])), 1002],
  ] as const) {
    faultCase('websocket', `${what} closes that connection with ${code}; the backend stays up`, async () => {
      const b = await backend();
      const raw = await rawSocket(b.server);
      raw.write(bytes);
      assert.equal(await raw.closeCode, code);
      await stillAnswers(b);
    });
  }

  faultCase('websocket', 'a connection cut in the middle of a frame leaves the backend up', async () => {
    const b = await backend();
    const raw = await rawSocket(b.server);
    raw.write(frame(0x1, Buffer.from(JSON.stringify({ id: 1, method: 'workspace.info', params: {} }))).subarray(0, 9));
    raw.destroy();
    await stillAnswers(b);
  });

  faultCase('websocket', '40 sockets opened and dropped without a close frame leave the backend up', async () => {
    const b = await backend();
    const sockets = await Promise.all(Array.from({ length: 40 }, () => openSocket(b.server)));
    for (const ws of sockets) ws.terminate();
    await stillAnswers(b);
  });

  faultCase('websocket', 'a bad frame on one page does not end another page’s kernel', async () => {
    const b = await backend();
    const page = await openSocket(b.server);
    const events = collectEvents(page);
    const { result } = await socketCall(page, 'kernel.start', { path: '' });
    assert.ok(result?.session, 'a kernel started');
    await socketCall(page, 'kernel.execute', { session: result.session, cellId: 'a', code: 'const kept = 41' });
    const raw = await rawSocket(b.server);
    raw.write(frame(0x1, Buffer.from([0xc3, 0x28])));
    assert.equal(await raw.closeCode, 1007);
    const run = await socketCall(page, 'kernel.execute', { session: result.session, cellId: 'b', code: 'kept + 1' });
    assert.equal(run.result?.status, 'ok');
    const out = events.find((e) => e.event === 'kernel.output' && e.data.cellId === 'b');
    assert.equal(out?.data.output.data['text/plain'], '42');
    await socketCall(page, 'kernel.shutdown', { session: result.session });
    page.close();
  });
}
