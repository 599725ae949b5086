/**
 * The notebook on the page: the list of cells (Monaco TypeScript or Markdown), selection and Jupyter's
 * command and edit modes, cell edits (insert, delete and undo, move, split, merge, change type), which
 * outputs are trusted, and the kernel's outputs routed to their cells. It puts together the file
 * (`notebook-file.ts`), the cells' elements (`cell-view.ts`), the commands and their keys
 * (`notebook-commands.ts`) and the run queue (`execution-queue.ts`).
 */
import type { KernelOutputEvent, KernelUpdateEvent, NotebookFile as NotebookFileData } from '../../shared/backend-contract.js';
import { runRefusal } from '../../shared/ipynb-codec.js';
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
import type { Connection } from '../connection.js';
import { Banner } from './banner.js';
import { recheckCells, setCellOrder } from './cell-diagnostics.js';
import {
  appendOutput,
  createCellView,
  disposeCellView,
  ensureEditor,
  renderMarkdownCell,
  renderOutputs,
  showCellContent,
  updateDisplay,
  type CellView,
  type CellViewEvents,
  type OutputContext,
} from './cell-view.js';
import type { KeyMode, KeyStroke } from './commands.js';
import { cellModelUri, monaco } from './editor.js';
import { ExecutionQueue } from './execution-queue.js';
import { NotebookFile } from './notebook-file.js';
import { notebookCommands, type NotebookActions } from './notebook-commands.js';
import { renderOutput } from './outputs.js';

/** After typing stops in a cell, the cells below it are re-checked (they see its declarations). */
const RECHECK_BELOW_MS = 600;
/** How many deletions Z can undo. */
const UNDO_DELETES = 50;

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

export class NotebookView implements NotebookActions {
  readonly commands = notebookCommands();
  private readonly file: NotebookFile;
  private readonly execution: ExecutionQueue;
  private readonly banner: Banner;
  private doc: NotebookDoc = newNotebook();
  private views: CellView[] = [];
  selected = 0;
  private mode: 'command' | 'edit' = 'command';
  private recheckTimer: number | undefined;
  /** Deleted cells (with their outputs) and where they were, latest last: Z puts them back. */
  private deleted: { cell: NbCell; index: number }[] = [];
  /**
   * Cells whose outputs may run scripts (Jupyter's trust model): produced by running them here, or
   * loaded from a notebook the backend says is trusted. Others' HTML is shown without scripts.
   */
  private trustedCells = new WeakSet<NbCell>();
  private readonly cellEvents: CellViewEvents = {
    onMouseDown: (view) => this.select(this.views.indexOf(view), false),
    onEditRequest: (view) => this.edit(this.views.indexOf(view)),
    onSourceChange: (view) => {
      this.changed();
      if (view.cell.cell_type === 'code') this.recheckBelow(view);
    },
    onEditorFocus: (view) => {
      this.select(this.views.indexOf(view), false);
      this.mode = 'edit';
    },
    onEditorKey: (view, e) => this.onKey('edit', editorStroke(e), this.views.indexOf(view)),
  };

  constructor(
    private readonly conn: Connection,
    private readonly ui: NotebookUi,
  ) {
    this.banner = new Banner(ui.banner);
    this.banner.resting = () => this.untrustedNotice();
    this.file = new NotebookFile(conn, { ...ui, banner: this.banner }, {
      load: (doc, path, mtimeMs, trusted) => this.load(doc, path, mtimeMs, trusted),
      doc: () => this.currentDoc(),
      allTrusted: () => this.allTrusted(),
      stopKernel: () => this.execution.stopKernel(),
      saved: () => this.banner.clear(),
    });
    this.execution = new ExecutionQueue(conn, {
      doc: () => this.doc,
      path: () => this.file.path,
      has: (v) => this.views.includes(v),
      runStarting: (v) => this.trustedCells.add(v.cell),
      changed: () => this.changed(),
      showError: (e) => ui.showError(e),
      kernelStatus: ui.kernelStatus,
      interruptKeys: this.commands.keyText('interrupt'),
    });
    conn.on('kernel.output', (d) => this.onOutput(d as KernelOutputEvent));
    conn.on('kernel.update', (d) => this.onUpdate(d as KernelUpdateEvent));
    document.addEventListener('keydown', (e) => this.onDocumentKey(e));
    this.load(newNotebook(), null, null);
  }

