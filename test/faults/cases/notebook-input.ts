/**
 * Malformed notebooks (issue 19's bad input): each goes through `babelscope run` (runNotebook) and
 * through the workbench's path (the server's Workspace.read, then the page's codec; Workspace.write of
 * the same text) and must end in a UserError that says what is wrong, with the file byte-identical.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../../src/shared/errors.js';
import { parseNotebook } from '../../../src/shared/ipynb-codec.js';
import { runNotebook } from '../../../src/main/notebook/run.js';
import { Workspace } from '../../../src/main/server/workspace.js';
import { repoRoot } from '../../helpers/paths.js';
import { faultCase } from '../harness.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 1));
const nb = (over: Record<string, unknown>) => ({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5, ...over });
const codeCell = (over: Record<string, unknown>) => ({ cell_type: 'code', execution_count: null, id: 'c1', metadata: {}, outputs: [], source: ['1 + 1'], ...over });
const demo = readFileSync(join(repoRoot, 'notebooks', '01-working-language.ipynb'));

const CASES: Array<[string, Buffer, RegExp]> = [
  ['Latin-1 bytes (café)', Buffer.from(JSON.stringify(nb({ metadata: { title: 'café' } })), 'latin1'), /is not UTF-8 text \(byte \d+ is 0xe9\)/],
  ['UTF-16 with a byte-order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(nb({})), 'utf16le')]), /is not UTF-8 text \(byte 0 is 0xff\)/],
  ['a PNG image named .ipynb', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), /is not UTF-8 text \(byte 0 is 0x89\)/],
  ['an empty file', Buffer.alloc(0), /is not valid JSON/],
  ['a demo notebook cut in half (a full disk)', demo.subarray(0, demo.length >> 1), /is not valid JSON/],
  ['cells: [null]', json(nb({ cells: [null] })), /cell 1 is null, not a cell object/],
  ['cells: [42]', json(nb({ cells: [42] })), /cell 1 is number 42, not a cell object/],
  ['100,000 nested lists', Buffer.from('{"cells": ' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'), /nests lists and objects 100001 levels deep \(at most 256 are read\)/],
  ['"nbformat": "4" (a string)', json(nb({ nbformat: '4' })), /gives "nbformat" as the string "4"; it must be a number/],
  ['nbformat 3', json({ nbformat: 3, nbformat_minor: 0, worksheets: [], metadata: {} }), /is nbformat 3; Babelscope reads nbformat 4/],
  ['nbformat 5', json(nb({ nbformat: 5 })), /is nbformat 5, newer than this Babelscope understands/],
  ['no nbformat field', json({ cells: [], metadata: {} }), /has no "nbformat" field/],
  ['a JSON list', json([1, 2, 3]), /its JSON is a list, not an object with "cells"/],
  ['"cells" is an object', json(nb({ cells: { a: 1 } })), /its "cells" is an object, not a list/],
  ['an unknown cell_type', json(nb({ cells: [codeCell({ cell_type: 'widget' })] })), /cell 1 has the unknown cell_type "widget"/],
  ['a source that is a number', json(nb({ cells: [codeCell({ source: 7 })] })), /cell 1 has a "source" that is number 7/],
  ['a source list holding a number', json(nb({ cells: [codeCell({ source: ['a\n', 2] })] })), /cell 1 has a "source" that is a list, not text or a list of lines/],
  ['outputs: [null]', json(nb({ cells: [codeCell({ outputs: [null] })] })), /cell 1, output 1 is null, not an output/],
  ['an output without output_type', json(nb({ cells: [codeCell({ outputs: [{ text: 'x' }] })] })), /cell 1, output 1 is an object without "output_type"/],
  ['a stream whose text is null', json(nb({ cells: [codeCell({ outputs: [{ output_type: 'stream', name: 'stdout', text: null }] })] })), /output 1 is a stream whose "text" is null/],
  ['a MIME bundle that is a string', json(nb({ cells: [codeCell({ outputs: [{ output_type: 'display_data', data: 'x', metadata: {} }] })] })), /output 1 has "data" that is string "x", not a MIME bundle/],
  ['notebook metadata that is a list', json(nb({ metadata: [] })), /its "metadata" is a list, not an object/],
  ['cell metadata that is a string', json(nb({ cells: [codeCell({ metadata: 'x' })] })), /cell 1 has "metadata" that is string "x", not an object/],
  ['a cell id that is a number', json(nb({ cells: [codeCell({ id: 5 })] })), /cell 1 has an "id" that is number 5, not a string/],
  ['nbformat_minor "5"', json(nb({ nbformat_minor: '5' })), /gives "nbformat_minor" as string "5"; it must be a whole number/],
];

function withWorkspace(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-fault-nb-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const clear = (pattern: RegExp) => (e: unknown) => isUserError(e) && pattern.test(e.message) && Boolean(e.hint) && !/Cannot read properties|Maximum call stack|\ufffd/.test(e.message);

export function registerCases(): void {
  for (const [what, bytes, message] of CASES)
    faultCase('notebook-input', `${what}: run and the workbench refuse it clearly, the file unchanged`, () =>
      withWorkspace(async (dir) => {
        const path = join(dir, 'bad.ipynb');
        writeFileSync(path, bytes);
        await assert.rejects(runNotebook(path, { device: 'cpu' }), clear(message), 'babelscope run');
        const ws = new Workspace(dir);
        await assert.rejects(
          ws.read('bad.ipynb').then((f) => parseNotebook(f.text, f.path)),
          clear(message),
          'the workbench opening it',
        );
        const asText = bytes.toString('utf8');
        if (!asText.includes('\ufffd')) await assert.rejects(ws.write('bad.ipynb', asText, undefined), clear(message), 'the workbench saving that text');
        assert.deepEqual(readFileSync(path), bytes, 'the file is byte-identical');
      }),
    );

  faultCase('notebook-input', 'a Python notebook: run refuses it (it opens, edits and saves; only running needs the TypeScript kernel)', () =>
    withWorkspace(async (dir) => {
      const bytes = readFileSync(join(repoRoot, 'test', 'fixtures', 'notebooks', 'python-written.ipynb'));
      const path = join(dir, 'py.ipynb');
      writeFileSync(path, bytes);
      await assert.rejects(runNotebook(path), clear(/py.ipynb is a python notebook \(kernel "python3"\): Babelscope opens, edits and saves it, but runs only TypeScript notebooks/));
      assert.deepEqual(readFileSync(path), bytes);
      const ws = new Workspace(dir);
      const file = await ws.read('py.ipynb');
      await ws.write('py.ipynb', file.text, file.mtimeMs);
      assert.deepEqual(readFileSync(path), bytes, 'saved unedited through the workbench: the same bytes');
    }),
  );
}
