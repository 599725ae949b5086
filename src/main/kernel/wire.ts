/**
 * Jupyter wire protocol 5.3: message envelopes, HMAC-SHA256 signatures, and (de)serialisation of the
 * ZeroMQ multipart frames `[identities…, "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers…]`.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ErrorReply, MessageContents, MsgType } from './messages.js';

export const PROTOCOL_VERSION = '5.3';
const DELIMITER = '<IDS|MSG>';

export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** The envelope of any message on the wire; its content is typed by `msg_type` in JupyterMessage (messages.ts). */
export interface WireMessage {
  header: MessageHeader;
  parent_header: MessageHeader | Record<string, never>;
  metadata: Record<string, unknown>;
  content: unknown;
  buffers?: Buffer[];
}

/** A message to send, its content checked against its type (the map in messages.ts). */
export interface JupyterMessage<T extends MsgType = MsgType> extends WireMessage {
  header: MessageHeader & { msg_type: T };
  content: MessageContents[T];
}

/** The reply to a request of a type the kernel does not know: `<type>_reply` with status error. */
export interface UnknownReply extends WireMessage {
  content: ErrorReply;
}

/** A message as received, with the ZeroMQ routing identities needed to reply on a ROUTER socket; read it with `isMessage` (messages.ts). */
export interface ReceivedMessage extends WireMessage {
  content: Record<string, unknown>;
  identities: Buffer[];
}

export interface ConnectionInfo {
  transport: 'tcp' | 'ipc';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}

export function makeHeader<T extends string>(msgType: T, session: string, username = 'babelscope'): MessageHeader & { msg_type: T } {
  return { msg_id: randomUUID(), session, username, date: new Date().toISOString(), msg_type: msgType, version: PROTOCOL_VERSION };
}

export function makeMessage<T extends MsgType>(msgType: T, content: MessageContents[T], session: string, parent?: MessageHeader | Record<string, never>, metadata: Record<string, unknown> = {}): JupyterMessage<T> {
  return { header: makeHeader(msgType, session), parent_header: parent ?? {}, metadata, content };
}

/** The error reply to a request of a type not in the map (Jupyter's answer to what a kernel does not implement). */
export function makeUnknownReply(requestType: string, content: ErrorReply, session: string, parent: MessageHeader): UnknownReply {
  return { header: makeHeader(requestType.replace(/_request$/, '_reply'), session), parent_header: parent, metadata: {}, content };
}

export function channelAddress(info: ConnectionInfo, port: number): string {
  return info.transport === 'ipc' ? `ipc://${info.ip}-${port}` : `tcp://${info.ip}:${port}`;
}

export class MessageSigner {
  private readonly key: Buffer;
  constructor(key: string, scheme = 'hmac-sha256') {
    if (key !== '' && scheme !== 'hmac-sha256') throw new Error(`unsupported signature scheme ${scheme} (only hmac-sha256)`);
    this.key = Buffer.from(key, 'utf8');
  }

  sign(parts: Buffer[]): string {
    if (this.key.length === 0) return '';
    const h = createHmac('sha256', this.key);
    for (const p of parts) h.update(p);
    return h.digest('hex');
  }

  serialize(msg: WireMessage, identities: Buffer[] = []): Buffer[] {
    const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) => Buffer.from(JSON.stringify(p), 'utf8'));
    return [...identities, Buffer.from(DELIMITER), Buffer.from(this.sign(parts)), ...parts, ...(msg.buffers ?? [])];
  }

  /** Parses frames; throws when the signature does not match (a message from someone without the key). */
  deserialize(frames: Buffer[]): ReceivedMessage {
    const d = frames.findIndex((f) => f.length === DELIMITER.length && f.toString() === DELIMITER);
    if (d < 0 || frames.length < d + 6) throw new Error('malformed Jupyter message (no <IDS|MSG> delimiter or missing parts)');
    const signature = frames[d + 1]!;
    const parts = frames.slice(d + 2, d + 6);
    if (this.key.length > 0) {
      const expected = Buffer.from(this.sign(parts));
      if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) throw new Error('invalid message signature');
    }
    const [header, parent, metadata, content] = parts.map((p) => JSON.parse(p.toString('utf8')) as unknown);
    return {
      identities: frames.slice(0, d),
      header: header as MessageHeader,
      parent_header: (parent ?? {}) as MessageHeader,
      metadata: (metadata ?? {}) as Record<string, unknown>,
      content: (content ?? {}) as Record<string, unknown>,
      buffers: frames.slice(d + 6),
    };
  }
}

/** zeromq 6 allows one pending send per socket: this queues sends in order. */
export class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly socket: { send(frames: Buffer[]): Promise<void> }) {}

  send(frames: Buffer[]): Promise<void> {
    const next = this.tail.then(() => this.socket.send(frames));
    this.tail = next.catch(() => undefined);
    return next;
  }
}
