import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { NeuronStatsAccumulator, openStore } from '../../../src/main/store/index.js';
import { countsOfText, expectedCounts, modelA, tempDir } from './fixtures.js';

const tmp = tempDir();
after(tmp.cleanup);

test('addNeuronStats adds to what is stored, per layer and language', () => {
  const store = openStore(join(tmp.dir, 'add.db'));
  const run = store.createRun({ kind: 'capture', model: modelA });
  const width = 7;
  for (const id of [1, 2, 3]) store.addNeuronStats(run.id, 0, 'eng', countsOfText(id, width));
  store.addNeuronStats(run.id, 0, 'rus', countsOfText(10, width));
  store.addNeuronStats(run.id, 2, 'eng', countsOfText(4, width));

  const stats = store.readNeuronStats(run.id);
  assert.deepEqual(stats.languages, ['eng', 'rus']);
  assert.equal(stats.numLayers, 3);
  assert.equal(stats.width, width);
  assert.deepEqual(stats.layers[0]!['eng'], expectedCounts([1, 2, 3], width));
  assert.deepEqual(stats.layers[0]!['rus'], expectedCounts([10], width));
  assert.deepEqual(stats.layers[1], {});
  assert.deepEqual(stats.layers[2]!['eng'], expectedCounts([4], width));
  assert.deepEqual(Object.keys(store.readLayerStats(run.id, 0)), ['eng', 'rus']);

  const other = store.createRun({ kind: 'capture', model: modelA });
  assert.equal(store.readNeuronStats(other.id).numLayers, 0);
  store.close();
});

test('a write of another width is refused', () => {
  const store = openStore(join(tmp.dir, 'width.db'));
  const run = store.createRun({ kind: 'capture', model: modelA });
  store.addNeuronStats(run.id, 0, 'eng', countsOfText(1, 4));
  assert.throws(() => store.addNeuronStats(run.id, 0, 'eng', countsOfText(1, 5)), /width 4, not 5/);
  assert.deepEqual(store.readNeuronStats(run.id).layers[0]!['eng'], expectedCounts([1], 4));
  store.close();
});

test('the accumulator counts act > 0, sums and squares per neuron, skipping masked tokens', () => {
  const acc = new NeuronStatsAccumulator(2, 3, ['eng', 'rus']);
  // 3 tokens × 3 neurons; the last token is padding.
  acc.add(1, 'eng', new Float32Array([1, -2, 0, 0.5, 3, -1, 100, 100, 100]), [1, 1, 0]);
  acc.add(1, 'eng', new Float32Array([2, 0, 0]));
  acc.add(0, 'rus', new Float32Array([-1, -1, -1]));
  assert.equal(acc.pendingTokens, 4);
  const deltas = acc.flush();
  assert.deepEqual(
    deltas.map((d) => [d.layer, d.lang, d.tokens]),
    [
      [0, 'rus', 1],
      [1, 'eng', 3],
    ],
  );
  const eng = deltas[1]!;
  assert.deepEqual([...eng.positiveCounts], [3, 1, 0]);
  assert.deepEqual([...eng.sums], [3.5, 1, -1]);
  assert.deepEqual([...eng.sumSquares], [5.25, 13, 1]);
  assert.deepEqual([...deltas[0]!.positiveCounts], [0, 0, 0]);
  assert.deepEqual(acc.flush(), [], 'flush starts afresh');
});

test('the accumulator rejects bad input as bugs', () => {
  const acc = new NeuronStatsAccumulator(2, 3, ['eng']);
  assert.throws(() => acc.add(2, 'eng', new Float32Array(3)), /outside/);
  assert.throws(() => acc.add(0, 'deu', new Float32Array(3)), /not one of/);
  assert.throws(() => acc.add(0, 'eng', new Float32Array(4)), /whole rows/);
  assert.throws(() => acc.add(0, 'eng', new Float32Array(6), [1]), /tokenMask/);
});

test('accumulator deltas written by commitBatch add up across batches', () => {
  const store = openStore(join(tmp.dir, 'batches.db'));
  const { texts } = store.saveCorpus('inline', [
    { lang: 'eng', id: '1', text: 'a' },
    { lang: 'eng', id: '2', text: 'b' },
  ]);
  const run = store.createRun({ kind: 'capture', model: modelA });
  const acc = new NeuronStatsAccumulator(1, 2, ['eng']);
  for (const text of texts) {
    acc.add(0, 'eng', new Float32Array([1, -1, 2, 0]));
    store.commitBatch(run.id, { stats: acc.flush(), done: [{ textId: text.textId, nTokens: 2 }] });
  }
  const eng = store.readNeuronStats(run.id).layers[0]!['eng']!;
  assert.equal(eng.tokens, 4);
  assert.deepEqual([...eng.positiveCounts], [4, 0]);
  assert.deepEqual([...eng.sums], [6, -2]);
  assert.deepEqual(store.doneTextIds(run.id), new Set(texts.map((t) => t.textId)));
  assert.deepEqual(store.db.prepare('SELECT n_tokens FROM capture_progress').pluck().all(), [2, 2]);

  // Capturing a text twice is a bug; the whole batch is refused, so nothing counts double.
  acc.add(0, 'eng', new Float32Array([1, 1]));
  assert.throws(() => store.commitBatch(run.id, { stats: acc.flush(), done: [texts[0]!.textId] }), /already marked done/);
  assert.equal(store.readNeuronStats(run.id).layers[0]!['eng']!.tokens, 4);
  store.close();
});
