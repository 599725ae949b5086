#!/usr/bin/env node
/**
 * The Babelscope kernel process: `node kernel-main.js -f CONNECTION_FILE` (what the kernelspec's argv
 * runs). The main thread runs cells; the I/O worker speaks ZeroMQ (see io-worker.ts).
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { KernelProtocol } from './protocol.js';
import type { ToMain } from './thread-protocol.js';
import type { ConnectionInfo } from './wire.js';

function connectionFileArg(argv: string[]): string {
  const i = argv.findIndex((a) => a === '-f' || a === '--connection-file');
  const file = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--connection-file='))?.split('=')[1];
  if (!file) {
    process.stderr.write('usage: kernel-main.js -f CONNECTION_FILE (a Jupyter connection file)\n');
    process.exit(2);
  }
  return file;
}

const connection = JSON.parse(readFileSync(connectionFileArg(process.argv), 'utf8')) as ConnectionInfo;
const session = randomUUID();
// The I/O thread sets this to 1 once its sockets are closed (see the process.exit override below).
const closedFlag = new Int32Array(new SharedArrayBuffer(4));
const worker = new Worker(new URL('./io-worker.js', import.meta.url), { workerData: { connection, session, closedFlag } });
const kernel = new KernelProtocol(session, (m) => worker.postMessage(m));

// A stray rejection or exception from background code of a cell goes to that cell's stderr, not a crash.
process.on('uncaughtException', (e) => kernel.reportBackgroundError(e));
process.on('unhandledRejection', (e) => kernel.reportBackgroundError(e));
// Jupyter may still send SIGINT (interrupt_mode "signal" front ends, Ctrl-C in a terminal): treat it as an interrupt.
process.on('SIGINT', () => worker.postMessage({ type: 'interrupt' }));

// `process.exit(n)` in a cell: close the ZeroMQ sockets first (a socket torn down with its thread aborts
// the process), so the client sees exit code n, as asked.
const exit = process.exit.bind(process);
process.exit = ((code?: number) => {
  worker.postMessage({ type: 'close' });
  Atomics.wait(closedFlag, 0, 0, 2000);
  exit(code);
}) as typeof process.exit;

worker.on('message', (m: ToMain) => {
  switch (m.type) {
    case 'ready':
      kernel.start();
      break;
    case 'request':
      kernel.receive(m.channel, m.msg);
      break;
    case 'interrupt':
      kernel.interrupt();
      worker.postMessage({ type: 'interrupt-ack' });
      break;
    case 'shutdown':
      kernel.stopForShutdown(m.restart);
      worker.postMessage({ type: 'close' });
      break;
    case 'closed':
      process.exit(0);
      break;
    case 'fatal':
      process.stderr.write(`babelscope kernel: ${m.message}\n`);
      process.exit(1);
      break;
    default: {
      const never: never = m;
      throw new Error(`unexpected ${JSON.stringify(never)}`);
    }
  }
});
worker.on('error', (e) => {
  process.stderr.write(`babelscope kernel: I/O thread failed: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
