/** The engine against torch reference values computed by scripts/train_tiny_model.py. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Model } from '../../../src/main/model/model.js';
import { OnnxEngine } from '../../../src/main/model/onnx-engine.js';
import { join } from 'node:path';
import { decode, loadReference, maxAbsDiff, testCheckpointDirs, testModelDir, type Reference } from '../../helpers/fixtures.js';
import { fixturesDir } from '../../helpers/paths.js';
import { nextTokenNll } from '../../../src/main/pipelines/batches.js';

const TOL = 1e-4;

describe('engine vs torch reference', () => {
  let model: Model;
  let ref: Reference;
  before(async () => {
    ref = loadReference();
    model = await Model.open(testModelDir, { device: 'cpu' });
  });
  after(() => model.dispose());

  it('reads the model shape from config and graph', () => {
    const c = ref.config;
    assert.equal(model.info.numLayers, c['num_hidden_layers']);
    assert.equal(model.info.hiddenSize, c['hidden_size']);
    assert.equal(model.info.intermediateSize, c['intermediate_size']);
    assert.equal(model.info.vocabSize, c['vocab_size']);
    assert.deepEqual(
      model.info.taps.map((t) => t.name),
      [...Array(model.info.numLayers).keys()].flatMap((i) => [`resid_post.${i}`, `mlp_act.${i}`]).concat('final_norm'),
    );
  });

  it('tokenizes exactly like the reference', async () => {
    for (const t of ref.texts) {
      const enc = await model.tokenizer.encode(t.text);
      assert.deepEqual(enc.ids, t.input_ids, t.lang);
      assert.deepEqual(enc.tokens, t.tokens, t.lang);
      assert.equal(enc.offsets.length, enc.ids.length);
    }
  });

  it('logits and every tap equal torch (max abs diff ≤ 1e-4)', async () => {
    const L = model.info.numLayers;
    const taps = [...Array(L).keys()].flatMap((i) => [`resid_post.${i}`, `mlp_act.${i}`]).concat('final_norm');
    for (const t of ref.texts) {
      const r = await model.forward({ inputIds: [t.input_ids], taps });
      assert.ok(maxAbsDiff(r.logits!.data, decode(t.logits)) <= TOL, `${t.lang} logits`);
      const T = t.input_ids.length;
      const resid = decode(t.resid_post);
      const act = decode(t.mlp_act);
      for (let l = 0; l < L; l++) {
        const H = model.info.hiddenSize;
        const I = model.info.intermediateSize;
        const dr = maxAbsDiff(r.taps[`resid_post.${l}`]!.data, resid.subarray(l * T * H, (l + 1) * T * H));
        const da = maxAbsDiff(r.taps[`mlp_act.${l}`]!.data, act.subarray(l * T * I, (l + 1) * T * I));
        assert.ok(dr <= TOL, `${t.lang} resid_post.${l}: ${dr}`);
        assert.ok(da <= TOL, `${t.lang} mlp_act.${l}: ${da}`);
      }
      assert.ok(maxAbsDiff(r.taps['final_norm']!.data, decode(t.final_norm)) <= TOL, `${t.lang} final_norm`);
    }
  });

  it('logit lens: identical top-1 at every layer and position, probabilities within 1e-4', async () => {
    for (const t of ref.texts) {
      const r = await model.lens({ inputIds: [t.input_ids], topK: 5 });
      const got = r.texts[0]!;
      t.lens.forEach((perPos, l) =>
        perPos.forEach((want, p) => {
          assert.equal(got.topIds[l]![p]![0], want.ids[0], `${t.lang} layer ${l} pos ${p} top-1`);
          assert.ok(maxAbsDiff(got.topProbs[l]![p]!, want.probs) <= TOL, `${t.lang} layer ${l} pos ${p} probs`);
        }),
      );
      // The last layer's lens is the model's own output: its entropy is the entropy of softmax(logits)
      // from the torch reference.
      const V = model.info.vocabSize;
      const logits = decode(t.logits);
      const last = got.entropy[got.entropy.length - 1]!;
      assert.equal(last.length, t.input_ids.length);
      last.forEach((h, p) => {
        const row = logits.subarray(p * V, (p + 1) * V);
        let max = -Infinity;
        for (const x of row) max = Math.max(max, x);
        let z = 0;
        for (const x of row) z += Math.exp(x - max);
        let want = 0;
        for (const x of row) {
          const q = Math.exp(x - max) / z;
          if (q > 0) want -= q * Math.log(q);
        }
        assert.ok(Math.abs(h - want) <= 1e-3, `${t.lang} pos ${p}: lens entropy ${h} vs logits entropy ${want}`);
      });
      // Every layer: between the min-entropy −log(top-1 probability) of that layer and log(vocabulary).
      got.entropy.forEach((perPos, l) =>
        perPos.forEach((h, p) => {
          assert.ok(h >= -Math.log(got.topProbs[l]![p]![0]!) - 1e-4, `${t.lang} layer ${l} pos ${p}: entropy ${h} below the top-1 bound`);
          assert.ok(h <= Math.log(V) + 1e-4, `${t.lang} layer ${l} pos ${p}: entropy ${h} above log V`);
        }),
      );
    }
  });

  it('a padded batch gives the same per-token values as single runs', async () => {
    const ids = ref.texts.map((t) => t.input_ids);
    const taps = ['resid_post.1', 'mlp_act.2'];
    const batch = await model.forward({ inputIds: ids, taps });
    const maxLen = Math.max(...ids.map((x) => x.length));
    for (const [b, one] of ids.entries()) {
      const single = await model.forward({ inputIds: [one], taps });
      for (const name of ['logits', ...taps]) {
        const bt = name === 'logits' ? batch.logits! : batch.taps[name]!;
        const st = name === 'logits' ? single.logits! : single.taps[name]!;
        const w = bt.dims[2]!;
        const rows = bt.data.subarray(b * maxLen * w, (b * maxLen + one.length) * w);
        assert.ok(maxAbsDiff(rows, st.data) <= 1e-5, `text ${b} ${name}`);
      }
    }
  });

  it('the lens on a padded batch gives each text what it gives alone (top-k, entropy, mass per token set)', async () => {
    const ids = ref.texts.map((t) => t.input_ids);
    assert.ok(new Set(ids.map((x) => x.length)).size > 1, 'texts of different lengths, so the batch is padded');
    const V = model.info.vocabSize;
    const numSets = 3;
    const data = new Float32Array(V * numSets);
    for (let id = 0; id < V; id++) data[id * numSets + (id % numSets)] = 1;
    const batch = await model.lens({ inputIds: ids, topK: 3, tokenSets: { data, numSets } });
    for (const [b, one] of ids.entries()) {
      const single = (await model.lens({ inputIds: [one], topK: 3, tokenSets: { data, numSets } })).texts[0]!;
      const got = batch.texts[b]!;
      assert.deepEqual(got.topIds, single.topIds, `text ${b} top ids`);
      for (const key of ['topProbs', 'entropy', 'setMass'] as const)
        assert.ok(maxAbsDiff(got[key]!.flat(2), single[key]!.flat(2)) <= 1e-5, `text ${b} ${key}`);
      // Three sets covering the vocabulary: each position's masses sum to 1.
      got.setMass!.flat().forEach((m) => assert.ok(Math.abs(m[0]! + m[1]! + m[2]! - 1) <= 1e-4));
    }
  });

  it('greedy generation with the KV cache equals torch full recompute', async () => {
    const g = ref.greedy;
    const r = await model.generate({ inputIds: g.prompt_ids, maxNewTokens: g.generated_ids.length, stopTokenIds: [] });
    assert.deepEqual(r.ids, g.generated_ids);
    assert.equal(r.stoppedBy, 'length');
  });

  it('sampling is reproducible with a seed and differs across seeds', async () => {
    const prompt = ref.greedy.prompt_ids;
    const a = await model.generate({ inputIds: prompt, maxNewTokens: 10, temperature: 1.5, seed: 1, stopTokenIds: [] });
    const b = await model.generate({ inputIds: prompt, maxNewTokens: 10, temperature: 1.5, seed: 1, stopTokenIds: [] });
    const c = await model.generate({ inputIds: prompt, maxNewTokens: 10, temperature: 1.5, seed: 2, stopTokenIds: [] });
    assert.deepEqual(a.ids, b.ids);
    assert.notDeepEqual(a.ids, c.ids);
  });

  it('zeroing neurons changes only what flows after them', async () => {
    const ids = [ref.texts[0]!.input_ids];
    const plain = await model.forward({ inputIds: ids, taps: ['mlp_act.1', 'resid_post.0', 'resid_post.1'] });
    const ablated = await model.forward({
      inputIds: ids,
      taps: ['mlp_act.1', 'resid_post.0', 'resid_post.1'],
      interventions: [0, 1, 2, 3].map((index) => ({ layer: 1, index, scale: 0 })),
    });
    assert.equal(maxAbsDiff(plain.taps['resid_post.0']!.data, ablated.taps['resid_post.0']!.data), 0);
    const act = ablated.taps['mlp_act.1']!;
    const w = act.dims[2]!;
    for (let p = 0; p < ids[0]!.length; p++) for (let n = 0; n < 4; n++) assert.ok(act.data[p * w + n] === 0, `neuron ${n} at ${p} is ${act.data[p * w + n]}`);
    assert.ok(maxAbsDiff(plain.taps['resid_post.1']!.data, ablated.taps['resid_post.1']!.data) > 0);
    // Scale 1 is the identity.
    const same = await model.forward({ inputIds: ids, taps: ['resid_post.3'], interventions: [{ layer: 1, index: 0, scale: 1 }] });
    const base = await model.forward({ inputIds: ids, taps: ['resid_post.3'] });
    assert.ok(maxAbsDiff(same.taps['resid_post.3']!.data, base.taps['resid_post.3']!.data) <= 1e-6);
  });
});

describe('the lens in chunks of rows (as for a large vocabulary)', () => {
  it('gives torch top-1 and the numbers of the lens in one chunk when each layer takes several chunks, the last one partial', async () => {
    const ref = loadReference();
    const chunked = await Model.open(testModelDir, { device: 'cpu', lensChunkRows: 8 });
    const whole = await Model.open(testModelDir, { device: 'cpu' });
    try {
      const ids = ref.texts.map((t) => t.input_ids);
      const rows = ids.length * Math.max(...ids.map((x) => x.length));
      assert.ok(rows > 8 && rows % 8 !== 0, `${rows} rows: several chunks of 8, the last partial`);
      const V = chunked.info.vocabSize;
      const numSets = 3;
      const data = new Float32Array(V * numSets);
      for (let id = 0; id < V; id++) data[id * numSets + (id % numSets)] = 1;
      const a = await chunked.lens({ inputIds: ids, topK: 5, tokenSets: { data, numSets } });
      const b = await whole.lens({ inputIds: ids, topK: 5, tokenSets: { data, numSets } });
      for (const [i, t] of ref.texts.entries()) {
        const got = a.texts[i]!;
        t.lens.forEach((perPos, l) => perPos.forEach((want, p) => assert.equal(got.topIds[l]![p]![0], want.ids[0], `${t.lang} layer ${l} pos ${p} top-1`)));
        assert.deepEqual(got.topIds, b.texts[i]!.topIds, `${t.lang} top ids`);
        for (const key of ['topProbs', 'entropy', 'setMass'] as const) assert.ok(maxAbsDiff(got[key]!.flat(2), b.texts[i]![key]!.flat(2)) <= 1e-5, `${t.lang} ${key}`);
      }
      const single = await chunked.lens({ inputIds: [ids[0]!.slice(0, 3)], topK: 2 });
      assert.equal(single.texts[0]!.topIds[0]!.length, 3, 'fewer rows than one chunk');
    } finally {
      await chunked.dispose();
      await whole.dispose();
    }
  });
});

describe('a training checkpoint (model.onnx at the folder root, weights inline)', () => {
  it('gives the torch logits of that checkpoint', async () => {
    const ref = loadReference(join(fixturesDir, 'tiny-babel-01-english-reference.json'));
    const model = await Model.open(testCheckpointDirs[0]!, { device: 'cpu' });
    try {
      for (const t of ref.texts) {
        const enc = await model.tokenizer.encode(t.text);
        assert.deepEqual(enc.ids, t.input_ids);
        const r = await model.forward({ inputIds: [t.input_ids] });
        assert.ok(maxAbsDiff(r.logits!.data, decode(t.logits)) <= TOL);
      }
    } finally {
      await model.dispose();
    }
  });
});

describe('one session, features switched by inputs', () => {
  it('in-graph NLL equals the NLL computed from the logits, with and without ablated neurons', async () => {
    const ref = loadReference();
    const ids = ref.texts.map((t) => t.input_ids);
    const model = await Model.open(testModelDir, { device: 'cpu' });
    try {
      for (const interventions of [[], [{ layer: 2, index: 5, scale: 0 }, { layer: 0, index: 7, scale: 0 }]]) {
        const r = await model.nll({ inputIds: ids, interventions });
        const f = await model.forward({ inputIds: ids, interventions });
        const maxLen = Math.max(...ids.map((x) => x.length));
        const V = model.info.vocabSize;
        ids.forEach((x, i) => {
          const want = nextTokenNll(f.logits!.data, V, x, i * maxLen * V);
          assert.equal(r.nllCount[i], want.count);
          assert.ok(Math.abs(r.nllSum[i]! - want.sum) <= 1e-3 * want.count, `text ${i}: ${r.nllSum[i]} vs ${want.sum}`);
        });
      }
      const plain = await model.nll({ inputIds: ids });
      const ablated = await model.nll({ inputIds: ids, interventions: [{ layer: 2, index: 5, scale: 0 }] });
      assert.notDeepEqual(plain.nllSum, ablated.nllSum);
    } finally {
      await model.dispose();
    }
  });

  it('lens, capture, NLL, scales and taps interleaved on one model give the same numbers each time', async () => {
    const ref = loadReference();
    const ids = [ref.texts[1]!.input_ids];
    const model = await Model.open(testModelDir, { device: 'cpu' });
    try {
      const a = await model.forward({ inputIds: ids, taps: ['resid_post.2'] });
      const lens = await model.lens({ inputIds: ids, topK: 1 });
      const stats = await model.captureStats(ids);
      const ablated = await model.forward({ inputIds: ids, taps: ['resid_post.2'], interventions: [{ layer: 1, index: 0, scale: 0 }] });
      const nll = await model.nll({ inputIds: ids });
      const b = await model.forward({ inputIds: ids, taps: ['resid_post.2'] });
      assert.equal(maxAbsDiff(a.taps['resid_post.2']!.data, b.taps['resid_post.2']!.data), 0);
      assert.equal(maxAbsDiff(a.logits!.data, b.logits!.data), 0);
      assert.ok(maxAbsDiff(a.taps['resid_post.2']!.data, ablated.taps['resid_post.2']!.data) > 0, 'the scale input changes later layers');
      assert.equal(lens.texts[0]!.topIds[0]![0]![0], ref.texts[1]!.lens[0]![0]!.ids[0]);
      assert.equal(nll.nllSum[0], stats.nllSum[0]);
    } finally {
      await model.dispose();
    }
  });
  it('the lens is built into the session at its first request (or at open with lens: true): the same numbers before and after', async () => {
    const ref = loadReference();
    const ids = ref.texts.map((t) => t.input_ids);
    const later = await OnnxEngine.open(testModelDir, { device: 'cpu' });
    const atOpen = await OnnxEngine.open(testModelDir, { device: 'cpu', lens: true });
    try {
      assert.equal(later.lensInSession, false);
      assert.equal(atOpen.lensInSession, true);
      const before = await later.captureStats(ids);
      const forward = await later.forward({ inputIds: ids, taps: ['mlp_act.1'] });
      await assert.rejects(later.lens({ inputIds: ids, topK: 0 }), /topK/);
      assert.equal(later.lensInSession, false, 'a bad request does not make the session again');
      const lens = await later.lens({ inputIds: ids, topK: 3 });
      assert.equal(later.lensInSession, true);
      assert.deepEqual(lens, await atOpen.lens({ inputIds: ids, topK: 3 }));
      ids.forEach((x, i) => assert.equal(lens.texts[i]!.topIds[0]![0]![0], ref.texts[i]!.lens[0]![0]!.ids[0]));
      const after = await later.captureStats(ids);
      assert.deepEqual(after, before);
      assert.equal(maxAbsDiff((await later.forward({ inputIds: ids, taps: ['mlp_act.1'] })).taps['mlp_act.1']!.data, forward.taps['mlp_act.1']!.data), 0);
    } finally {
      await later.dispose();
      await atOpen.dispose();
    }
  });
});
