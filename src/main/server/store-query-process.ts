/**
 * The SQL box's statements run in child processes (store-query-child.ts), one statement at a time
 * each, and a process running past the time limit (or when the backend stops) is killed with SIGKILL.
 * A worker thread is not enough: SQLite runs a statement in native code, where `Worker.terminate()`
 * never lands, and a thread stuck there keeps the whole process (and its SIGTERM) waiting. One process
 * that answered is kept warm for the next statement, so a query costs no process start.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StoreQueryResult } from '../../shared/backend-contract.js';
import { deserializeError, UserError, type SerializedError } from '../../shared/errors.js';

/** How long a store-browser query may run before it is stopped (`serve --query-timeout`). */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

export interface QueryProcessOptions {
  /** Milliseconds before the query is stopped (default DEFAULT_QUERY_TIMEOUT_MS). */
  timeoutMs?: number;
}

export type QueryRequest = { id: number; path: string; sql: string };
export type QueryReply = { id: number } & ({ result: StoreQueryResult } | { error: SerializedError });

const childPath = fileURLToPath(new URL('./store-query-child.js', import.meta.url));
/** Every query process alive, busy or idle. */
const running = new Set<ChildProcess>();
/** A process that answered and waits for the next statement (unreferenced: it keeps nothing alive). */
let idle: ChildProcess | null = null;
let nextId = 1;

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function spawnQueryProcess(): ChildProcess {
  // No inherited flags (--inspect, a test runner's): the child only opens SQLite.
  const child = fork(childPath, [], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  running.add(child);
  child.on('exit', () => {
    running.delete(child);
    if (idle === child) idle = null;
  });
  child.on('error', () => child.kill('SIGKILL'));
  return child;
}

function park(child: ChildProcess): void {
  if (idle || child.exitCode !== null || child.signalCode !== null) return void child.kill('SIGKILL');
  idle = child;
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
}

function take(): ChildProcess {
  const child = idle ?? spawnQueryProcess();
  idle = null;
  child.ref();
  (child.channel as { ref?: () => void } | undefined)?.ref?.();
  (child.stderr as { ref?: () => void } | null)?.ref?.();
  return child;
}

/** Runs `sql` on the store at `absPath` (read-only) in a query process; rejects with a UserError when it runs out of time. */
export function runInQueryProcess(absPath: string, sql: string, { timeoutMs = DEFAULT_QUERY_TIMEOUT_MS }: QueryProcessOptions = {}): Promise<StoreQueryResult> {
  return new Promise((resolve, reject) => {
    const child = take();
    const id = nextId++;
    let stderr = '';
    let timedOut = false;
    const onStderr = (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000));
    const done = () => {
      clearTimeout(timer);
      child.stderr?.off('data', onStderr);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (m: QueryReply) => {
      if (m.id !== id) return;
      done();
      park(child);
      if ('result' in m) resolve(m.result);
      else reject(deserializeError(m.error));
    };
    const onExit = (code: number | null, signal: string | null) => {
      done();
      if (timedOut) {
        return reject(
          new UserError(
            `the query ran longer than ${seconds(timeoutMs)} and was stopped`,
            'Narrow it with WHERE or LIMIT (a recursive WITH needs a stop condition, e.g. WHERE x < 1000), or allow more time: babelscope serve --query-timeout SECONDS',
          ),
        );
      }
      reject(new Error(`the query process ended without an answer (${signal ? `signal ${signal}` : `exit code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
    };
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stderr?.on('data', onStderr);
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.send({ id, path: absPath, sql } satisfies QueryRequest);
  });
}

/** Kills every query process, busy or idle (the backend is stopping). */
export function stopQueryProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** How many query processes are running a statement (idle ones not counted). */
export function runningQueryProcesses(): number {
  return [...running].filter((c) => c !== idle).length;
}
