/**
 * The notebook's file: open, New, Save (atomic on the backend, refusing to overwrite changes made by
 * others since it was read), Save As, autosave of a draft for crash recovery and the offer to recover
 * it, and noticing changes another program made on disk. The cells themselves are the view's.
 */
import type { NotebookFile as NotebookFileData } from '../../shared/backend-contract.js';
import { parseNotebook, serializeNotebook } from '../../shared/ipynb-codec.js';
import { newNotebook, type NotebookDoc } from '../../shared/notebook-doc.js';
import type { Connection } from '../connection.js';
import type { Banner } from './banner.js';

const AUTOSAVE_MS = 1500;
const DISK_CHECK_MS = 2000;

export interface NotebookFileHost {
  /** Shows a notebook (its path null when it is not saved yet); `trusted`: its outputs may run scripts. */
  load(doc: NotebookDoc, path: string | null, mtimeMs: number | null, trusted?: boolean): void;
  /** The notebook as it is now. */
  doc(): NotebookDoc;
  /** Every output was produced here or trusted: a save signs them. */
  allTrusted(): boolean;
  stopKernel(): Promise<void>;
  /** A save went through: the banner shows the notebook's own notes again. */
  saved(): void;
}

export interface NotebookFileUi {
  name: HTMLElement;
  dirty: HTMLElement;
  banner: Banner;
  showError(e: unknown): void;
  /** Asks for a workspace-relative path (Save As, New). */
  askPath(title: string, initial: string): Promise<string | null>;
  onOpened(path: string | null): void;
}

export class NotebookFile {
  path: string | null = null;
  private mtimeMs: number | null = null;
  private dirty = false;
  private autosaveTimer: number | undefined;
  /** The last autosave's error message ('' when it worked). */
  private autosaveProblem = '';
  private checkingDisk = false;

