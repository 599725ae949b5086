/**
 * Stopping the backend child when the shell quits (no Electron import: unit-tested under plain Node).
 * SIGTERM lets `babelscope serve` stop its kernels and query processes; a backend that does not exit
 * within the grace period (stuck in native code) gets SIGKILL, so quitting never leaves one behind.
 */
import type { ChildProcess } from 'node:child_process';

/** Ends `child`: SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
export function stopChild(child: ChildProcess, graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode, forced: false });
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      child.kill('SIGKILL');
    }, graceMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, forced });
    });
    child.kill('SIGTERM');
  });
}

/** The environment variable that makes `babelscope serve` stop when the process that started it is gone. */
export const EXIT_WITH_PARENT_ENV = 'BABELSCOPE_EXIT_WITH_PARENT';
