/**
 * The one atomic file write of the project (notebooks, workspace state, the model cache), the POSIX way:
 * write every byte to a new hidden temporary in the target's folder, fsync it, rename it over the target,
 * fsync the folder. On any failure the temporary is removed and the target is left as it was.
 *
 * - The temporary's name is `.NAME.PID.UNIQUE.tmp`, created with O_EXCL: two writes of one file (in one
 *   process or several) never share one. Temporaries of this pattern left by a process that died (kill -9)
 *   are removed at the next write of the same file.
 * - The file keeps its mode (and, when we run as root, its owner): a 0600 notebook stays 0600.
 * - A symbolic link is written through: its target is replaced, the link stays a link.
 * - A full disk, a quota, a read-only file system or a refused permission become a UserError naming the
 *   file (never the temporary) with a hint; other I/O errors too, with their code.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';

export type AtomicData = string | Uint8Array | readonly Uint8Array[];

/** Where a streaming writer puts its bytes: appended, or at an absolute position (pwrite). */
export interface AtomicSink {
  write(data: Uint8Array, position?: number): void;
}

export interface AtomicWriteOptions {
  /**
   * The file's permission bits. Default: an existing file keeps its own; a new one gets 0666 less the
   * umask. Given, it applies to existing files too (e.g. a recovery copy as private as its notebook).
   */
  mode?: number;
  /** How errors name the file ("notebook x.ipynb"); default its path. */
  what?: string;
}

/** Writes `data` (or what `produce` writes into the sink) to `path` atomically; see the module comment. */
export function writeFileAtomicSync(path: string, data: AtomicData | ((sink: AtomicSink) => void), options: AtomicWriteOptions = {}): void {
  const target = writeTarget(path);
  const plan = planWrite(target, options);
  let fd: number | undefined;
  try {
    fd = openSync(plan.temp, 'wx', openMode(plan));
    const sink: AtomicSink = { write: (bytes, position) => writeAllSync(fd!, bytes, position) };
    if (typeof data === 'function') data(sink);
    else for (const part of parts(data)) sink.write(part);
    applyOwnership(fd, plan.existing, plan.mode);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(plan.temp, target);
  } catch (e) {
    if (fd !== undefined) closeQuietly(fd);
    removeQuietly(plan.temp);
    throw writeError(e, path, options.what);
  }
  syncFolder(dirname(target));
}

/** The asynchronous form of `writeFileAtomicSync` (the backend: a save must not stall other clients). */
export async function writeFileAtomic(path: string, data: AtomicData, options: AtomicWriteOptions = {}): Promise<void> {
  const target = writeTarget(path);
  const plan = planWrite(target, options);
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(plan.temp, 'wx', openMode(plan));
    for (const part of parts(data)) {
      for (let off = 0; off < part.length; ) {
        const { bytesWritten } = await fh.write(part, off, part.length - off, null);
        if (bytesWritten <= 0) throw Object.assign(new Error('no bytes written'), { code: 'ENOSPC' });
        off += bytesWritten;
      }
    }
    applyOwnership(fh.fd, plan.existing, plan.mode);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(plan.temp, target);
  } catch (e) {
    if (fh) await fh.close().catch(() => undefined);
    await unlink(plan.temp).catch(() => undefined);
    throw writeError(e, path, options.what);
  }
  syncFolder(dirname(target));
}

/**
 * Creates the folder of `file` (and its parents) for a write; a refusal is the same UserError the write
 * would give (Node's recursive mkdir reports ENOENT where the file system is read-only).
 */
export async function ensureFolderFor(file: string, options: AtomicWriteOptions = {}): Promise<void> {
  const missing: string[] = [];
  for (let d = dirname(resolve(file)); ; d = dirname(d)) {
    try {
      if (statSync(d).isDirectory()) break;
    } catch {
      /* missing */
    }
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(e, file, options.what);
    }
  }
}

const TEMP_SUFFIX = '.tmp';
let counter = 0;

/** `.NAME.PID.UNIQUE.tmp` in the folder of `target`. */
export function temporaryName(target: string): string {
  const unique = `${(counter++).toString(36)}${randomBytes(4).toString('hex')}`;
  return join(dirname(target), `.${basename(target)}.${process.pid}.${unique}${TEMP_SUFFIX}`);
}

/** Our temporaries of `target` in its folder, with the pid that made each. */
export function temporariesOf(target: string): { path: string; pid: number }[] {
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(target));
  } catch {
    return [];
  }
  const found: { path: string; pid: number }[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const m = /^(\d+)\.[0-9a-z]+[0-9a-f]{8}$/.exec(name.slice(prefix.length, -TEMP_SUFFIX.length));
    if (m) found.push({ path: join(dirname(target), name), pid: Number(m[1]) });
  }
  return found;
}

/**
 * Removes temporaries of `target` whose writer is gone: its pid no longer runs, or runs a process that
 * started after the temporary was last written (the pid was reused). Our own process's are in flight.
 */
