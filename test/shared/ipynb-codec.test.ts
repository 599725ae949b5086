/**
 * The one .ipynb codec: an unedited save gives back the bytes that were read whatever wrote them, an
 * edit changes only the lines of what was edited, and bad files are refused with a message that says why.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isUserError } from '../../src/shared/errors.js';
import { decodeNotebookBytes, parseNotebook, runRefusal, serializeNotebook } from '../../src/shared/ipynb-codec.js';
import { newCell, newNotebook } from '../../src/shared/notebook-doc.js';
import { fixturesDir, repoRoot } from '../helpers/paths.js';
import { changedLines } from '../helpers/changed-lines.js';

const python = {
  cells: [
    { cell_type: 'markdown', id: 'intro', metadata: {}, source: ['# Café ☕\n', 'Zürich'] },
    { cell_type: 'code', execution_count: 1, id: 'c1', metadata: { tags: ['x'] }, outputs: [{ name: 'stdout', output_type: 'stream', text: ['0.5 1.0\n'] }], source: ['x = 1.0\n', 'print(x / 2, x)'] },
  ],
  metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' }, language_info: { name: 'python', version: '3.11.2' } },
  nbformat: 4,
  nbformat_minor: 5,
};

/** Layouts other writers use, each an exact text to get back. */
const LAYOUTS: [string, string][] = [
  ['Jupyter (indent 1, sorted keys, final newline)', JSON.stringify(python, null, 1) + '\n'],
  ['two spaces, no final newline', JSON.stringify(python, null, 2)],
  ['four spaces, CRLF', JSON.stringify(python, null, 4).replace(/\n/g, '\r\n') + '\r\n'],
  ['tabs, keys in another order', JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: python.metadata, cells: python.cells.map(({ source, ...c }) => ({ source, ...c })) }, null, '\t')],
  ['one line', JSON.stringify(python)],
  ['one line with spaces', JSON.stringify(python).replace(/":/g, '": ').replace(/,"/g, ', "')],
  ['a byte-order mark', '\uFEFF' + JSON.stringify(python, null, 1) + '\n'],
  ['ASCII escapes (ensure_ascii)', JSON.stringify(python, null, 1).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n'],
  ['floats written as 1.0, escaped slashes', JSON.stringify(python, null, 1).replace('"execution_count": 1,', '"execution_count": 1,\n   "x_float": 1.0,\n   "x_exp": 1e-05,').replace('Zürich', 'Z\\/ü\\u0072ich') + '\n'],
  ['nbformat 4.4 without cell ids, sources as strings', JSON.stringify({ ...python, nbformat_minor: 4, cells: python.cells.map(({ id: _id, ...c }) => ({ ...c, source: c.source.join('') })) }, null, 1) + '\n'],
];

describe('ipynb codec: saving changes nothing you did not change', () => {
  for (const [name, text] of LAYOUTS)
    it(`gives back the bytes it read: ${name}`, () => {
      assert.equal(serializeNotebook(parseNotebook(text, 'x.ipynb')), text);
    });

  it('gives back every demo notebook and the Jupyter-written fixtures (TypeScript and Python) byte for byte', () => {
    const files = readdirSync(join(repoRoot, 'notebooks'))
      .filter((f) => f.endsWith('.ipynb'))
      .map((f) => join(repoRoot, 'notebooks', f));
    files.push(join(fixturesDir, 'notebooks', 'jupyter-written.ipynb'), join(fixturesDir, 'notebooks', 'python-written.ipynb'));
    assert.ok(files.length >= 8);
    for (const f of files) {
      const text = decodeNotebookBytes(readFileSync(f), f);
      assert.equal(serializeNotebook(parseNotebook(text, f)), text, f);
    }
  });

  for (const [name, text] of LAYOUTS.slice(0, 4))
    it(`an edit changes only the edited lines, in the file's layout: ${name}`, () => {
      const doc = parseNotebook(text, 'x.ipynb');
      doc.cells[1]!.source = 'x = 2.0\nprint(x / 2, x)';
      const edited = serializeNotebook(doc);
      assert.deepEqual(changedLines(text, edited), { removed: 1, added: 1 });
      assert.ok(edited.includes(text.includes('\r\n') ? '"x = 2.0\\n",\r\n' : '"x = 2.0\\n",\n'), 'the source stays a list of lines');
      const back = parseNotebook(edited, 'x.ipynb');
      assert.equal(back.cells[1]!.source, 'x = 2.0\nprint(x / 2, x)');
      assert.equal(back.cells[0]!.source, '# Café ☕\nZürich');
    });

  it('an inserted cell adds its own lines only, indented and sorted like the file', () => {
    const text = LAYOUTS[0]![1];
    const doc = parseNotebook(text, 'x.ipynb');
    doc.cells.splice(1, 0, { ...newCell('markdown', 'new'), id: 'fresh' });
    const edited = serializeNotebook(doc);
    const { removed, added } = changedLines(text, edited);
    assert.equal(removed, 0);
    assert.equal(added, 8);
    assert.ok(edited.includes('  {\n   "cell_type": "markdown",\n   "id": "fresh",\n   "metadata": {},\n   "source": [\n    "new"\n   ]\n  },\n'), edited);
  });

  it('a string source stays a string; new text keeps the file’s ASCII escapes; a 4.4 file gets no ids', () => {
    const doc = parseNotebook(LAYOUTS[9]![1], 'x.ipynb');
    doc.cells[0]!.source = 'Ärger';
    const file = JSON.parse(serializeNotebook(doc)) as { nbformat_minor: number; cells: Record<string, unknown>[] };
    assert.equal(file.cells[0]!['source'], 'Ärger');
    assert.equal(file.nbformat_minor, 4);
    assert.ok(file.cells.every((c) => !('id' in c)));
    const ascii = parseNotebook(LAYOUTS[7]![1], 'x.ipynb');
    ascii.cells[0]!.source = 'Ärger';
    assert.match(serializeNotebook(ascii), /"\\u00c4rger"/);
  });

  it('a new notebook is written as Jupyter writes it', () => {
    const text = serializeNotebook(newNotebook());
    assert.match(text, /^\{\n "cells": \[\n  \{\n   "cell_type": "code",\n   "execution_count": null,\n   "id": "[0-9a-f]{8}",\n   "metadata": \{\},\n   "outputs": \[\],\n   "source": \[\]\n  \}\n \],\n "metadata": \{\n  "kernelspec": \{/);
    assert.ok(text.endsWith('"nbformat": 4,\n "nbformat_minor": 5\n}\n'));
    assert.equal(serializeNotebook(parseNotebook(text)), text);
  });

  it('opens, edits and saves a Python notebook; only running is refused, with why and what to do', () => {
    const doc = parseNotebook(LAYOUTS[0]![1], 'py.ipynb');
    doc.cells[1]!.source = 'print(2)';
    assert.match(serializeNotebook(doc), /"print\(2\)"/);
    const refusal = runRefusal(doc, 'py.ipynb');
    assert.ok(refusal && isUserError(refusal));
    assert.match(refusal.message, /py.ipynb is a python notebook \(kernel "python3"\): Babelscope opens, edits and saves it, but runs only TypeScript notebooks/);
    assert.match(refusal.hint ?? '', /nbconvert --execute/);
  });
});

describe('ipynb codec: bad files get a message that says what is wrong', () => {
  const refused = (text: string, message: RegExp) =>
    assert.throws(
      () => parseNotebook(text, 'bad.ipynb'),
      (e: unknown) => isUserError(e) && message.test(e.message) && Boolean(e.hint),
    );

  it('refuses non-UTF-8 bytes instead of replacing them (café never becomes caf\\ufffd)', () => {
    const latin1 = Buffer.from('{"cells": [], "metadata": {"title": "café"}, "nbformat": 4, "nbformat_minor": 5}', 'latin1');
    assert.throws(
      () => decodeNotebookBytes(latin1, 'dir/bad.ipynb'),
      (e: unknown) => isUserError(e) && e.message === `dir/bad.ipynb is not UTF-8 text (byte ${latin1.indexOf(0xe9)} is 0xe9); notebooks are UTF-8` && /iconv -f latin1 -t utf-8 bad.ipynb/.test(e.hint ?? ''),
    );
    assert.equal(decodeNotebookBytes(Buffer.from('café', 'utf8')), 'café');
    assert.equal(decodeNotebookBytes(Buffer.from('\uFEFF{}', 'utf8')), '\uFEFF{}', 'a byte-order mark is kept (and written back)');
  });

  it('says which field is wrong and how', () => {
    refused('{"cells": [null], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', /^bad.ipynb: cell 1 is null, not a cell object$/);
    refused('{"cells": [], "metadata": {}, "nbformat": "4", "nbformat_minor": 5}', /gives "nbformat" as the string "4"; it must be a number/);
    refused('[' .repeat(5000) + ']'.repeat(5000), /nests lists and objects 5000 levels deep \(at most 256 are read\)/);
    refused('{"cells": {}, "nbformat": 4}', /"cells" is an object, not a list/);
    refused('{"cells": [{"cell_type": "code", "source": 3}], "nbformat": 4}', /cell 1 has a "source" that is number 3/);
    refused('{"cells": [{"cell_type": "code", "source": "", "outputs": [null]}], "nbformat": 4}', /cell 1, output 1 is null, not an output/);
    refused('{"nbformat": 4.5, "cells": []}', /"nbformat" as number 4.5/);
    refused('"just a string"', /its JSON is string "just a string"/);
  });
});
