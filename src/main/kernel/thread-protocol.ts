/** Messages between the kernel's main thread (cells) and its I/O thread (ZeroMQ). */
import type { JupyterMessage, MessageHeader, ReceivedMessage, UnknownReply } from './wire.js';

export type ToMain =
  | { type: 'ready' }
  | { type: 'request'; channel: 'shell' | 'control'; msg: ReceivedMessage }
  | { type: 'interrupt' }
  | { type: 'shutdown'; restart: boolean }
  | { type: 'closed' }
  | { type: 'fatal'; message: string };

export type FromMain =
  | { type: 'send'; channel: 'shell' | 'control' | 'iopub'; msg: JupyterMessage | UnknownReply; identities?: Buffer[] }
  | { type: 'stream'; parent: MessageHeader; name: 'stdout' | 'stderr'; text: string }
  | { type: 'interrupt-ack' }
  | { type: 'interrupt' }
  | { type: 'close' };
