import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openStore } from '../../../src/main/store/index.js';
import { modelA, tempDir } from './fixtures.js';

const tmp = tempDir();
after(tmp.cleanup);

const corpus = [
  { lang: 'eng', id: '1.1', text: 'All human beings are born free.' },
  { lang: 'rus', id: '1.1', text: 'Все люди рождаются свободными.' },
  { lang: 'eng', id: '2.1', text: 'Everyone is entitled to all the rights.' },
];

test('saveCorpus stores texts once per content and keeps their order', () => {
  const store = openStore(join(tmp.dir, 'corpus.db'));
  const first = store.saveCorpus('udhr:eng,rus', corpus);
  assert.equal(first.created, true);
  assert.deepEqual(
    first.texts.map(({ lang, id, text }) => ({ lang, id, text })),
    corpus,
  );
  const again = store.saveCorpus('udhr:eng,rus', corpus);
  assert.equal(again.created, false);
  assert.deepEqual(again, { ...first, created: false });
  assert.equal(store.saveCorpus('other', corpus.slice(0, 2)).created, true);
  assert.deepEqual(store.readCorpus(first.corpusId), first.texts);
  assert.deepEqual(store.db.prepare('SELECT lang, n_texts FROM languages WHERE corpus_id = ? ORDER BY lang').all(first.corpusId), [
    { lang: 'eng', n_texts: 2 },
    { lang: 'rus', n_texts: 1 },
  ]);
  store.close();
});

test('pooled vectors round-trip per layer with language and corpus id', () => {
  const store = openStore(join(tmp.dir, 'pooled.db'));
  const { corpusId, texts } = store.saveCorpus('inline', corpus);
  const run = store.createRun({ kind: 'capture', model: modelA, corpusId });
  const vec = (seed: number) => Float32Array.from({ length: 5 }, (_, i) => seed + i / 8);
  store.savePooled(
    run.id,
    texts.flatMap((t) => [0, 1].map((layer) => ({ textId: t.textId, layer, mean: vec(t.textId * 10 + layer), last: vec(-t.textId) }))),
    'float32',
  );
  const rows = store.readPooled(run.id, 1);
  assert.deepEqual(
    rows.map((r) => [r.lang, r.key]),
    [
      ['eng', '1.1'],
      ['rus', '1.1'],
      ['eng', '2.1'],
    ],
  );
  assert.deepEqual(rows[1]!.mean, vec(texts[1]!.textId * 10 + 1));
  assert.deepEqual(rows[2]!.last, vec(-texts[2]!.textId));
  assert.deepEqual(store.readPooled(run.id, 5), []);
  store.close();
});

test('pooled vectors are float16 by default, float32 where a value exceeds the half range, and either kind may be absent', () => {
  const store = openStore(join(tmp.dir, 'pooled16.db'));
  const { corpusId, texts } = store.saveCorpus('inline', corpus);
  const run = store.createRun({ kind: 'capture', model: modelA, corpusId });
  const [t0, t1, t2] = texts.map((t) => t.textId) as [number, number, number];
  const mean = Float32Array.from([0.1, -3.3, 1000.7, 1e-3]);
  const huge = Float32Array.from([1, 2, 70000, 4]);
  store.savePooled(run.id, [
    { textId: t0, layer: 0, mean, last: null },
    { textId: t1, layer: 0, mean: huge, last: mean },
    { textId: t2, layer: 0, mean: null, last: mean },
  ]);
  const dtypes = store.db.prepare('SELECT dtype FROM pooled ORDER BY text_id').pluck().all();
  assert.deepEqual(dtypes, ['float16', 'float32', 'float16']);
  const [r0, r1, r2] = store.readPooled(run.id, 0);
  // float16 keeps 11 significant bits: relative error at most 2^-11.
  for (let i = 0; i < mean.length; i++) assert.ok(Math.abs(r0!.mean![i]! - mean[i]!) <= Math.abs(mean[i]!) * 2 ** -11, `${r0!.mean![i]} vs ${mean[i]}`);
  assert.equal(r0!.last, null);
  assert.deepEqual(r1!.mean, huge, 'the out-of-range row is kept exactly');
  assert.deepEqual(r1!.last, mean);
  assert.equal(r2!.mean, null);
  assert.equal(store.readPooled(run.id, 0, 'last')[1]!.mean, null, 'only = last leaves the means unread');
  assert.deepEqual(store.readPooled(run.id, 0, 'mean')[1]!.mean, huge);
  assert.deepEqual(store.pooledLayers(run.id), [0]);
  const bytes = store.db.prepare('SELECT length(mean) FROM pooled WHERE text_id = ?').pluck().get(t0);
  assert.equal(bytes, mean.length * 2);
  store.close();
});

test('raw activations round-trip with their shape', () => {
  const store = openStore(join(tmp.dir, 'acts.db'));
  const { texts } = store.saveCorpus('inline', corpus);
  const run = store.createRun({ kind: 'capture', model: modelA });
  const tensor = { data: Float32Array.from({ length: 6 }, (_, i) => i - 2.5), dims: [1, 2, 3] };
  store.saveActivation(run.id, texts[0]!.textId, 'resid_post.3', tensor);
  assert.deepEqual(store.readActivation(run.id, texts[0]!.textId, 'resid_post.3'), tensor);
  assert.equal(store.readActivation(run.id, texts[0]!.textId, 'mlp_act.0'), undefined);
  assert.deepEqual(store.listActivations(run.id), [{ textId: texts[0]!.textId, point: 'resid_post.3', shape: [1, 2, 3] }]);
  assert.throws(() => store.saveActivation(run.id, texts[0]!.textId, 'x', { data: new Float32Array(5), dims: [2, 3] }), /do not match/);
  store.close();
});

test('BLOBs are plain little-endian arrays with a JSON shape (what numpy or DuckDB read)', () => {
  const store = openStore(join(tmp.dir, 'plain.db'));
  const run = store.createRun({ kind: 'capture', model: modelA });
  store.addNeuronStats(run.id, 0, 'eng', { tokens: 2, positiveCounts: new Float64Array([1, 2]), sums: new Float64Array([0.5, -1]), sumSquares: new Float64Array([3, 4]) });
  const row = store.db.prepare('SELECT shape, dtype, sums FROM neuron_stats').get() as { shape: string; dtype: string; sums: Buffer };
  assert.equal(row.shape, '[2]');
  assert.equal(row.dtype, 'float64');
  assert.deepEqual([row.sums.readDoubleLE(0), row.sums.readDoubleLE(8)], [0.5, -1]);
  store.close();
});
