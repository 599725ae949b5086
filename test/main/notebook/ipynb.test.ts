import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { isUserError } from '../../../src/shared/errors.js';
import { parseNotebook, prepareForBabelscope, serializeNotebook, splitLines, toNotebookOutput, writeNotebook } from '../../../src/main/notebook/ipynb.js';

const badInput = (text: string, pattern: RegExp) =>
  assert.throws(
    () => parseNotebook(text, 'x.ipynb'),
    (e: unknown) => isUserError(e) && pattern.test(e.message) && Boolean(e.hint),
  );

it('refuses what is not a Babelscope notebook with a one-line reason and a hint', () => {
  badInput('{"cells": [', /not valid JSON/);
  badInput('[1, 2]', /no "nbformat" field/);
  badInput(JSON.stringify({ nbformat: 3, nbformat_minor: 0, worksheets: [], metadata: {} }), /nbformat 3; Babelscope reads nbformat 4/);
  badInput(JSON.stringify({ nbformat: 4, nbformat_minor: 5, cells: [], metadata: { kernelspec: { name: 'python3', language: 'python', display_name: 'Python 3' } } }), /python notebook/);
  badInput(JSON.stringify({ nbformat: 4, nbformat_minor: 5, cells: [], metadata: { language_info: { name: 'R' } } }), /r notebook/);
});

it('accepts a notebook without kernel metadata and upgrades it to 4.5 with unique cell ids', () => {
  const nb = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 2, metadata: { other: { keep: true } }, cells: [{ cell_type: 'code', metadata: {}, source: 'a', outputs: [], execution_count: null }, { cell_type: 'markdown', id: 'same', metadata: {}, source: 'b' }, { cell_type: 'markdown', id: 'same', metadata: {}, source: 'c' }] }), 'x');
  prepareForBabelscope(nb);
  assert.equal(nb.nbformat_minor, 5);
  const ids = nb.cells.map((c) => c.id);
  assert.equal(new Set(ids).size, 3);
  assert.equal(ids[1], 'same');
  assert.deepEqual(nb.metadata['other'], { keep: true });
  assert.equal((nb.metadata.kernelspec as { name: string }).name, 'babelscope');
  assert.equal((nb.metadata.language_info as { name: string }).name, 'typescript');
});

it('writes outputs in Jupyter shapes (line arrays, no transient) and saves atomically', () => {
  assert.deepEqual(splitLines('a\nb\n\nc'), ['a\n', 'b\n', '\n', 'c']);
  assert.deepEqual(toNotebookOutput({ output_type: 'display_data', data: { 'text/html': '<b>\nx', 'image/png': 'AAAA\n' }, metadata: {}, transient: { display_id: 'd' } }), {
    output_type: 'display_data',
    data: { 'text/html': ['<b>\n', 'x'], 'image/png': 'AAAA\n' },
    metadata: {},
  });
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
