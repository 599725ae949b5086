/**
 * The kernel side of the Jupyter messaging protocol (shell and control requests), over the executor.
 * Requests run one at a time in arrival order; an interrupt ends the running cell (its reply is an
 * `Interrupted` error, or the CancellationError of the long operations it aborted) and the next
 * request starts.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { clearTimeout, setTimeout } from 'node:timers';
import { transformSync } from 'esbuild';
import type { MimeBundle } from '../../shared/kernel-types.js';
import { FigureFallbacks } from './figure-fallback.js';
import { cellContext, Executor, InterruptedError, type CellContext, type CellError } from './executor.js';
import { LANGUAGE_INFO } from './language-info.js';
import { packageRoot } from '../fs/package-root.js';
import { isMessage, replyType, type ErrorReply, type ExecuteReply, type ExecutionState, type MessageContents, type MsgType, type Received, type ReplyType, type RequestType } from './messages.js';
import type { FromMain } from './thread-protocol.js';
import { makeMessage, makeUnknownReply, PROTOCOL_VERSION, type MessageHeader, type ReceivedMessage } from './wire.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

type CellResult = { ok: true; value: unknown } | { ok: false; error: CellError };

interface Running {
  ctx: CellContext;
  finish: (r: CellResult) => void;
  /** Set by a first interrupt that aborted the cell's long operations: it gives the cell time to stop by itself. */
  cancelling?: NodeJS.Timeout;
}

/**
 * How long an interrupt that aborted a cell's long operations waits for them to stop between batches
 * (so the cell ends with their CancellationError and a capture saves what it did) before it stops the
 * cell anyway; a second interrupt does not wait.
 */
export const CANCEL_GRACE_MS = 10_000;
/** How long a cell's end waits for its figures' image fallbacks (the first starts a browser). */
const FIGURE_WAIT_MS = 60_000;

const INTERRUPTED: CellError = { ename: 'Interrupted', evalue: 'the cell was interrupted (state from earlier cells is kept)', traceback: ['Interrupted: the cell was interrupted'] };
/** A cell running when its kernel restarts or shuts down: unlike an interrupt, nothing of the state survives. */
const RESTARTED: CellError = {
  ename: 'KernelRestarted',
  evalue: 'the kernel was restarted while the cell ran: state from earlier cells is gone (run them again)',
  traceback: ['KernelRestarted: the kernel was restarted while the cell ran; state from earlier cells is gone'],
};
const SHUT_DOWN: CellError = { ename: 'KernelShutDown', evalue: 'the kernel was shut down while the cell ran: its state is gone', traceback: ['KernelShutDown: the kernel was shut down while the cell ran'] };

const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

export class KernelProtocol {
  private readonly executor = new Executor();
  /** Image fallbacks for Plotly outputs, so every client saves a figure viewers can show (one browser per kernel). */
  private readonly figures = new FigureFallbacks((m) => {
    const kernelLog = (globalThis as Record<symbol, unknown>)[Symbol.for('babelscope.kernelLog')];
    if (typeof kernelLog === 'function') (kernelLog as (m: string) => void)(m);
  });
  private readonly queue: { channel: 'shell' | 'control'; msg: ReceivedMessage }[] = [];
  private busy = false;
  private executionCount = 0;
  private running: Running | undefined;
  /** Execute requests that were waiting when a cell failed: answered `aborted` (Jupyter's stop_on_error). */
  private readonly aborted = new Set<string>();

  constructor(
    private readonly session: string,
    private readonly post: (m: FromMain) => void,
  ) {}

  start(): void {
    this.status('starting');
    this.status('idle');
  }

  receive(channel: 'shell' | 'control', msg: ReceivedMessage): void {
    // Control requests jump the queue (the I/O thread already answered interrupt and shutdown).
    if (channel === 'control') this.queue.unshift({ channel, msg });
    else this.queue.push({ channel, msg });
    // Requests are handled in microtasks: a terminateExecution (interrupt) that lands in kernel code then
    // unwinds no timer/immediate callback scope, which Node would find unbalanced and abort on.
    queueMicrotask(() => this.pump());
  }

