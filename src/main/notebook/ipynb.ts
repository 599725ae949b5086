/**
 * `.ipynb` (nbformat 4.5) reading and atomic writing. The notebook is kept as the JSON it was read
 * from: Babelscope changes only the outputs and execution counts of code cells it runs (and adds cell
 * ids and its kernelspec when missing), so raw cells, attachments and other tools' metadata survive.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ICell, ICodeCell, INotebookContent, IOutput, MultilineString } from '@jupyterlab/nbformat';
import { UserError } from '../../shared/errors.js';
import { writeFileAtomicSync } from '../fs/atomic-write.js';
import type { CellOutput } from '../../shared/kernel-types.js';
import { LANGUAGE_INFO } from '../kernel/language-info.js';

export type Notebook = INotebookContent;
export type Cell = ICell;
export type CodeCell = ICodeCell;

export const KERNELSPEC = { name: 'babelscope', display_name: 'TypeScript (Babelscope)', language: 'typescript' };

export function joinSource(s: MultilineString | undefined): string {
  return Array.isArray(s) ? s.join('') : (s ?? '');
}

/** nbformat's on-disk habit: multi-line strings as arrays of lines, each keeping its newline. */
export function splitLines(s: string): string[] {
  return s.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Parses and checks a notebook; `where` names it in errors. */
export function parseNotebook(text: string, where: string): Notebook {
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${where} is not a notebook: it is not valid JSON (${(e as Error).message})`, 'Open it in Jupyter or a text editor to see what is wrong, or pass an .ipynb file.');
  }
  if (!nb || typeof nb !== 'object' || Array.isArray(nb) || !('nbformat' in nb))
    throw new UserError(`${where} is not a notebook: it has no "nbformat" field`, 'Pass a Jupyter .ipynb file.');
  const n = nb as Notebook;
  if (typeof n.nbformat !== 'number' || n.nbformat < 4)
    throw new UserError(`${where} is nbformat ${String(n.nbformat)}; Babelscope reads nbformat 4`, `Upgrade it: jupyter nbconvert --to notebook --nbformat 4 ${basename(where)}`);
  if (n.nbformat > 4) throw new UserError(`${where} is nbformat ${n.nbformat}, newer than this Babelscope understands (4.x)`, 'Save it as nbformat 4 or update Babelscope.');
  if (!Array.isArray(n.cells)) throw new UserError(`${where} is not a valid notebook: "cells" is not a list`, 'Open it in Jupyter to repair it.');
  const language = kernelLanguage(n);
  if (language && language !== 'typescript')
    throw new UserError(
      `${where} is a ${language} notebook (kernel "${(n.metadata?.kernelspec as { name?: string } | undefined)?.name ?? '?'}"); Babelscope runs TypeScript notebooks`,
      `Run it with its own kernel (jupyter nbconvert --execute), or set its kernel to "${KERNELSPEC.display_name}".`,
    );
  return n;
}

function kernelLanguage(nb: Notebook): string | undefined {
  const spec = nb.metadata?.kernelspec as { language?: string; name?: string } | undefined;
  const info = nb.metadata?.language_info as { name?: string } | undefined;
  const lang = spec?.language ?? info?.name;
  if (lang) return lang.toLowerCase() === 'ts' ? 'typescript' : lang.toLowerCase();
  return spec?.name && spec.name !== KERNELSPEC.name ? spec.name : undefined;
}

export function readNotebook(path: string): Notebook {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UserError(code === 'ENOENT' ? `notebook ${path} does not exist` : `cannot read ${path}: ${(e as Error).message}`, 'Check the path.');
  }
  return parseNotebook(text, path);
}

/** Upgrades to 4.5 in place: cell ids where missing, Babelscope's kernelspec and language_info. */
export function prepareForBabelscope(nb: Notebook): Notebook {
  const seen = new Set<string>();
  for (const cell of nb.cells) {
    let id = typeof cell.id === 'string' && /^[a-zA-Z0-9-_]{1,64}$/.test(cell.id) ? cell.id : undefined;
    while (!id || seen.has(id)) id = randomBytes(4).toString('hex');
    cell.id = id;
    seen.add(id);
  }
  if (nb.nbformat_minor < 5) nb.nbformat_minor = 5;
  nb.metadata ??= {};
  nb.metadata.kernelspec = { ...(nb.metadata.kernelspec ?? {}), ...KERNELSPEC };
  nb.metadata.language_info = { ...((nb.metadata.language_info as object | undefined) ?? {}), ...LANGUAGE_INFO };
  return nb;
}

/** A kernel output in the notebook's shape: no transient ids, text as line arrays. */
export function toNotebookOutput(o: CellOutput): IOutput {
  switch (o.output_type) {
    case 'stream':
      return { output_type: 'stream', name: o.name, text: splitLines(o.text) };
    case 'display_data':
      return { output_type: 'display_data', data: linesForText(o.data), metadata: o.metadata as IOutput['metadata'] & object };
    case 'execute_result':
      return { output_type: 'execute_result', execution_count: o.execution_count, data: linesForText(o.data), metadata: o.metadata as IOutput['metadata'] & object };
    case 'error':
      return { output_type: 'error', ename: o.ename, evalue: o.evalue, traceback: o.traceback };
  }
}

function linesForText(data: Record<string, unknown>): Record<string, any> {
  const out: Record<string, unknown> = {};
  for (const [mime, v] of Object.entries(data)) out[mime] = typeof v === 'string' && (mime.startsWith('text/') || mime === 'image/svg+xml') ? splitLines(v) : v;
  return out;
}

/** JSON as Jupyter writes it: keys sorted, one-space indent, final newline. */
export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(sortKeys(nb), null, 1) + '\n';
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

/** Writes atomically (src/main/fs/atomic-write.ts): all or nothing, mode and symlink kept. */
export function writeNotebook(path: string, nb: Notebook): void {
  writeFileAtomicSync(path, serializeNotebook(nb), { what: `notebook ${path}` });
}
