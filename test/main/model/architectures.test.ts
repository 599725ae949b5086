/**
 * The engine on architectures other than the bundled Llama model: tiny random-weight GPT-2, Gemma and
 * Qwen2 models exported the way Optimum does (scripts/make_arch_fixtures.py), against torch values.
 *
 * Checks an engine cannot pass yet are marked `todo` with the reason, so the suite stays green
 * while they still run and report.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Model } from '../../../src/main/model/model.js';
import type { NormKind } from '../../../src/shared/model-types.js';
import { decode, loadReference, maxAbsDiff, type EncodedArray, type Reference } from '../../helpers/fixtures.js';
import { fixturesDir } from '../../helpers/paths.js';

const TOL = 1e-4;

/** reference.json of a fixture: the tiny-babel layout plus the greedy probabilities and an intervention. */
type ArchReference = Reference & {
  greedy: { generated_probs: number[] };
  ablation: { text: number; interventions: { layer: number; index: number; scale: number }[]; resid_post: EncodedArray; final_norm: EncodedArray };
};

type Check = 'open' | 'names' | 'tokenize' | 'logits' | 'resid_post' | 'mlp_act' | 'final_norm' | 'lens' | 'batch' | 'generate' | 'ablate';

interface Arch {
  name: string;
  modelType: string;
  normKind: NormKind;
  /** Optimum/TorchScript names of the tap tensors ({i} = layer), as the export script printed them. */
  expected: { resid: string; act: string; finalNorm: string };
  /** Known engine gaps: check → reason (the check still runs, as a todo). */
  todo: Partial<Record<Check, string>>;
}

const ARCHS: Arch[] = [
  {
    name: 'gpt2',
    modelType: 'gpt2',
    normKind: 'layer',
    expected: { resid: '/transformer/h.{i}/Add_1_output_0', act: '/transformer/h.{i}/mlp/act/Mul_3_output_0', finalNorm: '/transformer/Reshape_2_output_0' },
    todo: {},
  },
  {
    name: 'gemma',
    modelType: 'gemma',
    normKind: 'rms_plus_one',
    expected: { resid: '/model/layers.{i}/Add_1_output_0', act: '/model/layers.{i}/mlp/act_fn/Mul_5_output_0', finalNorm: '/model/norm/Mul_1_output_0' },
    todo: {},
  },
  {
    name: 'qwen2',
    modelType: 'qwen2',
    normKind: 'rms',
    expected: { resid: '/model/layers.{i}/Add_1_output_0', act: '/model/layers.{i}/mlp/act_fn/Mul_output_0', finalNorm: '/model/norm/Mul_1_output_0' },
    todo: {},
  },
];

