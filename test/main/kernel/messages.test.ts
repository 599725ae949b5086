/**
 * The typed Jupyter message map (src/main/kernel/messages.ts): messages built with makeMessage survive
 * the wire, isMessage tells them apart by msg_type, and the compiler refuses content of another type
 * (the @ts-expect-error lines fail the build when a mismatch stops being an error).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isMessage, replyType, type MessageContents, type MsgType, type RequestType } from '../../../src/main/kernel/messages.js';
import { makeMessage, makeUnknownReply, MessageSigner } from '../../../src/main/kernel/wire.js';

const signer = new MessageSigner('key');
const roundTrip = (msg: Parameters<MessageSigner['serialize']>[0]) => signer.deserialize(signer.serialize(msg, [Buffer.from('client')]));

it('a message keeps its type and content over the wire, and is read back by its msg_type', () => {
  const sent = makeMessage('execute_request', { code: '1 + 1', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true }, 'session');
  const got = roundTrip(sent);
  assert.equal(isMessage(got, 'complete_request'), false);
  assert.ok(isMessage(got, 'execute_request'));
  assert.equal(got.content.code, '1 + 1');
  assert.equal(got.content.stop_on_error, true);
  assert.deepEqual(got.identities.map(String), ['client']);

  const stream = roundTrip(makeMessage('stream', { name: 'stderr', text: 'oops\n' }, 'session', sent.header));
  assert.ok(isMessage(stream, 'stream'));
  assert.equal(stream.content.name, 'stderr');
  assert.equal((stream.parent_header as { msg_id: string }).msg_id, sent.header.msg_id);
});

it('names each request’s reply, and answers an unknown request with an error reply of its name', () => {
  assert.equal(replyType('kernel_info_request'), 'kernel_info_reply');
  assert.equal(replyType('shutdown_request'), 'shutdown_reply');
  const parent = makeMessage('kernel_info_request', {}, 's').header;
  const reply = makeUnknownReply('debug_request', { status: 'error', ename: 'NotImplemented', evalue: 'no', traceback: [] }, 's', parent);
  assert.equal(reply.header.msg_type, 'debug_reply');
  assert.equal(roundTrip(reply).content['ename'], 'NotImplemented');
});

// Every request type has its reply type in the map (a missing one makes this `false` and fails to compile).
type RepliedNames = Extract<MsgType, `${string}_reply`> extends `${infer N}_reply` ? N : never;
const everyRequestAnswered: Exclude<RequestType, `${RepliedNames}_request`> extends never ? true : false = true;

it('the compiler checks content against msg_type', () => {
  assert.equal(everyRequestAnswered, true);
  // Never called: these lines are for the compiler only.
  const unchecked = () => {
    // @ts-expect-error a stream has no `data`
    makeMessage('stream', { data: {} }, 's');
    // @ts-expect-error a stream's name is stdout or stderr
    makeMessage('stream', { name: 'stdlog', text: '' }, 's');
    // @ts-expect-error an aborted execute_reply has no execution count
    makeMessage('execute_reply', { status: 'aborted', execution_count: 3 }, 's');
    // @ts-expect-error not a message type of the spec's that the kernel uses
    makeMessage('input_request', {}, 's');
    const ok: MessageContents['execute_reply'] = { status: 'error', execution_count: 2, ename: 'E', evalue: 'v', traceback: [] };
    return ok;
  };
  assert.equal(typeof unchecked, 'function');
});
