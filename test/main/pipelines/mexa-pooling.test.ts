/**
 * MEXA's sentence embedding on the bundled model: the capture's `wmean` and `last` vectors at the
 * embedding output, after every block and after the final norm equal cisnlp/MEXA embed_extractor.py's
 * weighting applied to torch's hidden states (test/fixtures/mexa-pooling-reference.json, made by
 * scripts/make_mexa_pooling_reference.py), and `align` numbers layers as MEXA does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { align } from '../../../src/main/api/alignment.js';
import { capture } from '../../../src/main/pipelines/capture.js';
import { storedLayerOf } from '../../../src/main/pipelines/pooling.js';
import { Model } from '../../../src/main/model/model.js';
import { openStore } from '../../../src/main/store/index.js';
import { decode, maxAbsDiff, testModelDir, type EncodedArray } from '../../helpers/fixtures.js';
import { fixturesDir } from '../../helpers/paths.js';

interface PoolingFixture {
  numLayers: number;
  texts: { lang: string; text: string; input_ids: number[]; wmean: EncodedArray; last: EncodedArray }[];
}

const fx = JSON.parse(readFileSync(join(fixturesDir, 'mexa-pooling-reference.json'), 'utf8')) as PoolingFixture;

describe("MEXA's position-weighted mean and Hugging Face layers, on the bundled model", () => {
  let tmp: string;
  let model: Model;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-mexa-pooling-'));
    model = await Model.open(testModelDir, { device: 'cpu' });
  });
  after(async () => {
    await model.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('wmean and last equal embed_extractor.py on torch hidden states at every hidden_states layer (float32, 1e-4)', async () => {
    const L = model.info.numLayers;
    assert.equal(L, fx.numLayers);
    const texts = fx.texts.map((t, k) => ({ lang: t.lang, id: `t${k}`, text: t.text }));
    const enc = await model.tokenizer.encodeBatch(texts.map((t) => t.text));
    enc.forEach((e, k) => assert.deepEqual(e.ids, fx.texts[k]!.input_ids, 'the capture sees the reference token ids, <bos> included'));
    const store = openStore(join(tmp, 'ref.db'));
    try {
      await capture(model, store, texts, { runName: 'capture', corpusSpec: 'reference', pooling: { vectors: ['wmean', 'mean', 'last'], layers: 'all', dtype: 'float32', ends: ['embedding', 'final_norm'] } });
      const run = store.findRun('capture')!;
      assert.deepEqual(store.pooledLayers(run.id), [-1, ...Array.from({ length: L }, (_, l) => l), L]);
      for (let h = 0; h <= L; h++) {
        // hidden_states[h]: the embedding output, block h − 1, or the final norm of the last block
        const stored = h === 0 ? storedLayerOf('embedding', L) : h === L ? storedLayerOf('final_norm', L) : h - 1;
        const rows = new Map(store.readPooled(run.id, stored).map((r) => [r.key, r]));
        fx.texts.forEach((t, k) => {
          const H = model.info.hiddenSize;
          const want = (a: EncodedArray) => decode(a).subarray(h * H, (h + 1) * H);
          const row = rows.get(`t${k}`)!;
          const scale = Math.max(1, ...Array.from(want(t.wmean), Math.abs));
          const dw = maxAbsDiff(row.wmean!, want(t.wmean));
          assert.ok(dw <= 1e-4 * scale, `wmean, hidden_states[${h}], ${t.lang}: ${dw}`);
          const dl = maxAbsDiff(row.last!, want(t.last));
          assert.ok(dl <= 1e-4 * Math.max(1, ...Array.from(want(t.last), Math.abs)), `last, hidden_states[${h}], ${t.lang}: ${dl}`);
          // and it is not the uniform mean (which drops <bos> and weighs tokens alike)
          assert.ok(maxAbsDiff(row.wmean!, row.mean!) > 1e-3, `wmean differs from mean at hidden_states[${h}]`);
        });
      }
    } finally {
      store.close();
    }
  });

  it('align reports hidden_states layers by default (wmean), blocks on request', async () => {
    const path = join(tmp, 'ref.db');
    const hf = await align({ store: path, kernel: 'js', save: false, pivot: 'eng' });
    const L = model.info.numLayers;
    assert.equal(hf.pool, 'wmean');
    assert.equal(hf.layerIndexing, 'hidden_states');
    assert.match(hf.layerNote, /0 = embedding output/);
    assert.deepEqual(hf.layers.map((l) => l.layer), Array.from({ length: L + 1 }, (_, h) => h));
    assert.deepEqual(hf.missingLayers, []);
    const blocks = await align({ store: path, kernel: 'js', save: false, pivot: 'eng', layers: 'blocks', pool: 'mean' });
    assert.deepEqual(blocks.layers.map((l) => l.layer), Array.from({ length: L }, (_, l) => l));
    // hidden_states[h] for 1 ≤ h < L is block h − 1: the same similarities
    const hfMean = await align({ store: path, kernel: 'js', save: false, pivot: 'eng', pool: 'mean' });
    for (let h = 1; h < L; h++) assert.deepEqual(hfMean.layers[h]!.meanCosine, blocks.layers[h - 1]!.meanCosine);
  });
});
