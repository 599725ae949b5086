/**
 * The notebooks of one workspace folder: listing, reading, atomic writes that refuse to overwrite a
 * file someone else changed, autosaved drafts for crash recovery, recent files. Every path is relative
 * to the workspace and must stay inside it (symlinks included).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { NotebookFile, WorkspaceEntry } from '../../shared/backend-contract.js';
import { UserError } from '../../shared/errors.js';
import { decodeNotebookBytes, parseNotebook } from '../../shared/ipynb-codec.js';

const STATE_DIR = '.babelscope';
const RECENT_MAX = 12;

export class Workspace {
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
      if (d.name.startsWith('.') || d.name === 'node_modules') continue;
      const p = join(abs, d.name);
      const s = await stat(p).catch(() => null);
      if (!s) continue;
      entries.push({ name: d.name, path: this.rel(p), kind: s.isDirectory() ? 'dir' : d.name.endsWith('.ipynb') ? 'notebook' : 'file', mtimeMs: s.mtimeMs });
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
   * Writes atomically (temp file, fsync, rename). `expectMtimeMs` is when the caller last read or wrote
   * the file: if it changed since (another program, another window), nothing is written.
   */
  async write(path: string, text: string, expectMtimeMs?: number | null): Promise<{ mtimeMs: number }> {
    if (!path.endsWith('.ipynb')) throw new UserError(`${path} is not a notebook file name`, 'Notebooks end in .ipynb.');
    const abs = await this.resolve(path, { mustExist: false });
    // What is written must open again (here, in Jupyter, in VS Code): the notebook reader checks it.
    parseNotebook(text, path);
    if (expectMtimeMs !== undefined) {
      const now = (await stat(abs).catch(() => null))?.mtimeMs ?? null;
      if (expectMtimeMs === null && now !== null) throw new UserError(`${path} already exists`, 'Choose another name, or open that notebook.');
      if (expectMtimeMs !== null && now !== expectMtimeMs)
        throw new UserError(`${path} changed on disk since it was opened`, 'Reload it to see the other changes, or use Save As to keep both.');
    }
    await mkdir(dirname(abs), { recursive: true });
    await atomicWrite(abs, text);
    await this.discardRecovery(path);
    await this.remember(path);
    return { mtimeMs: (await stat(abs)).mtimeMs };
  }

  private recoveryPath(path: string): string {
    return join(this.root, STATE_DIR, 'recovery', `${createHash('sha256').update(path).digest('hex').slice(0, 24)}.json`);
  }

  async autosave(path: string, text: string): Promise<{ savedAt: number }> {
    await this.resolve(path, { mustExist: false });
    const file = this.recoveryPath(path);
    await mkdir(dirname(file), { recursive: true });
    const savedAt = Date.now();
    await atomicWrite(file, JSON.stringify({ path, savedAt, text }));
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

  private async remember(path: string): Promise<void> {
    const list = [path, ...(await this.recent()).filter((p) => p !== path)].slice(0, RECENT_MAX);
    await mkdir(join(this.root, STATE_DIR), { recursive: true });
    await atomicWrite(join(this.root, STATE_DIR, 'recent.json'), JSON.stringify(list));
  }
}

async function atomicWrite(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fh = await open(temp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

