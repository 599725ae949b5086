/**
 * The WebSocket framing of the backend contract (backend-contract.ts): the page sends requests with an
 * id, the backend answers each once, and pushes events (a running cell's outputs, progress) in between.
 * Pure types and validators: no Node, no DOM.
 */
import type { SerializedError } from './errors.js';

export const SOCKET_PATH = '/api/socket';

export interface SocketRequest {
  id: number;
  method: string;
  params: unknown;
}

export type SocketReply = { id: number; result: unknown } | { id: number; error: SerializedError };

export interface SocketEvent {
  event: string;
  data: unknown;
}

export type ServerMessage = SocketReply | SocketEvent;

/** Runtime check of a message from the page; a message saying what is wrong, or null. */
export function socketRequestProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'a socket message must be a JSON object';
  const { id, method } = v as { id?: unknown; method?: unknown };
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return '`id` must be an integer';
  if (typeof method !== 'string') return '`method` must be a string';
  return null;
}

export function isSocketEvent(m: ServerMessage): m is SocketEvent {
  return 'event' in m;
}
