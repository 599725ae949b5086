/**
 * onnxruntime-genai model-builder Gemma-2 graphs (scripts/make_genai_gemma_fixture.py: the builder's
 * ops and names — the +1 norm offset folded into the weights, the sqrt(hidden) embedding Mul, sandwich
 * norms, softcapped sliding-window GroupQueryAttention, gelu-tanh MLP, the final logit softcap
 * Div → Tanh → Mul) against a torch reference computed with plain ops from the same weights.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Model } from '../../../src/main/model/model.js';
import { decode, loadReference, maxAbsDiff, type Reference, type ReferenceText } from '../../helpers/fixtures.js';
import { fixturesDir } from '../../helpers/paths.js';
import { runCliJson } from '../../helpers/cli.js';

const dir = join(fixturesDir, 'genai', 'gemma2');
const TOL = 1e-4;

type GemmaReference = Reference & { ablation: { layer: number; neurons: number[]; scale: number; logits: { shape: number[]; dtype: 'float32'; data: string } } };

/** Lens top-5 ids equal, probabilities within TOL, at every layer and position. */
function assertLensMatches(got: { topIds: number[][][]; topProbs: number[][][] }, t: ReferenceText): void {
  t.lens.forEach((perPos, l) =>
    perPos.forEach((want, p) => {
      assert.deepEqual(got.topIds[l]![p], want.ids, `${t.lang} layer ${l} pos ${p}`);
      assert.ok(maxAbsDiff(got.topProbs[l]![p]!, want.probs) <= TOL, `${t.lang} layer ${l} pos ${p} probs`);
    }),
  );
}

/** Logits, every residual and MLP activation, and the final norm of one text within TOL. */
async function assertForwardMatches(model: Model, t: ReferenceText): Promise<void> {
  const L = model.info.numLayers;
  const H = model.info.hiddenSize;
  const I = model.info.intermediateSize;
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
  assert.ok(maxAbsDiff(r.taps['final_norm']!.data, decode(t.final_norm)) <= TOL, `${t.lang} final_norm`);
}

/** −log softmax(logits)[next token], summed over a text's predictions. */
function referenceNll(logits: Float32Array, ids: number[], V: number): number {
  let sum = 0;
  for (let t = 0; t + 1 < ids.length; t++) {
    const row = logits.subarray(t * V, (t + 1) * V);
    const max = Math.max(...row);
    const z = row.reduce((s, x) => s + Math.exp(x - max), 0);
    sum += -(row[ids[t + 1]!]! - max - Math.log(z));
  }
  return sum;
}