  /**
   * Stops the running cell. When it has long operations running (API calls, progress bars), they are
   * aborted first and the cell gets CANCEL_GRACE_MS to end by itself: the API stops between two batches
   * and rejects with a CancellationError, which the cell reports. Otherwise, or on a second interrupt,
   * or when the grace runs out, the cell ends at once as `Interrupted`.
   */
  interrupt(): void {
    const r = this.running;
    if (!r) return;
    if (!r.cancelling && [...r.ctx.operations].some((op) => op.running)) {
      r.ctx.cancelled = true;
      for (const op of r.ctx.operations) op.abort();
      r.cancelling = setTimeout(() => queueMicrotask(() => this.stopCell(r)), CANCEL_GRACE_MS);
      return;
    }
    this.stopCell(r);
  }

  /** The process is about to end (shutdown_request, or its launcher is gone): the running cell says its state is lost. */
  stopForShutdown(restart: boolean): void {
    if (this.running) this.stopCell(this.running, restart ? RESTARTED : SHUT_DOWN);
  }

  private stopCell(r: Running, error: CellError = INTERRUPTED): void {
    if (this.running !== r) return;
    r.ctx.cancelled = true;
    for (const op of r.ctx.operations) op.abort();
    this.executor.interrupt();
    r.finish({ ok: false, error });
  }

  reportBackgroundError(e: unknown): void {
    if (e instanceof InterruptedError) return; // background code of an interrupted cell, stopped on purpose
    const ctx = this.executor.current();
    const err = this.executor.describe(e);
    const text = `Uncaught (in background code) ${err.traceback.join('\n')}\n`;
    if (ctx && !ctx.interrupted) ctx.sink.stream('stderr', text);
    else process.stderr.write(text);
  }

  private pump(): void {
    if (this.busy) return;
    const next = this.queue.shift();
    if (!next) return;
    this.busy = true;
    const done = () => {
      this.busy = false;
      queueMicrotask(() => this.pump());
    };
    this.handle(next.channel, next.msg).then(done, (e: unknown) => {
      process.stderr.write(`babelscope kernel: bug handling ${next.msg.header.msg_type}: ${(e as Error).stack ?? String(e)}\n`);
      done();
    });
  }

  private send<T extends MsgType>(channel: 'shell' | 'control' | 'iopub', msgType: T, content: MessageContents[T], parent?: MessageHeader, identities?: Buffer[]): void {
    this.post({ type: 'send', channel, msg: makeMessage(msgType, content, this.session, parent), ...withoutUndefined({ identities }) });
  }

  private status(state: ExecutionState, parent?: MessageHeader): void {
    this.send('iopub', 'status', { execution_state: state }, parent);
  }

  private async handle(channel: 'shell' | 'control', msg: ReceivedMessage): Promise<void> {
    const reply = <R extends RequestType>(request: Received<R>, content: MessageContents[ReplyType<R>]) =>
      this.send(channel, replyType(request.header.msg_type), content, msg.header, msg.identities);
    this.status('busy', msg.header);
    try {
      if (isMessage(msg, 'kernel_info_request'))
        reply(msg, {
          status: 'ok',
          protocol_version: PROTOCOL_VERSION,
          implementation: 'babelscope',
          implementation_version: version,
          language_info: LANGUAGE_INFO,
          banner: `Babelscope ${version}: TypeScript cells on Node ${process.versions.node}`,
          help_links: [{ text: 'Babelscope', url: 'https://github.com/babelscope/babelscope' }],
        });
      else if (isMessage(msg, 'execute_request')) await this.execute(msg, (content) => reply(msg, content));
      else if (isMessage(msg, 'is_complete_request')) reply(msg, isComplete(String(msg.content.code ?? '')));
      else if (isMessage(msg, 'complete_request')) reply(msg, { status: 'ok', metadata: {}, ...complete(String(msg.content.code ?? ''), Number(msg.content.cursor_pos ?? 0)) });
      else if (isMessage(msg, 'inspect_request')) reply(msg, { status: 'ok', metadata: {}, ...inspectAt(String(msg.content.code ?? ''), Number(msg.content.cursor_pos ?? 0)) });
      else if (isMessage(msg, 'history_request')) reply(msg, { status: 'ok', history: [] });
      else if (isMessage(msg, 'comm_info_request')) reply(msg, { status: 'ok', comms: {} });
      else if (isMessage(msg, 'comm_open') || isMessage(msg, 'comm_msg') || isMessage(msg, 'comm_close')) return;
      else {
        const type = msg.header.msg_type;
        const content: ErrorReply = { status: 'error', ename: 'NotImplemented', evalue: `${type} is not supported by the Babelscope kernel`, traceback: [] };
        this.post({ type: 'send', channel, msg: makeUnknownReply(type, content, this.session, msg.header), identities: msg.identities });
      }
    } finally {
      this.status('idle', msg.header);
    }
  }

