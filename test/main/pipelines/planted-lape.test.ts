/**
 * LAPE with a known answer, through the real path: an ONNX model whose layer-0 MLP neurons were planted
 * to fire only on tokens of one script (test/fixtures/planted, made by scripts/make_planted_model.py) →
 * `babelscope capture` → `babelscope lape`, on a real SQLite file.
 *
 * In that model attention writes nothing and mlp_act.0[5] > 0 exactly for the Cyrillic tokens of the
 * vocabulary, [17] for the Han tokens, [42] for the Arabic ones (the id lists are in planted.json); every
 * other neuron is blind to script and fires on about 30 % of tokens in any language.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Tokenizer } from '../../../src/main/model/tokenizer.js';
import { openStore, type NeuronStats } from '../../../src/main/store/index.js';
import { runCli, runCliJson } from '../../helpers/cli.js';
import { fixturesDir } from '../../helpers/paths.js';

const modelDir = join(fixturesDir, 'planted');
const CORPUS = 'udhr:eng,rus,cmn,arb';
const LANGS = ['arb', 'cmn', 'eng', 'rus'];

interface Planted {
  neurons: { layer: number; index: number; script: string; lang: string; token_ids: number[] }[];
}
const planted = JSON.parse(readFileSync(join(modelDir, 'planted.json'), 'utf8')) as Planted;
const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as { max_position_embeddings: number; bos_token_id: number };

type Ref = [number, number];
interface LapeJson {
  languages: string[];
  neurons: Record<string, Ref[]>;
  perLayer: Record<string, number[]>;
  thresholds: { filter: number; activationBar: number | null };
  options: { topRate: number; filterRate: number; activationBarRatio: number };
}

const cli = runCliJson;

describe('LAPE finds neurons planted to fire on one script only', () => {
  let tmp: string;
  let db: string;
  let stats: NeuronStats;
  /** lang → the ids capture counted (all texts of that language). */
  const tokens: Record<string, number[]> = {};
  /** lang → planted neuron index → share of the language's tokens on which it fired (stored counts). */
  const p: Record<string, Record<number, number>> = {};

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-planted-'));
    db = join(tmp, 'run.db');
    const s = await cli(['capture', modelDir, '--corpus', CORPUS, '--max-texts-per-lang', '20', '--db', db, '--device', 'cpu']);
    assert.deepEqual(s.languages, LANGS);
    assert.equal(s.texts, 80);
    const store = openStore(db, { readonly: true });
    try {
      const run = store.findRun('capture')!;
      stats = store.readNeuronStats(run.id);
      // What capture counts: the ids of each text cut to the context, without the leading <s>.
      const tokenizer = Tokenizer.fromFile(join(modelDir, 'tokenizer.json'));
      for (const lang of LANGS) tokens[lang] = [];
      for (const t of store.readCorpus(run.corpusId!)) {
        const ids = (await tokenizer.encode(t.text)).ids.slice(0, config.max_position_embeddings);
        tokens[t.lang]!.push(...(ids[0] === config.bos_token_id && ids.length > 1 ? ids.slice(1) : ids));
      }
    } finally {
      store.close();
    }
    for (const lang of LANGS) {
      const got = stats.layers[0]![lang]!;
      p[lang] = Object.fromEntries(planted.neurons.map((n) => [n.index, got.positiveCounts[n.index]! / got.tokens]));
    }
    console.log('planted p by language:', JSON.stringify(p));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('stores, for each planted neuron, exactly as many positive tokens as the corpus has tokens of its script', () => {
    assert.deepEqual(stats.languages, LANGS);
    for (const lang of LANGS) {
      const got = stats.layers[0]![lang]!;
      assert.equal(got.tokens, tokens[lang]!.length, `${lang} token count`);
      for (const n of planted.neurons) {
        const ids = new Set(n.token_ids);
        const expected = tokens[lang]!.filter((id) => ids.has(id)).length;
        assert.equal(got.positiveCounts[n.index], expected, `[0,${n.index}] (${n.script}) on ${lang}`);
        // Own language: most of its tokens; the UDHR in the other three languages has none of this script.
        if (lang === n.lang) assert.ok(expected > 0.5 * got.tokens, `${n.script} share of ${lang}: ${expected}/${got.tokens}`);
        else assert.equal(expected, 0, `${lang} has ${n.script} tokens`);
      }
    }
  });

  it('default options: the one selected neuron (1 % of 128) is the lowest-index planted neuron, for rus', async () => {
    // top_rate 0.01 × 128 neurons rounds to 1 selected neuron. The three planted neurons all have entropy
    // exactly 0 (p > 0 for one language only); LAPE breaks ties by the lower index, so [0,5] is selected.
    const r = (await cli(['lape', '--db', db])) as LapeJson;
    console.log('lape (defaults):', JSON.stringify(r));
    assert.deepEqual(r.options, { topRate: 0.01, filterRate: 0.95, activationBarRatio: 0.95, activationBarOver: 'all' });
    assert.deepEqual(r.neurons, { arb: [], cmn: [], eng: [], rus: [[0, 5]] });
    assert.deepEqual(r.perLayer, { arb: [0, 0], cmn: [0, 0], eng: [0, 0], rus: [1, 0] });
  });

  it('top rate 0.025 (3 of 128 neurons): exactly the three planted neurons, each for its own language', async () => {
    // round(128 × 0.025) = 3 = the number of planted neurons, so the answer is known completely.
    const r = (await cli(['lape', '--db', db, '--top-rate', '0.025'])) as LapeJson;
    console.log('lape (top rate 0.025):', JSON.stringify(r));
    assert.deepEqual(r.neurons, { arb: [[0, 42]], cmn: [[0, 17]], eng: [], rus: [[0, 5]] });
    // τ_f = τ_a = the 0.95 quantile of all 512 p; each planted neuron's p for its language is above it.
    assert.equal(r.thresholds.activationBar, r.thresholds.filter);
    for (const n of planted.neurons) assert.ok(p[n.lang]![n.index]! > r.thresholds.filter, `${n.lang} p ${p[n.lang]![n.index]} vs τ ${r.thresholds.filter}`);
  });

  it('top rate 0.03 (4 neurons): each planted neuron belongs to its language only, eng has none of them', async () => {
    // round(128 × 0.03) = 4: the three planted neurons plus the unplanted neuron of lowest entropy.
    const r = (await cli(['lape', '--db', db, '--top-rate', '0.03'])) as LapeJson;
    console.log('lape (top rate 0.03):', JSON.stringify(r));
    const has = (lang: string, index: number) => r.neurons[lang]!.some(([l, n]) => l === 0 && n === index);
    for (const n of planted.neurons) {
      for (const lang of LANGS) assert.equal(has(lang, n.index), lang === n.lang, `[0,${n.index}] in ${lang}`);
    }
  });

  it('side by side: selectivity (no quota) finds exactly the planted neurons with its defaults; LAPE\'s 1 % quota finds one', async () => {
    const truth = new Set(planted.neurons.map((n) => `${n.lang}:${n.layer}:${n.index}`));
    const score = (neurons: Record<string, Ref[]>) => {
      const found = Object.entries(neurons).flatMap(([lang, refs]) => refs.map(([l, n]) => `${lang}:${l}:${n}`));
      const hits = found.filter((f) => truth.has(f)).length;
      return { found: found.length, recall: hits / truth.size, precision: found.length ? hits / found.length : 1 };
    };
    const lapeDefault = (await cli(['lape', '--db', db])) as LapeJson;
    const sel = (await cli(['lape', '--db', db, '--method', 'selectivity'])) as LapeJson & { method: string; tests: number; options: unknown };
    const side = { lape: score(lapeDefault.neurons), selectivity: score(sel.neurons) };
    console.log('planted neurons found, side by side:', JSON.stringify(side));
    assert.deepEqual(side.lape, { found: 1, recall: 1 / 3, precision: 1 });
    assert.deepEqual(side.selectivity, { found: 3, recall: 1, precision: 1 });
    assert.equal(sel.method, 'selectivity');
    assert.deepEqual(sel.options, { minEffect: 0.8, fdr: 0.05, fdrProcedure: 'BY' });
    assert.equal((sel as { test?: string }).test, 'welch-arcsine-text-groups');
    assert.equal(sel.tests, 128 * 4);
    // 20 texts a language: 16 groups of texts each, the units of the test.
    assert.deepEqual(Object.values((sel as unknown as { units: Record<string, { groups: number; texts: number }> }).units).map((u) => [u.groups, u.texts]), LANGS.map(() => [16, 20]));
    // The method is the stored kind, with the selection's parameters.
    const store = openStore(db, { readonly: true });
    try {
      const id = (sel as unknown as { selection: { id: number } }).selection.id;
      assert.equal(store.findResult(id, 'lape'), undefined);
      const stored = store.findResult(id, 'selectivity')!;
      assert.deepEqual(stored.params, { test: 'welch-arcsine-text-groups', minEffect: 0.8, fdr: 0.05, fdrProcedure: 'BY' });
    } finally {
      store.close();
    }
    // Goal of issue 17: recall ≥ 0.95 at precision ≥ 0.9, also with BH and with no effect floor.
    for (const extra of [['--fdr-procedure', 'BH'], ['--min-effect', '0']]) {
      const r = score(((await cli(['lape', '--db', db, '--method', 'selectivity', ...extra])) as LapeJson).neurons);
      console.log(`selectivity ${extra.join(' ')}:`, JSON.stringify(r));
      assert.ok(r.recall >= 0.95 && r.precision >= 0.9, JSON.stringify(r));
    }
  });

  it('lape --help states and justifies the selectivity defaults', async () => {
    const h = await runCli(['lape', '--help']);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /--min-effect h \(default 0\.8\): the null is h ≤ this/);
    assert.match(h.stdout, /Cohen's \(1988\) "large" effect/);
    assert.match(h.stdout, /--fdr q \(default 0\.05\) with --fdr-procedure BY \(default\): Benjamini-Yekutieli/);
    assert.match(h.stdout, /valid under any dependence/);
    assert.match(h.stdout, /Welch's one-sided t-test over groups of texts/);
    assert.match(h.stdout, /intersection-union test \(Berger 1982/);
  });

  it('selectivity on a run captured before per-text counts were kept says so and how to fix it', async () => {
    const copy = join(tmp, 'legacy.db');
    const store = openStore(db, { readonly: true });
    await store.db.backup(copy);
    store.close();
    const legacy = openStore(copy);
    legacy.db.prepare('DELETE FROM neuron_text_groups').run();
    legacy.close();
    const r = await runCli(['lape', '--db', copy, '--method', 'selectivity']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /run "capture" has no per-text counts: it was captured before they were kept/);
    assert.match(r.stderr, /Capture the corpus again under a new run name/);
    assert.equal((await cli(['lape', '--db', copy])).method, 'lape', 'LAPE still works on it');
  });

  it('ablate by default: 20 random draws with their 2.5–97.5 % band, each diagonal entry placed against it, and a 95 % interval per Δ', async () => {
    await cli(['lape', '--db', db, '--method', 'selectivity']);
    const m = await cli(['ablate', modelDir, '--db', db, '--corpus', CORPUS, '--max-texts-per-lang', '4', '--device', 'cpu']);
    assert.equal(m.randomDraws, 20);
    for (const lang of ['arb', 'cmn', 'rus']) {
      const d = m.diagonal[lang];
      assert.equal(typeof d.outsideRandomBand, 'boolean', lang);
      assert.ok(d.randomBand.low <= d.randomBand.high, lang);
      assert.equal(d.outsideRandomBand, d.delta > d.randomBand.high || d.delta < d.randomBand.low, lang);
      assert.ok(d.deltaInterval.low <= d.delta + 1e-12 && d.delta <= d.deltaInterval.high + 1e-12, `${lang}: ${JSON.stringify(d)}`);
      assert.match(d.deltaInterval.method, new RegExp(`over ${lang} texts`));
    }
    assert.equal(m.deltaInterval.length, 3);
    assert.equal(m.aboveRandomCount, Object.values(m.diagonal as Record<string, { delta: number; randomBand: { high: number } }>).filter((d) => d.delta > d.randomBand.high).length);
    const store = openStore(db, { readonly: true });
    try {
      assert.equal(store.findResult(m.resultId, 'ablation')!.params.randomSets, 20);
    } finally {
      store.close();
    }
    console.log('planted ablation diagonal:', JSON.stringify(m.diagonal));
  });

  it('ablate takes the newest selection, whichever method made it', async () => {
    await cli(['lape', '--db', db, '--method', 'selectivity']);
    const m = await cli(['ablate', modelDir, '--db', db, '--corpus', CORPUS, '--max-texts-per-lang', '3', '--random-sets', '0', '--device', 'cpu']);
    assert.deepEqual([...m.deactivated].sort(), ['arb', 'cmn', 'rus']);
  });
});