describe('onnxruntime-genai builder Gemma-2 graph', () => {
  let model: Model;
  let ref: GemmaReference;
  before(async () => {
    ref = loadReference(join(dir, 'reference.json')) as GemmaReference;
    model = await Model.open(dir, { device: 'cpu', log: () => {} });
  });
  after(() => model.dispose());

  it('inspect finds every residual through the sandwich-normed blocks, the gelu activation by name, and the final norm', async () => {
    const j = await runCliJson(['inspect', dir]);
    assert.equal(j.modelType, 'gemma2');
    const taps = Object.fromEntries((j.taps as { name: string; onnxName: string; foundBy: string }[]).map((t) => [t.name, t]));
    const L = ref.config['num_hidden_layers'] as number;
    for (let i = 0; i < L; i++) {
      // The post-attention and post-feedforward norms are plain norms of the block's outputs; the
      // residual sums are the fused norms' output 3 (pre-feedforward: mid-block; next input norm: after it).
      const next = i + 1 < L ? `/model/layers.${i + 1}/input_layernorm/output_3` : `/model/layers.${L}/final_norm_layernorm/output_3`;
      assert.equal(taps[`resid_post.${i}`]?.onnxName, next);
      assert.equal(taps[`mlp_act.${i}`]?.onnxName, `/model/layers.${i}/mlp/act_fn/FastGelu/output_0`);
      assert.equal(taps[`mlp_act.${i}`]?.foundBy, 'name');
    }
    assert.equal(taps['final_norm']?.onnxName, `/model/layers.${L}/final_norm_layernorm/output_0`);
  });

  it('logits and every tap equal the plain-op torch reference', async () => {
    assert.equal(model.info.headDim, 32, 'head_size from genai_config.json, not hidden / heads');
    for (const t of ref.texts) await assertForwardMatches(model, t);
  });

  it('the logit lens applies the fused final norm with its folded offset once, and the final logit softcap: top-5 equal the reference', async () => {
    const L = model.info.numLayers;
    const V = model.info.vocabSize;
    for (const t of ref.texts) {
      const r = await model.lens({ inputIds: [t.input_ids], topK: 5 });
      assertLensMatches(r.texts[0]!, t);
      // At the last layer the lens is the model's own (softcapped) next-token distribution.
      const logits = decode(t.logits);
      t.input_ids.forEach((_, p) => {
        const row = logits.subarray(p * V, (p + 1) * V);
        const max = Math.max(...row);
        const z = row.reduce((s, x) => s + Math.exp(x - max), 0);
        assert.ok(Math.abs(r.texts[0]!.topProbs[L - 1]![p]![0]! - 1 / z) <= TOL, `${t.lang} pos ${p}`);
      });
    }
  });

  it('a padded batch, greedy generation past the sliding window with GroupQueryAttention past, ablation, capture and NLL equal the reference', async () => {
    const ids = ref.texts.map((t) => t.input_ids);
    const V = model.info.vocabSize;
    const H = model.info.hiddenSize;
    const I = model.info.intermediateSize;
    const batch = await model.forward({ inputIds: ids });
    const T = Math.max(...ids.map((x) => x.length));
    ref.texts.forEach((t, b) => {
      const n = t.input_ids.length;
      assert.ok(maxAbsDiff(batch.logits!.data.subarray(b * T * V, b * T * V + n * V), decode(t.logits)) <= TOL, `${t.lang} row of the right-padded batch`);
    });
    const g = await model.generate({ inputIds: ref.greedy.prompt_ids, maxNewTokens: ref.greedy.generated_ids.length, stopTokenIds: [] });
    assert.deepEqual(g.ids, ref.greedy.generated_ids);
    const a = ref.ablation;
    const ablated = await model.forward({ inputIds: [ref.texts[0]!.input_ids], interventions: a.neurons.map((index) => ({ layer: a.layer, index, scale: a.scale })) });
    assert.ok(maxAbsDiff(ablated.logits!.data, decode(a.logits)) <= TOL);

    const stats = await model.captureStats(ids);
    assert.equal(stats.layers.length, model.info.numLayers);
    ref.texts.forEach((t, b) => {
      const n = t.input_ids.length;
      const first = t.input_ids[0] === model.info.bosTokenId ? 1 : 0;
      const resid = decode(t.resid_post);
      const act = decode(t.mlp_act);
      stats.layers.forEach((layer, l) => {
        const last = resid.subarray((l * n + n - 1) * H, (l * n + n) * H);
        assert.ok(maxAbsDiff(layer.residLast.subarray(b * H, (b + 1) * H), last) <= TOL, `${t.lang} resid_last ${l}`);
        const sums = new Float32Array(I);
        for (let p = first; p < n; p++) for (let k = 0; k < I; k++) sums[k]! += act[(l * n + p) * I + k]!;
        assert.ok(maxAbsDiff(layer.sums.subarray(b * I, (b + 1) * I), sums) <= TOL * n, `${t.lang} act sums ${l}`);
      });
      assert.ok(Math.abs(stats.nllSum[b]! - referenceNll(decode(t.logits), t.input_ids, V)) <= TOL * n, `${t.lang} nll`);
      // MEXA's position-weighted sum (weights 1..n, <bos> included) of every block, and the final norm's output pooled too
      const weights = (n * (n + 1)) / 2;
      assert.equal(stats.weightSum[b], weights);
      stats.layers.forEach((layer, l) => {
        const want = new Float32Array(H);
        for (let p = 0; p < n; p++) for (let h = 0; h < H; h++) want[h]! += (p + 1) * resid[(l * n + p) * H + h]!;
        assert.ok(maxAbsDiff(layer.residWeightedSum.subarray(b * H, (b + 1) * H), want) <= TOL * weights, `${t.lang} resid_wsum ${l}`);
      });
      const finalNorm = decode(t.final_norm);
      assert.ok(maxAbsDiff(stats.ends.final_norm!.residLast.subarray(b * H, (b + 1) * H), finalNorm.subarray((n - 1) * H, n * H)) <= TOL, `${t.lang} final norm, last token`);
      assert.equal(stats.ends.embedding!.residSum.length, ids.length * H);
    });
  });
});

