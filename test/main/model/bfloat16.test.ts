/**
 * A bfloat16 model (scripts/make_bf16_fixture.py: the Qwen2 fixture as `model_bf16.onnx`, the `bf16`
 * variant). onnxruntime's CPU provider has no bf16 arithmetic kernels, so on CPU the model runs from a
 * float32 copy of its weights made once in the cache; bf16 → float32 is exact, so the numbers equal torch
 * with bf16-rounded weights up to the graph's own constants rounded to bf16 (relative 2^-9 at most):
 * TOL_REL of each tensor's largest magnitude. On CUDA the graph keeps bf16 with casts at its boundaries.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Model } from '../../../src/main/model/model.js';
import { float32Name, instrumentModel } from '../../../src/main/model/instrument.js';
import { describeModel } from '../../../src/main/model/model-description.js';
import { OnnxType, readOnnxGraph } from '../../../src/main/model/onnx-graph.js';
import { concatBytes } from '../../../src/main/model/protobuf.js';
import { runCli, runCliJson } from '../../helpers/cli.js';
import { externalDataCopy } from '../../helpers/onnx-edit.js';
import { decode, loadReference, maxAbsDiff, type EncodedArray, type Reference } from '../../helpers/fixtures.js';
import { fixturesDir } from '../../helpers/paths.js';

const dir = join(fixturesDir, 'arch', 'qwen2-bf16');
/** bfloat16's unit roundoff, 2^-9: the most a constant of the graph moved when it was rounded. */
const TOL_REL = 2 ** -9;

type Bf16Reference = Reference & {
  greedy: { generated_probs: number[] };
  ablation: { text: number; interventions: { layer: number; index: number; scale: number }[]; resid_post: EncodedArray; final_norm: EncodedArray };
};

const largest = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
  const d = maxAbsDiff(got, want);
  assert.ok(d <= TOL_REL * largest(want), `${what}: max |diff| ${d} > ${TOL_REL} × ${largest(want)}`);
};