for (const arch of ARCHS) {
  describe(`architecture ${arch.name} (random weights) vs torch`, () => {
    const dir = join(fixturesDir, 'arch', arch.name);
    let ref: ArchReference;
    let model: Model | undefined;
    let openError: Error | undefined;
    before(async () => {
      ref = loadReference(join(dir, 'reference.json')) as ArchReference;
      try {
        model = await Model.open(dir, { device: 'cpu', log: () => {} });
      } catch (e) {
        openError = e as Error;
      }
    });
    after(() => model?.dispose());

    const m = (): Model => {
      if (!model) throw openError ?? new Error('model did not open');
      return model;
    };
    const check = (c: Check, title: string, fn: (t: { diagnostic: (s: string) => void }) => Promise<void> | void) =>
      it(title, arch.todo[c] ? { todo: arch.todo[c] } : {}, fn);
    const L = () => m().info.numLayers;
    const allTaps = () => [...Array(L()).keys()].flatMap((i) => [`resid_post.${i}`, `mlp_act.${i}`]).concat('final_norm');

    check('open', 'opens: model type, norm kind, shape and every tap', (t) => {
      const info = m().info;
      const c = ref.config;
      assert.equal(info.modelType, arch.modelType);
      assert.equal(info.normKind, arch.normKind);
      assert.equal(info.numLayers, c['num_hidden_layers'] ?? c['n_layer']);
      assert.equal(info.hiddenSize, c['hidden_size'] ?? c['n_embd']);
      assert.equal(info.intermediateSize, c['intermediate_size'] ?? 4 * (c['n_embd'] as number));
      assert.equal(info.vocabSize, c['vocab_size']);
      assert.equal(info.numKvHeads, c['num_key_value_heads'] ?? c['n_head']);
      assert.equal(info.headDim, c['head_dim'] ?? (c['n_embd'] as number) / (c['n_head'] as number));
      assert.deepEqual(
        info.taps.map((x) => x.name),
        allTaps(),
      );
      for (const x of info.taps) t.diagnostic(`${x.name} = ${x.onnxName} (foundBy ${x.foundBy}, width ${x.width})`);
    });

    check('names', 'taps point at the Optimum tensors the export produced', () => {
      const got = Object.fromEntries(m().info.taps.map((x) => [x.name, x.onnxName]));
      const want: Record<string, string> = { final_norm: arch.expected.finalNorm };
      for (let i = 0; i < L(); i++) {
        want[`resid_post.${i}`] = arch.expected.resid.replace('{i}', String(i));
        want[`mlp_act.${i}`] = arch.expected.act.replace('{i}', String(i));
      }
      assert.deepEqual(got, want);
    });

    check('tokenize', 'tokenizes like the reference', async () => {
      for (const t of ref.texts) assert.deepEqual((await m().tokenizer.encode(t.text)).ids, t.input_ids, t.lang);
    });

    const forwardAll = async () =>
      Promise.all(ref.texts.map(async (t) => ({ t, r: await m().forward({ inputIds: [t.input_ids], taps: allTaps() }) })));

    check('logits', `logits equal torch (max abs diff ≤ ${TOL})`, async (tc) => {
      for (const { t, r } of await forwardAll()) {
        const d = maxAbsDiff(r.logits!.data, decode(t.logits));
        tc.diagnostic(`${t.lang} logits max |diff| ${d.toExponential(2)}`);
        assert.ok(d <= TOL, `${t.lang} logits: ${d}`);
      }
    });

    for (const kind of ['resid_post', 'mlp_act'] as const) {
      check(kind, `every ${kind} equals torch (max abs diff ≤ ${TOL})`, async (tc) => {
        for (const { t, r } of await forwardAll()) {
          const T = t.input_ids.length;
          const want = decode(t[kind]);
          const W = want.length / (L() * T);
          for (let l = 0; l < L(); l++) {
            const got = r.taps[`${kind}.${l}`]!;
            assert.deepEqual(got.dims, [1, T, W], `${t.lang} ${kind}.${l} dims`);
            const d = maxAbsDiff(got.data, want.subarray(l * T * W, (l + 1) * T * W));
            tc.diagnostic(`${t.lang} ${kind}.${l} max |diff| ${d.toExponential(2)}`);
            assert.ok(d <= TOL, `${t.lang} ${kind}.${l}: max |diff| ${d}`);
          }
        }
      });
    }

    check('final_norm', `final_norm equals torch (max abs diff ≤ ${TOL})`, async (tc) => {
      for (const { t, r } of await forwardAll()) {
        const d = maxAbsDiff(r.taps['final_norm']!.data, decode(t.final_norm));
        tc.diagnostic(`${t.lang} final_norm max |diff| ${d.toExponential(2)}`);
        assert.ok(d <= TOL, `${t.lang} final_norm: ${d}`);
      }
    });

    check('lens', 'logit lens: identical top-1 at every layer and position, top-5 probabilities within 1e-4', async (tc) => {
      for (const t of ref.texts) {
        const got = (await m().lens({ inputIds: [t.input_ids], topK: 5 })).texts[0]!;
        let worst = 0;
        let top1Misses = 0;
        let sameTop5 = 0;
        let positions = 0;
        t.lens.forEach((perPos, l) =>
          perPos.forEach((want, p) => {
            positions++;
            if (got.topIds[l]![p]![0] !== want.ids[0]) top1Misses++;
            if (got.topIds[l]![p]!.join() === want.ids.join()) sameTop5++;
            worst = Math.max(worst, maxAbsDiff(got.topProbs[l]![p]!, want.probs));
          }),
        );
        tc.diagnostic(`${t.lang}: top-1 differs at ${top1Misses}/${positions} (layer, position); same top-5 ids at ${sameTop5}/${positions}; worst top-5 prob |diff| ${worst.toExponential(2)}`);
        assert.equal(top1Misses, 0, `${t.lang}: top-1 differs at ${top1Misses}/${positions}`);
        assert.ok(worst <= TOL, `${t.lang}: top-5 probs differ by up to ${worst}`);
      }
    });

    check('batch', 'a padded batch of both texts equals single runs (logits and every tap, ≤ 1e-5)', async () => {
      const ids = ref.texts.map((t) => t.input_ids);
      assert.notEqual(ids[0]!.length, ids[1]!.length, 'the texts should differ in length so the batch has padding');
      const taps = allTaps();
      const batch = await m().forward({ inputIds: ids, taps });
      const maxLen = Math.max(...ids.map((x) => x.length));
      for (const [b, one] of ids.entries()) {
        const single = await m().forward({ inputIds: [one], taps });
        for (const name of ['logits', ...taps]) {
          const bt = name === 'logits' ? batch.logits! : batch.taps[name]!;
          const st = name === 'logits' ? single.logits! : single.taps[name]!;
          const w = bt.dims[2]!;
          const d = maxAbsDiff(bt.data.subarray(b * maxLen * w, (b * maxLen + one.length) * w), st.data);
          assert.ok(d <= 1e-5, `text ${b} ${name}: ${d}`);
        }
      }
    });

    check('generate', 'greedy generation with the KV cache equals torch full recompute (ids, and probs within 1e-4)', async () => {
      const g = ref.greedy;
      const r = await m().generate({ inputIds: g.prompt_ids, maxNewTokens: g.generated_ids.length, stopTokenIds: [] });
      assert.deepEqual(r.ids, g.generated_ids);
      assert.ok(maxAbsDiff(r.probs, g.generated_probs) <= TOL, `probs ${r.probs} vs ${g.generated_probs}`);
    });

    check('ablate', 'scaling layer-0 MLP neurons (0 and 3×) equals torch with the same intervention', async (tc) => {
      const a = ref.ablation;
      const ids = [ref.texts[a.text]!.input_ids];
      const T = ids[0]!.length;
      const taps = [...allTaps().filter((x) => x.startsWith('resid_post')), 'final_norm', 'mlp_act.0'];
      const plain = await m().forward({ inputIds: ids, taps });
      const scaled = await m().forward({ inputIds: ids, taps, interventions: a.interventions });
      // The tapped activation is the scaled one.
      const [pa, sa] = [plain.taps['mlp_act.0']!, scaled.taps['mlp_act.0']!];
      const w = sa.dims[2]!;
      for (let p = 0; p < T; p++)
        for (const iv of a.interventions) {
          const want = pa.data[p * w + iv.index]! * iv.scale;
          assert.ok(Math.abs(sa.data[p * w + iv.index]! - want) <= 1e-6, `neuron ${iv.index} at ${p}: ${sa.data[p * w + iv.index]} vs ${want}`);
        }
      // Everything after it equals torch with the same scaling.
      const resid = decode(a.resid_post);
      const H = m().info.hiddenSize;
      for (let l = 0; l < L(); l++) {
        const d = maxAbsDiff(scaled.taps[`resid_post.${l}`]!.data, resid.subarray(l * T * H, (l + 1) * T * H));
        const moved = maxAbsDiff(scaled.taps[`resid_post.${l}`]!.data, plain.taps[`resid_post.${l}`]!.data);
        tc.diagnostic(`resid_post.${l}: max |diff| to torch ${d.toExponential(2)}, moved by ${moved.toExponential(2)}`);
        assert.ok(d <= TOL, `resid_post.${l}: ${d}`);
        assert.ok(moved > 1e-3, `resid_post.${l} did not change`);
      }
      const dn = maxAbsDiff(scaled.taps['final_norm']!.data, decode(a.final_norm));
      assert.ok(dn <= TOL, `final_norm: ${dn}`);
    });
  });
}
