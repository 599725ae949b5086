/**
 * One kernel process and the sockets to it: a Jupyter connection file on free ports (and a fresh key) in a
 * private temporary folder, `node kernel-main.js -f FILE` spawned in the notebook's folder, the shell,
 * control and iopub sockets connected, its stderr kept, stopping it, and why it died (for people).
 * What the messages mean is the client's (client.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zmq from 'zeromq';
import { UserError } from '../../shared/errors.js';
import { channelAddress, MessageSigner, SendQueue, type ConnectionInfo, type ReceivedMessage, type WireMessage } from './wire.js';

export const kernelMainPath = fileURLToPath(new URL('./kernel-main.js', import.meta.url));

export interface KernelProcessOptions {
  /** The notebook's folder: relative imports and files resolve from here (default: process.cwd()). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra Node flags for the kernel process, e.g. ["--max-old-space-size=8192"]. */
  nodeArgs?: string[];
}

/** Ports of a connection file: shell, iopub, stdin, control, heartbeat. */
export type KernelPorts = [number, number, number, number, number];

export interface KernelProcessEvents {
  /** A message with a valid signature; `iopub` or the channel a request was sent on. */
  message(channel: 'shell' | 'control' | 'iopub', msg: ReceivedMessage): void;
  /** The process ended (or could not be spawned). */
  exit(process: KernelProcess, code: number | null, signal: string | null): void;
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

export class KernelProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has ended (or failed to spawn). */
  readonly exited: Promise<void>;
  /** The last 4000 characters the process wrote to stderr. */
  stderrTail = '';
  /** Set before the process is stopped on purpose: its end is no death. */
  expectedExit = false;
  /** Once the kernel's iopub delivered a message (the SUB socket is connected). */
  iopubSeen = false;
  private readonly shell: zmq.Dealer;
  private readonly control: zmq.Dealer;
  private readonly iopub: zmq.Subscriber;
  private readonly queues: Record<'shell' | 'control', SendQueue>;
  private readonly signer: MessageSigner;
  /** The cgroup's OOM-kill count when the kernel started (null: unknown): a larger one at its death is evidence of OOM. */
  private readonly oomKillsAtStart = oomKills();

  /** Writes a connection file (on `ports`, or free ones), spawns the kernel on it and connects to it. */
  static async spawn(options: KernelProcessOptions, session: string, events: KernelProcessEvents, ports?: readonly number[]): Promise<KernelProcess> {
    const cwd = options.cwd ?? process.cwd();
    if (!existsSync(cwd)) throw new UserError(`the kernel cannot start in ${cwd}: the folder does not exist`, 'Save the notebook in an existing folder, then run it.');
    const dir = mkdtempSync(join(tmpdir(), 'babelscope-kernel-'));
    const p = ports ?? (await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]));
    const info: ConnectionInfo = {
      transport: 'tcp',
      ip: '127.0.0.1',
      shell_port: p[0]!,
      iopub_port: p[1]!,
      stdin_port: p[2]!,
      control_port: p[3]!,
      hb_port: p[4]!,
      key: randomBytes(32).toString('hex'),
      signature_scheme: 'hmac-sha256',
      kernel_name: 'babelscope',
    };
    const file = join(dir, 'connection.json');
    writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
    return new KernelProcess(options, cwd, dir, file, info, session, events);
  }

  private constructor(
    options: KernelProcessOptions,
    cwd: string,
    private readonly dir: string,
    file: string,
    info: ConnectionInfo,
    session: string,
    events: KernelProcessEvents,
  ) {
    this.signer = new MessageSigner(info.key);
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), kernelMainPath, '-f', file], {
      cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.shell = new zmq.Dealer({ routingId: `${session}-shell`, linger: 0 });
    this.control = new zmq.Dealer({ routingId: `${session}-control`, linger: 0 });
    this.iopub = new zmq.Subscriber({ linger: 0 });
    this.iopub.subscribe();
    this.shell.connect(channelAddress(info, info.shell_port));
    this.control.connect(channelAddress(info, info.control_port));
    this.iopub.connect(channelAddress(info, info.iopub_port));
    this.queues = { shell: new SendQueue(this.shell), control: new SendQueue(this.control) };
    // A process that could not be spawned emits 'error' and never 'exit'.
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    child.stdout!.on('data', () => undefined);
    child.stderr!.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-4000)));
    child.on('exit', (code, signal) => events.exit(this, code, signal));
    child.on('error', (e) => {
      this.stderrTail += `\n${e.message}`;
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined) events.exit(this, null, null);
    });
    void this.readLoop('shell', this.shell, events);
    void this.readLoop('control', this.control, events);
    void this.readLoop('iopub', this.iopub, events);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  send(channel: 'shell' | 'control', msg: WireMessage): void {
    void this.queues[channel].send(this.signer.serialize(msg)).catch(() => undefined);
  }

  /** Waits for the process to end, killing it after `killAfterMs`. */
  async waitForExit(killAfterMs: number): Promise<void> {
    if (!this.running) return;
    const killed = setTimeout(() => this.child.kill('SIGKILL'), killAfterMs);
    await this.exited;
    clearTimeout(killed);
  }

  /** Closes the sockets and removes the connection file's folder. */
  close(): void {
    for (const s of [this.shell, this.control, this.iopub]) if (!s.closed) s.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Why the process ended, for people (see describeDeath). */
  deathMessage(code: number | null, signal: string | null): string {
    const kills = oomKills();
    const oomKilled = kills !== null && this.oomKillsAtStart !== null && kills > this.oomKillsAtStart;
    return describeDeath(code, signal, this.stderrTail, oomKilled);
  }

  private async readLoop(channel: 'shell' | 'control' | 'iopub', socket: zmq.Dealer | zmq.Subscriber, events: KernelProcessEvents): Promise<void> {
    try {
      for await (const frames of socket) {
        let msg: ReceivedMessage;
        try {
          msg = this.signer.deserialize(frames);
        } catch {
          continue;
        }
        if (channel === 'iopub') this.iopubSeen = true;
        events.message(channel, msg);
      }
    } catch {
      /* socket closed */
    }
  }
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
