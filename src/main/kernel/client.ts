/**
 * A typed Node client for the Babelscope kernel process (Jupyter protocol 5.3 over ZeroMQ).
 *
 * ```ts
 * const kernel = await KernelClient.start({ cwd: notebookDir });   // spawns `node kernel-main.js -f …`
 * kernel.onDied((d) => console.error(d.message));                  // crash, OOM, process.exit()
 * const run = kernel.execute('const x: number = 41\nx + 1');
 * run.onOutput((o) => render(o));                                  // CellOutput in nbformat shapes, as they arrive
 * run.onUpdate((u) => rerender(u.index, u.output));                // update_display_data (progress bars): replaced in place
 * const outcome = await run.done;                                  // { status: 'ok' | 'error' | 'aborted' | 'died', executionCount, error? }
 * await kernel.interrupt();                                        // stops the running cell, keeps state
 * await kernel.restart();                                          // fresh process, same client
 * await kernel.shutdown();
 * ```
 * `done` never rejects: a kernel that dies mid-cell settles it with status `died`. One client owns one
 * kernel process at a time (kernel-process.ts: connection file, spawn, sockets, stop); this file routes
 * its messages: replies to their requests, iopub outputs to their cells, display updates to the outputs
 * they replace. Requests are answered in order (the kernel runs one cell at a time).
 */
import { randomUUID } from 'node:crypto';
import type {
  CellOutput,
  CompletionReply,
  DisplayDataOutput,
  DisplayUpdate,
  ExecuteOutcome,
  InspectReply,
  IsCompleteReply,
  KernelDeath,
  KernelState,
} from '../../shared/kernel-types.js';
import { KernelProcess, type KernelPorts, type KernelProcessOptions } from './kernel-process.js';
import { isMessage, replyType, type ErrorContent, type MessageContents, type Received, type ReceivedContent, type ReplyType, type RequestType } from './messages.js';
import { makeMessage, type ReceivedMessage } from './wire.js';

export interface KernelStartOptions extends KernelProcessOptions {
  /** How long to wait for the kernel to answer its first kernel_info (default 30 s). */
  startTimeoutMs?: number;
  /**
   * Ports for the first launch's connection file (shell, iopub, stdin, control, heartbeat), as a
   * Jupyter connection file may name them; default: free ones. When one is taken, the launch is
   * retried once on free ports.
   */
  ports?: KernelPorts;
}

export interface ExecuteOptions {
  /** Run without outputs or an execution count (Jupyter's `silent`). */
  silent?: boolean;
  /** Whether a failure aborts requests already queued behind this one (default true, as Jupyter). */
  stopOnError?: boolean;
  /** nbformat cell id, passed in the request metadata (Jupyter's `cellId`). */
  cellId?: string;
}

export interface ExecuteHandle {
  readonly msgId: string;
  /** Every output so far, in order. */
  readonly outputs: readonly CellOutput[];
  /** Calls `listener` for each output (those already received first); returns an unsubscribe function. */
  onOutput(listener: (output: CellOutput) => void): () => void;
  /**
   * Calls `listener` when a display of this cell is updated (`update_display_data`, e.g. a progress
   * bar), also after the cell ended; `outputs` already holds the new output at `index`.
   */
  onUpdate(listener: (update: DisplayUpdate) => void): () => void;
  readonly done: Promise<ExecuteOutcome>;
}

type Listener<T> = (value: T) => void;

/** Display ids remembered for `update_display_data`. */
const MAX_DISPLAYS = 2000;

class Emitter<T> {
  private readonly listeners = new Set<Listener<T>>();
  on(l: Listener<T>): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(v: T): void {
    for (const l of [...this.listeners]) l(v);
  }
}

interface PendingExecute {
  outputs: CellOutput[];
  emitter: Emitter<CellOutput>;
  updates: Emitter<DisplayUpdate>;
  reply?: ExecuteOutcome;
  idle: boolean;
  resolve: (o: ExecuteOutcome) => void;
}