function filesUnder(d: string): string[] {
  return readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('bfloat16 model on CPU', () => {
  let work: string;
  let cache: string;
  let model: Model;
  let ref: Bf16Reference;
  const logs: string[] = [];
  const previous = process.env['BABELSCOPE_CACHE'];
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'babelscope-bf16-'));
    cache = join(work, 'cache');
    process.env['BABELSCOPE_CACHE'] = cache;
    ref = loadReference(join(dir, 'reference.json')) as Bf16Reference;
    model = await Model.open(dir, { device: 'cpu', variant: 'bf16', log: (m) => logs.push(m) });
  });
  after(async () => {
    await model.dispose();
    if (previous === undefined) delete process.env['BABELSCOPE_CACHE'];
    else process.env['BABELSCOPE_CACHE'] = previous;
    rmSync(work, { recursive: true, force: true });
  });
  const L = () => model.info.numLayers;
  const allTaps = () => [...Array(L()).keys()].flatMap((i) => [`resid_post.${i}`, `mlp_act.${i}`]).concat('final_norm');

  it('opens from one float32 copy of the weights, made once, with a one-line message', async () => {
    assert.equal(model.info.dtype, 'bfloat16');
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /is bfloat16, which onnxruntime cannot compute on CPU: running on a float32 copy of its weights \(made now, once in .*float32\)/);
    const files = filesUnder(cache).filter((f) => !f.endsWith('file-hashes.json'));
    assert.deepEqual(files.map((f) => f.split('/').slice(-2).join('/')).sort(), ['float32/graph.onnx', 'float32/weights.bin'], 'one graph and one weights file');
    const copy = readOnnxGraph(new Uint8Array(readFileSync(files.find((f) => f.endsWith('graph.onnx'))!)));
    assert.ok([...copy.inputs, ...copy.outputs].every((v) => v.elemType !== OnnxType.BFLOAT16), 'no bfloat16 left in the copy');
    assert.ok([...copy.initializers.values()].every((i) => i.dataType !== OnnxType.BFLOAT16));
    // bf16 weights widened to float32: twice the bytes (alignment padding aside).
    const bf16Bytes = [...readOnnxGraph(new Uint8Array(readFileSync(join(dir, 'model_bf16.onnx')))).initializers.values()]
      .filter((i) => i.dataType === OnnxType.BFLOAT16 && i.location.kind === 'inline' && i.location.end - i.location.start >= 512)
      .reduce((n, i) => n + (i.location.kind === 'inline' ? i.location.end - i.location.start : 0), 0);
    const weights = statSync(files.find((f) => f.endsWith('weights.bin'))!).size;
    assert.ok(weights >= 2 * bf16Bytes && weights < 2 * bf16Bytes + 4096 * 40, `weights.bin ${weights} bytes for ${bf16Bytes} bf16 bytes`);

    const again: string[] = [];
    const second = await Model.open(dir, { device: 'cpu', variant: 'bf16', log: (m) => again.push(m) });
    await second.dispose();
    assert.match(again.join('\n'), /float32 copy of its weights \(cached in /);
    assert.equal(filesUnder(cache).filter((f) => !f.endsWith('file-hashes.json')).length, 2, 'no second copy');
  });

  it(`logits and every tap equal torch with bf16 weights (within ${TOL_REL} of their scale) and come back as float32`, async (t) => {
    const fp32 = loadReference(join(fixturesDir, 'arch', 'qwen2', 'reference.json'));
    for (const [i, text] of ref.texts.entries()) {
      const r = await model.forward({ inputIds: [text.input_ids], taps: allTaps() });
      assert.ok(r.logits!.data instanceof Float32Array);
      close(r.logits!.data, decode(text.logits), `${text.lang} logits`);
      const T = text.input_ids.length;
      for (const kind of ['resid_post', 'mlp_act'] as const) {
        const want = decode(text[kind]);
        const W = want.length / (L() * T);
        for (let l = 0; l < L(); l++) close(r.taps[`${kind}.${l}`]!.data, want.subarray(l * T * W, (l + 1) * T * W), `${text.lang} ${kind}.${l}`);
      }
      close(r.taps['final_norm']!.data, decode(text.final_norm), `${text.lang} final_norm`);
      // What bf16 weights cost against the float32 model: measured about 0.5% of the logits' scale.
      const want32 = decode(fp32.texts[i]!.logits);
      const d32 = maxAbsDiff(r.logits!.data, want32);
      t.diagnostic(`${text.lang}: logits vs the float32 model ${d32.toExponential(2)} (scale ${largest(want32).toFixed(1)})`);
      assert.ok(d32 < 0.02 * largest(want32));
    }
  });

  it('the logit lens: same top-1 as the reference at every layer and position, top-5 probabilities within 1e-3', async () => {
    for (const text of ref.texts) {
      const got = (await model.lens({ inputIds: [text.input_ids], topK: 5 })).texts[0]!;
      text.lens.forEach((perPos, l) =>
        perPos.forEach((want, p) => {
          assert.equal(got.topIds[l]![p]![0], want.ids[0], `${text.lang} layer ${l} position ${p}`);
          assert.ok(maxAbsDiff(got.topProbs[l]![p]!, want.probs) <= 1e-3);
        }),
      );
    }
  });

  it('a padded batch equals single runs, and capture reductions equal the reference sums', async () => {
    const ids = ref.texts.map((t) => t.input_ids);
    assert.notEqual(ids[0]!.length, ids[1]!.length);
    const taps = allTaps();
    const batch = await model.forward({ inputIds: ids, taps });
    const maxLen = Math.max(...ids.map((x) => x.length));
    for (const [b, one] of ids.entries()) {
      const single = await model.forward({ inputIds: [one], taps });
      for (const name of ['logits', ...taps]) {
        const bt = name === 'logits' ? batch.logits! : batch.taps[name]!;
        const st = name === 'logits' ? single.logits! : single.taps[name]!;
        const w = bt.dims[2]!;
        assert.ok(maxAbsDiff(bt.data.subarray(b * maxLen * w, (b * maxLen + one.length) * w), st.data) <= 1e-5, `text ${b} ${name}`);
      }
    }
    const stats = await model.captureStats(ids);
    const H = model.info.hiddenSize;
    const V = model.info.vocabSize;
    ref.texts.forEach((text, b) => {
      const T = text.input_ids.length;
      const first = text.input_ids[0] === model.info.bosTokenId ? 1 : 0;
      const resid = decode(text.resid_post);
      for (let l = 0; l < L(); l++) {
        const want = new Float32Array(H);
        for (let p = first; p < T; p++) for (let h = 0; h < H; h++) want[h]! += resid[(l * T + p) * H + h]!;
        close(stats.layers[l]!.residSum.subarray(b * H, (b + 1) * H), want, `text ${b} resid_sum.${l}`);
      }
      const logits = decode(text.logits);
      let nll = 0;
      for (let p = 0; p + 1 < T; p++) {
        const row = logits.subarray(p * V, (p + 1) * V);
        const max = largest(row) + 1;
        const lse = Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0)) + max;
        nll += lse - row[text.input_ids[p + 1]!]!;
      }
      assert.ok(Math.abs(stats.nllSum[b]! - nll) <= 1e-3 * nll, `text ${b} NLL ${stats.nllSum[b]} vs ${nll}`);
    });
  });

  it('greedy generation feeds past key/values and equals torch full recompute', async () => {
    const g = ref.greedy;
    const r = await model.generate({ inputIds: g.prompt_ids, maxNewTokens: g.generated_ids.length, stopTokenIds: [] });
    assert.deepEqual(r.ids, g.generated_ids);
    assert.ok(maxAbsDiff(r.probs, g.generated_probs) <= 1e-3, `probs ${r.probs} vs ${g.generated_probs}`);
  });

  it('scaling MLP neurons equals torch with the same intervention', async () => {
    const a = ref.ablation;
    const ids = [ref.texts[a.text]!.input_ids];
    const T = ids[0]!.length;
    const H = model.info.hiddenSize;
    const scaled = await model.forward({ inputIds: ids, taps: [...allTaps().filter((x) => x.startsWith('resid_post')), 'final_norm'], interventions: a.interventions });
    const resid = decode(a.resid_post);
    for (let l = 0; l < L(); l++) close(scaled.taps[`resid_post.${l}`]!.data, resid.subarray(l * T * H, (l + 1) * T * H), `resid_post.${l}`);
    close(scaled.taps['final_norm']!.data, decode(a.final_norm), 'final_norm');
  });

  it('external data (an onnx/model_bf16.onnx_data past 2 GiB) is widened in chunks to the same numbers', async () => {
    const ext = join(work, 'external');
    mkdirSync(join(ext, 'onnx'), { recursive: true });
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) cpSync(join(dir, f), join(ext, f));
    externalDataCopy(join(dir, 'model_bf16.onnx'), join(ext, 'onnx', 'model_bf16.onnx'), 2 ** 31 + 12345);
    const m = await Model.open(ext, { device: 'cpu', variant: 'bf16', log: () => {} });
    try {
      const text = ref.texts[1]!;
      const r = await m.forward({ inputIds: [text.input_ids], taps: ['resid_post.1'] });
      const inline = await model.forward({ inputIds: [text.input_ids], taps: ['resid_post.1'] });
      assert.deepEqual(r.logits!.data, inline.logits!.data);
      assert.deepEqual(r.taps['resid_post.1']!.data, inline.taps['resid_post.1']!.data);
    } finally {
      await m.dispose();
    }
  });

  it('on CUDA the graph keeps bfloat16 and JS reads float32', async (t) => {
    let cuda: Model;
    try {
      cuda = await Model.open(dir, { device: 'cuda', variant: 'bf16', log: () => {} });
    } catch (e) {
      if (/CUDA was requested but is not usable/.test((e as Error).message)) return t.skip(`no CUDA here: ${(e as Error).message}`);
      throw e;
    }
    try {
      // bf16 arithmetic rounds every op to an 8-bit mantissa: logits within 3% of their scale, same greedy ids.
      for (const text of ref.texts) {
        const r = await cuda.forward({ inputIds: [text.input_ids], taps: ['resid_post.1'] });
        const want = decode(text.logits);
        assert.ok(maxAbsDiff(r.logits!.data, want) <= 0.03 * largest(want));
      }
      const g = ref.greedy;
      assert.deepEqual((await cuda.generate({ inputIds: g.prompt_ids, maxNewTokens: g.generated_ids.length, stopTokenIds: [] })).ids, g.generated_ids);
    } finally {
      await cuda.dispose();
    }
  });
});

