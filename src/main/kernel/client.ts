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
 * kernel process; requests are answered in order (the kernel runs one cell at a time).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zmq from 'zeromq';
import { UserError } from '../../shared/errors.js';
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
import { channelAddress, makeMessage, MessageSigner, SendQueue, type ConnectionInfo, type JupyterMessage, type ReceivedMessage } from './wire.js';

export const kernelMainPath = fileURLToPath(new URL('./kernel-main.js', import.meta.url));

export interface KernelStartOptions {
  /** The notebook's folder: relative imports and files resolve from here (default: process.cwd()). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra Node flags for the kernel process, e.g. ["--max-old-space-size=8192"]. */
  nodeArgs?: string[];
  /** How long to wait for the kernel to answer its first kernel_info (default 30 s). */
  startTimeoutMs?: number;
  /**
   * Ports for the first launch's connection file (shell, iopub, stdin, control, heartbeat), as a
   * Jupyter connection file may name them; default: free ones. When one is taken, the launch is
   * retried once on free ports.
   */
  ports?: [number, number, number, number, number];
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

interface Connection {
  child: ChildProcess;
  dir: string;
  shell: zmq.Dealer;
  control: zmq.Dealer;
  iopub: zmq.Subscriber;
  shellQueue: SendQueue;
  controlQueue: SendQueue;
  exited: Promise<void>;
  stderrTail: string;
  expectedExit: boolean;
  /** Once the kernel's iopub delivered a message (the SUB socket is connected). */
  iopubSeen: boolean;
  /** The cgroup's OOM-kill count when the kernel started (null: unknown): a larger one at its death is evidence of OOM. */
  oomKillsAtStart: number | null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The file where the kernel's OOM killer counts its kills in this process's cgroup (the kernel process
 * runs in the same one): cgroup v2 `memory.events`, or v1 `memory.oom_control` (Linux ≥ 4.13); each
 * under the cgroup's path, else at the mount's root (a container sees its own cgroup there). Null
 * where there is none (macOS, Windows).
 */
function memoryEventsPath(): string | null {
  let lines: string[];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  } catch {
    return null;
  }
  const candidates: string[] = [];
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (v2 !== undefined) candidates.push(join('/sys/fs/cgroup', v2.slice(3).trim(), 'memory.events'), '/sys/fs/cgroup/memory.events');
  const v1 = lines.map((l) => /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/.exec(l)).find((m) => m);
  if (v1) candidates.push(join('/sys/fs/cgroup/memory', v1[1]!.trim(), 'memory.oom_control'), '/sys/fs/cgroup/memory/memory.oom_control');
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** How many processes the kernel's out-of-memory killer has killed in this cgroup so far (null: unknown). */
export function oomKills(path = memoryEventsPath()): number | null {
  if (!path) return null;
  try {
    const m = /^oom_kill (\d+)$/m.exec(readFileSync(path, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** V8's own message when the heap limit is reached (Node then aborts: SIGABRT, or exit code 134). */
const HEAP_LIMIT = /heap out of memory|Reached heap limit|Allocation failed|out of memory/i;

/**
 * Why the kernel process ended, for people. It is called out of memory only on evidence: V8's
 * heap-limit message on its stderr, or the cgroup's `oom_kill` count having grown since the kernel
 * started (the kernel's OOM killer sends SIGKILL). Any other SIGKILL came from someone else.
 */
export function describeDeath(code: number | null, signal: string | null, stderrTail: string, oomKilled = false): string {
  const how = signal ? `signal ${signal}` : `exit code ${code}`;
  if (HEAP_LIMIT.test(stderrTail)) return `the kernel ran out of memory (its JavaScript heap is full; ${how}); its state is lost, restart it to continue`;
  if (oomKilled && signal === 'SIGKILL') return `the kernel ran out of memory (the system's out-of-memory killer stopped it: ${how}); its state is lost, restart it to continue`;
  if (signal === 'SIGKILL') return `the kernel was killed (${how}) by another process or the system; its state is lost, restart it to continue`;
  return `the kernel died (${how}); its state is lost, restart it to continue`;
}

export class KernelClient {
  private conn!: Connection;
  private readonly session = randomUUID();
  private signer!: MessageSigner;
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
    return this.conn.child.pid;
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
      void this.conn.shellQueue.send(this.signer.serialize(msg)).catch(() => undefined);
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

  async kernelInfo(): Promise<Record<string, unknown>> {
    return (await this.request('shell', 'kernel_info_request', {})).content;
  }

  async complete(code: string, cursorPos = code.length): Promise<CompletionReply> {
    const c = (await this.request('shell', 'complete_request', { code, cursor_pos: cursorPos })).content as { matches: string[]; cursor_start: number; cursor_end: number };
    return { matches: c.matches, cursorStart: c.cursor_start, cursorEnd: c.cursor_end };
  }

  async inspect(code: string, cursorPos = code.length, detailLevel: 0 | 1 = 0): Promise<InspectReply> {
    const c = (await this.request('shell', 'inspect_request', { code, cursor_pos: cursorPos, detail_level: detailLevel })).content as { found: boolean; data: Record<string, unknown> };
    return { found: c.found, data: c.data };
  }

  async isComplete(code: string): Promise<IsCompleteReply> {
    return (await this.request('shell', 'is_complete_request', { code })).content as unknown as IsCompleteReply;
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

  private async launch(fixedPorts?: number[]): Promise<void> {
    this.displays.clear();
    const cwd = this.options.cwd ?? process.cwd();
    if (!existsSync(cwd)) throw new UserError(`the kernel cannot start in ${cwd}: the folder does not exist`, 'Save the notebook in an existing folder, then run it.');
    const dir = mkdtempSync(join(tmpdir(), 'babelscope-kernel-'));
    const ports = fixedPorts ?? (await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]));
    const info: ConnectionInfo = {
      transport: 'tcp',
      ip: '127.0.0.1',
      shell_port: ports[0]!,
      iopub_port: ports[1]!,
      stdin_port: ports[2]!,
      control_port: ports[3]!,
      hb_port: ports[4]!,
      key: randomBytes(32).toString('hex'),
      signature_scheme: 'hmac-sha256',
      kernel_name: 'babelscope',
    };
    const file = join(dir, 'connection.json');
    writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
    this.signer = new MessageSigner(info.key);

    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), kernelMainPath, '-f', file], {
      cwd,
      env: this.options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const shell = new zmq.Dealer({ routingId: `${this.session}-shell`, linger: 0 });
    const control = new zmq.Dealer({ routingId: `${this.session}-control`, linger: 0 });
    const iopub = new zmq.Subscriber({ linger: 0 });
    iopub.subscribe();
    shell.connect(channelAddress(info, info.shell_port));
    control.connect(channelAddress(info, info.control_port));
    iopub.connect(channelAddress(info, info.iopub_port));

    const conn: Connection = {
      child,
      dir,
      shell,
      control,
      iopub,
      shellQueue: new SendQueue(shell),
      controlQueue: new SendQueue(control),
      stderrTail: '',
      expectedExit: false,
      iopubSeen: false,
      // A process that could not be spawned emits 'error' and never 'exit'.
      exited: new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => resolve());
      }),
      oomKillsAtStart: oomKills(),
    };
    this.conn = conn;
    child.stdout!.on('data', () => undefined);
    child.stderr!.on('data', (d: Buffer) => (conn.stderrTail = (conn.stderrTail + d.toString()).slice(-4000)));
    child.on('exit', (code, signal) => this.onExit(conn, code, signal));
    child.on('error', (e) => {
      conn.stderrTail += `\n${e.message}`;
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined) this.onExit(conn, null, null);
    });
    void this.readLoop(conn, shell);
    void this.readLoop(conn, control);
    void this.readLoop(conn, iopub);

