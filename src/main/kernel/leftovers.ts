/**
 * Connection files of kernels that are gone. Each kernel gets a `babelscope-kernel-*` folder in the
 * temporary folder holding `connection.json`, whose HMAC key signs its messages; the client removes it
 * when the kernel stops, but a backend or `run` killed with SIGKILL cannot. The next backend (or run)
 * removes the folders of the user's kernels that no longer run: no process names the folder's
 * connection file on its command line (the kernel is started as `kernel-main.js -f FILE`).
 */
import { lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KERNEL_DIR_PREFIX = 'babelscope-kernel-';

/** A folder younger than this may belong to a kernel still being started. */
const GRACE_MS = 60_000;

/**
 * Removes leftover connection folders of dead kernels under `dir` (default: the temporary folder);
 * returns the folders removed. Linux only (elsewhere nothing is removed): it reads /proc.
 */
export function removeDeadKernelFiles(dir = tmpdir(), now = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(KERNEL_DIR_PREFIX));
  } catch {
    return [];
  }
  // Reading every process's command line costs more than listing one folder: only when there is a candidate.
  if (names.length === 0) return [];
  let live: string;
  try {
    live = commandLines();
  } catch {
    return [];
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const removed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || now - st.mtimeMs < GRACE_MS) continue;
      if (live.includes(path + '/')) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      /* gone meanwhile, or not ours to remove */
    }
  }
  return removed;
}

/** Every running process's command line, NUL-separated arguments joined by spaces, one per line. */
function commandLines(): string {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '));
    } catch {
      /* exited meanwhile */
    }
  }
  return lines.join('\n');
}
