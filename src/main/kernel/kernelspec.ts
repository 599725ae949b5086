/** `babelscope kernel install`: the Jupyter kernelspec that lets JupyterLab, VS Code and nbconvert run Babelscope notebooks. */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isUserError, UserError } from '../../shared/errors.js';
import { writeFileAtomicSync } from '../fs/atomic-write.js';
import { kernelMainPath } from './kernel-process.js';

export const KERNEL_NAME = 'babelscope';

export interface KernelspecJson {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: 'message' | 'signal';
  metadata: Record<string, unknown>;
}

export function kernelspec(): KernelspecJson {
  return {
    argv: [process.execPath, kernelMainPath, '-f', '{connection_file}'],
    display_name: 'TypeScript (Babelscope)',
    language: 'typescript',
    // The kernel's I/O thread stops even a synchronous loop on an interrupt_request; a signal cannot.
    interrupt_mode: 'message',
    metadata: { debugger: false },
  };
}

/** Jupyter's per-user data folder (jupyter_core's jupyter_data_dir). */
export function userJupyterDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['JUPYTER_DATA_DIR']) return env['JUPYTER_DATA_DIR'];
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Jupyter');
  if (process.platform === 'win32') return join(env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'jupyter');
  return join(env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share'), 'jupyter');
}

/** Writes kernels/babelscope/kernel.json under --prefix P (P/share/jupyter) or the user's Jupyter folder; returns the folder. */
export function installKernelspec(options: { prefix?: string; user?: boolean }): string {
  if (options.prefix && options.user) throw new UserError('--user and --prefix exclude each other', 'Pass one of them (default: --user).');
  const base = options.prefix ? join(resolve(options.prefix), 'share', 'jupyter') : userJupyterDataDir();
  const dir = join(base, 'kernels', KERNEL_NAME);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(join(dir, 'kernel.json'), JSON.stringify(kernelspec(), null, 1) + '\n');
  } catch (e) {
    if (isUserError(e)) throw e;
    throw new UserError(`cannot write the kernelspec to ${dir}: ${(e as Error).message}`, 'Pick a writable folder with --prefix, or use --user.');
  }
  return dir;
}
