/**
 * The notebook: cells (Monaco TypeScript or Markdown), Jupyter's command and edit modes and keys,
 * running through the notebook's own kernel process with outputs streaming in, saving (atomic, refusing
 * to overwrite changes made by others), autosave for crash recovery, and noticing changes on disk.
 */
import type { KernelOutputEvent, KernelStatusEvent, KernelUpdateEvent, NotebookFile } from '../../shared/backend-contract.js';
import {
  changeCellType,
  deleteCell,
  insertCell,
  mergeWithNext,
  moveCell,
  newCell,
  newNotebook,
  splitCell,
  type CellType,
  type NbCell,
  type NbOutput,
  type NotebookDoc,
} from '../../shared/notebook-doc.js';
import { parseNotebook, runRefusal, serializeNotebook } from '../../shared/ipynb-codec.js';
import type { Connection } from '../connection.js';
import { renderMarkdown } from '../markdown.js';
import { recheckCells, setCellOrder } from './cell-diagnostics.js';
import { cellModelUri, createCellEditor, highlightLine, monaco } from './editor.js';
import { errorLine, renderOutput, updateOutput } from './outputs.js';

const AUTOSAVE_MS = 1500;
/** After typing stops in a cell, the cells below it are re-checked (they see its declarations). */
const RECHECK_BELOW_MS = 600;
const DISK_CHECK_MS = 2000;
/** How many deletions Z can undo. */
const UNDO_DELETES = 50;

interface CellView {
  cell: NbCell;
  root: HTMLElement;
  count: HTMLElement;
  editorHost: HTMLElement;
  rendered: HTMLElement;
  outputs: HTMLElement;
  editor: monaco.editor.IStandaloneCodeEditor | null;
  clearHighlight: (() => void) | null;
  state: 'idle' | 'queued' | 'running';
  /** Outputs of the current run shown with a display id (progress bars): `kernel.update` replaces them in place. */
  displays: Map<string, NbOutput>;
}

export interface NotebookUi {
  cells: HTMLElement;
  name: HTMLElement;
  dirty: HTMLElement;
  kernelStatus: HTMLElement;
  banner: HTMLElement;
  /** Shows an error the user should see (message + hint). */
  showError(e: unknown): void;
  /** Asks for a workspace-relative path (Save As, New). */
  askPath(title: string, initial: string): Promise<string | null>;
  onOpened(path: string | null): void;
}

export class NotebookView {
  path: string | null = null;
  private mtimeMs: number | null = null;
  private doc: NotebookDoc = newNotebook();
  private views: CellView[] = [];
  private selected = 0;
  private mode: 'command' | 'edit' = 'command';
  private dirty = false;
  /** Why the kernel cannot run this notebook (another language): kept in the banner whatever else it says. */
  private refusalText: string | null = null;
  private session: string | null = null;
  private sessionPath: string | null = null;
  private queue: CellView[] = [];
  private running: CellView | null = null;
  private autosaveTimer: number | undefined;
  /** The last autosave's error message ('' when it worked). */
  private autosaveProblem = '';
  private lastKey = '';
  private checkingDisk = false;
  private recheckTimer: number | undefined;
  /** Deleted cells (with their outputs) and where they were, latest last: Z puts them back. */
  private deleted: { cell: NbCell; index: number }[] = [];
  /**
   * Cells whose outputs may run scripts (Jupyter's trust model): produced by running them here, or
   * loaded from a notebook the backend says is trusted. Others' HTML is shown without scripts.
   */
  private trustedCells = new WeakSet<NbCell>();
  private readonly cleanup: (() => void)[] = [];