export class KernelClient {
  private proc!: KernelProcess;
  private readonly session = randomUUID();
  private readonly replies = new Map<string, { resolve: (m: ReceivedMessage) => void; reject: (e: Error) => void }>();
  private readonly executes = new Map<string, PendingExecute>();
  /** Outputs shown with a display id, by id: where `update_display_data` puts its new data (any cell, even finished). */
  private readonly displays = new Map<string, { outputs: CellOutput[]; updates: Emitter<DisplayUpdate>; index: number }[]>();
  private readonly statusEvents = new Emitter<KernelState>();
  private readonly diedEvents = new Emitter<KernelDeath>();
  private state: KernelState = 'starting';
  /** Set while restart() replaces the process; requests made meanwhile wait for the new one. */
  private restarting: Promise<void> | undefined;

  private constructor(private readonly options: KernelStartOptions) {}

  static async start(options: KernelStartOptions = {}): Promise<KernelClient> {
    const client = new KernelClient(options);
    try {
      await client.launch(options.ports);
      return client;
    } catch (e) {
      // Free ports are picked before the kernel binds them: another process may take one in between.
      // The first client saw its kernel die (it is `dead`): the retry is a fresh client on fresh ports.
      if (!/already in use|port of the connection file is taken/i.test((e as Error).message)) throw e;
      const retry = new KernelClient(options);
      await retry.launch();
      return retry;
    }
  }

  get status(): KernelState {
    return this.state;
  }

  get pid(): number | undefined {
    return this.proc.child.pid;
  }

  onStatus(listener: (state: KernelState) => void): () => void {
    return this.statusEvents.on(listener);
  }

  /** The kernel process ended without being asked to (crash, out of memory, `process.exit()` in a cell). */
  onDied(listener: (death: KernelDeath) => void): () => void {
    return this.diedEvents.on(listener);
  }

  execute(code: string, options: ExecuteOptions = {}): ExecuteHandle {
    const msg = makeMessage(
      'execute_request',
      { code, silent: Boolean(options.silent), store_history: !options.silent, user_expressions: {}, allow_stdin: false, stop_on_error: options.stopOnError ?? true },
      this.session,
      undefined,
      options.cellId ? { cellId: options.cellId } : {},
    );
    const outputs: CellOutput[] = [];
    const emitter = new Emitter<CellOutput>();
    const updates = new Emitter<DisplayUpdate>();
    let resolve!: (o: ExecuteOutcome) => void;
    const done = new Promise<ExecuteOutcome>((r) => (resolve = r));
    const notRunning = () => resolve({ status: 'died', executionCount: null, error: { ename: 'KernelDied', evalue: 'the kernel is not running; restart it', traceback: [] } });
    const send = () => {
      if (this.state === 'dead') return notRunning();
      this.executes.set(msg.header.msg_id, { outputs, emitter, updates, idle: false, resolve });
      this.proc.send('shell', msg);
    };
    // A cell run during a restart goes to the new kernel.
    if (this.restarting) void this.restarting.then(send, notRunning);
    else send();
    return {
      msgId: msg.header.msg_id,
      outputs,
      onOutput(listener) {
        for (const o of outputs) listener(o);
        return emitter.on(listener);
      },
      onUpdate(listener) {
        return updates.on(listener);
      },
      done,
    };
  }

  /** Stops the running cell (even a synchronous infinite loop); earlier cells' state stays. */
  async interrupt(): Promise<void> {
    await this.request('control', 'interrupt_request', {}, 10_000);
  }

  async kernelInfo(): Promise<ReceivedContent<'kernel_info_reply'>> {
    return (await this.request('shell', 'kernel_info_request', {})).content;
  }

  async complete(code: string, cursorPos = code.length): Promise<CompletionReply> {
    const c = (await this.request('shell', 'complete_request', { code, cursor_pos: cursorPos })).content;
    return { matches: c.matches ?? [], cursorStart: c.cursor_start ?? cursorPos, cursorEnd: c.cursor_end ?? cursorPos };
  }

  async inspect(code: string, cursorPos = code.length, detailLevel: 0 | 1 = 0): Promise<InspectReply> {
    const c = (await this.request('shell', 'inspect_request', { code, cursor_pos: cursorPos, detail_level: detailLevel })).content;
    return { found: c.found ?? false, data: c.data ?? {} };
  }

  async isComplete(code: string): Promise<IsCompleteReply> {
    const c = (await this.request('shell', 'is_complete_request', { code })).content;
    return { status: c.status ?? 'unknown', ...('indent' in c && c.indent !== undefined ? { indent: c.indent } : {}) };
  }

