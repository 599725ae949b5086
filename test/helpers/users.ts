import { spawnSync } from 'node:child_process';

/** A nobody-like user for permission tests (root ignores file permissions). */
export const NOBODY = { uid: 65534, gid: 65534 };
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const readable = new Map<string, boolean>();
/**
 * Whether a child running as NOBODY can read `file`: false in a checkout under a private folder (a fresh
 * clone in /root, a mkdtemp folder), where Node run as NOBODY says "Cannot find module" for the CLI.
 */
export function nobodyCanRead(file: string): boolean {
  let ok = readable.get(file);
  if (ok === undefined) {
    const r = spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(file)}, require('node:fs').constants.R_OK)`], { ...NOBODY, cwd: '/', stdio: 'ignore' });
    ok = r.status === 0;
    readable.set(file, ok);
  }
  return ok;
}