  constructor(
    private readonly conn: Connection,
    private readonly ui: NotebookUi,
  ) {
    this.cleanup.push(conn.on('kernel.output', (d) => this.onOutput(d as KernelOutputEvent)));
    this.cleanup.push(conn.on('kernel.update', (d) => this.onUpdate(d as KernelUpdateEvent)));
    this.cleanup.push(conn.on('kernel.status', (d) => this.onStatus(d as KernelStatusEvent)));
    document.addEventListener('keydown', (e) => this.onCommandKey(e));
    window.addEventListener('beforeunload', (e) => {
      if (this.dirty) e.preventDefault();
    });
    window.setInterval(() => void this.checkDisk(), DISK_CHECK_MS);
    this.load(newNotebook(), null, null);
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  // ---- files ----

  async open(file: NotebookFile): Promise<void> {
    if (this.dirty && !confirm(`Discard the unsaved changes to ${this.path ?? 'this notebook'}?`)) return;
    const doc = parseNotebook(file.text, file.path);
    await this.stopKernel();
    this.load(doc, file.path, file.mtimeMs, file.trusted ?? false);
    if (file.recovery) this.offerRecovery(file.recovery);
  }

  /** A notebook not in the workspace (the shell's open dialog): it is saved with Save As. */
  async openUnsaved(text: string, name: string): Promise<void> {
    if (this.dirty && !confirm(`Discard the unsaved changes to ${this.path ?? 'this notebook'}?`)) return;
    const doc = parseNotebook(text, name);
    await this.stopKernel();
    // A file from outside the workspace: its outputs were not made here.
    this.load(doc, null, null, false);
    this.setDirty(true);
  }

  async create(): Promise<void> {
    const path = await this.ui.askPath('New notebook', 'Untitled.ipynb');
    if (!path) return;
    const doc = newNotebook();
    const { mtimeMs } = await this.conn.call('notebook.write', { path, text: serializeNotebook(doc), expectMtimeMs: null });
    await this.stopKernel();
    this.load(doc, path, mtimeMs);
  }

  async save(): Promise<void> {
    if (!this.path) return this.saveAs();
    this.syncSources();
    const { mtimeMs } = await this.conn.call('notebook.write', { path: this.path, text: serializeNotebook(this.doc), expectMtimeMs: this.mtimeMs, trusted: this.allTrusted() });
    this.mtimeMs = mtimeMs;
    this.setDirty(false);
    this.setBanner(this.refusalText);
    this.noticeUntrusted();
  }

  async saveAs(): Promise<void> {
    const path = await this.ui.askPath('Save notebook as', this.path ?? 'Untitled.ipynb');
    if (!path) return;
    this.syncSources();
    const { mtimeMs } = await this.conn.call('notebook.write', { path, text: serializeNotebook(this.doc), expectMtimeMs: null, trusted: this.allTrusted() });
    if (path !== this.path) await this.stopKernel();
    this.path = path;
    this.mtimeMs = mtimeMs;
    this.setDirty(false);
    this.ui.onOpened(path);
  }

  private load(doc: NotebookDoc, path: string | null, mtimeMs: number | null, trusted = true): void {
    for (const v of this.views) this.unmount(v);
    if (trusted) for (const cell of doc.cells) this.trustedCells.add(cell);
    this.doc = doc;
    this.path = path;
    this.mtimeMs = mtimeMs;
    this.views = [];
    this.deleted = [];
    this.ui.cells.replaceChildren();
    this.syncCellScope(doc.cells);
    for (const cell of doc.cells) this.views.push(this.mountCell(cell, this.views.length));
    this.selected = 0;
    this.mode = 'command';
    this.setDirty(false);
    const refusal = runRefusal(doc, path ?? 'this notebook');
    this.refusalText = refusal ? `${refusal.message}.` : null;
    this.setBanner(this.refusalText);
    this.noticeUntrusted();
    this.select(0);
    this.ui.onOpened(path);
    this.setKernelStatus(this.session ? 'idle' : 'none');
  }

  /** The code cells' models, top to bottom: each sees the declarations of those above it. */
  private codeModels(views = this.views): monaco.editor.ITextModel[] {
    return views.flatMap((v) => {
      const model = v.cell.cell_type === 'code' ? v.editor?.getModel() : null;
      return model ? [model] : [];
    });
  }

  /** Tells the TypeScript worker the code cells, top to bottom (which cells each one sees). */
  private syncCellScope(cells: readonly NbCell[]): void {
    setCellOrder(cells.filter((c) => c.cell_type === 'code').map((c) => cellModelUri(c.id, true)));
  }

  /** A code cell was edited: once typing pauses, re-check the code cells below it. */
  private recheckBelow(view: CellView): void {
    clearTimeout(this.recheckTimer);
    this.recheckTimer = window.setTimeout(() => {
      const at = this.views.indexOf(view);
      if (at >= 0) void recheckCells(this.codeModels(this.views.slice(at + 1))).catch(() => {});
    }, RECHECK_BELOW_MS);
  }

  private isTrusted(cell: NbCell): boolean {
    return this.trustedCells.has(cell) || !cell.outputs?.length;
  }

  /** Every output was produced here or trusted: a save signs them (the notebook opens trusted next time). */
  private allTrusted(): boolean {
    return this.views.every((v) => this.isTrusted(v.cell));
  }

  /** Says so when outputs that would run scripts are shown without them, with the Trust action. */
  private noticeUntrusted(): void {
    const scripted = this.views.some((v) => !this.isTrusted(v.cell) && (v.cell.outputs ?? []).some((o) => ['text/html', 'application/javascript'].some((m) => (o['data'] as Record<string, unknown> | undefined)?.[m] !== undefined)));
    if (!scripted) return;
    const untrusted = 'This notebook was not run here: its HTML outputs are shown without scripts.';
    this.setBanner(this.refusalText ? `${this.refusalText} ${untrusted}` : untrusted, [['Trust this notebook', () => void this.trust().catch((e) => this.ui.showError(e))]]);
    this.ui.banner.dataset['untrusted'] = '1';
  }

  /** The user trusts the notebook (like `jupyter trust`): its outputs are drawn again with scripts, and the file is signed. */
  async trust(): Promise<void> {
    for (const v of this.views) {
      if (this.isTrusted(v.cell)) continue;
      this.trustedCells.add(v.cell);
      v.outputs.replaceChildren();
      for (const o of v.cell.outputs ?? []) renderOutput(v.outputs, o, () => this.figureName(v), { trusted: true });
    }
    this.setBanner(this.refusalText);
    // Unsaved outputs are signed by the next save (all of them are trusted now).
    if (this.path && !this.dirty) await this.conn.call('notebook.trust', { path: this.path });
  }

  private offerRecovery(recovery: { text: string; savedAt: number; trusted?: boolean }): void {
    this.setBanner(`Unsaved changes from ${new Date(recovery.savedAt).toLocaleString()} were kept when the app stopped.`, [
      [
        'Recover them',
        () => {
          const path = this.path;
          const mtime = this.mtimeMs;
          this.load(parseNotebook(recovery.text, path ?? 'the recovered notebook'), path, mtime, recovery.trusted ?? false);
          this.setDirty(true);
        },
      ],
      ['Discard', () => void this.conn.call('notebook.discardRecovery', { path: this.path! }).then(() => this.setBanner(this.refusalText))],
    ]);
  }

  /** Another program changed the file: reload it when nothing here is unsaved, otherwise ask. */
  private async checkDisk(): Promise<void> {
    if (!this.path || this.checkingDisk) return;
    this.checkingDisk = true;
    try {
      const path = this.path;
      const { mtimeMs } = await this.conn.call('notebook.stat', { path });
      if (path !== this.path || mtimeMs === this.mtimeMs || mtimeMs === null) return;
      if (!this.dirty) {
        const file = await this.conn.call('notebook.read', { path });
        const session = this.session;
        this.load(parseNotebook(file.text, path), path, file.mtimeMs, file.trusted ?? false);
        this.session = session;
        this.setBanner(`${path} was changed on disk and has been reloaded.`, [['OK', () => this.setBanner(this.refusalText)]]);
      } else if (!this.ui.banner.dataset['external']) {
        this.setBanner(`${path} was changed on disk by another program.`, [
          ['Reload theirs', () => void this.conn.call('notebook.read', { path }).then((f) => this.load(parseNotebook(f.text, path), path, f.mtimeMs, f.trusted ?? false))],
          ['Keep mine (overwrite on save)', () => ((this.mtimeMs = mtimeMs), this.setBanner(this.refusalText))],
        ]);
        this.ui.banner.dataset['external'] = '1';
      }
    } catch {
      // The backend may be restarting; the next check tries again.
    } finally {
      this.checkingDisk = false;
    }
  }

  private setBanner(text: string | null, actions: [string, () => void][] = []): void {
    const b = this.ui.banner;
    delete b.dataset['external'];
    delete b.dataset['untrusted'];
    b.replaceChildren();
    b.hidden = text === null;
    if (text === null) return;
    const span = document.createElement('span');
    span.textContent = text;
    b.append(span);
    for (const [label, act] of actions) {
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.textContent = label;
      btn.addEventListener('click', act);
      b.append(btn);
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
    this.syncSources();
    try {
      await this.conn.call('notebook.autosave', { path: this.path, text: serializeNotebook(this.doc), trusted: this.allTrusted() });
      this.autosaveProblem = '';
    } catch (e) {
      // Said once per kind of failure, not at every keystroke's autosave.
      const problem = (e as Error).message;
      if (problem !== this.autosaveProblem) this.ui.showError(e);
      this.autosaveProblem = problem;
    }
  }

  private changed(): void {
    this.setDirty(true);
  }

  private syncSources(): void {
    this.doc.cells = this.views.map((v) => v.cell);
  }

  // ---- cells ----

  private mountCell(cell: NbCell, index: number): CellView {
    const root = document.createElement('div');
    root.className = `cell ${cell.cell_type}`;
    root.dataset['id'] = cell.id;
    const gutter = document.createElement('div');
    gutter.className = 'cell-gutter';
    const count = document.createElement('span');
    count.className = 'exec-count';
    gutter.append(count);
    const main = document.createElement('div');
    main.className = 'cell-main';
    const editorHost = document.createElement('div');
    editorHost.className = 'editor-host';
    const rendered = document.createElement('div');
    rendered.className = 'markdown rendered';
    const outputs = document.createElement('div');
    outputs.className = 'outputs';
    main.append(editorHost, rendered, outputs);
    root.append(gutter, main);
    const view: CellView = { cell, root, count, editorHost, rendered, outputs, editor: null, clearHighlight: null, state: 'idle', displays: new Map() };
    root.addEventListener('mousedown', () => this.select(this.views.indexOf(view), false));
    rendered.addEventListener('dblclick', () => this.edit(this.views.indexOf(view)));
    const before = this.ui.cells.children[index];
    this.ui.cells.insertBefore(root, before ?? null);
    if (cell.cell_type === 'markdown' && cell.source.trim() !== '') this.renderMarkdownCell(view);
    else this.ensureEditor(view);
    this.renderCount(view);
    for (const o of cell.outputs ?? []) renderOutput(outputs, o, () => this.figureName(view), { trusted: this.isTrusted(cell) });
    return view;
  }

  private figureName(view: CellView): string {
    const base = (this.path?.split('/').pop() ?? 'notebook').replace(/\.ipynb$/, '');
    return `${base}-cell${this.views.indexOf(view) + 1}`;
  }

  private ensureEditor(view: CellView): monaco.editor.IStandaloneCodeEditor {
    if (view.editor) return view.editor;
    view.rendered.hidden = true;
    view.editorHost.hidden = false;
    view.editor = createCellEditor(view.editorHost, {
      cellId: view.cell.id,
      language: view.cell.cell_type === 'code' ? 'typescript' : view.cell.cell_type === 'markdown' ? 'markdown' : 'plaintext',
      value: view.cell.source,
      onChange: (v) => {
        view.cell.source = v;
        view.clearHighlight?.();
        view.clearHighlight = null;
        this.changed();
        if (view.cell.cell_type === 'code') this.recheckBelow(view);
      },
      onFocus: () => {
        this.select(this.views.indexOf(view), false);
        this.mode = 'edit';
        view.root.classList.add('editing');
      },
      onBlur: () => view.root.classList.remove('editing'),
      onKey: (e, editor) => this.onEditKey(e, editor, view),
    });
    return view.editor;
  }

  private renderMarkdownCell(view: CellView): void {
    // Disposing a focused editor sends no blur: the cell leaves edit mode here.
    view.root.classList.remove('editing');
    view.editor?.dispose();
    view.editor = null;
    view.editorHost.replaceChildren();
    view.editorHost.style.height = '';
    view.editorHost.hidden = true;
    view.rendered.hidden = false;
    renderMarkdown(view.rendered, view.cell.source.trim() === '' ? '*Empty Markdown cell: double-click to edit.*' : view.cell.source);
  }

  private renderCount(view: CellView): void {
    if (view.cell.cell_type !== 'code') return void (view.count.textContent = '');
    view.count.textContent = view.state === 'idle' ? `[${view.cell.execution_count ?? ' '}]:` : '[*]:';
    view.root.classList.toggle('running', view.state === 'running');
    view.root.classList.toggle('queued', view.state === 'queued');
  }

  select(index: number, scroll = true): void {
    if (index < 0 || index >= this.views.length) return;
    this.views[this.selected]?.root.classList.remove('selected');
    this.selected = index;
    const v = this.views[index]!;
    v.root.classList.add('selected');
    if (scroll) v.root.scrollIntoView({ block: 'nearest' });
  }

  /** Edit mode on a cell: its editor gets the focus. */
  edit(index: number): void {
    const v = this.views[index];
    if (!v) return;
    this.select(index);
    this.mode = 'edit';
    this.ensureEditor(v).focus();
  }

  /** Command mode: the editor lets go of the keyboard; the selected cell keeps its highlight. */
  command(): void {
    this.mode = 'command';
    const v = this.views[this.selected];
    if (v?.cell.cell_type === 'markdown' && v.cell.source.trim() !== '') this.renderMarkdownCell(v);
    (document.activeElement as HTMLElement | null)?.blur();
    this.ui.cells.focus();
  }

  /** Shows a new cell list: views of unchanged cells are kept (editor, outputs, run state), others made or dropped. */
  private replaceCells(cells: NbCell[], select: number, editAfter = false): void {
    this.syncCellScope(cells);
    const old = new Map(this.views.map((v) => [v.cell.id, v]));
    const next: CellView[] = [];
    for (const cell of cells) {
      const kept = old.get(cell.id);
      if (kept && kept.cell === cell) {
        next.push(kept);
        old.delete(cell.id);
        continue;
      }
      if (kept) this.unmount(kept), old.delete(cell.id);
      next.push(this.mountCell(cell, next.length));
    }
    for (const gone of old.values()) this.unmount(gone);
    this.views = next;
    this.ui.cells.replaceChildren(...next.map((v) => v.root));
    this.syncSources();
    this.changed();
    this.selected = Math.min(this.selected, next.length - 1);
    for (const v of next) v.root.classList.remove('selected');
    this.select(Math.max(0, Math.min(select, next.length - 1)));
    if (editAfter) this.edit(this.selected);
  }

  private unmount(v: CellView): void {
    const model = v.editor?.getModel();
    v.editor?.dispose();
    model?.dispose();
    v.editor = null;
    v.root.remove();
    this.queue = this.queue.filter((q) => q !== v);
  }

  /** A new cell above or below the selected one; `edit`: its editor takes the focus (Jupyter's A and B leave the keyboard in command mode). */
  insert(where: 'above' | 'below', type: CellType = 'code', edit = true): void {
    const at = where === 'above' ? this.selected : this.selected + 1;
    this.replaceCells(insertCell(this.cells(), at, newCell(type)), at, edit);
  }

  remove(): void {
    const cell = this.views[this.selected]?.cell;
    if (!cell) return;
    this.deleted.push({ cell, index: this.selected });
    if (this.deleted.length > UNDO_DELETES) this.deleted.shift();
    this.replaceCells(deleteCell(this.cells(), this.selected), this.selected);
  }

  /** Jupyter's Z: the last deleted cell back where it was, with its source and outputs, selected. */
  undoDelete(): void {
    const last = this.deleted.pop();
    if (!last) return;
    const at = Math.min(last.index, this.views.length);
    this.replaceCells(insertCell(this.cells(), at, last.cell), at);
  }

  move(by: -1 | 1): void {
    this.replaceCells(moveCell(this.cells(), this.selected, by), this.selected + by);
  }

  split(): void {
    const v = this.views[this.selected];
    if (!v?.editor) return;
    const offset = v.editor.getModel()!.getOffsetAt(v.editor.getPosition()!);
    this.replaceCells(splitCell(this.cells(), this.selected, offset), this.selected + 1, true);
  }

  mergeBelow(): void {
    this.replaceCells(mergeWithNext(this.cells(), this.selected), this.selected);
  }

  setType(type: CellType): void {
    const cells = this.cells();
    cells[this.selected] = changeCellType(cells[this.selected]!, type);
    this.replaceCells(cells, this.selected);
  }

  private cells(): NbCell[] {
    return this.views.map((v) => v.cell);
  }

  // ---- keys ----

  private onEditKey(e: monaco.IKeyboardEvent, editor: monaco.editor.IStandaloneCodeEditor, view: CellView): boolean {
    const K = monaco.KeyCode;
    const mod = e.ctrlKey || e.metaKey;
    if (e.keyCode === K.Escape) return this.command(), true;
    if (e.keyCode === K.Enter && e.shiftKey && !mod) return void this.runAndAdvance(this.views.indexOf(view)), true;
    if (e.keyCode === K.Enter && mod) return void this.runCell(this.views.indexOf(view)), true;
    if (e.keyCode === K.Enter && e.altKey) return void this.runCell(this.views.indexOf(view)).then(() => this.insert('below')), true;
    if (e.keyCode === K.Minus && mod && e.shiftKey) return this.split(), true;
    if (e.keyCode === K.KeyS && mod) return void this.save().catch((err) => this.ui.showError(err)), true;
    void editor;
    return false;
  }

  /** Command-mode keys (Jupyter's): only when no editor or form field has the focus. */
  private onCommandKey(e: KeyboardEvent): void {
    if (!this.ui.cells.isConnected || this.ui.cells.closest('[hidden]')) return;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === 's') {
      e.preventDefault();
      void (e.shiftKey ? this.saveAs() : this.save()).catch((err) => this.ui.showError(err));
      return;
    }
    const target = e.target as HTMLElement | null;
    if (target && (target.closest('.monaco-editor') || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName) || target.isContentEditable)) return;
    if (document.querySelector('dialog[open]')) return;
    const key = e.key;
    const handled = (() => {
      if (key === 'Enter' && e.shiftKey) return void this.runAndAdvance(this.selected), true;
      if (key === 'Enter' && mod) return void this.runCell(this.selected), true;
      if (key === 'Enter') return this.edit(this.selected), true;
      if (mod || e.altKey) return false;
      if (key === 'ArrowUp' || key === 'k') return this.select(this.selected - 1), true;
      if (key === 'ArrowDown' || key === 'j') return this.select(this.selected + 1), true;
      if (key === 'a') return this.insert('above', 'code', false), true;
      if (key === 'b') return this.insert('below', 'code', false), true;
      if (key === 'm') return this.setType('markdown'), true;
      if (key === 'y') return this.setType('code'), true;
      if (key === 'd' && this.lastKey === 'd') return (this.lastKey = ''), this.remove(), true;
      if (key === 'd') return (this.lastKey = 'd'), true;
      if (key === 'M' && e.shiftKey) return this.mergeBelow(), true;
      if (key === 'z') return this.undoDelete(), true;
      if (key === 'i' && this.lastKey === 'i') return (this.lastKey = ''), void this.interrupt(), true;
      if (key === 'i') return (this.lastKey = 'i'), true;
      if (key === '0' && this.lastKey === '0') return (this.lastKey = ''), void this.restart(), true;
      if (key === '0') return (this.lastKey = '0'), true;
      return false;
    })();
    if (!['d', 'i', '0'].includes(key)) this.lastKey = '';
    if (handled) e.preventDefault();
  }

