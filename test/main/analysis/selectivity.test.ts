import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cohensH, selectivity, type GroupCounts, type SelectivityStats } from '../../../src/main/analysis/selectivity.js';
import { benjaminiHochberg, benjaminiYekutieli, studentTQuantileUpper, studentTUpperTail, welchTest } from '../../../src/shared/significance.js';

const rel = (a: number, b: number, tol: number, msg?: string) => assert.ok(Math.abs(a - b) <= tol * Math.abs(b), `${msg ?? ''} ${a} ≉ ${b}`);

describe('significance helpers', () => {
  it("Student's t tail and quantile match scipy.stats.t (non-integer df too)", () => {
    // scipy 1.17: t.sf(2, 3), t.sf(1.5, 7.3), t.sf(-0.7, 2.2), t.sf(10, 30), t.sf(40, 15), t.sf(3.2, 1.5), t.ppf(.975, 4.5), t.ppf(.975, 3)
    rel(studentTUpperTail(2, 3), 0.06966298427942152, 1e-10);
    rel(studentTUpperTail(1.5, 7.3), 0.08778154640154305, 1e-10);
    rel(studentTUpperTail(-0.7, 2.2), 0.7247091602656037, 1e-10);
    rel(studentTUpperTail(10, 30), 2.287625704114809e-11, 1e-8);
    rel(studentTUpperTail(40, 15), 5.845330620433193e-17, 1e-8);
    rel(studentTUpperTail(3.2, 1.5), 0.06119059693144055, 1e-10);
    rel(studentTQuantileUpper(0.025, 4.5), 2.6589123472044034, 1e-8);
    rel(studentTQuantileUpper(0.025, 3), 3.1824463052837078, 1e-8);
  });

  it("Welch's one-sided test against a margin matches scipy's ttest_ind(a − margin, b, equal_var=False, alternative='greater')", () => {
    // a = [1.2, 1.5, 1.1, 1.4, 1.3], b = [0.2, 0.5, 0.1, 0.3], margin 0.8: t 2.0294442756076383, p 0.04323200672366337
    const w = welchTest({ mean: 1.3, variance: 0.025, n: 5 }, { mean: 0.275, variance: 0.029166666666666664, n: 4 }, 0.8);
    rel(w.t, 2.0294442756076383, 1e-10);
    rel(w.pValue, 0.04323200672366337, 1e-9);
    assert.throws(() => welchTest({ mean: 1, variance: 0, n: 1 }, { mean: 0, variance: 0, n: 3 }), /at least 2 units/);
  });

  it('Benjamini–Hochberg and Benjamini–Yekutieli adjust p-values as in the papers', () => {
    // sorted .005 .01 .03 .04 (m = 4): ×4/1, ×4/2, ×4/3, ×4/4 = .02 .02 .04 .04, made monotone from the top
    const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
    [0.02, 0.04, 0.04, 0.02].forEach((v, i) => rel(q[i]!, v, 1e-12));
    // BY: the same times Σ 1/i = 25/12
    const y = benjaminiYekutieli([0.01, 0.04, 0.03, 0.005]);
    [0.02, 0.04, 0.04, 0.02].forEach((v, i) => rel(y[i]!, (v * 25) / 12, 1e-12));
    const q2 = benjaminiHochberg([0.9, 0.01, 0.5]);
    [0.9, 0.03, 0.75].forEach((v, i) => rel(q2[i]!, v, 1e-12));
  });
});

/** Groups of one language at one layer, from per-group [rates per neuron] and token counts. */
const groups = (rates: number[][], tokens: number[]): GroupCounts[] =>
  tokens.map((n, g) => ({ tokens: n, texts: 1, positiveCounts: rates.map((r) => Math.round(r[g]! * n)) }));
const repeat = (v: number, n: number) => Array.from({ length: n }, () => v);
const jitter = (v: number, n: number, spread: number) => Array.from({ length: n }, (_, i) => v + spread * ((i % 3) - 1));

