/**
 * The kernel's I/O thread: owns the five ZeroMQ sockets, signs and checks messages, answers the
 * heartbeat, and relays requests to the main thread, where cells run. Living on its own thread, it keeps
 * answering (heartbeat, interrupt, shutdown) and flushing output while a cell blocks the main thread;
 * an interrupt that the main thread does not acknowledge quickly (a synchronous loop) is enforced with
 * V8's terminateExecution through the in-process inspector.
 */
import { writeSync } from 'node:fs';
import { Session } from 'node:inspector';
import { parentPort, workerData } from 'node:worker_threads';
import * as zmq from 'zeromq';
import type { FromMain, ToMain } from './thread-protocol.js';
import { isMessage } from './messages.js';
import { channelAddress, makeMessage, MessageSigner, SendQueue, type ConnectionInfo, type MessageHeader, type WireMessage } from './wire.js';

const port = parentPort!;
const { connection, session, closedFlag } = workerData as { connection: ConnectionInfo; session: string; closedFlag: Int32Array };
const signer = new MessageSigner(connection.key, connection.signature_scheme);

const shell = new zmq.Router();
const control = new zmq.Router();
const stdin = new zmq.Router();
const iopub = new zmq.Publisher();
const heartbeat = new zmq.Reply();
const sockets = [shell, control, stdin, iopub, heartbeat];
const queues = { shell: new SendQueue(shell), control: new SendQueue(control), iopub: new SendQueue(iopub), stdin: new SendQueue(stdin) };
const STREAM_FLUSH_MS = 5;
const INTERRUPT_GRACE_MS = 150;

const post = (m: ToMain) => port.postMessage(m);

// Coalesced stream output: flushed every few ms (a synchronous loop's console.log still reaches the client).
let pendingStream: { parent: MessageHeader; name: 'stdout' | 'stderr'; text: string } | undefined;
let streamTimer: NodeJS.Timeout | undefined;

function flushStream(): void {
  if (streamTimer) clearTimeout(streamTimer);
  streamTimer = undefined;
  if (!pendingStream) return;
  const { parent, name, text } = pendingStream;
  pendingStream = undefined;
  void queues.iopub.send(signer.serialize(makeMessage('stream', { name, text }, session, parent)));
}

function send(channel: keyof typeof queues, msg: WireMessage, identities: Buffer[] = []): void {
  flushStream();
  void queues[channel].send(signer.serialize(msg, identities.map((b) => Buffer.from(b))));
}

let interruptTimer: NodeJS.Timeout | undefined;

function interruptMainThread(): void {
  post({ type: 'interrupt' });
  if (interruptTimer) return;
  interruptTimer = setTimeout(() => {
    interruptTimer = undefined;
    // The main thread is stuck in synchronous code: stop it; it then handles the queued interrupt.
    const inspector = new Session();
    inspector.connectToMainThread();
    inspector.post('Runtime.terminateExecution', (err) => {
      inspector.disconnect();
      if (err) writeSync(2, `babelscope kernel: could not stop the cell: ${err.message}\n`);
      // A termination can leave the main thread's message queue unprocessed until the next message: poke it.
      post({ type: 'interrupt' });
    });
  }, INTERRUPT_GRACE_MS);
}

port.on('message', (m: FromMain) => {
  switch (m.type) {
    case 'send':
      send(m.channel, m.msg, m.identities);
      break;
    case 'stream':
      if (pendingStream && (pendingStream.name !== m.name || pendingStream.parent.msg_id !== m.parent.msg_id)) flushStream();
      if (pendingStream) pendingStream.text += m.text;
      else pendingStream = { parent: m.parent, name: m.name, text: m.text };
      streamTimer ??= setTimeout(flushStream, STREAM_FLUSH_MS);
      break;
    case 'interrupt-ack':
      if (interruptTimer) clearTimeout(interruptTimer);
      interruptTimer = undefined;
      break;
    case 'interrupt':
      interruptMainThread();
      break;
    case 'close':
      flushStream();
      void closeAll().then(() => post({ type: 'closed' }));
      break;
    default:
      assertNever(m);
  }
});

function assertNever(x: never): never {
  throw new Error(`unexpected message ${JSON.stringify(x)}`);
}

let closing: Promise<void> | undefined;
function closeAll(): Promise<void> {
  closing ??= closeSockets();
  return closing;
}

async function closeSockets(): Promise<void> {
  await new Promise((r) => setTimeout(r, 20)); // let queued sends start; linger delivers them
  for (const s of sockets) {
    s.linger = 1000;
    s.close();
  }
  Atomics.store(closedFlag, 0, 1);
  Atomics.notify(closedFlag, 0);
}

async function serveHeartbeat(): Promise<void> {
  for await (const frames of heartbeat) await heartbeat.send(frames);
}

async function serve(channel: 'shell' | 'control' | 'stdin', socket: zmq.Router): Promise<void> {
  for await (const frames of socket) {
    let msg;
    try {
      msg = signer.deserialize(frames);
    } catch (e) {
      process.stderr.write(`babelscope kernel: dropped a message on ${channel}: ${(e as Error).message}\n`);
      continue;
    }
    if (channel === 'control' && isMessage(msg, 'interrupt_request')) {
      interruptMainThread();
      send('control', makeMessage('interrupt_reply', { status: 'ok' }, session, msg.header), msg.identities);
      continue;
    }
    if (channel === 'control' && isMessage(msg, 'shutdown_request')) {
      // Reply here (the main thread may be stuck), then stop the main thread's cell and exit there.
      const restart = Boolean(msg.content.restart);
      send('control', makeMessage('shutdown_reply', { status: 'ok', restart }, session, msg.header), msg.identities);
      post({ type: 'shutdown', restart });
      setTimeout(() => interruptMainThread(), 300).unref();
      continue;
    }
    if (channel === 'stdin') continue; // input_request is not offered (allow_stdin is ignored)
    post({ type: 'request', channel, msg });
  }
}

/** Like ipykernel's parent poller: a kernel whose launcher died (re-parented) shuts itself down. */
function watchParent(): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    writeSync(2, `babelscope kernel: the process that started it (pid ${parent}) is gone; shutting down\n`);
    post({ type: 'shutdown', restart: false });
    setTimeout(() => interruptMainThread(), 300).unref();
  }, 1000);
  timer.unref();
}

async function main(): Promise<void> {
  const bind = (s: zmq.Socket, p: number) => s.bind(channelAddress(connection, p));
  await Promise.all([
    bind(shell, connection.shell_port),
    bind(control, connection.control_port),
    bind(stdin, connection.stdin_port),
    bind(iopub, connection.iopub_port),
    bind(heartbeat, connection.hb_port),
  ]);
  post({ type: 'ready' });
  watchParent();
  await Promise.all([serveHeartbeat(), serve('shell', shell), serve('control', control), serve('stdin', stdin)]);
}

main().catch((e: unknown) => {
  const err = e as Error & { code?: string };
  if (err.code === 'EAGAIN' || /closed|terminated/i.test(err.message)) return;
  post({ type: 'fatal', message: `${err.message}${err.code === 'EADDRINUSE' ? ' (a port of the connection file is taken)' : ''}` });
});
