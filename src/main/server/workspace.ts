/**
 * The notebooks of one workspace folder: listing, reading, atomic writes that refuse to overwrite a
 * file someone else changed, autosaved drafts for crash recovery, recent files. Every path is relative
 * to the workspace and must stay inside it (symlinks included).
 *
 * Writes of one file are serialized (a queue per real path, shared by every Workspace of this process)
 * and the version check runs inside that turn, so two clients saving from the same version get one
 * success and one conflict. Every save changes the file's mtime (the version clients send back), even
 * when the clock has not ticked since the previous one.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, realpath, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { NotebookFile, WorkspaceEntry } from '../../shared/backend-contract.js';
import { isUserError, UserError } from '../../shared/errors.js';
import { decodeNotebookBytes, parseNotebook } from '../../shared/ipynb-codec.js';
import { ensureFolderFor, writeFileAtomic, writeTarget } from '../fs/atomic-write.js';

const STATE_DIR = '.babelscope';
const RECENT_MAX = 12;

export class Workspace {
  private recentsSkipped = false;
  constructor(readonly root: string) {}

  /** The absolute path of a workspace-relative path; refuses anything that leaves the workspace. */
  async resolve(rel: string, { mustExist = true } = {}): Promise<string> {
    if (rel.includes('\0')) throw new UserError('the path contains a NUL character');
    const abs = resolve(this.root, rel);
    const inside = (p: string, root: string) => p === root || p.startsWith(root + sep);
    const root = await realpath(this.root);
    if (!inside(abs, resolve(this.root))) throw new UserError(`${rel} is outside the workspace`, `Open files under ${this.root}, or serve another folder: babelscope serve DIR`);
    // The real path too: a symlink inside the workspace must not lead out of it.
    let probe = abs;
    while (!existsSync(probe)) {
      if (mustExist) throw new UserError(`${rel} does not exist`, 'It may have been moved or deleted; pick it again in the file browser.');
      probe = dirname(probe);
    }
    if (!inside(await realpath(probe), root)) throw new UserError(`${rel} is outside the workspace (through a symbolic link)`);
    return abs;
  }

  private rel(abs: string): string {
    return relative(this.root, abs).split(sep).join('/');
  }

  async list(dir: string): Promise<{ dir: string; entries: WorkspaceEntry[] }> {
    const abs = await this.resolve(dir);
    const names = await readdir(abs, { withFileTypes: true });
    const entries: WorkspaceEntry[] = [];
    for (const d of names) {
      // SQLite's sidecars (-wal, -shm, -journal) belong to their store and are never opened alone.
      if (d.name.startsWith('.') || d.name === 'node_modules' || /-(wal|shm|journal)$/.test(d.name)) continue;
      const p = join(abs, d.name);
      const s = await stat(p).catch(() => null);
      if (!s) continue;
      entries.push({ name: d.name, path: this.rel(p), kind: s.isDirectory() ? 'dir' : d.name.endsWith('.ipynb') ? 'notebook' : d.name.endsWith('.db') ? 'store' : 'file', mtimeMs: s.mtimeMs });
    }
    entries.sort((a, b) => (a.kind === 'dir') !== (b.kind === 'dir') ? (a.kind === 'dir' ? -1 : 1) : a.name.localeCompare(b.name));
    return { dir: this.rel(abs), entries };
  }

  async read(path: string): Promise<NotebookFile> {
    const abs = await this.resolve(path);
    const s = await stat(abs);
    if (s.isDirectory()) throw new UserError(`${path} is a folder`, 'Pick a .ipynb file.');
    const text = decodeNotebookBytes(await readFile(abs), path);
    await this.remember(path);
    const draft = await this.recovery(path);
    return { path: this.rel(abs), text, mtimeMs: s.mtimeMs, ...(draft && draft.savedAt > s.mtimeMs && draft.text !== text ? { recovery: draft } : {}) };
  }

  async stat(path: string): Promise<{ mtimeMs: number | null }> {
    const abs = await this.resolve(path, { mustExist: false });
    const s = await stat(abs).catch(() => null);
    return { mtimeMs: s ? s.mtimeMs : null };
  }

  /**
   * Writes atomically (src/main/fs/atomic-write.ts). `expectMtimeMs` is when the caller last read or
   * wrote the file: if it changed since (another program, another window), nothing is written.
   */
  async write(path: string, text: string, expectMtimeMs?: number | null): Promise<{ mtimeMs: number }> {
    if (!path.endsWith('.ipynb')) throw new UserError(`${path} is not a notebook file name`, 'Notebooks end in .ipynb.');
    const abs = await this.resolve(path, { mustExist: false });
    // What is written must open again (here, in Jupyter, in VS Code): the notebook reader checks it.
    parseNotebook(text, path);
    const target = await this.writeTargetInside(path, abs);
    const mtimeMs = await serialized(target, async () => {
      const before = await stat(abs).catch(() => null);
      if (expectMtimeMs !== undefined) {
        const now = before?.mtimeMs ?? null;
        if (expectMtimeMs === null && now !== null) throw new UserError(`${path} already exists`, 'Choose another name, or open that notebook.');
        if (expectMtimeMs !== null && now !== expectMtimeMs)
          throw new UserError(`${path} changed on disk since it was opened`, 'Reload it to see the other changes, or use Save As to keep both.');
      }
      await ensureFolderFor(target, { what: path });
      await writeFileAtomic(target, text, { what: path });
      let after = await stat(abs);
      // The file system's clock ticks coarsely (a few ms): a save within one tick would keep the version.
      if (before && after.mtimeMs <= before.mtimeMs) {
        await utimes(abs, after.atime, new Date(Math.floor(before.mtimeMs) + 1));
        after = await stat(abs);
      }
      return after.mtimeMs;
    });
    await this.discardRecovery(path).catch(() => undefined);
    await this.remember(path);
    return { mtimeMs };
  }

  /** The file a write of `abs` replaces (through symlinks), refused when it lies outside the workspace. */
  private async writeTargetInside(rel: string, abs: string): Promise<string> {
    const target = writeTarget(abs);
    if (target === abs) return abs;
    let probe = dirname(target);
    while (!existsSync(probe)) probe = dirname(probe);
    const root = await realpath(this.root);
    const real = await realpath(probe);
    if (real !== root && !real.startsWith(root + sep)) throw new UserError(`${rel} is outside the workspace (through a symbolic link)`);
    return target;
  }

  private recoveryPath(path: string): string {
    return join(this.root, STATE_DIR, 'recovery', `${createHash('sha256').update(path).digest('hex').slice(0, 24)}.json`);
  }

  async autosave(path: string, text: string): Promise<{ savedAt: number }> {
    const abs = await this.resolve(path, { mustExist: false });
    const file = this.recoveryPath(path);
    // The draft is as private as its notebook (a 0600 notebook gets a 0600 draft).
    const mode = (await stat(abs).catch(() => null))?.mode;
    await ensureFolderFor(file, { what: `the unsaved copy of ${path}` });
    const savedAt = Date.now();
    await serialized(file, () =>
      writeFileAtomic(file, JSON.stringify({ path, savedAt, text }), { what: `the unsaved copy of ${path}`, ...(mode !== undefined ? { mode: mode & 0o666 } : {}) }),
    );
    return { savedAt };
  }

  async recovery(path: string): Promise<{ text: string; savedAt: number } | null> {
    try {
      const d = JSON.parse(await readFile(this.recoveryPath(path), 'utf8')) as { path: string; savedAt: number; text: string };
      return d.path === path && typeof d.text === 'string' ? { text: d.text, savedAt: d.savedAt } : null;
    } catch {
      return null;
    }
  }

  async discardRecovery(path: string): Promise<void> {
    await rm(this.recoveryPath(path), { force: true });
  }

  async recent(): Promise<string[]> {
    try {
      const list = JSON.parse(await readFile(join(this.root, STATE_DIR, 'recent.json'), 'utf8')) as unknown;
      return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string' && existsSync(join(this.root, p))) : [];
    } catch {
      return [];
    }
  }

  /**
   * Puts `path` first in the recent list. A workspace we may not write (read-only, another user's) has
   * none: its notebooks still open, they are only not remembered.
   */
  private async remember(path: string): Promise<void> {
    const file = join(this.root, STATE_DIR, 'recent.json');
    await serialized(file, async () => {
      const list = [path, ...(await this.recent()).filter((p) => p !== path)].slice(0, RECENT_MAX);
      try {
        await ensureFolderFor(file, { what: 'the recent notebooks list' });
        await writeFileAtomic(file, JSON.stringify(list), { what: 'the recent notebooks list' });
      } catch (e) {
        if (!isUserError(e)) throw e; // not writable, full, read-only: the notebook opens all the same
        if (!this.recentsSkipped) process.stderr.write(`note: recent notebooks are not remembered (${e.message})\n`);
        this.recentsSkipped = true;
      }
    });
  }
}

/** Runs `fn` after every earlier call for the same `key` (an absolute path) has finished. */
const queues = new Map<string, Promise<unknown>>();
async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const turn = previous.then(fn, fn);
  const settled = turn.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  try {
    return await turn;
  } finally {
    if (queues.get(key) === settled) queues.delete(key);
  }
}