  // ---- kernel ----

  private async ensureSession(): Promise<string> {
    if (this.session && this.sessionPath === this.path) return this.session;
    if (this.session) await this.stopKernel();
    this.setKernelStatus('starting');
    const { session } = await this.conn.call('kernel.start', { path: this.path ?? '' });
    this.session = session;
    this.sessionPath = this.path;
    return session;
  }

  private async stopKernel(): Promise<void> {
    this.queue = [];
    const s = this.session;
    this.session = null;
    if (s) await this.conn.call('kernel.shutdown', { session: s }).catch(() => {});
    this.setKernelStatus('none');
  }

  private setKernelStatus(state: string, message?: string): void {
    const el = this.ui.kernelStatus;
    el.dataset['state'] = state;
    el.textContent = state === 'none' ? 'no kernel' : `kernel ${state}`;
    el.title = message ?? (state === 'busy' ? 'A cell is running (I, I interrupts)' : 'The notebook’s kernel');
    document.body.classList.toggle('kernel-busy', state === 'busy');
  }

  private onStatus(e: KernelStatusEvent): void {
    if (e.session !== this.session) return;
    this.setKernelStatus(e.state, e.message);
    if (e.state === 'dead' && e.message) this.ui.showError(new Error(e.message));
  }

  private onOutput(e: KernelOutputEvent): void {
    if (e.session !== this.session) return;
    const view = this.views.find((v) => v.cell.id === e.cellId);
    if (!view) return;
    // The display id is transient (nbformat has no place for it): kept beside the output, not in the file.
    const { transient, ...o } = e.output as NbOutput & { transient?: { display_id?: string } };
    const displayId = typeof transient?.display_id === 'string' ? transient.display_id : undefined;
    // Streams arrive in chunks: keep one stream output per run of chunks, as Jupyter's files do.
    const outs = (view.cell.outputs ??= []);
    const last = outs[outs.length - 1];
    if (o.output_type === 'stream' && last?.output_type === 'stream' && last['name'] === o['name']) last['text'] = String(last['text']) + String(o['text']);
    else outs.push(o);
    if (displayId) view.displays.set(displayId, o);
    renderOutput(view.outputs, o, () => this.figureName(view), { ...(displayId ? { displayId } : {}), cancel: () => void this.interrupt(), trusted: true });
    if (o.output_type === 'error' && view.editor) {
      const line = errorLine(o, view.cell.execution_count != null ? `cell [${view.cell.execution_count}]` : undefined);
      if (line !== null) view.clearHighlight = highlightLine(view.editor, line);
    }
  }