  get path(): string | null {
    return this.file.path;
  }

  get isDirty(): boolean {
    return this.file.isDirty;
  }

  get busy(): boolean {
    return this.execution.busy;
  }

  // ---- the file ----

  open(file: NotebookFileData): Promise<void> {
    return this.file.open(file);
  }

  /** A notebook not in the workspace (the shell's open dialog): it is saved with Save As. */
  openUnsaved(text: string, name: string): Promise<void> {
    return this.file.openUnsaved(text, name);
  }

  create(): Promise<void> {
    return this.file.create();
  }

  save(): Promise<void> {
    return this.file.save();
  }

  saveAs(): Promise<void> {
    return this.file.saveAs();
  }

  private load(doc: NotebookDoc, path: string | null, mtimeMs: number | null, trusted = true): void {
    for (const v of this.views) this.unmount(v);
    if (trusted) for (const cell of doc.cells) this.trustedCells.add(cell);
    this.doc = doc;
    this.file.loaded(path, mtimeMs);
    this.views = [];
    this.deleted = [];
    this.ui.cells.replaceChildren();
    this.syncCellScope(doc.cells);
    for (const cell of doc.cells) this.views.push(this.mountCell(cell, this.views.length));
    this.selected = 0;
    this.mode = 'command';
    const refusal = runRefusal(doc, path ?? 'this notebook');
    this.banner.base = refusal ? `${refusal.message}.` : null;
    this.banner.clear();
    this.select(0);
    this.ui.onOpened(path);
    this.execution.showLoaded();
  }

  /** The notebook with the cells as they are on the page. */
  private currentDoc(): NotebookDoc {
    this.doc.cells = this.views.map((v) => v.cell);
    return this.doc;
  }

  private changed(): void {
    this.file.changed();
  }

  // ---- trust ----

  private isTrusted(cell: NbCell): boolean {
    return this.trustedCells.has(cell) || !cell.outputs?.length;
  }

  /** Every output was produced here or trusted: a save signs them (the notebook opens trusted next time). */
  private allTrusted(): boolean {
    return this.views.every((v) => this.isTrusted(v.cell));
  }

  /** The standing notice while outputs that would run scripts are shown without them, with the Trust action. */
  private untrustedNotice(): { text: string; actions: [string, () => void][] } | null {
    const scripted = this.views.some((v) => !this.isTrusted(v.cell) && (v.cell.outputs ?? []).some((o) => ['text/html', 'application/javascript'].some((m) => (o['data'] as Record<string, unknown> | undefined)?.[m] !== undefined)));
    if (!scripted) return null;
    const untrusted = 'This notebook was not run here: its HTML outputs are shown without scripts.';
    const base = this.banner.base;
    return { text: base ? `${base} ${untrusted}` : untrusted, actions: [['Trust this notebook', () => void this.trust().catch((e) => this.ui.showError(e))]] };
  }

  /** The user trusts the notebook (like `jupyter trust`): its outputs are drawn again with scripts, and the file is signed. */
  async trust(): Promise<void> {
    for (const v of this.views) {
      if (this.isTrusted(v.cell)) continue;
      this.trustedCells.add(v.cell);
      renderOutputs(v, { figureName: () => this.figureName(v), trusted: true });
    }
    this.banner.clear();
    // Unsaved outputs are signed by the next save (all of them are trusted now).
    if (this.path && !this.isDirty) await this.conn.call('notebook.trust', { path: this.path });
  }

  // ---- cells ----

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

  private mountCell(cell: NbCell, index: number): CellView {
    const view = createCellView(cell, this.cellEvents);
    const before = this.ui.cells.children[index];
    this.ui.cells.insertBefore(view.root, before ?? null);
    showCellContent(view, this.cellEvents, { figureName: () => this.figureName(view), trusted: this.isTrusted(cell) });
    return view;
  }

  private unmount(v: CellView): void {
    disposeCellView(v);
    this.execution.drop(v);
  }

  private figureName(view: CellView): string {
    const base = (this.path?.split('/').pop() ?? 'notebook').replace(/\.ipynb$/, '');
    return `${base}-cell${this.views.indexOf(view) + 1}`;
  }