describe('selectivity across texts', () => {
  // One layer, 4 neurons, 3 languages, 8 texts each of 500 tokens.
  const T = repeat(500, 8);
  const stats = (): SelectivityStats => ({
    languages: ['eng', 'rus', 'cmn'],
    layers: [
      [
        groups([jitter(0.9, 8, 0.03), jitter(0.3, 8, 0.05), jitter(0.1, 8, 0.02), jitter(0.85, 8, 0.03)], T), // eng
        groups([jitter(0.1, 8, 0.02), jitter(0.3, 8, 0.05), jitter(0.1, 8, 0.02), jitter(0.85, 8, 0.03)], T), // rus
        groups([jitter(0.1, 8, 0.02), jitter(0.3, 8, 0.05), jitter(0.9, 8, 0.03), jitter(0.1, 8, 0.02)], T), // cmn
      ],
    ],
  });

  it('keeps margins over every other language beyond the effect floor, with no quota, and says how', () => {
    const r = selectivity(stats());
    // 0: eng; 1: the same everywhere; 2: cmn; 3: eng and rus together beat cmn but not each other.
    assert.deepEqual(r.neurons, { eng: [[0, 0]], rus: [], cmn: [[0, 2]] });
    assert.equal(r.tests, 12);
    assert.equal(r.method, 'selectivity');
    assert.equal(r.test, 'welch-arcsine-text-groups');
    assert.deepEqual(r.options, { minEffect: 0.8, fdr: 0.05, fdrProcedure: 'BY' });
    assert.deepEqual(r.units!['eng'], { groups: 8, texts: 8, tokens: 4000 });
    const cmn = r.details.find((d) => d.lang === 'cmn')!;
    rel(cmn.p, 0.9, 0.01);
    assert.ok(cmn.effect > 0.8 && cmn.effectInterval!.low > 0.8 && cmn.effectInterval!.high > cmn.effect, JSON.stringify(cmn));
    assert.ok(cmn.qValue <= 0.05 && cmn.pValue <= cmn.qValue);
  });

  it('one long text does not make a language neuron: the unit is the text, not the token', () => {
    // eng: one text of 20 000 tokens fires 95 %, three of 100 tokens fire 5 %; rus: four texts at 5 %.
    // Pooled over tokens eng is at 0.94 against 0.05 (h 2.2, z-test p ≈ 0); over texts the mean
    // arcsine difference is 0.56 with one text of four carrying it: not beyond the 0.8 floor.
    const s: SelectivityStats = {
      languages: ['eng', 'rus'],
      layers: [[groups([[0.95, 0.05, 0.05, 0.05]], [20_000, 100, 100, 100]), groups([[0.05, 0.05, 0.05, 0.05]], [100, 100, 100, 100])]],
    };
    const r = selectivity(s, { minEffect: 0.8 });
    assert.deepEqual(r.neurons, { eng: [], rus: [] });
    assert.ok(cohensH(19015 / 20300, 0.05) > 2, 'pooled over tokens the effect looks huge');
  });

  it('the effect floor is inside the null: an estimate just above it is not enough, a precise one is', () => {
    // Observed h ≈ 0.85 (0.6 vs ≈ 0.2): with 3 noisy texts a side not shown to exceed 0.8, with 16 tight texts it is.
    const h = cohensH(0.6, 0.2);
    assert.ok(h > 0.8 && h < 0.9);
    const noisy: SelectivityStats = { languages: ['eng', 'rus'], layers: [[groups([[0.45, 0.6, 0.75]], repeat(300, 3)), groups([[0.1, 0.2, 0.3]], repeat(300, 3))]] };
    assert.deepEqual(selectivity(noisy).neurons, { eng: [], rus: [] });
    const tight: SelectivityStats = { languages: ['eng', 'rus'], layers: [[groups([jitter(0.6, 16, 0.002)], repeat(200_000, 16)), groups([jitter(0.2, 16, 0.002)], repeat(200_000, 16))]] };
    const r = selectivity(tight);
    assert.deepEqual(r.neurons, { eng: [[0, 0]], rus: [] });
    assert.deepEqual(selectivity(tight, { minEffect: 0.9 }).neurons, { eng: [], rus: [] }, 'a floor above the effect: not selected');
  });

  it('Benjamini–Yekutieli by default, Benjamini–Hochberg on request: BY is the stricter', () => {
    // 40 neurons with p ≈ 0.013 each: BH keeps them (q = p), BY (q = p · Σ 1/i ≈ 4.3 p) drops them.
    const n = 40;
    const mk = (rate: number, spread: number) => groups(Array.from({ length: n }, () => jitter(rate, 4, spread)), repeat(400, 4));
    const s = (): SelectivityStats => ({ languages: ['eng', 'rus'], layers: [[mk(0.7, 0.2), mk(0.1, 0.05)]] });
    const bh = selectivity(s(), { fdrProcedure: 'BH', minEffect: 0.5 });
    const by = selectivity(s(), { minEffect: 0.5 });
    assert.equal(bh.options.fdrProcedure, 'BH');
    assert.ok(bh.neurons['eng']!.length === n, `BH keeps ${bh.neurons['eng']!.length}`);
    assert.ok(by.neurons['eng']!.length < bh.neurons['eng']!.length, `BY keeps ${by.neurons['eng']!.length}`);
  });

  it('rejects fewer than two languages, fewer than two texts a language and bad options', () => {
    assert.throws(() => selectivity({ languages: ['eng'], layers: [[groups([[0.5, 0.5]], [5, 5])]] }), /at least two languages, got 1 \(eng\)/);
    assert.throws(
      () => selectivity({ languages: ['eng', 'rus'], layers: [[groups([[0.5]], [5]), groups([[0.5, 0.5]], [5, 5])]] }),
      /language eng has 1 text with tokens at layer 0; the test across texts needs at least 2/,
    );
    assert.throws(() => selectivity(stats(), { fdr: 0 }), /fdr/);
    assert.throws(() => selectivity(stats(), { minEffect: -1 }), /minEffect/);
  });
});
