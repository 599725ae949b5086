/**
 * Real faulty disks for the fault cases: a small tmpfs (full after a few KiB or MiB), a read-only mount,
 * a child process running as an unprivileged user. Each needs root (CI's container runs as root); a case
 * that cannot have one skips with one line saying why.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** A nobody-like user for permission cases (root ignores file permissions). */
export const UNPRIVILEGED = { uid: 65534, gid: 65534 };

let unprivilegedWorks: boolean | undefined;
/**
 * Skips the case (returns false) unless we are root and an unprivileged child can load `moduleUrl`
 * (a checkout under a private home folder cannot be read by another user).
 */
export function canRunUnprivileged(t: TestContext, moduleUrl: string): boolean {
  unprivilegedWorks ??=
    isRoot && spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(moduleUrl)})`], { ...UNPRIVILEGED, cwd: '/', stdio: 'ignore' }).status === 0;
  if (!unprivilegedWorks) t.skip(isRoot ? 'another user cannot read this checkout' : 'needs root to run a child as another user');
  return unprivilegedWorks;
}

let tmpfsWorks: boolean | undefined;
function canMountTmpfs(): boolean {
  if (tmpfsWorks !== undefined) return tmpfsWorks;
  if (!isRoot) return (tmpfsWorks = false);
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    tmpfsWorks = true;
  } catch {
    tmpfsWorks = false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tmpfsWorks;
}

export interface Tmpfs {
  dir: string;
  /** Changes the size limit (e.g. to free space for a resume). */
  resize(bytes: number): void;
  /** Remounts read-only (true) or read-write (false). */
  readOnly(ro: boolean): void;
}

/**
 * Runs `fn` on a fresh tmpfs of `bytes` bytes, unmounted afterwards; skips the case (returns undefined)
 * when tmpfs cannot be mounted here (not root, no mount permission).
 */
export async function withTmpfs<T>(t: TestContext, bytes: number, fn: (fs: Tmpfs) => T | Promise<T>): Promise<T | undefined> {
  if (!canMountTmpfs()) {
    t.skip('needs root to mount a small tmpfs');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0777`, 'tmpfs', dir]);
  const fs: Tmpfs = {
    dir,
    resize: (n) => execFileSync('mount', ['-o', `remount,size=${n}`, dir]),
    readOnly: (ro) => execFileSync('mount', ['-o', `remount,${ro ? 'ro' : 'rw'}`, dir]),
  };
  try {
    return await fn(fs);
  } finally {
    try {
      execFileSync('umount', ['-l', dir]);
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bytes in use on the file system holding `dir`. */
export function usedBytes(dir: string): number {
  return Number(execFileSync('df', ['--output=used', '-B1', dir]).toString().trim().split('\n').pop());
}

/** Fills the file system holding `dir` until fewer than `leave` bytes remain free. */
export function fillDisk(dir: string, leave: number): void {
  const free = Number(execFileSync('df', ['--output=avail', '-B1', dir]).toString().trim().split('\n').pop());
  const size = Math.max(0, free - leave);
  if (size > 0) execFileSync('fallocate', ['-l', String(size), join(dir, 'filler')]);
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node -e script` (an ES module) with the given options; resolves when it exits. */
export function runNode(script: string, opts: { uid?: number; gid?: number; cwd?: string; args?: string[]; shell?: string } = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const argv = ['--input-type=module', '-e', script, ...(opts.args ?? [])];
    const child = opts.shell
      ? spawn('bash', ['-c', `${opts.shell}; exec "$0" "$@"`, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd })
      : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd ?? (opts.uid !== undefined ? '/' : undefined), ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