  constructor(
    private readonly conn: Connection,
    private readonly ui: NotebookFileUi,
    private readonly host: NotebookFileHost,
  ) {
    window.addEventListener('beforeunload', (e) => {
      if (this.dirty) e.preventDefault();
    });
    window.setInterval(() => void this.checkDisk(), DISK_CHECK_MS);
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  /** The view shows a notebook read from `path` at `mtimeMs`: nothing is unsaved. */
  loaded(path: string | null, mtimeMs: number | null): void {
    this.path = path;
    this.mtimeMs = mtimeMs;
    this.setDirty(false);
  }

  async open(file: NotebookFileData): Promise<void> {
    if (this.dirty && !confirm(`Discard the unsaved changes to ${this.path ?? 'this notebook'}?`)) return;
    const doc = parseNotebook(file.text, file.path);
    await this.host.stopKernel();
    this.host.load(doc, file.path, file.mtimeMs, file.trusted ?? false);
    if (file.recovery) this.offerRecovery(file.recovery);
  }

  /** A notebook not in the workspace (the shell's open dialog): it is saved with Save As. */
  async openUnsaved(text: string, name: string): Promise<void> {
    if (this.dirty && !confirm(`Discard the unsaved changes to ${this.path ?? 'this notebook'}?`)) return;
    const doc = parseNotebook(text, name);
    await this.host.stopKernel();
    // A file from outside the workspace: its outputs were not made here.
    this.host.load(doc, null, null, false);
    this.setDirty(true);
  }

  async create(): Promise<void> {
    const path = await this.ui.askPath('New notebook', 'Untitled.ipynb');
    if (!path) return;
    const doc = newNotebook();
    const { mtimeMs } = await this.conn.call('notebook.write', { path, text: serializeNotebook(doc), expectMtimeMs: null });
    await this.host.stopKernel();
    this.host.load(doc, path, mtimeMs);
  }

  async save(): Promise<void> {
    if (!this.path) return this.saveAs();
    const { mtimeMs } = await this.conn.call('notebook.write', { path: this.path, text: serializeNotebook(this.host.doc()), expectMtimeMs: this.mtimeMs, trusted: this.host.allTrusted() });
    this.mtimeMs = mtimeMs;
    this.setDirty(false);
    this.host.saved();
  }

  async saveAs(): Promise<void> {
    const path = await this.ui.askPath('Save notebook as', this.path ?? 'Untitled.ipynb');
    if (!path) return;
    const { mtimeMs } = await this.conn.call('notebook.write', { path, text: serializeNotebook(this.host.doc()), expectMtimeMs: null, trusted: this.host.allTrusted() });
    if (path !== this.path) await this.host.stopKernel();
    this.path = path;
    this.mtimeMs = mtimeMs;
    this.setDirty(false);
    this.ui.onOpened(path);
    this.host.saved();
  }

  /** Something in the notebook changed: unsaved, and autosaved after a pause. */
  changed(): void {
    this.setDirty(true);
  }

  private offerRecovery(recovery: { text: string; savedAt: number; trusted?: boolean }): void {
    this.ui.banner.show(`Unsaved changes from ${new Date(recovery.savedAt).toLocaleString()} were kept when the app stopped.`, [
      [
        'Recover them',
        () => {
          const path = this.path;
          const mtime = this.mtimeMs;
          this.host.load(parseNotebook(recovery.text, path ?? 'the recovered notebook'), path, mtime, recovery.trusted ?? false);
          this.setDirty(true);
        },
      ],
      ['Discard', () => void this.conn.call('notebook.discardRecovery', { path: this.path! }).then(() => this.ui.banner.clear())],
    ]);
  }

  /** Another program changed the file: reload it when nothing here is unsaved, otherwise ask. */
  private async checkDisk(): Promise<void> {
    if (!this.path || this.checkingDisk) return;
    this.checkingDisk = true;
    const banner = this.ui.banner;
    try {
      const path = this.path;
      const { mtimeMs } = await this.conn.call('notebook.stat', { path });
      if (path !== this.path || mtimeMs === this.mtimeMs || mtimeMs === null) return;
      if (!this.dirty) {
        const file = await this.conn.call('notebook.read', { path });
        this.host.load(parseNotebook(file.text, path), path, file.mtimeMs, file.trusted ?? false);
        banner.show(`${path} was changed on disk and has been reloaded.`, [['OK', () => banner.clear()]]);
      } else if (!banner.shows('external')) {
        banner.show(`${path} was changed on disk by another program.`, [
          ['Reload theirs', () => void this.conn.call('notebook.read', { path }).then((f) => this.host.load(parseNotebook(f.text, path), path, f.mtimeMs, f.trusted ?? false))],
          ['Keep mine (overwrite on save)', () => ((this.mtimeMs = mtimeMs), banner.clear())],
        ]);
        banner.mark('external');
      }
    } catch {
      // The backend may be restarting; the next check tries again.
    } finally {
      this.checkingDisk = false;
    }
  }

  private setDirty(d: boolean): void {
    this.dirty = d;
    this.ui.dirty.hidden = !d;
    document.title = `${d ? '● ' : ''}${this.path?.split('/').pop() ?? 'Untitled'} — Babelscope`;
    this.ui.name.textContent = this.path ?? 'Untitled (not saved)';
    if (d && this.path) {
      clearTimeout(this.autosaveTimer);
      this.autosaveTimer = window.setTimeout(() => void this.autosave(), AUTOSAVE_MS);
    }
  }

  private async autosave(): Promise<void> {
    if (!this.dirty || !this.path) return;
    try {
      await this.conn.call('notebook.autosave', { path: this.path, text: serializeNotebook(this.host.doc()), trusted: this.host.allTrusted() });
      this.autosaveProblem = '';
    } catch (e) {
      // Said once per kind of failure, not at every keystroke's autosave.
      const problem = (e as Error).message;
      if (problem !== this.autosaveProblem) this.ui.showError(e);
      this.autosaveProblem = problem;
    }
  }
}