  /** A fresh kernel process (all state gone); cells still running end with status `died`. */
  async restart(): Promise<void> {
    if (this.restarting) return this.restarting;
    this.setState('restarting');
    this.restarting = (async () => {
      await this.stopProcess('the kernel was restarted: state from earlier cells is gone', true);
      await this.launch();
    })();
    try {
      await this.restarting;
    } finally {
      this.restarting = undefined;
    }
  }

  async shutdown(): Promise<void> {
    await this.stopProcess('the kernel was shut down');
    this.setState('dead');
  }

  private setState(s: KernelState): void {
    if (this.state === s) return;
    this.state = s;
    this.statusEvents.emit(s);
  }

  private async launch(fixedPorts?: readonly number[]): Promise<void> {
    this.displays.clear();
    const proc = await KernelProcess.spawn(
      this.options,
      this.session,
      {
        message: (channel, msg) => (channel === 'iopub' ? this.onIopub(msg) : this.onReply(msg)),
        exit: (p, code, signal) => this.onExit(p, code, signal),
      },
      fixedPorts,
    );
    this.proc = proc;

    // Like jupyter_client: ask for kernel_info until it answers and iopub is known to be connected.
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 30_000);
    let exited = false;
    void proc.exited.then(() => (exited = true));
    for (;;) {
      if (exited) {
        proc.close(); // it may have ended before it became this.proc, whose exit handler closes it
        throw new Error(`the kernel exited while starting: ${proc.stderrTail.trim().split('\n').slice(-5).join(' | ') || 'no output'}`);
      }
      if (Date.now() > deadline) {
        await this.stopProcess('start timed out');
        throw new Error(`the kernel did not answer within ${(this.options.startTimeoutMs ?? 30_000) / 1000} s`);
      }
      try {
        await this.requestNow('shell', 'kernel_info_request', {}, 250);
        if (proc.iopubSeen) break;
      } catch {
        // Not up yet. A request refused at once must not spin on microtasks: the exit event and the
        // sockets need the event loop to be heard.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    this.setState('idle');
  }

  private onReply(msg: ReceivedMessage): void {
    const parentId = (msg.parent_header as { msg_id?: string }).msg_id ?? '';
    const waiting = this.replies.get(parentId);
    if (waiting) {
      this.replies.delete(parentId);
      waiting.resolve(msg);
    }
    const ex = this.executes.get(parentId);
    if (ex && isMessage(msg, 'execute_reply')) {
      const c = msg.content;
      const executionCount = c.execution_count ?? null;
      if (c.status === 'ok' || c.status === 'aborted') ex.reply = { status: c.status, executionCount };
      else {
        // Any other status is a failure; its exception is there when the status says `error`.
        const e: Partial<ErrorContent> = c.status === 'error' ? c : {};
        ex.reply = { status: 'error', executionCount, error: { ename: e.ename ?? 'Error', evalue: e.evalue ?? '', traceback: e.traceback ?? [] } };
      }
      this.settleIfDone(parentId, ex);
    }
  }

  private onIopub(msg: ReceivedMessage): void {
    const parentId = (msg.parent_header as { msg_id?: string }).msg_id ?? '';
    if (isMessage(msg, 'update_display_data')) return this.onDisplayUpdate(msg.content);
    if (isMessage(msg, 'status')) {
      const s = msg.content.execution_state;
      if (s === 'busy' || s === 'idle') this.setState(s);
      const ex = this.executes.get(parentId);
      if (ex && s === 'idle') {
        ex.idle = true;
        this.settleIfDone(parentId, ex);
      }
      return;
    }
    const ex = this.executes.get(parentId);
    if (!ex) return;
    const out = cellOutput(msg);
    if (!out) return;
    const id = out.output_type === 'display_data' ? out.transient?.display_id : undefined;
    if (id) {
      const shown = this.displays.get(id) ?? [];
      shown.push({ outputs: ex.outputs, updates: ex.updates, index: ex.outputs.length });
      this.displays.set(id, shown);
      // The oldest displays are forgotten (their outputs are no longer updated) so memory stays bounded.
      if (this.displays.size > MAX_DISPLAYS) this.displays.delete(this.displays.keys().next().value!);
    }
    ex.outputs.push(out);
    ex.emitter.emit(out);
  }

  /** nbformat semantics: every output shown with that display id takes the new data; nothing is appended. */
  private onDisplayUpdate(c: ReceivedContent<'update_display_data'>): void {
    const id = c.transient?.display_id;
    if (typeof id !== 'string' || !c.data || typeof c.data !== 'object') return;
    for (const shown of this.displays.get(id) ?? []) {
      const output: DisplayDataOutput = { output_type: 'display_data', data: c.data, metadata: c.metadata ?? {}, transient: { display_id: id } };
      shown.outputs[shown.index] = output;
      shown.updates.emit({ displayId: id, index: shown.index, output });
    }
  }

  private settleIfDone(id: string, ex: PendingExecute): void {
    if (!ex.reply || !ex.idle) return;
    this.executes.delete(id);
    ex.resolve(ex.reply);
  }

  private async request<R extends RequestType>(channel: 'shell' | 'control', msgType: R, content: MessageContents[R], timeoutMs = 60_000): Promise<Received<ReplyType<R>>> {
    if (this.restarting) await this.restarting;
    return this.requestNow(channel, msgType, content, timeoutMs);
  }

  /** Sends on the current process without waiting for a restart (used while starting and stopping it); resolves with the reply. */
  private requestNow<R extends RequestType>(channel: 'shell' | 'control', msgType: R, content: MessageContents[R], timeoutMs = 60_000): Promise<Received<ReplyType<R>>> {
    if (this.state === 'dead') return Promise.reject(new Error('the kernel is not running'));
    const msg = makeMessage(msgType, content, this.session);
    const expected = replyType(msgType);
    const proc = this.proc;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(msg.header.msg_id);
        reject(new Error(`no ${expected} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.replies.set(msg.header.msg_id, {
        resolve: (m) => {
          clearTimeout(timer);
          if (isMessage(m, expected)) resolve(m);
          else reject(new Error(`the kernel answered ${msgType} with ${m.header.msg_type}`));
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      proc.send(channel, msg);
    });
  }

  private onExit(proc: KernelProcess, code: number | null, signal: string | null): void {
    if (proc !== this.proc) return;
    const message = proc.expectedExit ? 'the kernel was stopped' : proc.deathMessage(code, signal);
    this.failPending(message);
    proc.close();
    if (!proc.expectedExit) {
      this.setState('dead');
      this.diedEvents.emit({ exitCode: code, signal, message, stderrTail: proc.stderrTail.split('\n').slice(-20).join('\n') });
    }
  }

  private failPending(message: string): void {
    for (const [id, ex] of this.executes) {
      this.executes.delete(id);
      ex.resolve({ status: 'died', executionCount: ex.reply?.executionCount ?? null, error: { ename: 'KernelDied', evalue: message, traceback: [`KernelDied: ${message}`] } });
    }
    for (const [id, r] of this.replies) {
      this.replies.delete(id);
      r.reject(new Error(message));
    }
  }

  private async stopProcess(reason: string, restart = false): Promise<void> {
    const proc = this.proc;
    proc.expectedExit = true;
    if (proc.running) {
      try {
        await this.requestNow('control', 'shutdown_request', { restart }, 2000);
      } catch {
        /* kill below */
      }
      await proc.waitForExit(3000);
    }
    this.failPending(reason);
    proc.close();
  }
}

/** An iopub message that is a cell output, in nbformat's shape (undefined for any other). */
function cellOutput(msg: ReceivedMessage): CellOutput | undefined {
  if (isMessage(msg, 'stream')) return { output_type: 'stream', name: msg.content.name === 'stderr' ? 'stderr' : 'stdout', text: String(msg.content.text) };
  if (isMessage(msg, 'display_data')) {
    const c = msg.content;
    const id = c.transient?.display_id;
    return { output_type: 'display_data', data: c.data ?? {}, metadata: c.metadata ?? {}, ...(id ? { transient: { display_id: id } } : {}) };
  }
  if (isMessage(msg, 'execute_result')) return { output_type: 'execute_result', execution_count: msg.content.execution_count ?? null, data: msg.content.data ?? {}, metadata: msg.content.metadata ?? {} };
  if (isMessage(msg, 'error')) return { output_type: 'error', ename: msg.content.ename ?? 'Error', evalue: msg.content.evalue ?? '', traceback: msg.content.traceback ?? [] };
  return undefined;
}
