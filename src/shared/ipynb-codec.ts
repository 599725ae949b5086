/**
 * The one `.ipynb` codec, for the page and for Node: bytes → text → NotebookDoc → text.
 *
 * Reading accepts any valid nbformat 4 notebook, whatever its language (only running needs the
 * TypeScript kernel: `runRefusal`), and says what is wrong with anything else. Writing keeps the
 * file its writer's: the layout is read from the text (Jupyter's one-space indent and sorted keys, or
 * another tool's), unchanged values are copied from the original text, and sources keep their
 * string-or-list form, so an unedited save gives back the bytes that were read and an edit changes
 * only what was edited. New notebooks are written as Jupyter writes them. No Node, no DOM.
 */
import { UserError } from './errors.js';
import { detectLayout, JUPYTER_LAYOUT, jsonDepth, jsonEqual, MAX_JSON_DEPTH, rewriteJson, stringifyIn } from './json-layout.js';
import { BABELSCOPE_KERNELSPEC, newCellId, NOTEBOOK_ORIGINAL, type CellType, type NbCell, type NbOutput, type NotebookDoc } from './notebook-doc.js';

const REPAIR = 'Open it in a text editor to repair it, or restore it from a copy.';

/** Notebook bytes as text; anything but UTF-8 (nbformat's encoding) is refused, never silently replaced. */
export function decodeNotebookBytes(bytes: Uint8Array, name = 'the notebook'): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new UserError(
      `${name} is not UTF-8 text (byte ${at} is 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')}); notebooks are UTF-8`,
      `Convert it first, e.g. iconv -f latin1 -t utf-8 ${name.split('/').pop()} > converted.ipynb, and open the copy. It was not changed.`,
    );
  }
}

function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return 0;
}

/** Splits text into Jupyter's list of lines (each keeps its newline, the last may not). */
export function sourceLines(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/);
}

