/**
 * `.ipynb` files in Node: read (UTF-8 only), checked and written atomically through the one codec
 * (`src/shared/ipynb-codec.ts`), which keeps each file's own layout. `babelscope run` changes only the
 * outputs and execution counts of the code cells it runs (and adds cell ids and its kernelspec when
 * missing), so raw cells, attachments and other tools' metadata survive.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../../shared/errors.js';
import { writeFileAtomicSync } from '../fs/atomic-write.js';
import { decodeNotebookBytes, parseNotebook, serializeNotebook } from '../../shared/ipynb-codec.js';
import type { CellOutput } from '../../shared/kernel-types.js';
import { BABELSCOPE_KERNELSPEC, newCellId, type NbCell, type NbOutput, type NotebookDoc } from '../../shared/notebook-doc.js';
import { LANGUAGE_INFO } from '../kernel/language-info.js';

export type Notebook = NotebookDoc;
export type Cell = NbCell;
export { parseNotebook, serializeNotebook };

export const KERNELSPEC = BABELSCOPE_KERNELSPEC;

/** Reads a notebook file: UTF-8 only (anything else is refused, never repaired with U+FFFD). */
export function readNotebook(path: string): Notebook {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UserError(code === 'ENOENT' ? `notebook ${path} does not exist` : `cannot read ${path}: ${(e as Error).message}`, 'Check the path.');
  }
  return parseNotebook(decodeNotebookBytes(bytes, path), path);
}

/** Upgrades to 4.5 in place for running here: valid unique cell ids, Babelscope's kernelspec and language_info. */
export function prepareForBabelscope(nb: Notebook): Notebook {
  const seen = new Set<string>();
  for (const cell of nb.cells) {
    let id = /^[a-zA-Z0-9-_]{1,64}$/.test(cell.id) ? cell.id : undefined;
    while (!id || seen.has(id)) id = newCellId();
    cell.id = id;
    seen.add(id);
  }
  if (nb.nbformat_minor < 5) nb.nbformat_minor = 5;
  const spec = nb.metadata['kernelspec'];
  nb.metadata['kernelspec'] = { ...(spec && typeof spec === 'object' ? spec : {}), ...KERNELSPEC };
  const info = nb.metadata['language_info'];
  nb.metadata['language_info'] = { ...(info && typeof info === 'object' ? info : {}), ...LANGUAGE_INFO };
  return nb;
}

/** A kernel output as the notebook keeps it: no transient display id. */
export function toNotebookOutput(o: CellOutput): NbOutput {
  switch (o.output_type) {
    case 'stream':
      return { output_type: 'stream', name: o.name, text: o.text };
    case 'display_data':
      return { output_type: 'display_data', data: { ...o.data }, metadata: { ...o.metadata } };
    case 'execute_result':
      return { output_type: 'execute_result', execution_count: o.execution_count, data: { ...o.data }, metadata: { ...o.metadata } };
    case 'error':
      return { output_type: 'error', ename: o.ename, evalue: o.evalue, traceback: o.traceback };
  }
}

/** Writes atomically through the project's one atomic-write helper. */
export function writeNotebook(path: string, nb: Notebook): void {
  writeFileAtomicSync(path, serializeNotebook(nb), { what: `notebook ${path}` });
}
