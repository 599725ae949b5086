/** The public API on the bundled model: results equal the analyses' own, abort keeps flushed work, resume completes it. */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ablate,
  activations,
  align,
  CancellationError,
  capture,
  compareCheckpoints,
  generate,
  lape,
  lens,
  loadCorpus,
  meanNll,
  openModel,
  openStore,
  workingLanguage,
  type Model,
  type Progress,
} from '../../../src/main/api/index.js';
import { lape as lapeAnalysis, lapeStatsFromLayers } from '../../../src/main/analysis/lape.js';
import { openStore as openInternalStore } from '../../../src/main/store/index.js';
import { isUserError } from '../../../src/shared/errors.js';
import { testModelDir } from '../../helpers/fixtures.js';

const CORPUS = 'udhr:eng,rus,cmn';

describe('babelscope API', () => {
  let tmp: string;
  let model: Model;
  /** One capture of CORPUS (8 texts per language) made before the tests; each test reads it or a copy of its own. */
  let captured: string;
  /** A private copy of the captured store, so that no test reads what another one wrote (any order, any subset). */
  const copyOfCapture = (name: string): string => {
    const db = join(tmp, name);
    copyFileSync(captured, db);
    return db;
  };
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-api-'));
    model = await openModel(testModelDir, { device: 'cpu', log: () => {} });
    captured = join(tmp, 'captured.db');
    const full = await capture({ model, store: captured, corpus: CORPUS, maxTextsPerLang: 8, batch: 4 });
    assert.equal(full.texts, 24);
  });
  after(async () => {
    await model.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('an aborted capture keeps its flushed texts and a second call resumes it to the same statistics as one uninterrupted capture', async () => {
    const whole = captured;
    const parts = join(tmp, 'parts.db');

    const controller = new AbortController();
    const seen: Progress[] = [];
    await assert.rejects(
      capture({
        model,
        store: parts,
        corpus: CORPUS,
        maxTextsPerLang: 8,
        batch: 4,
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p);
          if (p.done >= 8) controller.abort();
        },
      }),
      (e) => e instanceof CancellationError && /resumes/.test(e.message),
    );
    assert.equal(seen[0]!.stage, 'capture');
    assert.equal(seen[0]!.total, 24);
    const store = openStore(parts);
    const done = store.query<{ n: number }>('SELECT COUNT(*) AS n FROM capture_progress')[0]!.n;
    assert.equal(done, 8, 'the texts captured before the abort are stored');
    assert.equal(store.run('capture').status, 'interrupted');
    store.close();

    const resumed = await capture({ model, store: parts, corpus: CORPUS, maxTextsPerLang: 8, batch: 4 });
    assert.equal(resumed.resumed, true);
    assert.equal(resumed.skippedAlreadyDone, 8);
    assert.equal(resumed.texts, 16);
    const a = openInternalStore(whole, { readonly: true });
    const b = openInternalStore(parts, { readonly: true });
    try {
      const sa = a.readNeuronStats(a.findRun('capture')!.id);
      const sb = b.readNeuronStats(b.findRun('capture')!.id);
      for (let l = 0; l < sa.numLayers; l++)
        for (const lang of sa.languages) {
          assert.equal(sb.layers[l]![lang]!.tokens, sa.layers[l]![lang]!.tokens);
          assert.deepEqual(sb.layers[l]![lang]!.positiveCounts, sa.layers[l]![lang]!.positiveCounts);
        }
      // The per-text-group counts (selectivity's units) too: interrupted and resumed equals one go.
      const ra = a.findRun('capture')!.id;
      const rb = b.findRun('capture')!.id;
      assert.deepEqual(b.textGroupLayers(rb), a.textGroupLayers(ra));
      assert.equal(a.textGroupLayers(ra).length, sa.numLayers);
      for (const l of a.textGroupLayers(ra)) assert.deepEqual(b.readTextGroups(rb, l), a.readTextGroups(ra, l), `text groups, layer ${l}`);
    } finally {
      a.close();
      b.close();
    }
  });

  it('lape equals the analysis on the stored statistics and is stored; ablation uses it', async () => {
    const db = copyOfCapture('lape.db');
    const r = lape({ store: db, topRate: 0.02 });
    const s = openInternalStore(db, { readonly: true });
    const stats = s.readNeuronStats(s.findRun('capture')!.id);
    s.close();
    const direct = lapeAnalysis(lapeStatsFromLayers(stats.languages, stats.layers), { topRate: 0.02 });
    assert.deepEqual(r.neurons, direct.neurons);
    assert.ok(r.resultId !== null);
    const store = openStore(db);
    // Stored: the analysis, plus which languages the model has learned (its capture's NLL against ln |V|).
    const { learnedCheck, unlearned, ...stored } = store.result(r.resultId!).result as typeof r;
    assert.deepEqual(stored, JSON.parse(JSON.stringify(direct)));
    assert.deepEqual(unlearned, []);
    assert.equal(learnedCheck!.vocabSize, 3072);
    assert.deepEqual(learnedCheck, r.learnedCheck);
    assert.equal(store.results({ kind: 'lape' })[0]!.id, r.resultId);

    const m = await ablate({ model, store, corpus: CORPUS, maxTextsPerLang: 4, randomSets: 1 });
    assert.ok(m.randomDelta, 'the chance level of random neuron sets is measured');
    assert.deepEqual(m.deactivated, r.languages.filter((l) => r.neurons[l]!.length > 0));
    assert.equal(store.latestResult('capture', 'ablation')!.id, m.resultId);
    // The matrix's numbers are the same forward passes as meanNll.
    const base = await meanNll({ model, corpus: CORPUS, maxTextsPerLang: 4 });
    m.evaluated.forEach((lang, k) => assert.ok(Math.abs(m.baseline[k]! - base[lang]!) < 1e-9));
    const off = m.deactivated[0]!;
    const withOff = await meanNll({ model, corpus: CORPUS, maxTextsPerLang: 4, interventions: r.neurons[off]!.map(([layer, index]) => ({ layer, index, scale: 0 })) });
    m.evaluated.forEach((lang, k) => assert.ok(Math.abs(m.nll[0]![k]! - withOff[lang]!) < 1e-9));
    store.close();
  });

  it('ablate with a LAPE result in hand needs no store and saves nothing', async () => {
    const r = lape({ store: captured, topRate: 0.02, save: false });
    assert.equal(r.resultId, null);
    const m = await ablate({ model, corpus: [{ lang: 'eng', id: '1', text: 'Everyone has the right to life, liberty and security of person.' }], lape: r, randomSets: 0 });
    assert.equal(m.resultId, null);
    assert.deepEqual(m.evaluated, ['eng']);
    assert.equal(m.randomDelta, null);
  });

  it('align, workingLanguage and compareCheckpoints read and write the store', async () => {
    const db = copyOfCapture('whole.db');
    const a = await align({ store: db, pool: 'last' });
    assert.equal(a.pool, 'last');
    assert.deepEqual(a.languages.sort(), ['cmn', 'eng', 'rus']);
    const wl = await workingLanguage({ model, corpus: CORPUS, maxTextsPerLang: 4, store: db });
    assert.equal(wl.numLayers, model.info.numLayers);
    assert.ok(wl.resultId !== null);
    const other = copyOfCapture('other.db');
    lape({ store: db, topRate: 0.02 });
    lape({ store: other, topRate: 0.02 });
    const c = compareCheckpoints({ stores: [db, other] });
    // The same statistics give the same neurons: full overlap.
    for (const lang of c.languages) assert.equal(c.jaccard[lang]![0]![1], 1);
    assert.deepEqual(c.checkpoints, ['whole.db', 'other.db']);
  });

  it('lens, activations and generate return what the engine computes', async () => {
    const l = await lens(model, { text: 'Everyone has the right', top: 3 });
    assert.equal(l.layers.length, model.info.numLayers);
    assert.equal(l.layers[0]!.positions[0]!.top.length, 3);
    const act = await activations(model, { text: 'Hallo Welt', point: 'mlp', layer: 1 });
    assert.deepEqual(act.shape, [act.tokens.length, model.info.intermediateSize]);
    await assert.rejects(activations(model, { text: 'x', point: 'mlp', layer: 99 }), (e) => isUserError(e) && /layer 99/.test(e.message));
    const g = await generate(model, { prompt: 'Everyone has the right', maxNewTokens: 5 });
    const again = await generate(model, { prompt: 'Everyone has the right', maxNewTokens: 5 });
    assert.deepEqual(g.ids, again.ids);
    assert.equal(g.ids.length, g.tokens.length);
  });

  it('corpora: arrays made in a cell are validated and limited per language', async () => {
    const texts = await loadCorpus(
      [
        { lang: 'eng', id: '1', text: 'a' },
        { lang: 'eng', id: '2', text: 'b' },
        { lang: 'deu', id: '1', text: 'c' },
      ],
      { maxTextsPerLang: 1 },
    );
    assert.deepEqual(texts.map((t) => t.text), ['a', 'c']);
    await assert.rejects(loadCorpus([{ lang: 'eng', text: 'no id' } as never]), (e) => isUserError(e) && /corpus item 0/.test(e.message));
    await assert.rejects(loadCorpus('udhr:eng', { maxTokensPerLang: 10 }), (e) => isUserError(e) && /needs a model/.test(e.message));
  });

  it('store.query runs SQL with parameters and turns SQL mistakes into UserErrors', () => {
    const store = openStore(captured, { readonly: true });
    try {
      const rows = store.query<{ lang: string; n: number }>('SELECT lang, COUNT(*) AS n FROM texts WHERE lang <> ? GROUP BY lang ORDER BY lang', ['cmn']);
      assert.deepEqual(rows, [{ lang: 'eng', n: 8 }, { lang: 'rus', n: 8 }]);
      assert.deepEqual(store.query('SELECT name FROM runs WHERE name = @name', { name: 'capture' }), [{ name: 'capture' }]);
      assert.throws(() => store.query('SELECT nope FROM texts'), (e) => isUserError(e) && /no such column/.test(e.message));
      assert.throws(() => store.run('missing'), (e) => isUserError(e) && /Runs here: capture/.test(e.hint ?? ''));
    } finally {
      store.close();
    }
    assert.throws(() => openStore(join(tmp, 'none.db'), { readonly: true }), (e) => isUserError(e) && /no such file/.test(e.message));
  });
});
