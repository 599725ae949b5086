import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LapeStats } from '../../../src/main/analysis/lape.js';
import { benjaminiHochberg, cohensH, erfc, normalUpperTail, selectivity, twoProportionPValue } from '../../../src/main/analysis/selectivity.js';

const rel = (a: number, b: number, tol: number, msg?: string) => assert.ok(Math.abs(a - b) <= tol * Math.abs(b), `${msg ?? ''} ${a} ≉ ${b}`);

describe('selectivity helpers', () => {
  it('erfc and the normal tail match tabulated values, far into the tail', () => {
    rel(erfc(0), 1, 1e-7);
    rel(erfc(1), 0.157299207050285, 2e-7);
    rel(erfc(3), 2.209049699858544e-5, 2e-7);
    rel(erfc(10), 2.088487583762545e-45, 2e-7);
    rel(erfc(-1), 1.842700792949715, 2e-7);
    rel(normalUpperTail(1.959963984540054), 0.025, 2e-7);
  });

  it('Cohen\'s h and the one-sided two-proportion test', () => {
    rel(cohensH(0.5, 0), Math.PI / 2, 1e-12);
    assert.equal(cohensH(0.3, 0.3), 0);
    // 60/100 vs 40/100: z = 0.2 / sqrt(0.5·0.5·0.02) = 2.828…, p = 0.00234
    rel(twoProportionPValue(60, 100, 40, 100), normalUpperTail(0.2 / Math.sqrt(0.005)), 1e-12);
    rel(twoProportionPValue(60, 100, 40, 100), 0.002339, 1e-3);
    assert.ok(twoProportionPValue(40, 100, 60, 100) > 0.99, 'one-sided');
    assert.equal(twoProportionPValue(0, 10, 0, 10), 1, 'no activation anywhere: nothing to test');
  });

  it('Benjamini–Hochberg adjusts p-values as in the paper', () => {
    // sorted .005 .01 .03 .04 (m = 4): ×4/1, ×4/2, ×4/3, ×4/4 = .02 .02 .04 .04, made monotone from the top
    const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
    [0.02, 0.04, 0.04, 0.02].forEach((v, i) => rel(q[i]!, v, 1e-12));
    const q2 = benjaminiHochberg([0.9, 0.01, 0.5]);
    [0.9, 0.03, 0.75].forEach((v, i) => rel(q2[i]!, v, 1e-12));
  });
});

describe('selectivity', () => {
  // One layer, 5 neurons, 3 languages.
  const layer = (counts: number[][], tokens: number[]) => tokens.map((n, k) => ({ tokenCount: n, positiveCounts: Float64Array.from(counts.map((c) => c[k]!)) }));
  const stats: LapeStats = {
    languages: ['eng', 'rus', 'cmn'],
    layers: [
      layer(
        [
          [900, 100, 120], // 0: eng 0.9 vs ≤ 0.12 over 1000 tokens each: selected for eng
          [300, 310, 290], // 1: about the same everywhere
          [3, 0, 0], // 2: eng 3/1000 vs 0: h 0.11, dropped
          [900, 880, 50], // 3: eng and rus both 0.9: beats cmn, but not every other language
          [100, 100, 950], // 4: cmn
        ],
        [1000, 1000, 1000],
      ),
    ],
  };

  it('keeps large, significant margins over every other language, with no quota', () => {
    const r = selectivity(stats);
    assert.deepEqual(r.neurons, { eng: [[0, 0]], rus: [], cmn: [[0, 4]] });
    assert.deepEqual(r.perLayer, { eng: [1], rus: [0], cmn: [1] });
    assert.equal(r.tests, 15);
    assert.equal(r.method, 'selectivity');
    assert.deepEqual(r.options, { minEffect: 0.8, fdr: 0.05 });
    const cmn = r.details.find((d) => d.lang === 'cmn')!;
    assert.equal(cmn.runnerUp, 0.1);
    rel(cmn.effect, cohensH(0.95, 0.1), 1e-12);
    assert.ok(cmn.qValue <= 0.05 && cmn.pValue <= cmn.qValue);
  });

  it('needs significance: a large effect on a handful of tokens is not enough', () => {
    const few: LapeStats = { languages: ['eng', 'rus'], layers: [layer([[2, 0], [2, 0], [2, 0]], [2, 2])] };
    // p 1 vs 0 (h = π) on two tokens each: z = 2, p = 0.023 per neuron, q = 0.023 over 6 tests.
    assert.deepEqual(selectivity(few).neurons, { eng: [[0, 0], [0, 1], [0, 2]], rus: [] });
    assert.deepEqual(selectivity(few, { fdr: 0.01 }).neurons, { eng: [], rus: [] });
  });

  it('needs an effect: on a million tokens 0.52 vs 0.48 is significant, yet no language neuron', () => {
    const big: LapeStats = { languages: ['eng', 'rus'], layers: [layer([[520_000, 480_000]], [1_000_000, 1_000_000])] };
    assert.deepEqual(selectivity(big).neurons, { eng: [], rus: [] });
    const noFloor = selectivity(big, { minEffect: 0 });
    assert.deepEqual(noFloor.neurons, { eng: [[0, 0]], rus: [] });
    assert.ok(noFloor.details[0]!.qValue < 1e-100 && noFloor.details[0]!.effect < 0.1);
    const r = selectivity(stats, { minEffect: 0 });
    assert.ok(!r.neurons['eng']!.some(([, n]) => n === 3) && !r.neurons['rus']!.some(([, n]) => n === 3), 'a neuron shared by two languages beats neither');
  });

  it('rejects fewer than two languages and bad options', () => {
    assert.throws(() => selectivity({ languages: ['eng'], layers: [layer([[1]], [5])] }), /at least two languages, got 1 \(eng\)/);
    assert.throws(() => selectivity(stats, { fdr: 0 }), /fdr/);
    assert.throws(() => selectivity(stats, { minEffect: -1 }), /minEffect/);
  });
});
