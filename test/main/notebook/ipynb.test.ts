import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { isUserError } from '../../../src/shared/errors.js';
import { runRefusal } from '../../../src/shared/ipynb-codec.js';
import { parseNotebook, prepareForBabelscope, readNotebook, serializeNotebook, toNotebookOutput, writeNotebook } from '../../../src/main/notebook/ipynb.js';

const badInput = (text: string, pattern: RegExp) =>
  assert.throws(
    () => parseNotebook(text, 'x.ipynb'),
    (e: unknown) => isUserError(e) && pattern.test(e.message) && Boolean(e.hint),
  );

it('refuses what is not a notebook with a one-line reason and a hint; other languages open but do not run', () => {
  badInput('{"cells": [', /not valid JSON/);
  badInput('[1, 2]', /its JSON is a list, not an object/);
  badInput(JSON.stringify({ nbformat: 3, nbformat_minor: 0, worksheets: [], metadata: {} }), /nbformat 3; Babelscope reads nbformat 4/);
  const python = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, cells: [], metadata: { kernelspec: { name: 'python3', language: 'python', display_name: 'Python 3' } } }), 'x.ipynb');
  assert.match(runRefusal(python, 'x.ipynb')?.message ?? '', /x.ipynb is a python notebook \(kernel "python3"\): Babelscope opens, edits and saves it, but runs only TypeScript notebooks/);
  assert.match(runRefusal(parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, cells: [], metadata: { language_info: { name: 'R' } } }), 'x'))?.message ?? '', /r notebook/);
  assert.equal(runRefusal(parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, cells: [], metadata: {} }))), null, 'no language named: Babelscope runs it');
});

it('refuses a notebook that is not UTF-8 instead of replacing its bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-ipynb-'));
  const path = join(dir, 'latin1.ipynb');
  const text = JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ id: 'a', cell_type: 'markdown', metadata: {}, source: 'café' }] });
  writeFileSync(path, Buffer.from(text, 'latin1'));
  assert.throws(
    () => readNotebook(path),
    (e: unknown) => isUserError(e) && /latin1.ipynb is not UTF-8 text \(byte \d+ is 0xe9\)/.test(e.message) && /iconv/.test(e.hint ?? ''),
  );
  writeFileSync(path, text);
  assert.equal(readNotebook(path).cells[0]!.source, 'café');
});

it('accepts a notebook without kernel metadata and upgrades it to 4.5 with unique cell ids', () => {
  const nb = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 2, metadata: { other: { keep: true } }, cells: [{ cell_type: 'code', metadata: {}, source: 'a', outputs: [], execution_count: null }, { cell_type: 'markdown', id: 'same', metadata: {}, source: 'b' }, { cell_type: 'markdown', id: 'same', metadata: {}, source: 'c' }] }), 'x');
  prepareForBabelscope(nb);
  assert.equal(nb.nbformat_minor, 5);
  const saved = JSON.parse(serializeNotebook(nb)) as { nbformat_minor: number; cells: { id?: string }[] };
  assert.equal(saved.nbformat_minor, 5);
  assert.deepEqual(saved.cells.map((c) => c.id), nb.cells.map((c) => c.id), 'a 4.5 file has every cell id');
  const ids = nb.cells.map((c) => c.id);
  assert.equal(new Set(ids).size, 3);
  assert.equal(ids[1], 'same');
  assert.deepEqual(nb.metadata['other'], { keep: true });
  assert.equal((nb.metadata.kernelspec as { name: string }).name, 'babelscope');
  assert.equal((nb.metadata.language_info as { name: string }).name, 'typescript');
});

it('writes outputs in Jupyter shapes (line arrays, no transient) and saves atomically', () => {
  const output = toNotebookOutput({ output_type: 'display_data', data: { 'text/html': '<b>\nx', 'image/png': 'AAAA\n' }, metadata: {}, transient: { display_id: 'd' } });
  assert.deepEqual(output, { output_type: 'display_data', data: { 'text/html': '<b>\nx', 'image/png': 'AAAA\n' }, metadata: {} });
  const withOutput = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ id: 'a', cell_type: 'code', metadata: {}, source: [], outputs: [], execution_count: null }] }), 'x');
  withOutput.cells[0]!.outputs = [output];
  const file = JSON.parse(serializeNotebook(withOutput)) as { cells: { outputs: unknown[] }[] };
  assert.deepEqual(file.cells[0]!.outputs[0], { output_type: 'display_data', data: { 'text/html': ['<b>\n', 'x'], 'image/png': 'AAAA\n' }, metadata: {} });
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-ipynb-'));
  const path = join(dir, 'n.ipynb');
  writeFileSync(path, 'old');
  const nb = { nbformat: 4, nbformat_minor: 5, metadata: { z: 1, a: 2 }, cells: [] };
  writeNotebook(path, nb);
  assert.equal(readFileSync(path, 'utf8'), serializeNotebook(nb));
  assert.match(readFileSync(path, 'utf8'), /^\{\n "cells": \[\],\n "metadata": \{\n  "a": 2,\n  "z": 1\n \}/);
  assert.deepEqual(readdirSync(dir), ['n.ipynb'], 'no temp file left behind');
  assert.throws(() => writeNotebook(join(dir, 'missing', 'n.ipynb'), nb), (e: unknown) => isUserError(e) && /does not exist/.test(e.hint ?? ''));
});
