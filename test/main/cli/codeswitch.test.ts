/** `babelscope codeswitch` end to end: the built CLI, the bundled model, UDHR prompts, fastText. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lapeSelection } from '../../../src/main/pipelines/stored-runs.js';
import { readCorpus } from '../../../src/main/corpus/index.js';
import { Model } from '../../../src/main/model/model.js';
import { scoreCompletions } from '../../../src/main/api/index.js';
import { openStore } from '../../../src/main/store/index.js';
import { runCli } from '../../helpers/cli.js';
import { testModelDir } from '../../helpers/fixtures.js';

const PROMPTS = ['--prompts', 'udhr:eng,rus', '--max-texts-per-lang', '2', '--max-new-tokens', '12', '--device', 'cpu'];

interface Summary {
  responses: number;
  lpr: number;
  wpr: number | null;
  lcpr: number | null;
  codeSwitchRate: number;
  meanCMI: number;
}

interface ResponseJson {
  promptId: string;
  lang: string;
  mode: 'greedy' | 'sample';
  sample: number | null;
  seed: number | null;
  promptTokens: number;
  text: string;
  ids: number[];
  cmi: number;
  switchPoints: number[];
  firstOffTarget: { wordIndex: number; charOffset: number; lang: string; tokenIndex: number | null; position: number | null } | null;
  changed?: boolean;
}

interface CodeSwitchJson {
  promptCount: number;
  samples: number;
  intervention: { mode: string; lang: string; scale: number; neurons: number; selection: number } | null;
  overall: Summary;
  byLanguage: Record<string, Summary>;
  matrix: { rows: string[]; columns: string[]; counts: number[][]; rates: number[][] };
  baseline?: { overall: Summary; changedResponses: number };
  responses: ResponseJson[];
}

function assertRate(v: number | null, what: string): void {
  if (v === null) return;
  assert.ok(v >= 0 && v <= 1, `${what} = ${v} is not in [0, 1]`);
}

function assertWellFormed(j: CodeSwitchJson): void {
  for (const [name, s] of [['overall', j.overall], ...Object.entries(j.byLanguage)] as [string, Summary][]) {
    assertRate(s.lpr, `${name} LPR`);
    assertRate(s.wpr, `${name} WPR`);
    assertRate(s.lcpr, `${name} LCPR`);
    assertRate(s.codeSwitchRate, `${name} code-switch rate`);
    assert.ok(s.meanCMI >= 0 && s.meanCMI <= 100);
  }
  assert.equal(j.byLanguage['eng']!.wpr, null, 'WPR does not apply to Latin-script languages');
  assert.deepEqual(j.matrix.rows, ['eng', 'rus']);
  for (const row of j.matrix.rates) for (const r of row) assertRate(r, 'matrix rate');
  for (const r of j.responses) {
    assert.ok(r.cmi >= 0 && r.cmi <= 100);
    assert.ok(r.ids.length >= 1 && r.ids.length <= 12);
    const f = r.firstOffTarget;
    if (f && f.tokenIndex !== null) {
      assert.ok(f.tokenIndex >= 0 && f.tokenIndex < r.ids.length, `token index ${f.tokenIndex} of ${r.ids.length}`);
      assert.equal(f.position, r.promptTokens + f.tokenIndex);
      assert.notEqual(f.lang, r.lang);
    }
  }
}

function parse(r: { code: number | null; stdout: string; stderr: string }): CodeSwitchJson {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as CodeSwitchJson;
}

describe('babelscope codeswitch', () => {
  it('--json: metrics in [0, 1], prompts × (1 + samples) responses, sampled ones reproducible with --seed', async () => {
    const args = ['codeswitch', testModelDir, ...PROMPTS, '--samples', '2', '--seed', '7', '--json'];
    const [a, b] = (await Promise.all([runCli(args), runCli(args)])).map(parse);
    assert.equal(a!.promptCount, 4);
    assert.equal(a!.responses.length, 4 * (1 + 2));
    assert.equal(a!.overall.responses, 12);
    assert.equal(a!.intervention, null);
    assert.equal((a as unknown as { wordLevel: string }).wordLevel, 'inherit');
    assert.equal((a as unknown as { languageLabels: { system: string } }).languageLabels.system, 'ISO 639-3');
    assert.deepEqual(
      a!.responses.map((r) => [r.lang, r.mode, r.sample]).slice(0, 3),
      [
        ['eng', 'greedy', null],
        ['eng', 'sample', 1],
        ['eng', 'sample', 2],
      ],
    );
    assertWellFormed(a!);
    assert.deepEqual(
      b!.responses.map((r) => [r.seed, r.ids, r.text]),
      a!.responses.map((r) => [r.seed, r.ids, r.text]),
    );
    assert.deepEqual(b!.overall, a!.overall);
    // What codeswitch reports as LPR/WPR/LCPR is scoreCompletions' (LCB's) verdict on its own responses.
    const lcb = await scoreCompletions(a!.responses.map((r) => ({ language: r.lang, completion: r.text })), { resamples: 10 });
    for (const [lang, s] of Object.entries(a!.byLanguage)) {
      const row = lcb.rows.find((x) => x.source === '' && x.language === lang)!;
      assert.deepEqual([s.lpr, s.wpr, s.lcpr], [row.lpr, row.wpr, row.lcpr], lang);
    }
    const all = lcb.rows.find((x) => x.source === 'all' && x.language === 'all')!;
    assert.deepEqual([a!.overall.lpr, a!.overall.wpr], [all.lpr, all.wpr]);
  });

  it('prints a compact table without --json', async () => {
    const r = await runCli(['codeswitch', testModelDir, ...PROMPTS, '--samples', '0', '--word-level', 'model']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^language labels: ISO 639-3/m);
    assert.match(r.stdout, /^4 prompts × \(greedy \+ 0 sampled\) = 4 responses/);
    assert.match(r.stdout, /lang +resp +LPR +LPR 95% +WPR +LCPR +foreign +switch +CMI/);
    assert.match(r.stdout, /^all +4 /m);
  });

  it('--ablate without --db is a user error', async () => {
    const r = await runCli(['codeswitch', testModelDir, ...PROMPTS, '--ablate', 'eng']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: --ablate needs --db/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('--ablate and --amplify together is a user error', async () => {
    const r = await runCli(['codeswitch', testModelDir, ...PROMPTS, '--ablate', 'eng', '--amplify', 'rus', '--db', 'x.db']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot be combined/);
  });

  describe('with LAPE neurons from capture + lape', () => {
    let tmp: string;
    let db: string;
    let lang: string;
    let neurons: number;
    let selection: number;

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'babelscope-codeswitch-'));
      db = join(tmp, 'neurons.db');
      const c = await runCli(['capture', testModelDir, '--corpus', 'udhr:eng,rus', '--max-texts-per-lang', '8', '--db', db, '--device', 'cpu']);
      assert.equal(c.code, 0, c.stderr);
      // A small, briefly trained model has many neurons positive on every token (p = 1), which puts the
      // default activation bar (95 % quantile of all p) at 1 and leaves no neuron a language: lower it.
      const l = await runCli(['lape', '--db', db, '--top-rate', '0.05', '--activation-bar-ratio', '0.5', '--json']);
      assert.equal(l.code, 0, l.stderr);
      const lapeJson = JSON.parse(l.stdout) as { neurons: Record<string, unknown[]>; selection: { id: number } };
      selection = lapeJson.selection.id;
      const counts = Object.entries(lapeJson.neurons).map(([k, v]) => [k, v.length] as const);
      [lang, neurons] = counts.reduce((best, x) => (x[1] > best[1] ? x : best));
      assert.ok(neurons > 0, `LAPE gave no language any neuron: ${JSON.stringify(counts)}`);
    });

    after(() => rmSync(tmp, { recursive: true, force: true }));

    /** Each greedy response equals the engine's own greedy generation with `lang`'s neurons × scale, read from the store. */
    async function assertGreedyMatchesEngine(j: CodeSwitchJson, scale: number): Promise<void> {
      const store = openStore(db, { readonly: true });
      const lape = lapeSelection(store, 'capture', selection).result;
      store.close();
      const interventions = lape.neurons[lang]!.map(([layer, index]) => ({ layer, index, scale }));
      const model = await Model.open(testModelDir, { device: 'cpu' });
      try {
        const greedy = j.responses.filter((r) => r.mode === 'greedy');
        assert.equal(greedy.length, 4);
        let differsFromPlain = 0;
        for (const r of greedy) {
          const prompt = (await readCorpus(`udhr:${r.lang}`, { maxTextsPerLang: 2 })).find((t) => t.id === r.promptId)!;
          const inputIds = (await model.tokenizer.encode(prompt.text)).ids.slice(0, r.promptTokens);
          const withNeurons = await model.generate({ inputIds, maxNewTokens: 12, temperature: 0, topP: 1, seed: 0, interventions });
          assert.deepEqual(r.ids, withNeurons.ids, `${r.lang} ${r.promptId}`);
          const plain = await model.generate({ inputIds, maxNewTokens: 12, temperature: 0, topP: 1, seed: 0 });
          if (plain.ids.join() !== r.ids.join()) differsFromPlain++;
        }
        assert.ok(differsFromPlain > 0, `×${scale} on ${lang}'s neurons changed no greedy response`);
      } finally {
        await model.dispose();
      }
    }

    it('--ablate LANG generates with its neurons zeroed and compares with the baseline', async () => {
      const j = parse(await runCli(['codeswitch', testModelDir, ...PROMPTS, '--db', db, '--ablate', lang, '--json']));
      assert.deepEqual(j.intervention && { mode: j.intervention.mode, lang: j.intervention.lang, scale: j.intervention.scale, neurons: j.intervention.neurons }, { mode: 'ablate', lang, scale: 0, neurons });
      assert.equal(j.intervention?.selection, selection, 'the LAPE selection used is recorded');
      assert.equal(j.responses.length, 4 * 2);
      assertWellFormed(j);
      assert.ok(j.baseline);
      assert.equal(j.baseline.overall.responses, 8);
      assert.equal(j.baseline.changedResponses, j.responses.filter((r) => r.changed === true).length);
      for (const r of j.responses) assert.equal(typeof r.changed, 'boolean');
      // Zeroing the language's neurons must reach the model: some response changes, and every greedy
      // response is what the engine generates with exactly those neurons at 0.
      assert.ok(j.baseline.changedResponses > 0, 'the ablation changed no response');
      await assertGreedyMatchesEngine(j, 0);
    });

    it('--amplify LANG --factor F scales the neurons by F', async () => {
      const j = parse(await runCli(['codeswitch', testModelDir, ...PROMPTS, '--samples', '0', '--no-baseline', '--db', db, '--amplify', lang, '--factor', '3', '--json']));
      assert.equal(j.intervention?.mode, 'amplify');
      assert.equal(j.intervention?.scale, 3);
      assert.equal(j.baseline, undefined);
      assert.equal(j.responses.length, 4);
      await assertGreedyMatchesEngine(j, 3);
    });

    it('an unknown language is a user error listing the languages', async () => {
      const r = await runCli(['codeswitch', testModelDir, ...PROMPTS, '--db', db, '--ablate', 'xyz']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: no LAPE neurons for language "xyz"/);
      assert.match(r.stderr, /Languages of this LAPE result: eng, rus/);
    });
  });
});
