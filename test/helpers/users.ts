import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** A nobody-like user for permission tests (root ignores file permissions). */
export const NOBODY = { uid: 65534, gid: 65534 };
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const loads = new Map<string, boolean>();
/**
 * Whether a child running as NOBODY can load `modulePath`: false in a checkout under a private folder
 * (a fresh clone in /root, a mkdtemp folder), where Node as NOBODY says "Cannot find module".
 */
export function nobodyCanLoad(modulePath: string): boolean {
  let ok = loads.get(modulePath);
  if (ok === undefined) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(modulePath).href)})`], { ...NOBODY, cwd: '/', stdio: 'ignore' });
    ok = r.status === 0;
    loads.set(modulePath, ok);
  }
  return ok;
}
