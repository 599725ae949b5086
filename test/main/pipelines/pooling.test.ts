/** What a capture pools (mean, last, none; a layer subset) and how (float16 by default) on the bundled model. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { capture } from '../../../src/main/pipelines/capture.js';
import { parseLayerList, parsePoolVectors } from '../../../src/main/cli/capture-options.js';
import { DEFAULT_POOLING, LEGACY_POOLING_PARAM } from '../../../src/main/pipelines/pooling.js';
import { alignStoredRun } from '../../../src/main/pipelines/stored-runs.js';
import type { CorpusText } from '../../../src/shared/corpus-text.js';
import { readCorpus } from '../../../src/main/corpus/index.js';
import { Model } from '../../../src/main/model/model.js';
import { openStore } from '../../../src/main/store/index.js';
import { runCli, runCliJson } from '../../helpers/cli.js';
import { testModelDir } from '../../helpers/fixtures.js';

const CORPUS = 'udhr:eng,rus,cmn,arb';

describe('pooling options', () => {
  it('parses --pool and --pool-layers, refusing the rest', () => {
    assert.deepEqual(parsePoolVectors('last,mean'), ['mean', 'last']);
    assert.deepEqual(parsePoolVectors('last,wmean'), ['wmean', 'last']);
    assert.deepEqual(parsePoolVectors('last'), ['last']);
    assert.deepEqual(parsePoolVectors('none'), []);
    assert.throws(() => parsePoolVectors('max'), { name: 'UserError' });
    assert.deepEqual(parseLayerList('0,8,3-5,4'), { layers: [0, 3, 4, 5, 8], ends: [] });
    assert.deepEqual(parseLayerList('final_norm,2,embedding'), { layers: [2], ends: ['embedding', 'final_norm'] });
    assert.deepEqual(parseLayerList('all'), { layers: 'all', ends: ['embedding', 'final_norm'] });
    for (const bad of ['', '1-', '5-3', 'x', '1,,2']) assert.throws(() => parseLayerList(bad), { name: 'UserError' }, bad);
  });
});

describe('pooled vectors of a capture', () => {
  let tmp: string;
  let model: Model;
  let texts: CorpusText[];
  const db = (name: string) => join(tmp, name);

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-pooling-'));
    model = await Model.open(testModelDir, { device: 'cpu' });
    texts = await readCorpus(CORPUS, { maxTextsPerLang: 16 });
  });
  after(async () => {
    await model.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('float16 storage (the default) gives the cosines and MEXA of float32 storage, in half the bytes', async () => {
    const results = [];
    for (const dtype of ['float16', 'float32'] as const) {
      const store = openStore(db(`${dtype}.db`));
      await capture(model, store, texts, { runName: 'capture', corpusSpec: CORPUS, ...(dtype === 'float32' ? { pooling: { ...DEFAULT_POOLING, dtype } } : {}) });
      const run = store.findRun('capture')!;
      const stored = store.db.prepare('SELECT DISTINCT dtype FROM pooled').pluck().all();
      assert.deepEqual(stored, [dtype]);
      const bytes = store.db.prepare('SELECT SUM(length(wmean) + length(mean) + length(last)) FROM pooled').pluck().get() as number;
      results.push({
        bytes,
        wmean: await alignStoredRun(store, run, { pool: 'wmean', pivot: 'eng' }),
        mean: await alignStoredRun(store, run, { pool: 'mean', pivot: 'eng' }),
        last: await alignStoredRun(store, run, { pool: 'last', pivot: 'eng' }),
      });
      store.close();
    }
    const [half, full] = results as [(typeof results)[0], (typeof results)[0]];
    assert.equal(half.bytes * 2, full.bytes);
    for (const pool of ['wmean', 'mean', 'last'] as const) {
      const a = half[pool];
      const b = full[pool];
      assert.equal(a.layers.length, model.info.numLayers);
      let maxDiff = 0;
      a.layers.forEach((l, k) => {
        const m = b.layers[k]!;
        assert.deepEqual(l.mexa, m.mexa, `${pool} MEXA, layer ${l.layer}`);
        assert.deepEqual(l.retrieval, m.retrieval, `${pool} retrieval, layer ${l.layer}`);
        l.meanCosine.forEach((row, i) => row.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v! - m.meanCosine[i]![j]!)))));
      });
      assert.ok(maxDiff < 1e-3, `${pool}: mean cosines differ by ${maxDiff}`);
      assert.deepEqual(a.pivot!.maxLayer, b.pivot!.maxLayer);
    }
  });

  it('--pool last --pool-layers keeps only those, and align says what is missing', async () => {
    const path = db('subset.db');
    const s = await runCliJson(['capture', testModelDir, '--corpus', CORPUS, '--max-texts-per-lang', '16', '--db', path, '--device', 'cpu', '--pool', 'last', '--pool-layers', '1,3']);
    assert.equal(s.texts, texts.length);
    const store = openStore(path, { readonly: true });
    const run = store.findRun('capture')!;
    assert.deepEqual(store.pooledLayers(run.id), [1, 3]);
    assert.deepEqual(store.db.prepare('SELECT COUNT(*) AS n, COUNT(mean) AS means, COUNT(last) AS lasts FROM pooled').get(), { n: 2 * texts.length, means: 0, lasts: 2 * texts.length });
    assert.deepEqual((run.params as { pooling: unknown }).pooling, { vectors: ['last'], layers: [1, 3], dtype: 'float16', ends: [] });
    store.close();
    assert.ok(statSync(path).size < statSync(db('float32.db')).size);

    const missing = await runCli(['align', '--db', path, '--pool', 'mean']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /kept no mean vectors\n {2}Use --pool last/);
    const r = await runCliJson(['align', '--db', path, '--pool', 'last', '--layers', 'blocks']);
    assert.deepEqual(r.layers.map((l: { layer: number }) => l.layer), [1, 3]);
    assert.ok([1, 3].includes(r.pivot.maxLayer.rus));
    // numbered as hidden_states (the default), block 1 is layer 2; layer 4 is the last block after the final norm, which this capture did not pool
    const hf = await runCli(['align', '--db', path, '--pool', 'last', '--json']);
    assert.deepEqual(JSON.parse(hf.stdout).layers.map((l: { layer: number }) => l.layer), [2]);
    assert.match(hf.stderr, /note: layers 0, 1, 3, 4 of this numbering were not pooled/);

    const none = await runCli(['capture', testModelDir, '--corpus', CORPUS, '--max-texts-per-lang', '2', '--db', db('none.db'), '--device', 'cpu', '--pool', 'none', '--json']);
    assert.equal(none.code, 0, none.stderr);
    const noPooled = await runCli(['align', '--db', db('none.db')]);
    assert.match(noPooled.stderr, /no pooled vectors/);
    const badLayer = await runCli(['capture', testModelDir, '--corpus', CORPUS, '--db', db('bad.db'), '--device', 'cpu', '--pool-layers', '2,99']);
    assert.match(badLayer.stderr, /--pool-layers 99: the model has blocks 0\.\.\d+/);
  });

  it('a run made before pooling was a choice resumes as it was made (float32, mean and last, all layers)', async () => {
    const store = openStore(db('legacy.db'));
    try {
      const corpus = store.saveCorpus(CORPUS, texts);
      const info = model.info;
      store.createRun({
        name: 'capture',
        kind: 'capture',
        model: { dir: info.dir, hash: info.hash, architecture: info.architecture, numLayers: info.numLayers, hiddenSize: info.hiddenSize, intermediateSize: info.intermediateSize },
        device: info.device,
        corpusId: corpus.corpusId,
        params: { corpus: CORPUS, maxTokensPerText: info.maxPositions, pooling: LEGACY_POOLING_PARAM },
      });
      const s = await capture(model, store, texts, { runName: 'capture', corpusSpec: CORPUS });
      assert.equal(s.resumed, true);
      assert.deepEqual(store.db.prepare('SELECT DISTINCT dtype FROM pooled').pluck().all(), ['float32']);
      await assert.rejects(
        capture(model, store, texts, { runName: 'capture', corpusSpec: CORPUS, pooling: { vectors: ['mean'], layers: 'all', dtype: 'float16' } }),
        /other parameters/,
      );
    } finally {
      store.close();
    }
  });

  it('a run made before the weighted mean resumes as it was made, and align falls back to its mean, saying so', async () => {
    const path = db('before-wmean.db');
    const store = openStore(path);
    const before = { vectors: ['mean', 'last'], layers: 'all', dtype: 'float16' } as const;
    try {
      // what capture recorded and stored before this change: mean and last at blocks 0..L−1 (stopped after one batch)
      await capture(model, store, texts, { runName: 'capture', corpusSpec: CORPUS, batchSize: 8, stopAfterBatches: 1, flushIntervalMs: -1, pooling: { vectors: ['mean', 'last'], layers: 'all', dtype: 'float16' } });
      store.db.prepare(`UPDATE runs SET params_json = json_set(params_json, '$.pooling', json(?)), status = 'interrupted'`).run(JSON.stringify(before));
      const s = await capture(model, store, texts, { runName: 'capture', corpusSpec: CORPUS });
      assert.equal(s.resumed, true);
      assert.ok(s.skippedAlreadyDone > 0);
      assert.deepEqual(store.db.prepare('SELECT COUNT(wmean) AS w, COUNT(mean) AS m, MIN(layer) AS lo, MAX(layer) AS hi FROM pooled').get(), { w: 0, m: texts.length * model.info.numLayers, lo: 0, hi: model.info.numLayers - 1 });
    } finally {
      store.close();
    }
    const r = await runCli(['align', '--db', path, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.pool, 'mean');
    assert.match(r.stderr, /no position-weighted means/);
    assert.deepEqual(out.missingLayers, [0, model.info.numLayers]);
    assert.deepEqual(out.layers.map((l: { layer: number }) => l.layer), Array.from({ length: model.info.numLayers - 1 }, (_, h) => h + 1));
    const wmean = await runCli(['align', '--db', path, '--pool', 'wmean']);
    assert.match(wmean.stderr, /kept no position-weighted mean vectors\n {2}Use --pool mean/);
  });
});