    // Like jupyter_client: ask for kernel_info until it answers and iopub is known to be connected.
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 30_000);
    let exited = false;
    void conn.exited.then(() => (exited = true));
    for (;;) {
      if (exited) throw new Error(`the kernel exited while starting: ${conn.stderrTail.trim().split('\n').slice(-5).join(' | ') || 'no output'}`);
      if (Date.now() > deadline) {
        await this.stopProcess('start timed out');
        throw new Error(`the kernel did not answer within ${(this.options.startTimeoutMs ?? 30_000) / 1000} s`);
      }
      try {
        await this.requestNow('shell', 'kernel_info_request', {}, 250);
        if (conn.iopubSeen) break;
      } catch {
        // Not up yet. A request refused at once must not spin on microtasks: the exit event and the
        // sockets need the event loop to be heard.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    this.setState('idle');
  }

  private async readLoop(conn: Connection, socket: zmq.Dealer | zmq.Subscriber): Promise<void> {
    try {
      for await (const frames of socket) {
        let msg: ReceivedMessage;
        try {
          msg = this.signer.deserialize(frames);
        } catch {
          continue;
        }
        if (socket === conn.iopub) {
          conn.iopubSeen = true;
          this.onIopub(msg);
        } else this.onReply(msg);
      }
    } catch {
      /* socket closed */
    }
  }

  private onReply(msg: ReceivedMessage): void {
    const parentId = (msg.parent_header as { msg_id?: string }).msg_id ?? '';
    const waiting = this.replies.get(parentId);
    if (waiting) {
      this.replies.delete(parentId);
      waiting.resolve(msg);
    }
    const ex = this.executes.get(parentId);
    if (ex && msg.header.msg_type === 'execute_reply') {
      const c = msg.content as { status: string; execution_count?: number; ename?: string; evalue?: string; traceback?: string[] };
      const status = c.status === 'ok' || c.status === 'aborted' ? c.status : 'error';
      ex.reply = {
        status,
        executionCount: c.execution_count ?? null,
        ...(status === 'error' ? { error: { ename: c.ename ?? 'Error', evalue: c.evalue ?? '', traceback: c.traceback ?? [] } } : {}),
      };
      this.settleIfDone(parentId, ex);
    }
  }

  private onIopub(msg: ReceivedMessage): void {
    const parentId = (msg.parent_header as { msg_id?: string }).msg_id ?? '';
    const c = msg.content as Record<string, any>;
    if (msg.header.msg_type === 'update_display_data') return this.onDisplayUpdate(c);
    if (msg.header.msg_type === 'status') {
      const s = c['execution_state'] as string;
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
    let out: CellOutput | undefined;
    switch (msg.header.msg_type) {
      case 'stream':
        out = { output_type: 'stream', name: c['name'] === 'stderr' ? 'stderr' : 'stdout', text: String(c['text']) };
        break;
      case 'display_data':
        out = { output_type: 'display_data', data: c['data'], metadata: c['metadata'] ?? {}, ...(c['transient']?.display_id ? { transient: c['transient'] } : {}) };
        break;
      case 'execute_result':
        out = { output_type: 'execute_result', execution_count: c['execution_count'] ?? null, data: c['data'], metadata: c['metadata'] ?? {} };
        break;
      case 'error':
        out = { output_type: 'error', ename: c['ename'], evalue: c['evalue'], traceback: c['traceback'] ?? [] };
        break;
    }
    if (out) {
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
  }

  /** nbformat semantics: every output shown with that display id takes the new data; nothing is appended. */
  private onDisplayUpdate(c: Record<string, any>): void {
    const id = c['transient']?.display_id;
    if (typeof id !== 'string' || !c['data'] || typeof c['data'] !== 'object') return;
    for (const shown of this.displays.get(id) ?? []) {
      const output: DisplayDataOutput = { output_type: 'display_data', data: c['data'], metadata: c['metadata'] ?? {}, transient: { display_id: id } };
      shown.outputs[shown.index] = output;
      shown.updates.emit({ displayId: id, index: shown.index, output });
    }
  }

  private settleIfDone(id: string, ex: PendingExecute): void {
    if (!ex.reply || !ex.idle) return;
    this.executes.delete(id);
    ex.resolve(ex.reply);
  }

  private async request(channel: 'shell' | 'control', msgType: string, content: unknown, timeoutMs = 60_000): Promise<ReceivedMessage> {
    if (this.restarting) await this.restarting;
    return this.requestNow(channel, msgType, content, timeoutMs);
  }

  /** Sends on the current process without waiting for a restart (used while starting and stopping it). */
  private requestNow(channel: 'shell' | 'control', msgType: string, content: unknown, timeoutMs = 60_000): Promise<ReceivedMessage> {
    if (this.state === 'dead') return Promise.reject(new Error('the kernel is not running'));
    const msg: JupyterMessage<unknown> = makeMessage(msgType, content, this.session);
    const conn = this.conn;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(msg.header.msg_id);
        reject(new Error(`no ${msgType.replace('_request', '_reply')} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.replies.set(msg.header.msg_id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      void (channel === 'shell' ? conn.shellQueue : conn.controlQueue).send(this.signer.serialize(msg)).catch(() => undefined);
    });
  }

  private onExit(conn: Connection, code: number | null, signal: string | null): void {
    if (conn !== this.conn) return;
    const kills = conn.expectedExit ? null : oomKills();
    const oomKilled = kills !== null && conn.oomKillsAtStart !== null && kills > conn.oomKillsAtStart;
    const message = conn.expectedExit ? 'the kernel was stopped' : describeDeath(code, signal, conn.stderrTail, oomKilled);
    this.failPending(message);
    this.closeSockets(conn);
    if (!conn.expectedExit) {
      this.setState('dead');
      this.diedEvents.emit({ exitCode: code, signal, message, stderrTail: conn.stderrTail.split('\n').slice(-20).join('\n') });
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

  private closeSockets(conn: Connection): void {
    for (const s of [conn.shell, conn.control, conn.iopub]) if (!s.closed) s.close();
    rmSync(conn.dir, { recursive: true, force: true });
  }

  private async stopProcess(reason: string, restart = false): Promise<void> {
    const conn = this.conn;
    conn.expectedExit = true;
    if (conn.child.exitCode === null && conn.child.signalCode === null) {
      try {
        await this.requestNow('control', 'shutdown_request', { restart }, 2000);
      } catch {
        /* kill below */
      }
      const killed = setTimeout(() => conn.child.kill('SIGKILL'), 3000);
      await conn.exited;
      clearTimeout(killed);
    }
    this.failPending(reason);
    this.closeSockets(conn);
  }
}
