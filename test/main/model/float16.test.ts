/**
 * A model that computes in float16 (scripts/make_fp16_fixture.py: the Qwen2 fixture converted): taps,
 * lens, capture reductions and interventions work, read as float32, and stay close to the float32
 * torch reference (float16 weights and arithmetic cost about three decimal digits).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Model } from '../../../src/main/model/model.js';
import { decode, loadReference, maxAbsDiff, type Reference } from '../../helpers/fixtures.js';
import { fixturesDir } from '../../helpers/paths.js';

describe('float16 model', () => {
  let model: Model;
  let ref: Reference;
  before(async () => {
    ref = loadReference(join(fixturesDir, 'arch', 'qwen2', 'reference.json'));
    model = await Model.open(join(fixturesDir, 'arch', 'qwen2-fp16'), { device: 'cpu', log: () => {} });
  });
  after(() => model.dispose());

  it('logits and taps come back as float32, near the float32 reference', async () => {
    for (const t of ref.texts) {
      const r = await model.forward({ inputIds: [t.input_ids], taps: ['resid_post.1', 'mlp_act.0'] });
      assert.ok(r.logits!.data instanceof Float32Array);
      const logits = decode(t.logits);
      const scale = Math.max(...logits.map(Math.abs));
      assert.ok(maxAbsDiff(r.logits!.data, logits) < 0.02 * scale, `logits differ by ${maxAbsDiff(r.logits!.data, logits)}`);
      const T = t.input_ids.length;
      const H = model.info.hiddenSize;
      const resid = decode(t.resid_post).subarray(T * H, 2 * T * H);
      assert.ok(maxAbsDiff(r.taps['resid_post.1']!.data, resid) < 0.02 * Math.max(...resid.map(Math.abs)));
    }
  });

  it('the in-graph lens runs in float32 and agrees with the reference top-1 almost everywhere', async () => {
    let same = 0;
    let total = 0;
    for (const t of ref.texts) {
      const r = await model.lens({ inputIds: [t.input_ids], topK: 5 });
      t.lens.forEach((perPos, l) =>
        perPos.forEach((want, p) => {
          total++;
          if (r.texts[0]!.topIds[l]![p]![0] === want.ids[0]) same++;
          assert.ok(Math.abs(r.texts[0]!.topProbs[l]![p]![0]! - want.probs[0]!) < 0.02);
        }),
      );
    }
    assert.ok(same / total >= 0.9, `${same}/${total} top-1 agree`);
  });

  it('capture reductions and neuron interventions work', async () => {
    const ids = ref.texts.map((t) => t.input_ids);
    const stats = await model.captureStats(ids);
    assert.equal(stats.layers.length, model.info.numLayers);
    assert.ok(stats.layers[0]!.positive.every((v) => Number.isInteger(v) && v >= 0));
    assert.ok(stats.nllSum.every((v) => Number.isFinite(v) && v > 0));
    const plain = await model.forward({ inputIds: [ids[0]!], taps: ['mlp_act.0', 'resid_post.1'] });
    const ablated = await model.forward({ inputIds: [ids[0]!], taps: ['mlp_act.0', 'resid_post.1'], interventions: [{ layer: 0, index: 3, scale: 0 }] });
    const I = model.info.intermediateSize;
    for (let p = 0; p < ids[0]!.length; p++) assert.ok(ablated.taps['mlp_act.0']!.data[p * I + 3] === 0);
    assert.ok(maxAbsDiff(plain.taps['resid_post.1']!.data, ablated.taps['resid_post.1']!.data) > 0);
  });
});