export function removeStaleTemporaries(target: string): number {
  let removed = 0;
  for (const t of temporariesOf(target)) {
    if (t.pid === process.pid) continue;
    let mtimeMs: number;
    try {
      mtimeMs = lstatSync(t.path).mtimeMs;
    } catch {
      continue;
    }
    const started = processStartMs(t.pid);
    if (started !== null && started <= mtimeMs) continue;
    try {
      unlinkSync(t.path);
      removed++;
    } catch {
      /* another writer removed it, or the folder is not writable: the write itself will say so */
    }
  }
  return removed;
}

/** When process `pid` started (ms since the epoch), or null when none runs. Linux reads /proc; elsewhere "now" if alive. */
export function processStartMs(pid: number): number | null {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  try {
    // Field 22 of /proc/PID/stat: start time in clock ticks (100 per second on Linux) after boot.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (boot && Number.isFinite(ticks)) return Number(boot[1]) * 1000 + ticks * 10;
  } catch {
    /* no /proc: alive is all we know */
  }
  return Date.now();
}

/** The file a write of `path` replaces: `path`, or the end of its chain of symbolic links. */
export function writeTarget(path: string): string {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      return p;
    }
    if (!st.isSymbolicLink()) return p;
    p = resolve(dirname(p), readlinkSync(p));
  }
  throw new UserError(`cannot write ${path}: too many levels of symbolic links`, 'Point the link at a file, not at a loop of links.');
}

interface WritePlan {
  temp: string;
  existing: Stats | null;
  mode: number | null;
}

function planWrite(target: string, options: AtomicWriteOptions): WritePlan {
  let existing: Stats | null = null;
  try {
    existing = statSync(target);
  } catch {
    /* a new file */
  }
  if (existing?.isDirectory()) throw new UserError(`cannot write ${options.what ?? target}: it is a folder`, 'Give the path of a file.');
  removeStaleTemporaries(target);
  // A new file without a given mode: created 0666 less the umask by open() itself.
  const mode = options.mode ?? (existing ? existing.mode & 0o7777 : null);
  return { temp: temporaryName(target), existing, mode };
}

/** The temporary is private until it gets the file's mode. */
const openMode = (plan: WritePlan) => (plan.mode === null ? 0o666 : 0o600);

function applyOwnership(fd: number, existing: Stats | null, mode: number | null): void {
  if (mode !== null) fchmodSync(fd, mode);
  if (existing && typeof process.getuid === 'function' && process.getuid() === 0 && (existing.uid !== 0 || existing.gid !== 0)) {
    try {
      fchownSync(fd, existing.uid, existing.gid);
    } catch {
      /* keep our own ownership rather than fail the save */
    }
  }
}

function parts(data: AtomicData): readonly Uint8Array[] {
  return typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
}

function writeAllSync(fd: number, data: Uint8Array, position?: number): void {
  for (let off = 0; off < data.length; ) {
    const n = writeSync(fd, data, off, Math.min(data.length - off, 1 << 30), position === undefined ? null : position + off);
    if (n <= 0) throw Object.assign(new Error('no bytes written'), { code: 'ENOSPC' });
    off += n;
  }
}

function syncFolder(dir: string): void {
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* some file systems cannot fsync a folder; the rename is done */
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* never created, or already gone */
  }
}

const UNCHANGED = 'the original file is unchanged';

/** A write's failure as the user should read it: about the file, not our temporary, with what to do. */
export function writeError(e: unknown, path: string, what = path): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !(e instanceof Error)) return e;
  if (code === 'ENOSPC' || code === 'EFBIG') return new UserError(`cannot write ${what}: the disk is full (${code}); ${UNCHANGED}`, 'Free some disk space, or save to another disk, then try again.');
  if (code === 'EDQUOT') return new UserError(`cannot write ${what}: your disk quota is used up (EDQUOT); ${UNCHANGED}`, 'Delete files you no longer need or ask for a larger quota, then try again.');
  if (code === 'EROFS') return new UserError(`cannot write ${what}: the file system is read-only (EROFS); ${UNCHANGED}`, 'Save a copy to a writable folder instead.');
  if (code === 'EACCES' || code === 'EPERM')
    return new UserError(`cannot write ${what}: permission denied (${code}); ${UNCHANGED}`, `Saving needs write permission on the folder ${dirname(resolve(path))}; change its permissions or save a copy elsewhere.`);
  if (code === 'ENOENT' || code === 'ENOTDIR') return new UserError(`cannot write ${what}: its folder does not exist (${code})`, `The folder ${dirname(resolve(path))} does not exist: create it first, or save elsewhere.`);
  return new UserError(`cannot write ${what}: ${e.message.replace(/, \w+ '[^']*'$/, '')}; ${UNCHANGED}`, 'Check the disk and the folder, then try again.');
}
