/**
 * What the backend's fault cases share: a real `startServer` on a temporary workspace (no model opened:
 * the slot opens lazily), sockets to it, calls over them, and how a socket ended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { WebSocket } from 'ws';
import { ModelSlot } from '../../src/main/server/model-slot.js';
import { startServer, type ServerHandle, type ServerOptions } from '../../src/main/server/server.js';
import { tinyModelDir } from '../helpers/paths.js';

export interface TestBackend {
  server: ServerHandle;
  workspace: string;
  dataDir: string;
}

/** One backend per module, started on first use and stopped (workspace removed) after the suite. */
export function sharedBackend(options: Partial<ServerOptions> = {}, prepare?: (workspace: string) => void | Promise<void>): () => Promise<TestBackend> {
  let started: Promise<TestBackend> | undefined;
  after(async () => {
    if (!started) return;
    const b = await started;
    await b.server.close();
    rmSync(b.workspace, { recursive: true, force: true });
    rmSync(b.dataDir, { recursive: true, force: true });
  });
  return () =>
    (started ??= (async () => {
      const workspace = mkdtempSync(join(tmpdir(), 'babelscope-fault-backend-'));
      const dataDir = mkdtempSync(join(tmpdir(), 'babelscope-fault-data-'));
      await prepare?.(workspace);
      const server = await startServer({ models: new ModelSlot(tinyModelDir, 'cpu'), workspace, dataDir, ...options });
      return { server, workspace, dataDir };
    })());
}

/** An open socket to the backend, with the page's Origin. */
export async function openSocket(server: ServerHandle): Promise<WebSocket> {
  const ws = new WebSocket(`${server.origin.replace('http', 'ws')}/api/socket?token=${server.token}`, { headers: { origin: server.origin } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

let nextId = 1;

/** One request over the socket; resolves with its reply (`{ result }` or `{ error }`), skipping events. */
export function socketCall(ws: WebSocket, method: string, params: unknown): Promise<{ result?: any; error?: { name: string; message: string; hint?: string } }> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (raw: Buffer) => {
      const m = JSON.parse(String(raw)) as { id?: number; result?: any; error?: { name: string; message: string; hint?: string } };
      if (m.id !== id) return;
      ws.off('message', onMessage);
      ws.off('close', onClose);
      resolve(m);
    };
    const onClose = (code: number, reason: Buffer) => reject(new Error(`the socket closed (${code} ${String(reason)}) before the reply to ${method}`));
    ws.on('message', onMessage);
    ws.once('close', onClose);
    ws.send(JSON.stringify({ id, method, params }));
  });
}

/** Every event pushed on the socket, as it arrives. */
export function collectEvents(ws: WebSocket): { event: string; data: any }[] {
  const events: { event: string; data: any }[] = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw)) as { event?: string; data?: unknown };
    if (typeof m.event === 'string') events.push({ event: m.event, data: m.data });
  });
  return events;
}

/** How the server ended the socket: its close code and reason. */
export function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve({ code: -1, reason: 'already closed' });
    ws.on('error', () => {});
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) }));
  });
}

/** A POST to /api/rpc with the token; status and parsed (or raw) body. */
export async function rpc(server: ServerHandle, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.origin}/api/rpc`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-babelscope-token': server.token, ...headers }, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

/** Resolves after `ms` (waiting for the system under test, never asserted on). */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A WebSocket frame as a client sends it (masked unless told), for frames no client library would send. */
export function frame(opcode: number, payload: Buffer, { fin = true, rsv = 0, mask = true }: { fin?: boolean; rsv?: number; mask?: boolean } = {}): Buffer {
  const head = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const m = mask ? 0x80 : 0;
  if (payload.length < 126) head.push(m | payload.length);
  else if (payload.length < 65536) head.push(m | 126, payload.length >> 8, payload.length & 0xff);
  else throw new Error('frame(): payload too long for this helper');
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = mask ? Buffer.from(payload.map((b, i) => b ^ key[i % 4]!)) : payload;
  return Buffer.concat([Buffer.from(head), mask ? key : Buffer.alloc(0), body]);
}

/**
 * A socket upgraded by hand (no client library), so tests can write any bytes; `closeCode` resolves
 * with the status code of the server's close frame (or -1 when the connection ended without one).
 */
export async function rawSocket(server: ServerHandle): Promise<{ write(b: Buffer): void; closeCode: Promise<number>; destroy(): void }> {
  const { connect } = await import('node:net');
  const url = new URL(server.origin);
  const sock = connect(Number(url.port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', reject);
  });
  sock.on('error', () => {});
  sock.write(
    `GET /api/socket?token=${server.token} HTTP/1.1\r\nHost: ${url.host}\r\nOrigin: ${server.origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  let upgraded = false;
  let resolveUpgrade!: () => void;
  const upgrade = new Promise<void>((r) => (resolveUpgrade = r));
  const closeCode = new Promise<number>((resolve) => {
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buf.subarray(0, end).toString().startsWith('HTTP/1.1 101')) return resolve(-2);
        upgraded = true;
        buf = buf.subarray(end + 4);
        resolveUpgrade();
      }
      // Server frames are unmasked; only the close frame (opcode 8) matters here.
      while (buf.length >= 2) {
        const opcode = buf[0]! & 0x0f;
        let len = buf[1]! & 0x7f;
        let off = 2;
        if (len === 126) (len = buf.readUInt16BE(2)), (off = 4);
        else if (len === 127) (len = Number(buf.readBigUInt64BE(2))), (off = 10);
        if (buf.length < off + len) return;
        if (opcode === 8) return resolve(len >= 2 ? buf.readUInt16BE(off) : 1005);
        buf = buf.subarray(off + len);
      }
    });
    sock.once('close', () => resolve(-1));
  });
  await Promise.race([upgrade, closeCode]);
  return { write: (b) => sock.write(b), closeCode, destroy: () => sock.destroy() };
}
