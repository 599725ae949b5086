/**
 * The SQL box's statements run in a child process of their own (store-query-child.ts), killed with
 * SIGKILL when the time limit passes or the backend stops. A worker thread is not enough: SQLite runs
 * a statement in native code, where `Worker.terminate()` never lands, and a thread stuck there keeps
 * the whole process (and its SIGTERM) waiting.
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

export type QueryReply = { result: StoreQueryResult } | { error: SerializedError };

const childPath = fileURLToPath(new URL('./store-query-child.js', import.meta.url));
const running = new Set<ChildProcess>();

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** Runs `sql` on the store at `absPath` (read-only) in a fresh process; rejects with a UserError when it runs out of time. */
export function runInQueryProcess(absPath: string, sql: string, { timeoutMs = DEFAULT_QUERY_TIMEOUT_MS }: QueryProcessOptions = {}): Promise<StoreQueryResult> {
  return new Promise((resolve, reject) => {
    // No inherited flags (--inspect, a test runner's): the child only opens SQLite.
    const child = fork(childPath, [], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    running.add(child);
    let stderr = '';
    let reply: QueryReply | undefined;
    let timedOut = false;
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('message', (m) => (reply = m as QueryReply));
    child.once('error', (e) => {
      clearTimeout(timer);
      running.delete(child);
      child.kill('SIGKILL');
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (reply && 'result' in reply) return resolve(reply.result);
      if (reply) return reject(deserializeError(reply.error));
      if (timedOut) {
        return reject(
          new UserError(
            `the query ran longer than ${seconds(timeoutMs)} and was stopped`,
            'Narrow it with WHERE or LIMIT (a recursive WITH needs a stop condition, e.g. WHERE x < 1000), or allow more time: babelscope serve --query-timeout SECONDS',
          ),
        );
      }
      reject(new Error(`the query process ended without an answer (${signal ? `signal ${signal}` : `exit code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
    });
    child.send({ path: absPath, sql });
  });
}

/** Kills every query still running (the backend is stopping). */
export function stopQueryProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** How many query processes are running (for tests and the shutdown path). */
export function runningQueryProcesses(): number {
  return running.size;
}
