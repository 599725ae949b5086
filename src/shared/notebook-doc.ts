/**
 * A notebook as the workbench and `babelscope run` edit it: nbformat 4 in memory, with `source` and
 * output texts as one string each. Reading and writing files is `ipynb-codec.ts`. Cell operations are
 * pure functions over the cell list. No Node, no DOM.
 */
import type { JsonOriginal } from './json-layout.js';

export type CellType = 'code' | 'markdown' | 'raw';

/** An output in nbformat shape (stream, display_data, execute_result, error). */
export type NbOutput = { output_type: string } & Record<string, unknown>;

export interface NbCell {
  id: string;
  cell_type: CellType;
  source: string;
  metadata: Record<string, unknown>;
  /** Code cells only. */
  outputs?: NbOutput[];
  execution_count?: number | null;
  /** Fields this app does not use, kept as they were. */
  [other: string]: unknown;
}

/** Where a document was read from (its text, to re-write only what changed): set by the codec. */
export const NOTEBOOK_ORIGINAL: unique symbol = Symbol('babelscope.ipynb.original');

export interface NotebookOriginal {
  json: JsonOriginal;
  /** The position in the file's "cells" of each cell read, by its id in memory. */
  cellIndex: Map<string, number>;
}

export interface NotebookDoc {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: NbCell[];
  [other: string]: unknown;
  [NOTEBOOK_ORIGINAL]?: NotebookOriginal;
}

export const BABELSCOPE_KERNELSPEC = { name: 'babelscope', display_name: 'TypeScript (Babelscope)', language: 'typescript' };
/** What the kernel says about its language (kernel_info and notebook metadata). */
export const BABELSCOPE_LANGUAGE_INFO = {
  name: 'typescript',
  version: '5',
  mimetype: 'text/typescript',
  file_extension: '.ts',
  pygments_lexer: 'typescript',
  codemirror_mode: 'text/typescript',
};

/** An nbformat cell id: 8 random hex digits (Web Crypto exists in browsers and in Node). */
export function newCellId(): string {
  const bytes = new Uint8Array(4);
  globalThis.crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function newCell(type: CellType, source = ''): NbCell {
  return type === 'code' ? { id: newCellId(), cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null } : { id: newCellId(), cell_type: type, source, metadata: {} };
}

export function newNotebook(): NotebookDoc {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { ...BABELSCOPE_KERNELSPEC }, language_info: { ...BABELSCOPE_LANGUAGE_INFO } },
    cells: [newCell('code')],
  };
}

// Cell operations: each returns a new list and never mutates its input.

export function insertCell(cells: NbCell[], index: number, cell: NbCell): NbCell[] {
  return [...cells.slice(0, index), cell, ...cells.slice(index)];
}

export function deleteCell(cells: NbCell[], index: number): NbCell[] {
  const next = cells.filter((_, i) => i !== index);
  return next.length ? next : [newCell('code')];
}

export function moveCell(cells: NbCell[], index: number, by: -1 | 1): NbCell[] {
  const to = index + by;
  if (to < 0 || to >= cells.length) return cells;
  const next = [...cells];
  [next[index], next[to]] = [next[to]!, next[index]!];
  return next;
}

/** Splits a cell at a character offset: the text after it becomes a new cell of the same type below. */
export function splitCell(cells: NbCell[], index: number, offset: number): NbCell[] {
  const cell = cells[index]!;
  const before = cell.source.slice(0, offset).replace(/\n$/, '');
  const after = cell.source.slice(offset).replace(/^\n/, '');
  const first: NbCell = { ...cell, source: before, ...(cell.cell_type === 'code' ? { outputs: [], execution_count: null } : {}) };
  return [...cells.slice(0, index), first, newCell(cell.cell_type, after), ...cells.slice(index + 1)];
}

/** Merges a cell with the one below it (the upper cell's type and id are kept, outputs cleared). */
export function mergeWithNext(cells: NbCell[], index: number): NbCell[] {
  const a = cells[index];
  const b = cells[index + 1];
  if (!a || !b) return cells;
  const merged: NbCell = { ...a, source: a.source === '' ? b.source : b.source === '' ? a.source : `${a.source}\n${b.source}`, ...(a.cell_type === 'code' ? { outputs: [], execution_count: null } : {}) };
  return [...cells.slice(0, index), merged, ...cells.slice(index + 2)];
}

/** Changes a cell's type; a code cell's outputs go when it stops being code. */
export function changeCellType(cell: NbCell, type: CellType): NbCell {
  if (cell.cell_type === type) return cell;
  const { outputs: _o, execution_count: _e, ...rest } = cell;
  return type === 'code' ? { ...rest, cell_type: 'code', outputs: [], execution_count: null } : { ...rest, cell_type: type };
}
