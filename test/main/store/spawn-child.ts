import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildTask } from './child-writer.js';

const childScript = fileURLToPath(new URL('./child-writer.js', import.meta.url));

export function startChild(task: ChildTask): ChildProcess {
  return fork(childScript, [], {
    env: { ...process.env, BABELSCOPE_STORE_CHILD: JSON.stringify(task) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export function nextMessage(child: ChildProcess, predicate: (m: unknown) => boolean = () => true): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (!predicate(m)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null, signal: string | null) => reject(new Error(`child exited (${code ?? signal}) before the awaited message`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