describe('bfloat16 genai-builder graph on CPU (GroupQueryAttention, SkipSimplifiedLayerNormalization in bf16)', () => {
  const genaiDir = join(fixturesDir, 'genai', 'llama-bf16');
  let work: string;
  let model: Model;
  let ref: Reference;
  const previous = process.env['BABELSCOPE_CACHE'];
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'babelscope-bf16-genai-'));
    process.env['BABELSCOPE_CACHE'] = join(work, 'cache');
    ref = loadReference(join(genaiDir, 'reference.json'));
    model = await Model.open(genaiDir, { device: 'cpu', log: () => {} });
  });
  after(async () => {
    await model.dispose();
    if (previous === undefined) delete process.env['BABELSCOPE_CACHE'];
    else process.env['BABELSCOPE_CACHE'] = previous;
    rmSync(work, { recursive: true, force: true });
  });

  it('taps, lens, a padded batch and generation with GroupQueryAttention past equal torch with bf16 weights', async () => {
    assert.equal(model.info.dtype, 'bfloat16');
    const L = model.info.numLayers;
    const taps = [...Array(L).keys()].flatMap((i) => [`resid_post.${i}`, `mlp_act.${i}`]).concat('final_norm');
    for (const text of ref.texts) {
      const r = await model.forward({ inputIds: [text.input_ids], taps });
      close(r.logits!.data, decode(text.logits), `${text.lang} logits`);
      const T = text.input_ids.length;
      for (const kind of ['resid_post', 'mlp_act'] as const) {
        const want = decode(text[kind]);
        const W = want.length / (L * T);
        for (let l = 0; l < L; l++) close(r.taps[`${kind}.${l}`]!.data, want.subarray(l * T * W, (l + 1) * T * W), `${text.lang} ${kind}.${l}`);
      }
      close(r.taps['final_norm']!.data, decode(text.final_norm), `${text.lang} final_norm`);
      const lens = (await model.lens({ inputIds: [text.input_ids], topK: 5 })).texts[0]!;
      text.lens.forEach((perPos, l) => perPos.forEach((want, p) => assert.deepEqual(lens.topIds[l]![p], want.ids, `${text.lang} lens layer ${l} position ${p}`)));
    }
    const ids = ref.texts.map((t) => t.input_ids);
    const batch = await model.forward({ inputIds: ids });
    const V = model.info.vocabSize;
    const T = Math.max(...ids.map((x) => x.length));
    close(batch.logits!.data.subarray(T * V, T * V + ids[1]!.length * V), decode(ref.texts[1]!.logits), 'right-padded row');
    const g = await model.generate({ inputIds: ref.greedy.prompt_ids, maxNewTokens: ref.greedy.generated_ids.length, stopTokenIds: [] });
    assert.deepEqual(g.ids, ref.greedy.generated_ids);
  });
});