describe('Gemma-2 int4 export: every MatMul a 4-bit MatMulNBits, the head under the softcap too (the q4 variant)', () => {
  it('the MLP width is read off MatMulNBits, taps equal the dequantized reference, and the lens re-runs the quantized head and its softcap (3 rows at a time)', async () => {
    const ref = loadReference(join(dir, 'reference_q4.json'));
    const model = await Model.open(dir, { device: 'cpu', variant: 'q4', log: () => {}, lensChunkRows: 3 });
    try {
      assert.match(model.info.onnxPath, /model_q4\.onnx$/);
      assert.equal(model.info.intermediateSize, ref.config['intermediate_size']);
      for (const t of ref.texts) {
        assert.ok(t.input_ids.length > 3 && t.input_ids.length % 3 !== 0, 'several chunks, the last partial');
        await assertForwardMatches(model, t);
        assertLensMatches((await model.lens({ inputIds: [t.input_ids], topK: 5 })).texts[0]!, t);
      }
    } finally {
      await model.dispose();
    }
  });
});

describe('Gemma-2 float16 export: float32 norms and residual stream, float16 everywhere else (the fp16 variant)', () => {
  it('finds the float32 residuals through the builder\'s casts; taps, lens and capture stay near the float32 reference', async () => {
    const ref = loadReference(join(dir, 'reference.json'));
    const model = await Model.open(dir, { device: 'cpu', variant: 'fp16', log: () => {} });
    try {
      const L = model.info.numLayers;
      const H = model.info.hiddenSize;
      const taps = Object.fromEntries(model.info.taps.map((t) => [t.name, t.onnxName]));
      assert.equal(taps[`resid_post.${L - 1}`], `/model/layers.${L}/final_norm_layernorm/output_3`);
      assert.equal(taps['final_norm'], `/model/layers.${L}/final_norm_layernorm/output_0`, 'the float16 cast of the norm, which the head reads');
      let same = 0;
      let total = 0;
      for (const t of ref.texts) {
        const T = t.input_ids.length;
        const r = await model.forward({ inputIds: [t.input_ids], taps: [...Array(L).keys()].map((l) => `resid_post.${l}`) });
        assert.ok(r.logits!.data instanceof Float32Array);
        // Float16 weights and arithmetic cost about three decimal digits; the softcapped logits are within ±4.
        assert.ok(maxAbsDiff(r.logits!.data, decode(t.logits)) < 0.03, `${t.lang} logits`);
        const resid = decode(t.resid_post);
        for (let l = 0; l < L; l++) {
          const want = resid.subarray(l * T * H, (l + 1) * T * H);
          assert.ok(maxAbsDiff(r.taps[`resid_post.${l}`]!.data, want) < 0.01 * Math.max(...want.map(Math.abs)), `${t.lang} resid_post.${l}`);
        }
        const lens = await model.lens({ inputIds: [t.input_ids], topK: 5 });
        t.lens.forEach((perPos, l) =>
          perPos.forEach((want, p) => {
            total++;
            if (lens.texts[0]!.topIds[l]![p]![0] === want.ids[0]) same++;
            assert.ok(Math.abs(lens.texts[0]!.topProbs[l]![p]![0]! - want.probs[0]!) < 1e-3, `${t.lang} layer ${l} pos ${p}`);
          }),
        );
      }
      assert.ok(same / total >= 0.9, `${same}/${total} lens top-1 agree`);
      const stats = await model.captureStats(ref.texts.map((t) => t.input_ids));
      assert.equal(stats.layers.length, L);
      assert.ok(stats.nllSum.every((v) => Number.isFinite(v) && v > 0));
    } finally {
      await model.dispose();
    }
  });
});
