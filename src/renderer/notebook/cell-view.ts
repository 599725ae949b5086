/**
 * One cell on the page: its elements (execution count, editor or rendered Markdown, outputs), its editor
 * made when first needed, its run state, and its outputs as they stream in from the kernel.
 */
import type { NbCell, NbOutput } from '../../shared/notebook-doc.js';
import { renderMarkdown } from '../markdown.js';
import { createCellEditor, highlightLine, monaco } from './editor.js';
import { errorLine, renderOutput, updateOutput } from './outputs.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

export interface CellView {
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

/** What a cell's elements report to the notebook. */
export interface CellViewEvents {
  onMouseDown(view: CellView): void;
  /** Double click on rendered Markdown. */
  onEditRequest(view: CellView): void;
  onSourceChange(view: CellView): void;
  onEditorFocus(view: CellView): void;
  /** A key in the cell's editor, before Monaco's own handling; true when taken. */
  onEditorKey(view: CellView, e: monaco.IKeyboardEvent): boolean;
}

/** How a cell's outputs are drawn: the figure file name for exports, trust, and the progress bars' Cancel. */
export interface OutputContext {
  figureName(): string;
  trusted: boolean;
  cancel?: () => void;
}

/** Makes a cell's elements (not yet in the page) with its editor or rendered Markdown and its outputs. */
export function createCellView(cell: NbCell, events: CellViewEvents): CellView {
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
  const outputsEl = document.createElement('div');
  outputsEl.className = 'outputs';
  main.append(editorHost, rendered, outputsEl);
  root.append(gutter, main);
  const view: CellView = { cell, root, count, editorHost, rendered, outputs: outputsEl, editor: null, clearHighlight: null, state: 'idle', displays: new Map() };
  root.addEventListener('mousedown', () => events.onMouseDown(view));
  rendered.addEventListener('dblclick', () => events.onEditRequest(view));
  return view;
}

/** Fills a new view once it is in the page (Monaco measures its host): editor or Markdown, count, outputs. */
export function showCellContent(view: CellView, events: CellViewEvents, outputs: OutputContext): void {
  if (view.cell.cell_type === 'markdown' && view.cell.source.trim() !== '') renderMarkdownCell(view);
  else ensureEditor(view, events);
  renderCount(view);
  renderOutputs(view, outputs);
}

/** Draws the cell's saved outputs again, in place of what the view shows (e.g. once they are trusted). */
export function renderOutputs(view: CellView, outputs: OutputContext): void {
  view.outputs.replaceChildren();
  for (const o of view.cell.outputs ?? []) renderOutput(view.outputs, o, outputs.figureName, { trusted: outputs.trusted });
}

export function ensureEditor(view: CellView, events: CellViewEvents): monaco.editor.IStandaloneCodeEditor {
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
      events.onSourceChange(view);
    },
    onFocus: () => {
      events.onEditorFocus(view);
      view.root.classList.add('editing');
    },
    onBlur: () => view.root.classList.remove('editing'),
    onKey: (e) => events.onEditorKey(view, e),
  });
  return view.editor;
}

export function renderMarkdownCell(view: CellView): void {
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

export function renderCount(view: CellView): void {
  if (view.cell.cell_type !== 'code') return void (view.count.textContent = '');
  view.count.textContent = view.state === 'idle' ? `[${view.cell.execution_count ?? ' '}]:` : '[*]:';
  view.root.classList.toggle('running', view.state === 'running');
  view.root.classList.toggle('queued', view.state === 'queued');
}

/** Removes the view from the page with its editor and model. */
export function disposeCellView(v: CellView): void {
  const model = v.editor?.getModel();
  v.editor?.dispose();
  model?.dispose();
  v.editor = null;
  v.root.remove();
}

/** A run starts: its outputs, displays and error highlight are cleared. */
export function clearRun(v: CellView): void {
  v.outputs.replaceChildren();
  v.cell.outputs = [];
  v.displays.clear();
  v.clearHighlight?.();
  v.clearHighlight = null;
}

/** An output of a run arrived from the kernel: into the file's outputs and onto the page. */
export function appendOutput(view: CellView, output: NbOutput, ctx: OutputContext): void {
  // The display id is transient (nbformat has no place for it): kept beside the output, not in the file.
  const { transient, ...o } = output as NbOutput & { transient?: { display_id?: string } };
  const displayId = typeof transient?.display_id === 'string' ? transient.display_id : undefined;
  // Streams arrive in chunks: keep one stream output per run of chunks, as Jupyter's files do.
  const outs = (view.cell.outputs ??= []);
  const last = outs[outs.length - 1];
  if (o.output_type === 'stream' && last?.output_type === 'stream' && last['name'] === o['name']) last['text'] = String(last['text']) + String(o['text']);
  else outs.push(o);
  if (displayId) view.displays.set(displayId, o);
  renderOutput(view.outputs, o, ctx.figureName, withoutUndefined({ displayId: displayId || undefined, cancel: ctx.cancel, trusted: ctx.trusted }));
  if (o.output_type === 'error' && view.editor) {
    const line = errorLine(o, view.cell.execution_count != null ? `cell [${view.cell.execution_count}]` : undefined);
    if (line !== null) view.clearHighlight = highlightLine(view.editor, line);
  }
}

/** A display of the cell was updated (a progress bar moved): its output takes the new data, in the page and in the file. False when the cell shows no such display. */
export function updateDisplay(view: CellView, displayId: string, output: NbOutput, ctx: OutputContext): boolean {
  const shown = view.displays.get(displayId);
  if (!shown) return false;
  const { transient: _t, ...o } = output as NbOutput & { transient?: unknown };
  shown['data'] = o['data'];
  shown['metadata'] = o['metadata'] ?? {};
  updateOutput(view.outputs, displayId, shown, ctx.figureName, withoutUndefined({ cancel: ctx.cancel, trusted: ctx.trusted }));
  return true;
}