  /**
   * A cell's end: its value becomes the execute_result. When the cell showed figures, their image
   * fallbacks are waited for first (at most FIGURE_WAIT_MS, so clients save them) and a figure value
   * gets its own; otherwise the end is synchronous, as an interrupt that terminated a loop needs it to be.
   */
  private finishCell(r: CellResult, ctx: CellContext, figures: Promise<void>[], count: number, parent: MessageHeader, silent: boolean): CellResult | Promise<CellResult> {
    endOperationsWithCell(ctx, r.ok);
    let data: MimeBundle | undefined;
    if (r.ok && r.value !== undefined && !silent) {
      try {
        data = this.executor.resultBundle(r.value);
      } catch (e) {
        return { ok: false, error: this.executor.describe(e) };
      }
    }
    const show = (bundle: MimeBundle | undefined) => {
      if (bundle) this.send('iopub', 'execute_result', { execution_count: count, data: bundle, metadata: {} }, parent);
      return r;
    };
    const figure = data !== undefined && this.figures.wants(data);
    // A stopped cell answers at once; its figures' image fallbacks still follow as display updates.
    if (ctx.cancelled || (!figures.length && !figure)) return show(data);
    return (async () => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((res) => (timer = setTimeout(res, FIGURE_WAIT_MS)));
      try {
        if (figures.length) await Promise.race([Promise.allSettled(figures), deadline]);
        return show(figure ? await Promise.race([this.figures.withFallback(data!), deadline.then(() => data)]) : data);
      } finally {
        clearTimeout(timer);
      }
    })();
  }

  private execute(msg: Received<'execute_request'>, reply: (content: ExecuteReply) => void): Promise<void> {
    const c = msg.content;
    const code = String(c.code ?? '');
    const silent = Boolean(c.silent);
    const storeHistory = c.store_history ?? !silent;
    if (this.aborted.delete(msg.header.msg_id)) {
      reply({ status: 'aborted', execution_count: null });
      return Promise.resolve();
    }
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    const parent = msg.header;
    if (!silent) this.send('iopub', 'execute_input', { code, execution_count: count }, parent);

    const sink = {
      stream: (name: 'stdout' | 'stderr', text: string) => {
        if (!silent) this.post({ type: 'stream', parent, name, text });
      },
      display: (data: MimeBundle, metadata: Record<string, unknown>, displayId?: string) => {
        if (silent) return;
        if (!this.figures.wants(data)) return this.send('iopub', 'display_data', { data, metadata, transient: displayId ? { display_id: displayId } : {} }, parent);
        // A figure is shown at once; its image fallback follows as an update of the same display, before the cell ends.
        const id = displayId ?? `figure-${randomUUID()}`;
        this.send('iopub', 'display_data', { data, metadata, transient: { display_id: id } }, parent);
        figures.push(
          this.figures.withFallback(data).then((full) => {
            if (full !== data) this.send('iopub', 'update_display_data', { data: full, metadata, transient: { display_id: id } }, parent);
          }),
        );
      },
      updateDisplay: (data: MimeBundle, metadata: Record<string, unknown>, displayId: string) => {
        if (!silent) this.send('iopub', 'update_display_data', { data, metadata, transient: { display_id: displayId } }, parent);
      },
    };
    const figures: Promise<void>[] = [];
    const ctx = cellContext(sink);

    return new Promise<void>((resolve) => {
      let finished = false;
      const finish: Running['finish'] = (r) => {
        if (finished) return;
        finished = true;
        const running = this.running;
        if (running?.cancelling) clearTimeout(running.cancelling);
        this.running = undefined;
        const done = (result: CellResult) => {
          if (result.ok) reply({ status: 'ok', execution_count: count, user_expressions: {}, payload: [] });
          else {
            this.send('iopub', 'error', result.error, parent);
            reply({ status: 'error', execution_count: count, ...result.error });
            // Requests already waiting when a cell fails are aborted (Jupyter's stop_on_error).
            if (c.stop_on_error !== false)
              for (const q of this.queue) if (isMessage(q.msg, 'execute_request')) this.aborted.add(q.msg.header.msg_id);
          }
          resolve();
        };
        const ended = this.finishCell(r, ctx, figures, count, parent, silent);
        if (ended instanceof Promise) void ended.then(done);
        else done(ended);
      };
      this.running = { ctx, finish };
      void this.executor.run(code, `cell [${count}]`, ctx).then(finish);
    });
  }
}