  /** A display of a cell was updated (a progress bar moved): its output takes the new data, in the page and in the file. */
  private onUpdate(e: KernelUpdateEvent): void {
    if (e.session !== this.session) return;
    const view = this.views.find((v) => v.cell.id === e.cellId);
    const shown = view?.displays.get(e.displayId);
    if (!view || !shown) return;
    const { transient: _t, ...o } = e.output as NbOutput & { transient?: unknown };
    shown['data'] = o['data'];
    shown['metadata'] = o['metadata'] ?? {};
    updateOutput(view.outputs, e.displayId, shown, () => this.figureName(view), { cancel: () => void this.interrupt(), trusted: true });
    this.changed();
  }

  async runCell(index: number): Promise<void> {
    const v = this.views[index];
    if (!v) return;
    if (v.cell.cell_type === 'markdown') return this.renderMarkdownCell(v);
    if (v.cell.cell_type !== 'code' || v.state !== 'idle') return;
    v.state = 'queued';
    this.renderCount(v);
    this.queue.push(v);
    await this.drain();
  }

  async runAndAdvance(index: number): Promise<void> {
    const run = this.runCell(index);
    if (index + 1 >= this.views.length) this.insert('below');
    else {
      this.select(index + 1);
      const next = this.views[index + 1]!;
      if (next.editor && this.mode === 'edit') next.editor.focus();
      else this.command();
    }
    await run;
  }