const joinText = (s: unknown): string => (Array.isArray(s) ? s.join('') : typeof s === 'string' ? s : '');
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`);
const isMultiline = (v: unknown) => typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string'));
/** Which MIME values are multi-line text in files (lists of lines) and one string in memory. */
const isTextMime = (mime: string) => mime.startsWith('text/') || mime === 'image/svg+xml';

/** Parses and checks a notebook; `name` names it in errors. The document remembers the text for `serializeNotebook`. */
export function parseNotebook(text: string, name = 'the notebook'): NotebookDoc {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const depth = jsonDepth(body);
  if (depth > MAX_JSON_DEPTH)
    throw new UserError(`${name} nests lists and objects ${depth} levels deep (at most ${MAX_JSON_DEPTH} are read); it is not a notebook a notebook tool wrote`, REPAIR);
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (e) {
    throw new UserError(`${name} is not valid JSON (${(e as Error).message})`, REPAIR);
  }
  const nb = checkNotebook(raw, name);
  const seen = new Set<string>();
  const cellIndex = new Map<string, number>();
  const cells = (nb['cells'] as unknown[]).map((c, i): NbCell => {
    const cell = checkCell(c, i, name);
    let id = typeof cell['id'] === 'string' && cell['id'] !== '' ? cell['id'] : newCellId();
    while (seen.has(id)) id = newCellId();
    seen.add(id);
    cellIndex.set(id, i);
    const type = cell['cell_type'] as CellType;
    const out: NbCell = { ...cell, id, cell_type: type, source: joinText(cell['source']), metadata: isRecord(cell['metadata']) ? cell['metadata'] : {} };
    if (type === 'code') {
      out.outputs = Array.isArray(cell['outputs']) ? (cell['outputs'] as NbOutput[]).map(outputInMemory) : [];
      out.execution_count = typeof cell['execution_count'] === 'number' ? cell['execution_count'] : null;
    }
    return out;
  });
  const doc: NotebookDoc = { ...nb, nbformat: 4, nbformat_minor: typeof nb['nbformat_minor'] === 'number' ? nb['nbformat_minor'] : 0, metadata: isRecord(nb['metadata']) ? nb['metadata'] : {}, cells };
  doc[NOTEBOOK_ORIGINAL] = { json: { text, value: raw, layout: detectLayout(text, raw) }, cellIndex };
  return doc;
}

function checkNotebook(raw: unknown, name: string): Record<string, unknown> {
  if (!isRecord(raw)) throw new UserError(`${name} is not a Jupyter notebook: its JSON is ${typeName(raw)}, not an object with "cells"`, 'Babelscope opens nbformat 4 .ipynb files.');
  const v = raw['nbformat'];
  if (v === undefined)
    throw new UserError(
      Array.isArray(raw['cells']) ? `${name} has no "nbformat" field` : `${name} is not a Jupyter notebook (no "nbformat" field and no "cells" list)`,
      Array.isArray(raw['cells']) ? 'Jupyter writes "nbformat": 4 and "nbformat_minor": 5 beside "cells"; add them.' : 'Babelscope opens nbformat 4 .ipynb files.',
    );
  if (typeof v === 'string')
    throw new UserError(`${name} gives "nbformat" as the string ${JSON.stringify(v)}; it must be a number`, `Write "nbformat": ${Number.parseInt(v, 10) || 4} without quotes.`);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new UserError(`${name} gives "nbformat" as ${typeName(v)}; it must be the number 4`, REPAIR);
  if (v < 4) throw new UserError(`${name} is nbformat ${v}; Babelscope reads nbformat 4`, `Convert it: jupyter nbconvert --to notebook --nbformat 4 ${name.split('/').pop()}`);
  if (v > 4) throw new UserError(`${name} is nbformat ${v}, newer than this Babelscope understands (4.x)`, 'Save it as nbformat 4, or update Babelscope.');
  const minor = raw['nbformat_minor'];
  if (minor !== undefined && !(typeof minor === 'number' && Number.isInteger(minor) && minor >= 0))
    throw new UserError(`${name} gives "nbformat_minor" as ${typeName(minor)}; it must be a whole number`, REPAIR);
  if (raw['metadata'] !== undefined && !isRecord(raw['metadata'])) throw new UserError(`${name}: its "metadata" is ${typeName(raw['metadata'])}, not an object`, REPAIR);
  if (!Array.isArray(raw['cells'])) throw new UserError(`${name}: its "cells" is ${raw['cells'] === undefined ? 'missing' : typeName(raw['cells'])}, not a list`, REPAIR);
  return raw;
}

function checkCell(c: unknown, i: number, name: string): Record<string, unknown> {
  const where = `${name}: cell ${i + 1}`;
  if (!isRecord(c)) throw new UserError(`${where} is ${typeName(c)}, not a cell object`, REPAIR);
  const type = c['cell_type'];
  if (type !== 'code' && type !== 'markdown' && type !== 'raw') throw new UserError(`${where} has the unknown cell_type ${JSON.stringify(type) ?? 'undefined'} (nbformat 4 knows code, markdown and raw)`, REPAIR);
  if (c['source'] !== undefined && !isMultiline(c['source'])) throw new UserError(`${where} has a "source" that is ${typeName(c['source'])}, not text or a list of lines`, REPAIR);
  if (c['metadata'] !== undefined && !isRecord(c['metadata'])) throw new UserError(`${where} has "metadata" that is ${typeName(c['metadata'])}, not an object`, REPAIR);
  if (c['id'] !== undefined && typeof c['id'] !== 'string') throw new UserError(`${where} has an "id" that is ${typeName(c['id'])}, not a string`, REPAIR);
  if (type !== 'code') return c;
  const outputs = c['outputs'];
  if (outputs === undefined) return c;
  if (!Array.isArray(outputs)) throw new UserError(`${where} has "outputs" that are ${typeName(outputs)}, not a list`, REPAIR);
  outputs.forEach((o, k) => {
    if (!isRecord(o) || typeof o['output_type'] !== 'string') throw new UserError(`${where}, output ${k + 1} is ${isRecord(o) ? 'an object without "output_type"' : typeName(o)}, not an output`, REPAIR);
    if (o['data'] !== undefined && !isRecord(o['data'])) throw new UserError(`${where}, output ${k + 1} has "data" that is ${typeName(o['data'])}, not a MIME bundle`, REPAIR);
    if (o['output_type'] === 'stream' && !isMultiline(o['text'])) throw new UserError(`${where}, output ${k + 1} is a stream whose "text" is ${typeName(o['text'])}`, REPAIR);
  });
  return c;
}

/** Stream text and text MIME values come as lists of lines in files; in memory they are strings. */
function outputInMemory(o: NbOutput): NbOutput {
  const out: NbOutput = { ...o };
  if (o.output_type === 'stream') out['text'] = joinText(o['text']);
  if (isRecord(o['data'])) {
    const data: Record<string, unknown> = {};
    for (const [mime, v] of Object.entries(o['data'])) data[mime] = isTextMime(mime) && Array.isArray(v) && v.every((s) => typeof s === 'string') ? v.join('') : v;
    out['data'] = data;
  }
  return out;
}

/** An in-memory output as nbformat files hold it (text as lists of lines, as Jupyter writes it). */
function outputForFile(o: NbOutput): NbOutput {
  const out: NbOutput = { ...o };
  if (o.output_type === 'stream' && typeof o['text'] === 'string') out['text'] = sourceLines(o['text']);
  if (isRecord(o['data'])) {
    const data: Record<string, unknown> = {};
    for (const [mime, v] of Object.entries(o['data'])) data[mime] = typeof v === 'string' && isTextMime(mime) ? sourceLines(v) : v;
    out['data'] = data;
  }
  return out;
}

/** A cell as the file holds it, in the form its original had (source as one string or as lines, fields it lacked left out). */
function cellForFile(c: NbCell, o: Record<string, unknown> | undefined, doc: NotebookDoc, linesByDefault: boolean): Record<string, unknown> {
  const { id, cell_type, source, metadata, outputs, execution_count, ...rest } = c;
  const lacked = (key: string, empty: boolean) => o !== undefined && !(key in o) && empty;
  const asLines = o ? Array.isArray(o['source']) : linesByDefault;
  const file: Record<string, unknown> = { ...rest };
  if (doc.nbformat_minor >= 5 || (o !== undefined && 'id' in o)) file['id'] = id;
  file['cell_type'] = cell_type;
  if (!lacked('metadata', Object.keys(metadata).length === 0)) file['metadata'] = metadata;
  if (!lacked('source', source === '')) file['source'] = asLines ? sourceLines(source) : source;
  if (cell_type === 'code') {
    if (!lacked('execution_count', execution_count == null)) file['execution_count'] = execution_count ?? null;
    const before = Array.isArray(o?.['outputs']) ? (o['outputs'] as NbOutput[]) : [];
    // An output that is unchanged keeps its file form (a string where a writer used one).
    if (!lacked('outputs', (outputs ?? []).length === 0)) file['outputs'] = (outputs ?? []).map((out, k) => (before[k] && jsonEqual(outputInMemory(before[k]), out) ? before[k] : outputForFile(out)));
  }
  return file;
}

/** The notebook's text: the original's layout and bytes wherever nothing changed; Jupyter's layout for a new notebook. */
export function serializeNotebook(doc: NotebookDoc): string {
  const original = doc[NOTEBOOK_ORIGINAL];
  const before = isRecord(original?.json.value) ? original.json.value : undefined;
  const beforeCells = (before?.['cells'] ?? []) as Record<string, unknown>[];
  const firstSource = beforeCells.find((c) => c['source'] !== undefined)?.['source'];
  const linesByDefault = firstSource === undefined || Array.isArray(firstSource);
  const origin = new WeakMap<object, number>();
  const cells = doc.cells.map((c) => {
    const k = original?.cellIndex.get(c.id);
    const file = cellForFile(c, k === undefined ? undefined : beforeCells[k], doc, linesByDefault);
    if (k !== undefined) origin.set(file, k);
    return file;
  });
  const { cells: _c, metadata, nbformat: _n, nbformat_minor, ...rest } = doc;
  const file: Record<string, unknown> = { ...rest, cells };
  if (!(before && !('metadata' in before) && Object.keys(metadata).length === 0)) file['metadata'] = metadata;
  file['nbformat'] = 4;
  if (!(before && !('nbformat_minor' in before) && nbformat_minor === 0)) file['nbformat_minor'] = nbformat_minor;
  if (!original) return stringifyIn(file, JUPYTER_LAYOUT) + JUPYTER_LAYOUT.after;
  return rewriteJson(original.json, file, origin);
}

/** The notebook's language, from its kernelspec or language_info (lower case), if it names one. */
export function notebookLanguage(doc: NotebookDoc): string | undefined {
  const spec = isRecord(doc.metadata['kernelspec']) ? doc.metadata['kernelspec'] : undefined;
  const info = isRecord(doc.metadata['language_info']) ? doc.metadata['language_info'] : undefined;
  const lang = typeof spec?.['language'] === 'string' ? spec['language'] : typeof info?.['name'] === 'string' ? info['name'] : undefined;
  if (lang) return lang.toLowerCase() === 'ts' ? 'typescript' : lang.toLowerCase();
  return typeof spec?.['name'] === 'string' && spec['name'] !== BABELSCOPE_KERNELSPEC.name ? spec['name'] : undefined;
}

/** Why Babelscope's kernel cannot run this notebook (another language), or null when it can. Opening, editing and saving work either way. */
export function runRefusal(doc: NotebookDoc, name = 'this notebook'): UserError | null {
  const language = notebookLanguage(doc);
  if (!language || language === 'typescript') return null;
  const kernel = isRecord(doc.metadata['kernelspec']) && typeof doc.metadata['kernelspec']['name'] === 'string' ? ` (kernel "${doc.metadata['kernelspec']['name']}")` : '';
  return new UserError(
    `${name} is a ${language} notebook${kernel}: Babelscope opens, edits and saves it, but runs only TypeScript notebooks`,
    `Run it with its own kernel (e.g. jupyter nbconvert --execute), or set its kernel to "${BABELSCOPE_KERNELSPEC.display_name}" to run it here.`,
  );
}
