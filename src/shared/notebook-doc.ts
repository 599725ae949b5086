/**
 * A notebook as the workbench edits it: nbformat 4.5 in memory, with `source` as one string. Reading
 * keeps every field it does not know (metadata of other tools, attachments); writing produces what
 * Jupyter writes (sources as lists of lines, one-space indent, cell ids). Cell operations are pure
 * functions over the cell list. No Node, no DOM.
 */
import { UserError } from './errors.js';

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

export interface NotebookDoc {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: NbCell[];
  [other: string]: unknown;
}

export const BABELSCOPE_KERNELSPEC = { name: 'babelscope', display_name: 'TypeScript (Babelscope)', language: 'typescript' };

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
    metadata: { kernelspec: { ...BABELSCOPE_KERNELSPEC }, language_info: { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' } },
    cells: [newCell('code')],
  };
}

const joinSource = (s: unknown): string => (Array.isArray(s) ? s.join('') : typeof s === 'string' ? s : '');

/** Splits text into Jupyter's list of lines (each keeps its newline, the last may not). */
export function sourceLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/(?<=\n)/);
  return lines;
}

export function parseNotebook(text: string, name = 'the notebook'): NotebookDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${name} is not valid JSON (${(e as Error).message})`, 'Open it in a text editor to repair it, or restore it from a copy.');
  }
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { cells?: unknown }).cells))
    throw new UserError(`${name} is not a Jupyter notebook (no "cells" list)`, 'Babelscope opens nbformat 4 .ipynb files.');
  const nb = raw as Record<string, unknown> & { cells: unknown[] };
  if (typeof nb['nbformat'] === 'number' && nb['nbformat'] !== 4) throw new UserError(`${name} is nbformat ${String(nb['nbformat'])}`, 'Convert it with `jupyter nbconvert --to notebook --nbformat 4`.');
  const seen = new Set<string>();
  const cells = nb.cells.map((c, i): NbCell => {
    if (typeof c !== 'object' || c === null) throw new UserError(`${name}: cell ${i + 1} is not an object`);
    const cell = c as Record<string, unknown>;
    const type = cell['cell_type'];
    if (type !== 'code' && type !== 'markdown' && type !== 'raw') throw new UserError(`${name}: cell ${i + 1} has an unknown cell_type ${JSON.stringify(type)}`);
    let id = typeof cell['id'] === 'string' && cell['id'] !== '' ? cell['id'] : newCellId();
    if (seen.has(id)) id = newCellId();
    seen.add(id);
    const out: NbCell = { ...cell, id, cell_type: type, source: joinSource(cell['source']), metadata: (cell['metadata'] as Record<string, unknown>) ?? {} };
    if (type === 'code') {
      out.outputs = Array.isArray(cell['outputs']) ? (cell['outputs'] as NbOutput[]).map(normalizeOutput) : [];
      out.execution_count = typeof cell['execution_count'] === 'number' ? cell['execution_count'] : null;
    }
    return out;
  });
  return { ...nb, nbformat: 4, nbformat_minor: Math.max(5, typeof nb['nbformat_minor'] === 'number' ? nb['nbformat_minor'] : 5), metadata: (nb['metadata'] as Record<string, unknown>) ?? {}, cells };
}

/** Stream text and MIME text come as lists of lines in files; in memory they are strings. */
function normalizeOutput(o: NbOutput): NbOutput {
  const out: NbOutput = { ...o };
  if (o.output_type === 'stream') out['text'] = joinSource(o['text']);
  if (o['data'] && typeof o['data'] === 'object') {
    const data: Record<string, unknown> = {};
    for (const [mime, v] of Object.entries(o['data'] as Record<string, unknown>)) data[mime] = Array.isArray(v) && (mime.startsWith('text/') || mime === 'image/svg+xml') ? v.join('') : v;
    out['data'] = data;
  }
  return out;
}

function outputForFile(o: NbOutput): NbOutput {
  const out: NbOutput = { ...o };
  if (o.output_type === 'stream' && typeof o['text'] === 'string') out['text'] = sourceLines(o['text']);
  if (o['data'] && typeof o['data'] === 'object') {
    const data: Record<string, unknown> = {};
    for (const [mime, v] of Object.entries(o['data'] as Record<string, unknown>)) data[mime] = typeof v === 'string' && (mime.startsWith('text/') || mime === 'image/svg+xml') ? sourceLines(v) : v;
    out['data'] = data;
  }
  return out;
}

export function serializeNotebook(doc: NotebookDoc): string {
  const metadata = { ...doc.metadata };
  metadata['kernelspec'] ??= { ...BABELSCOPE_KERNELSPEC };
  metadata['language_info'] ??= { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' };
  const cells = doc.cells.map((c) => {
    const { id, cell_type, source, metadata: m, outputs, execution_count, ...rest } = c;
    return cell_type === 'code'
      ? { ...rest, id, cell_type, execution_count: execution_count ?? null, metadata: m, outputs: (outputs ?? []).map(outputForFile), source: sourceLines(source) }
      : { ...rest, id, cell_type, metadata: m, source: sourceLines(source) };
  });
  const { cells: _c, metadata: _m, nbformat: _n, nbformat_minor: _nm, ...rest } = doc;
  return JSON.stringify({ ...rest, cells, metadata, nbformat: 4, nbformat_minor: Math.max(5, doc.nbformat_minor) }, null, 1) + '\n';
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
