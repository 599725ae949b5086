/**
 * The Jupyter messages the kernel and its client exchange (messaging spec 5.3), as one map from
 * `msg_type` to content. Messages are built with `makeMessage(type, content)` and read with
 * `isMessage(msg, type)`, so the compiler checks each content against its type at both ends
 * (src/main/kernel/protocol.ts and io-worker.ts in the kernel, client.ts in Node).
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html
 */
import type { MimeBundle } from '../../shared/kernel-types.js';
import type { MessageHeader, ReceivedMessage } from './wire.js';

/** `status: 'error'` in a reply, with the exception (the spec's error content). */
export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

export type ErrorReply = { status: 'error' } & ErrorContent;

export interface LanguageInfo {
  name: string;
  version: string;
  mimetype: string;
  file_extension: string;
  pygments_lexer?: string;
  codemirror_mode?: string | Record<string, unknown>;
  nbconvert_exporter?: string;
}

export interface ExecuteRequest {
  code: string;
  silent: boolean;
  store_history: boolean;
  user_expressions: Record<string, string>;
  allow_stdin: boolean;
  stop_on_error: boolean;
}

export type ExecuteReply =
  | { status: 'ok'; execution_count: number; user_expressions: Record<string, unknown>; payload: unknown[] }
  | ({ status: 'error'; execution_count: number } & ErrorContent)
  | { status: 'aborted'; execution_count: null };

export interface DisplayContent {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

export type ExecutionState = 'starting' | 'busy' | 'idle';

export interface MessageContents {
  // shell: requests and replies
  kernel_info_request: Record<string, never>;
  kernel_info_reply: {
    status: 'ok';
    protocol_version: string;
    implementation: string;
    implementation_version: string;
    language_info: LanguageInfo;
    banner: string;
    help_links: { text: string; url: string }[];
  };
  execute_request: ExecuteRequest;
  execute_reply: ExecuteReply;
  complete_request: { code: string; cursor_pos: number };
  complete_reply: { status: 'ok'; matches: string[]; cursor_start: number; cursor_end: number; metadata: Record<string, unknown> };
  inspect_request: { code: string; cursor_pos: number; detail_level: 0 | 1 };
  inspect_reply: { status: 'ok'; found: boolean; data: MimeBundle; metadata: Record<string, unknown> };
  is_complete_request: { code: string };
  is_complete_reply: { status: 'complete' | 'invalid' | 'unknown' } | { status: 'incomplete'; indent: string };
  history_request: { output: boolean; raw: boolean; hist_access_type: 'range' | 'tail' | 'search'; [more: string]: unknown };
  history_reply: { status: 'ok'; history: unknown[] };
  comm_info_request: { target_name?: string };
  comm_info_reply: { status: 'ok'; comms: Record<string, { target_name: string }> };
  // comms: accepted and ignored (the kernel has no comm targets)
  comm_open: { comm_id: string; target_name: string; data: Record<string, unknown> };
  comm_msg: { comm_id: string; data: Record<string, unknown> };
  comm_close: { comm_id: string; data: Record<string, unknown> };
  // control
  interrupt_request: Record<string, never>;
  interrupt_reply: { status: 'ok' };
  shutdown_request: { restart: boolean };
  shutdown_reply: { status: 'ok'; restart: boolean };
  // iopub
  status: { execution_state: ExecutionState };
  execute_input: { code: string; execution_count: number };
  stream: { name: 'stdout' | 'stderr'; text: string };
  display_data: DisplayContent;
  update_display_data: DisplayContent & { transient: { display_id: string } };
  execute_result: { execution_count: number; data: MimeBundle; metadata: Record<string, unknown> };
  error: ErrorContent;
}

export type MsgType = keyof MessageContents;

/** Requests the kernel answers with `<name>_reply`. */
export type RequestType = Extract<MsgType, `${string}_request`>;
export type ReplyType<R extends RequestType> = R extends `${infer Name}_request` ? Extract<`${Name}_reply`, MsgType> : never;

export function replyType<R extends RequestType>(request: R): ReplyType<R> {
  return request.replace(/_request$/, '_reply') as ReplyType<R>;
}

/**
 * A received message of a known type. What the peer sent is signed with the connection's key (it is the
 * kernel, or a Jupyter client of it), yet fields may be missing: readers give each a default.
 */
export interface Received<T extends MsgType> extends ReceivedMessage {
  header: MessageHeader & { msg_type: T };
  content: ReceivedContent<T>;
}

export type ReceivedContent<T extends MsgType> = Partial<MessageContents[T]>;

export function isMessage<T extends MsgType>(msg: ReceivedMessage, type: T): msg is Received<T> {
  return msg.header.msg_type === type;
}
