/**
 * onnxruntime-genai model-builder graphs (scripts/make_genai_fixture.py: the builder's ops and names,
 * SkipSimplifiedLayerNormalization, GroupQueryAttention with in-op rotary, no position_ids) against a
 * torch reference computed with plain ops from the same weights.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Model } from '../../../src/main/model/model.js';
import { decode, loadReference, maxAbsDiff, type Reference } from '../../helpers/fixtures.js';
import { fixturesDir } from '../../helpers/paths.js';
import { runCliJson } from '../../helpers/cli.js';

const dir = join(fixturesDir, 'genai', 'llama');
const TOL = 1e-4;

describe('onnxruntime-genai builder graph', () => {
  let model: Model;
  let ref: Reference & { ablation: { layer: number; neurons: number[]; scale: number; logits: { shape: number[]; dtype: 'float32'; data: string } } };
  before(async () => {
    ref = loadReference(join(dir, 'reference.json')) as typeof ref;
    model = await Model.open(dir, { device: 'cpu', log: () => {} });
  });
  after(() => model.dispose());

  it('inspect finds every residual through the fused norms, the last one from the final norm it makes output its sum', async () => {
    const j = await runCliJson(['inspect', dir]);
    const names = Object.fromEntries((j.taps as { name: string; onnxName: string }[]).map((t) => [t.name, t.onnxName]));
    assert.equal(names['resid_post.0'], '/model/layers.1/input_layernorm/output_3');
    assert.equal(names['resid_post.2'], '/model/layers.3/final_norm_layernorm/output_3');
    assert.equal(names['mlp_act.1'], '/model/layers.1/mlp/act_fn/Mul/output_0');
    assert.equal(names['final_norm'], '/model/layers.3/final_norm_layernorm/output_0');
    assert.ok(!j.inputs.includes('position_ids'));
  });

  it('logits and every tap equal the plain-op torch reference', async () => {
    const L = model.info.numLayers;
    const H = model.info.hiddenSize;
    const I = model.info.intermediateSize;
    for (const t of ref.texts) {
      const taps = [...Array(L).keys()].flatMap((i) => [`resid_post.${i}`, `mlp_act.${i}`]).concat('final_norm');
      const r = await model.forward({ inputIds: [t.input_ids], taps });
      const T = t.input_ids.length;
      assert.ok(maxAbsDiff(r.logits!.data, decode(t.logits)) <= TOL, `${t.lang} logits`);
      const resid = decode(t.resid_post);
      const act = decode(t.mlp_act);
      for (let l = 0; l < L; l++) {
        assert.ok(maxAbsDiff(r.taps[`resid_post.${l}`]!.data, resid.subarray(l * T * H, (l + 1) * T * H)) <= TOL, `${t.lang} resid_post.${l}`);
        assert.ok(maxAbsDiff(r.taps[`mlp_act.${l}`]!.data, act.subarray(l * T * I, (l + 1) * T * I)) <= TOL, `${t.lang} mlp_act.${l}`);
      }
      assert.ok(maxAbsDiff(r.taps['final_norm']!.data, decode(t.final_norm)) <= TOL);
    }
  });

  it('the logit lens reuses the fused final norm (its epsilon too): top-5 ids and probabilities equal the reference', async () => {
    for (const t of ref.texts) {
      const r = await model.lens({ inputIds: [t.input_ids], topK: 5 });
      t.lens.forEach((perPos, l) =>
        perPos.forEach((want, p) => {
          assert.deepEqual(r.texts[0]!.topIds[l]![p], want.ids, `${t.lang} layer ${l} pos ${p}`);
          assert.ok(maxAbsDiff(r.texts[0]!.topProbs[l]![p]!, want.probs) <= TOL);
        }),
      );
    }
  });

  it('a padded batch, greedy generation with GroupQueryAttention past, ablation and capture work', async () => {
    const ids = ref.texts.map((t) => t.input_ids);
    const batch = await model.forward({ inputIds: ids });
    const V = model.info.vocabSize;
    const T = Math.max(...ids.map((x) => x.length));
    const short = ref.texts[1]!;
    assert.ok(maxAbsDiff(batch.logits!.data.subarray(T * V, T * V + short.input_ids.length * V), decode(short.logits)) <= TOL, 'right-padded row');
    const g = await model.generate({ inputIds: ref.greedy.prompt_ids, maxNewTokens: ref.greedy.generated_ids.length, stopTokenIds: [] });
    assert.deepEqual(g.ids, ref.greedy.generated_ids);
    const a = ref.ablation;
    const ablated = await model.forward({ inputIds: [ref.texts[0]!.input_ids], interventions: a.neurons.map((index) => ({ layer: a.layer, index, scale: a.scale })) });
    assert.ok(maxAbsDiff(ablated.logits!.data, decode(a.logits)) <= TOL);
    const stats = await model.captureStats(ids);
    assert.equal(stats.layers.length, model.info.numLayers);
    assert.ok(stats.nllSum.every((x) => Number.isFinite(x) && x > 0));
  });
});

describe('4-bit GatherBlockQuantized embedding and MatMulNBits unembedding (the q4 variant)', () => {
  it('taps are found from the quantized embedding; the lens re-runs the graph\'s own quantized head: top-5 equal the dequantized reference', async () => {
    const ref = loadReference(join(dir, 'reference_q4.json'));
    const model = await Model.open(dir, { device: 'cpu', variant: 'q4', log: () => {} });
    try {
      assert.match(model.info.onnxPath, /model_q4\.onnx$/);
      assert.ok(model.info.taps.some((t) => t.kind === 'final_norm'));
      for (const t of ref.texts) {
        const f = await model.forward({ inputIds: [t.input_ids], taps: ['resid_post.1'] });
        assert.ok(maxAbsDiff(f.logits!.data, decode(t.logits)) <= TOL, `${t.lang} logits`);
        const T = t.input_ids.length;
        const H = model.info.hiddenSize;
        assert.ok(maxAbsDiff(f.taps['resid_post.1']!.data, decode(t.resid_post).subarray(T * H, 2 * T * H)) <= TOL, `${t.lang} resid_post.1`);
        const r = await model.lens({ inputIds: [t.input_ids], topK: 5 });
        t.lens.forEach((perPos, l) =>
          perPos.forEach((want, p) => {
            assert.deepEqual(r.texts[0]!.topIds[l]![p], want.ids, `${t.lang} layer ${l} pos ${p}`);
            assert.ok(maxAbsDiff(r.texts[0]!.topProbs[l]![p]!, want.probs) <= TOL);
          }),
        );
        // The last layer's lens is the model's own output distribution.
        const V = model.info.vocabSize;
        const last = t.input_ids.length - 1;
        const row = f.logits!.data.subarray(last * V, (last + 1) * V);
        const top = [...row.keys()].sort((a, b) => row[b]! - row[a]!)[0];
        assert.equal(r.texts[0]!.topIds[model.info.numLayers - 1]![last]![0], top);
      }
    } finally {
      await model.dispose();
    }
  });
});

describe('dynamic int8 unembedding (the quantized variant: DynamicQuantizeLinear → MatMulInteger → scale)', () => {
  it('the lens re-runs the quantized head: at the last layer it is exactly the model\'s own next-token distribution', async () => {
    const ref = loadReference(join(dir, 'reference.json'));
    const model = await Model.open(dir, { device: 'cpu', variant: 'quantized', log: () => {} });
    try {
      const L = model.info.numLayers;
      const V = model.info.vocabSize;
      for (const t of ref.texts) {
        const f = await model.forward({ inputIds: [t.input_ids] });
        const r = await model.lens({ inputIds: [t.input_ids], topK: 3 });
        t.input_ids.forEach((_, p) => {
          const row = f.logits!.data.subarray(p * V, (p + 1) * V);
          const max = Math.max(...row);
          const z = row.reduce((s, x) => s + Math.exp(x - max), 0);
          const order = [...row.keys()].sort((a, b) => row[b]! - row[a]!).slice(0, 3);
          assert.deepEqual(r.texts[0]!.topIds[L - 1]![p], order, `${t.lang} pos ${p}`);
          assert.ok(maxAbsDiff(r.texts[0]!.topProbs[L - 1]![p]!, order.map((i) => Math.exp(row[i]! - max) / z)) <= 1e-5);
        });
        // Earlier layers give proper distributions too, close to the float model's lens.
        const agree = t.lens.flatMap((perPos, l) => perPos.map((want, p) => r.texts[0]!.topIds[l]![p]![0] === want.ids[0])).filter(Boolean).length;
        assert.ok(agree / (L * t.input_ids.length) >= 0.8, `${agree} of ${L * t.input_ids.length} lens top-1 agree with the float model`);
      }
    } finally {
      await model.dispose();
    }
  });
});