describe('bfloat16 kept (CUDA): casts at the graph boundaries', () => {
  it('past key/values are fed as float32 and cast in; logits and present key/values get float32 copies', async () => {
    const d = await describeModel(dir, { variant: 'bf16' }, 'inspect');
    const past = d.past.map((p) => p.name);
    const outputs = d.graph.outputs.map((o) => o.name);
    const { parts } = instrumentModel(d.graphBytes, {
      floatType: OnnxType.BFLOAT16,
      opset: 14,
      residuals: d.info.taps.filter((t) => t.kind === 'resid_post').map((t) => t.onnxName),
      activations: d.info.taps.filter((t) => t.kind === 'mlp_act').map((t) => t.onnxName),
      width: d.info.intermediateSize,
      vocabSize: d.info.vocabSize,
      extraTaps: [],
      logits: 'logits',
      boundaryCasts: { inputs: past, outputs },
    });
    const g = readOnnxGraph(concatBytes(parts));
    for (const p of past) {
      assert.equal(g.inputs.find((i) => i.name === p)!.elemType, OnnxType.FLOAT, `${p} is fed as float32`);
      const readers = g.nodes.filter((n) => n.inputs.includes(p));
      assert.deepEqual(readers.map((n) => [n.opType, n.attributes['to']]), [['Cast', OnnxType.BFLOAT16]], `only the cast reads ${p}`);
    }
    for (const o of outputs) {
      assert.ok(g.outputs.some((x) => x.name === float32Name(o)), `${o} has a float32 copy`);
      assert.ok(g.nodes.some((n) => n.opType === 'Cast' && n.inputs[0] === o && n.outputs[0] === float32Name(o) && n.attributes['to'] === OnnxType.FLOAT));
    }
  });
});

describe('bfloat16 variant in a model folder', () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'babelscope-bf16-variants-'));
    cpSync(join(fixturesDir, 'arch', 'qwen2'), join(work, 'model'), { recursive: true });
    cpSync(join(dir, 'model_bf16.onnx'), join(work, 'model', 'model_bf16.onnx'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('inspect lists it and shows each file\'s dtype; --variant bf16 runs it', async () => {
    const env = { BABELSCOPE_CACHE: join(work, 'cache') };
    const m = join(work, 'model');
    const plain = await runCliJson(['inspect', m], env);
    assert.deepEqual(plain.variants.map((v: { name: string; current: boolean }) => [v.name, v.current]), [['default', true], ['bf16', false]]);
    assert.equal(plain.dtype, 'float32');
    const bf16 = await runCliJson(['inspect', m, '--variant', 'bf16'], env);
    assert.equal(bf16.dtype, 'bfloat16');
    assert.match(bf16.onnxPath, /model_bf16\.onnx$/);
    const text = await runCli(['inspect', m, '--variant', 'bf16'], env);
    assert.match(text.stdout, /^dtype: bfloat16 /m);
    const args = ['lens', m, '--text', 'Everyone has the right', '--top', '1', '--device', 'cpu'];
    const lens32 = await runCliJson(args, env);
    const run = await runCli([...args, '--variant', 'bf16', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /is bfloat16, which onnxruntime cannot compute on CPU/);
    assert.equal(run.stderr.trim().split('\n').length, 1, 'one line');
    const lens16 = JSON.parse(run.stdout);
    assert.deepEqual(lens16.tokens, lens32.tokens);
    assert.equal(lens16.layers.length, lens32.layers.length);
  });
});