/**
 * Bars of `progress()` handles end with their cell; so do the bars of API calls an interrupt left
 * running (they stop at their next batch, with no cell left to report to).
 */
function endOperationsWithCell(ctx: CellContext, ok: boolean): void {
  for (const op of [...ctx.operations]) {
    if (op.fromHelper) op.end(ctx.cancelled ? 'cancelled' : ok ? 'done' : 'error');
    else if (ctx.interrupted) op.end('cancelled');
  }
}

function isComplete(code: string): MessageContents['is_complete_reply'] {
  try {
    transformSync(code, { loader: 'ts' });
    return { status: 'complete' };
  } catch (e) {
    const text = (e as { errors?: { text: string }[] }).errors?.[0]?.text ?? '';
    return /end of file/i.test(text) ? { status: 'incomplete', indent: '  ' } : { status: 'invalid' };
  }
}

const KEYWORDS = ['await', 'async', 'break', 'case', 'catch', 'class', 'const', 'continue', 'default', 'do', 'else', 'export', 'for', 'function', 'if', 'import', 'interface', 'let', 'new', 'return', 'switch', 'throw', 'try', 'type', 'typeof', 'while'];

/** The dotted path before the cursor: `foo.bar.ba|` → { object: ["foo","bar"], prefix: "ba" }. */
function pathAt(code: string, cursor: number): { object: string[]; prefix: string; start: number } {
  const before = code.slice(0, cursor);
  const m = /([A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*\s*\.\s*)?([A-Za-z_$][\w$]*)?$/.exec(before);
  const objectPart = m?.[1] ?? '';
  const prefix = m?.[2] ?? '';
  return { object: objectPart.split('.').map((s) => s.trim()).filter(Boolean), prefix, start: cursor - prefix.length };
}

function lookup(path: string[]): { found: boolean; value: unknown } {
  let v: unknown = globalThis;
  for (const key of path) {
    if (v === null || v === undefined) return { found: false, value: undefined };
    try {
      v = (v as Record<string, unknown>)[key];
    } catch {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: v };
}

function propertyNames(v: unknown): string[] {
  const names = new Set<string>();
  for (let o: unknown = v; o !== null && o !== undefined && names.size < 5000; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) names.add(k);
    if (typeof o !== 'object' && typeof o !== 'function') break;
  }
  return [...names];
}

function complete(code: string, cursor: number): Omit<MessageContents['complete_reply'], 'status' | 'metadata'> {
  const { object, prefix, start } = pathAt(code, cursor);
  const target = lookup(object);
  const candidates = target.found ? propertyNames(target.value === globalThis ? globalThis : Object(target.value)) : [];
  if (object.length === 0) candidates.push(...KEYWORDS);
  const matches = [...new Set(candidates)].filter((n) => n.startsWith(prefix) && /^[A-Za-z_$][\w$]*$/.test(n) && !n.startsWith('__babelscope')).sort();
  return { matches, cursor_start: start, cursor_end: cursor };
}

function inspectAt(code: string, cursor: number): Omit<MessageContents['inspect_reply'], 'status' | 'metadata'> {
  const after = /^[\w$]*/.exec(code.slice(cursor))?.[0] ?? '';
  const { object, prefix } = pathAt(code, cursor + after.length);
  if (!prefix) return { found: false, data: {} };
  const { found, value } = lookup([...object, prefix]);
  if (!found || (value === undefined && !(prefix in Object(lookup(object).value)))) return { found: false, data: {} };
  const kind = typeof value === 'function' ? String(value).split('\n')[0]!.slice(0, 200) : `${typeof value}`;
  return { found: true, data: { 'text/plain': `${[...object, prefix].join('.')}: ${kind}\n${inspect(value, { depth: 1, colors: false }).slice(0, 2000)}` } };
}