  async runRange(from: number, to: number): Promise<void> {
    const runs: Promise<void>[] = [];
    for (let i = Math.max(0, from); i < Math.min(to, this.views.length); i++) runs.push(this.runCell(i));
    await Promise.all(runs);
  }

  runAll = () => this.runRange(0, this.views.length);
  runAbove = () => this.runRange(0, this.selected);
  runBelow = () => this.runRange(this.selected, this.views.length);

  private draining = false;
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length) {
        const v = this.queue.shift()!;
        if (!this.views.includes(v)) continue;
        v.state = 'running';
        this.running = v;
        this.renderCount(v);
        v.outputs.replaceChildren();
        v.cell.outputs = [];
        // What this run shows is produced here: trusted.
        this.trustedCells.add(v.cell);
        v.displays.clear();
        v.clearHighlight?.();
        v.clearHighlight = null;
        let status = 'error';
        try {
          const refusal = runRefusal(this.doc, this.path ?? 'this notebook');
          if (refusal) throw refusal;
          const session = await this.ensureSession();
          const r = await this.conn.call('kernel.execute', { session, cellId: v.cell.id, code: v.cell.source });
          status = r.status;
          v.cell.execution_count = r.executionCount;
        } catch (e) {
          this.ui.showError(e);
        } finally {
          v.state = 'idle';
          this.running = null;
          this.renderCount(v);
          this.changed();
        }
        // As Jupyter: an error stops the cells queued after it.
        if (status !== 'ok') {
          for (const q of this.queue) (q.state = 'idle'), this.renderCount(q);
          this.queue = [];
        }
      }
    } finally {
      this.draining = false;
    }
  }

  async interrupt(): Promise<void> {
    if (!this.session) return;
    for (const q of this.queue) (q.state = 'idle'), this.renderCount(q);
    this.queue = [];
    await this.conn.call('kernel.interrupt', { session: this.session }).catch((e) => this.ui.showError(e));
  }

  async restart(): Promise<void> {
    if (!this.session) return;
    for (const q of this.queue) (q.state = 'idle'), this.renderCount(q);
    this.queue = [];
    this.setKernelStatus('restarting');
    await this.conn.call('kernel.restart', { session: this.session }).catch((e) => this.ui.showError(e));
  }

  get busy(): boolean {
    return this.running !== null;
  }
}