  /** How a running cell's outputs are drawn: produced here, so trusted; a progress bar's Cancel interrupts. */
  private liveOutputs(view: CellView): OutputContext {
    return { figureName: () => this.figureName(view), trusted: true, cancel: () => void this.interrupt() };
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
    ensureEditor(v, this.cellEvents).focus();
  }

  /** Command mode: the editor lets go of the keyboard; the selected cell keeps its highlight. */
  command(): void {
    this.mode = 'command';
    const v = this.views[this.selected];
    if (v?.cell.cell_type === 'markdown' && v.cell.source.trim() !== '') renderMarkdownCell(v);
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
    this.currentDoc();
    this.changed();
    this.selected = Math.min(this.selected, next.length - 1);
    for (const v of next) v.root.classList.remove('selected');
    this.select(Math.max(0, Math.min(select, next.length - 1)));
    if (editAfter) this.edit(this.selected);
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

  get canSplit(): boolean {
    return Boolean(this.views[this.selected]?.editor);
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

  // ---- keys and commands ----

  /** Runs a command of the table for the selected cell (the toolbar's buttons); errors are shown. */
  run(id: string): void {
    const c = this.commands.get(id);
    if (c) void Promise.resolve(c.run({ nb: this, at: this.selected })).catch((e) => this.ui.showError(e));
  }

  /** Looks a key up in the command table; true when it was taken (a command ran, or a sequence began). */
  private onKey(mode: KeyMode, stroke: KeyStroke, at: number): boolean {
    const ctx = { nb: this, at };
    const found = this.commands.resolve(mode, stroke, ctx);
    if (found.kind === 'run') void Promise.resolve(found.command.run(ctx)).catch((e) => this.ui.showError(e));
    return found.kind !== 'none';
  }

  /** Keys on the page: the global ones (Save), then command mode's when no editor, form field or dialog has the focus. */
  private onDocumentKey(e: KeyboardEvent): void {
    if (!this.ui.cells.isConnected || this.ui.cells.closest('[hidden]')) return;
    const stroke: KeyStroke = { key: e.key, shift: e.shiftKey, mod: e.ctrlKey || e.metaKey, alt: e.altKey };
    if (this.onKey('global', stroke, this.selected)) return e.preventDefault();
    const target = e.target as HTMLElement | null;
    if (target && (target.closest('.monaco-editor') || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName) || target.isContentEditable)) return;
    if (document.querySelector('dialog[open]')) return;
    if (this.onKey('command', stroke, this.selected)) e.preventDefault();
  }

  // ---- running ----

  private onOutput(e: KernelOutputEvent): void {
    if (!this.execution.isCurrent(e.session)) return;
    const view = this.views.find((v) => v.cell.id === e.cellId);
    if (view) appendOutput(view, e.output as NbOutput, this.liveOutputs(view));
  }

  /** A display of a cell was updated (a progress bar moved): its output takes the new data, in the page and in the file. */
  private onUpdate(e: KernelUpdateEvent): void {
    if (!this.execution.isCurrent(e.session)) return;
    const view = this.views.find((v) => v.cell.id === e.cellId);
    if (view && updateDisplay(view, e.displayId, e.output as NbOutput, this.liveOutputs(view))) this.changed();
  }

  async runCell(index: number): Promise<void> {
    const v = this.views[index];
    if (!v) return;
    if (v.cell.cell_type === 'markdown') return renderMarkdownCell(v);
    await this.execution.run(v);
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

  interrupt(): Promise<void> {
    return this.execution.interrupt();
  }

  restart(): Promise<void> {
    return this.execution.restart();
  }
}

/** A key in a cell's editor, named as the command table names keys (Monaco's key codes do not depend on Shift: Ctrl+Shift+- is `-`). */
function editorStroke(e: monaco.IKeyboardEvent): KeyStroke {
  const name = monaco.KeyCode[e.keyCode] ?? e.browserEvent.key;
  const key = /^Key[A-Z]$/.test(name) ? name.slice(3) : /^Digit\d$/.test(name) ? name.slice(5) : name === 'Minus' ? '-' : name;
  return { key, shift: e.shiftKey, mod: e.ctrlKey || e.metaKey, alt: e.altKey };
}
