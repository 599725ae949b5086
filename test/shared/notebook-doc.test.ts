/** The renderer's notebook model (pure code shared with the browser). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNotebook, serializeNotebook } from '../../src/shared/ipynb-codec.js';
import { deleteCell, mergeWithNext, moveCell, newCell, splitCell, changeCellType } from '../../src/shared/notebook-doc.js';

const FILE = {
  nbformat: 4,
  nbformat_minor: 4,
  metadata: { kernelspec: { name: 'babelscope', display_name: 'TypeScript (Babelscope)', language: 'typescript' }, other_tool: { x: 1 } },
  cells: [
    { cell_type: 'markdown', metadata: { tags: ['intro'] }, source: ['# Title\n', 'text'], attachments: { 'a.png': { 'image/png': 'AAAA' } } },
    { id: 'c2', cell_type: 'code', metadata: {}, execution_count: 3, source: 'x + 1', outputs: [{ output_type: 'stream', name: 'stdout', text: ['a\n', 'b\n'] }, { output_type: 'execute_result', execution_count: 3, metadata: {}, data: { 'text/plain': ['42'], 'text/html': ['<b>', '42</b>'] } }] },
  ],
};

describe('notebook document', () => {
  it('reads nbformat 4: sources and texts joined, ids given where missing, unknown fields kept; writes Jupyter’s shape', () => {
    const doc = parseNotebook(JSON.stringify(FILE));
    assert.equal(doc.cells[0]!.source, '# Title\ntext');
    assert.match(doc.cells[0]!.id, /^[0-9a-f]{8}$/);
    assert.equal(doc.cells[1]!.outputs![0]!['text'], 'a\nb\n');
    assert.equal((doc.cells[1]!.outputs![1]!['data'] as Record<string, string>)['text/html'], '<b>42</b>');
    const back = JSON.parse(serializeNotebook(doc)) as typeof FILE & { cells: Record<string, unknown>[] };
    assert.equal(back.nbformat_minor, 4, 'the file keeps its minor version');
    assert.equal('id' in back.cells[0]!, false, 'nbformat 4.4 has no cell ids: the one made in memory is not written');
    assert.equal(back.cells[1]!['id'], 'c2');
    assert.deepEqual(back.metadata.other_tool, { x: 1 });
    assert.deepEqual(back.cells[0]!['attachments'], FILE.cells[0]!.attachments);
    assert.deepEqual(back.cells[0]!['metadata'], { tags: ['intro'] });
    assert.deepEqual(back.cells[0]!['source'], ['# Title\n', 'text']);
    assert.equal(back.cells[1]!['source'], 'x + 1', 'a source written as one string stays one string');
    assert.equal(back.cells[1]!['execution_count'], 3);
    assert.deepEqual((back.cells[1]!['outputs'] as Record<string, unknown>[])[0]!['text'], ['a\n', 'b\n']);
    // A second round trip changes nothing.
    assert.equal(serializeNotebook(parseNotebook(serializeNotebook(doc))), serializeNotebook(doc));
  });

  it('refuses what is not a notebook with a message that says why', () => {
    assert.throws(() => parseNotebook('{oops'), /not valid JSON/);
    assert.throws(() => parseNotebook('{"nbformat":4}'), /"cells" is missing, not a list/);
    assert.throws(() => parseNotebook('{"nbformat":3,"cells":[]}'), /nbformat 3/);
    assert.throws(() => parseNotebook('{"nbformat":4,"cells":[{"cell_type":"widget"}]}'), /unknown cell_type/);
  });

  it('cell operations: split at the cursor, merge, move, delete (never to an empty notebook), change type', () => {
    const a = { ...newCell('code', 'const a = 1\nconst b = 2'), outputs: [{ output_type: 'stream', name: 'stdout', text: 'x' }], execution_count: 1 };
    const c = newCell('markdown', '# md');
    const split = splitCell([a, c], 0, 'const a = 1\n'.length);
    assert.deepEqual(split.map((x) => x.source), ['const a = 1', 'const b = 2', '# md']);
    assert.equal(split[0]!.id, a.id);
    assert.deepEqual(split[0]!.outputs, [], 'outputs of a split cell no longer match its code');
    assert.notEqual(split[1]!.id, a.id);
    const merged = mergeWithNext(split, 0);
    assert.deepEqual(merged.map((x) => x.source), ['const a = 1\nconst b = 2', '# md']);
    assert.deepEqual(moveCell(merged, 1, -1).map((x) => x.cell_type), ['markdown', 'code']);
    assert.equal(moveCell(merged, 0, -1), merged, 'the first cell cannot move up');
    const none = deleteCell([a], 0);
    assert.equal(none.length, 1);
    assert.equal(none[0]!.source, '');
    const md = changeCellType(a, 'markdown');
    assert.equal(md.cell_type, 'markdown');
    assert.equal('outputs' in md, false);
  });
});
