/**
 * The latent-language protocol on the bundled model against a torch implementation of Wendler et al.'s
 * computation (scripts/make_latent_reference.py → test/fixtures/latent/reference.json): the same
 * prompts, the same concepts kept, the same token sets, and per layer the probability on each set and
 * the entropy to 1e-4; the CLI prints the same numbers; bad input is a UserError.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundledWordList, latentLanguage, openModel, readWordList, type LatentTask, type Model } from '../../../src/main/api/index.js';
import { isUserError } from '../../../src/shared/errors.js';
import { runCli, runCliJson } from '../../helpers/cli.js';
import { fixturesDir, tinyModelDir } from '../../helpers/paths.js';

interface RefPrompt {
  concept: string;
  prompt: string;
  targetTokens: number[];
  latentTokens: number[];
  targetProb: number[];
  latentProb: number[];
  entropy: number[];
}
interface RefCase {
  task: LatentTask;
  from?: string;
  to: string;
  prompts: RefPrompt[];
  summary: Record<'targetProb' | 'latentProb' | 'entropy', { mean: number[]; low: number[]; high: number[] }>;
}

const words = join(fixturesDir, 'latent', 'words.csv');
const reference = JSON.parse(readFileSync(join(fixturesDir, 'latent', 'reference.json'), 'utf8')) as { cases: RefCase[] };
const TOL = 1e-4;

function close(actual: readonly number[], expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} layers, expected ${expected.length}`);
  actual.forEach((v, l) => assert.ok(Math.abs(v - expected[l]!) <= TOL, `${what}, layer ${l}: ${v} vs torch ${expected[l]}`));
}

describe('latentLanguage (Wendler et al. 2024) against torch', () => {
  let model: Model;
  before(async () => {
    model = await openModel(tinyModelDir, { device: 'cpu', log: () => {} });
  });
  after(async () => {
    await model.dispose();
  });

  for (const ref of reference.cases) {
    it(`${ref.task} ${ref.from ?? ref.to} → ${ref.to}: prompts, token sets, per-layer probabilities and entropy equal torch's`, async () => {
      const r = await latentLanguage({ model, words, task: ref.task, ...(ref.from ? { from: ref.from } : {}), to: ref.to, onProgress: () => {} });
      assert.deepEqual(r.prompts.map((p) => p.concept), ref.prompts.map((p) => p.concept));
      r.prompts.forEach((p, i) => {
        const e = ref.prompts[i]!;
        assert.equal(p.prompt, e.prompt);
        assert.ok(p.prompt.endsWith(': "'), 'the query ends at the opening quote');
        assert.deepEqual(p.targetTokens.map((t) => t.id), e.targetTokens, `${p.concept}: target set`);
        assert.deepEqual(p.latentTokens.map((t) => t.id), e.latentTokens, `${p.concept}: latent set`);
        close(p.targetProb, e.targetProb, `${p.concept} p(target)`);
        close(p.latentProb, e.latentProb, `${p.concept} p(latent)`);
        close(p.entropy, e.entropy, `${p.concept} entropy`);
      });
      close(r.summary.target.mean, ref.summary.targetProb.mean, 'mean p(target)');
      close(r.summary.latent.mean, ref.summary.latentProb.mean, 'mean p(latent)');
      close(r.summary.entropy.mean, ref.summary.entropy.mean, 'mean entropy');
      close(r.summary.target.normalInterval.map((i) => i.low), ref.summary.targetProb.low, 'paper band low');
      close(r.summary.latent.normalInterval.map((i) => i.high), ref.summary.latentProb.high, 'paper band high');
      for (const s of [r.summary.target, r.summary.latent, r.summary.entropy])
        s.interval.forEach((iv, l) => {
          assert.match(iv.method, /bootstrap.*prompts/);
          assert.ok(iv.low <= s.mean[l]! + 1e-12 && s.mean[l]! <= iv.high + 1e-12, `mean inside its interval at layer ${l}`);
        });
    });
  }

  it('the bundled CLDR word list covers the bundled model\'s 11 languages and runs fra → cmn', async () => {
    const list = readWordList(bundledWordList);
    assert.deepEqual([...list.languages].sort(), ['arb', 'cmn', 'deu', 'ell', 'eng', 'fra', 'hin', 'kor', 'rus', 'spa', 'tur']);
    assert.ok(list.concepts.length >= 50, `${list.concepts.length} concepts`);
    const r = await latentLanguage({ model, from: 'fra', to: 'cmn', maxConcepts: 20, onProgress: () => {} });
    assert.ok(r.prompts.length > 10);
    assert.equal(r.summary.target.mean.length, model.info.numLayers);
    for (const p of r.prompts) assert.ok(p.targetProb.every((v) => v >= 0 && v <= 1));
  });

  it('bad input is a UserError that says what to do', async () => {
    const err = (re: RegExp) => (e: unknown) => isUserError(e) && re.test((e as Error).message);
    await assert.rejects(latentLanguage({ model, words, from: 'fra', to: 'kor' }), err(/no "kor" column/));
    await assert.rejects(latentLanguage({ model, words, task: 'cloze', to: 'deu' }), err(/deu_cloze/));
    await assert.rejects(latentLanguage({ model, words, task: 'repetition', from: 'fra', to: 'deu' }), err(/one language/));
    await assert.rejects(latentLanguage({ model, words, to: 'deu' }), err(/input language/));
    await assert.rejects(latentLanguage({ model, words, from: 'fra', to: 'deu', shots: 40 }), err(/40 shots need/));
    await assert.rejects(latentLanguage({ model, words: join(fixturesDir, 'latent', 'missing.csv'), from: 'fra', to: 'deu' }), err(/cannot read the word list/));
  });
});

describe('babelscope latent-language (CLI)', () => {
  it('prints the API\'s numbers: JSON with every prompt, and a table', async () => {
    const ref = reference.cases[0]!;
    const j = await runCliJson(['latent-language', tinyModelDir, '--words', words, '--from', ref.from!, '--to', ref.to, '--device', 'cpu']);
    assert.equal(j.prompts.length, ref.prompts.length);
    close(j.summary.target.mean, ref.summary.targetProb.mean, 'CLI mean p(target)');
    const t = await runCli(['latent-language', tinyModelDir, '--words', words, '--from', ref.from!, '--to', ref.to, '--device', 'cpu']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, new RegExp(`translation fra → cmn, latent eng: ${ref.prompts.length} prompts`));
    assert.match(t.stdout, /Français: ".*" - 中文: "\n/);
    const bad = await runCli(['latent-language', tinyModelDir, '--words', words, '--from', 'fra', '--to', 'xyz', '--device', 'cpu']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no "xyz" column/);
  });
});
