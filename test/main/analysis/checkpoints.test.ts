import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareCheckpoints, jaccard } from '../../../src/main/analysis/checkpoints.js';
import { LAPE_DEFAULTS, type LapeResult, type NeuronRef } from '../../../src/main/analysis/lape.js';
import type { WorkingLanguageResult } from '../../../src/main/analysis/working-language.js';

/** A LAPE result by hand (2 layers). */
function lapeResult(neurons: Record<string, NeuronRef[]>): LapeResult {
  const perLayer: Record<string, number[]> = {};
  for (const [lang, refs] of Object.entries(neurons)) {
    perLayer[lang] = [0, 0];
    for (const [l] of refs) perLayer[lang]![l]!++;
  }
  return {
    languages: Object.keys(neurons),
    neurons,
    perLayer,
    options: { ...LAPE_DEFAULTS },
    thresholds: { filter: 0.5, activationBar: 0.5 },
    selected: Object.values(neurons).flat(),
    neuronsPerLayer: [10, 10],
  };
}

function working(top1Eng: number[]): WorkingLanguageResult {
  return {
    labels: ['eng', 'shared'],
    numLayers: top1Eng.length,
    overall: {
      positions: top1Eng.map(() => 10),
      massPositions: top1Eng.map(() => 0),
      top1Share: { eng: top1Eng, shared: top1Eng.map((x) => 1 - x) },
      meanMass: { eng: top1Eng.map(() => 0), shared: top1Eng.map(() => 0) },
    },
    byTextLanguage: {},
  };
}

describe('jaccard', () => {
  it('is |A∩B| / |A∪B|, 1 for two empty sets', () => {
    assert.equal(jaccard(new Set([1, 2, 3]), new Set([2, 3, 4, 5])), 2 / 5);
    assert.equal(jaccard(new Set(), new Set()), 1);
    assert.equal(jaccard(new Set([1]), new Set()), 0);
  });
});

describe('compareCheckpoints', () => {
  const r = compareCheckpoints([
    {
      name: 'step-1000',
      lape: lapeResult({ eng: [[0, 1], [0, 2], [1, 3]], rus: [[1, 5]] }),
      nll: { eng: 3.5, rus: 4.5 },
      workingLanguage: working([1, 0.5]),
    },
    {
      name: 'step-2000',
      lape: lapeResult({ eng: [[0, 1], [1, 3], [1, 4]], rus: [] }),
      nll: { eng: 3.0 },
    },
    {
      name: 'step-3000',
      lape: lapeResult({ eng: [[0, 1], [0, 2], [1, 3]], rus: [], cmn: [[0, 9]] }),
      nll: { eng: 2.8, rus: 3.9, cmn: 5 },
      workingLanguage: working([0.8, 0.2]),
    },
  ]);

  it('gives the Jaccard overlap of each language between every pair of checkpoints', () => {
    assert.deepEqual(r.checkpoints, ['step-1000', 'step-2000', 'step-3000']);
    assert.deepEqual(r.languages, ['eng', 'rus', 'cmn']);
    // eng: {01,02,13} vs {01,13,14}: 2/4; vs itself at 3000: 1
    assert.deepEqual(r.jaccard['eng'], [
      [1, 0.5, 1],
      [0.5, 1, 0.5],
      [1, 0.5, 1],
    ]);
    assert.deepEqual(r.jaccard['rus'], [
      [1, 0, 0],
      [0, 1, 1],
      [0, 1, 1],
    ]);
    assert.deepEqual(r.jaccard['cmn'], [
      [null, null, null],
      [null, null, null],
      [null, null, 1],
    ]);
  });

  it('counts neurons per checkpoint and per layer', () => {
    assert.deepEqual(r.neuronCounts, { eng: [3, 3, 3], rus: [1, 0, 0], cmn: [null, null, 1] });
    assert.deepEqual(r.perLayer['eng'], [
      [2, 1],
      [1, 2],
      [2, 1],
    ]);
    assert.deepEqual(r.perLayer['cmn'], [null, null, [1, 0]]);
  });

  it('tabulates mean NLL and working language per checkpoint', () => {
    assert.deepEqual(r.nllLanguages, ['eng', 'rus', 'cmn']);
    assert.deepEqual(r.nll, { eng: [3.5, 3.0, 2.8], rus: [4.5, null, 3.9], cmn: [null, null, 5] });
    assert.deepEqual(r.workingTop1['eng'], [[1, 0.5], null, [0.8, 0.2]]);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'serialises to JSON unchanged');
  });

  it('rejects duplicate checkpoint names', () => {
    const l = lapeResult({ eng: [] });
    assert.throws(
      () =>
        compareCheckpoints([
          { name: 'a', lape: l },
          { name: 'a', lape: l },
        ]),
      /distinct/,
    );
  });
});

describe('compareCheckpoints: chance level of overlaps and unlearned languages', () => {
  it('jaccardChance matches the hypergeometric expectation (scipy.stats.hypergeom) and gives a band', async () => {
    const { jaccardChance } = await import('../../../src/shared/significance.js');
    // scipy: Σ hypergeom(n, a, b).pmf(k) · k / (a + b − k)
    const cases: [number, number, number, number][] = [
      [10, 12, 1024, 0.005607470497488002],
      [34, 29, 1024, 0.015763737718054716],
      [300, 280, 1024, 0.1649300225189247],
    ];
    for (const [a, b, n, e] of cases) {
      const c = jaccardChance(a, b, n);
      assert.ok(Math.abs(c.expected - e) < 1e-10 * Math.max(1, e), `${a},${b},${n}: ${c.expected} vs ${e}`);
      assert.ok(c.low <= c.expected && c.expected <= c.high, JSON.stringify(c));
    }
    [jaccardChance(5, 0, 100).expected, jaccardChance(0, 0, 100).expected, jaccardChance(100, 100, 100).expected].forEach((v, i) => assert.ok(Math.abs(v - [0, 1, 1][i]!) < 1e-12, String(v)));
  });

  it('each overlap comes with the Jaccard of random sets of those sizes, and counts with the quota', () => {
    const c = compareCheckpoints([
      { name: 'a', lape: lapeResult({ eng: [[0, 1], [0, 2]], rus: [[1, 3]] }) },
      { name: 'b', lape: lapeResult({ eng: [[0, 1], [1, 5], [1, 6]], rus: [] }) },
    ]);
    const ch = c.jaccardChance['eng']![0]![1]!;
    assert.match(ch.method, /random sets of 2 and 3 among 20/);
    // |A ∩ B| ~ Hypergeometric(20, 2, 3): P(0) = 816/1140, P(1) = 306/1140, P(2) = 18/1140; J = 0, 1/4, 2/3
    assert.ok(Math.abs(ch.expected - ((306 / 1140) * 0.25 + (18 / 1140) * (2 / 3))) < 1e-12, String(ch.expected));
    assert.deepEqual([ch.low, ch.high], [0, 0.25]);
    assert.deepEqual(c.selectedTotal, [3, 3]);
    assert.deepEqual(c.learned['eng'], [null, null], 'no NLL given: unknown');
  });

  it('flags a language a checkpoint has not learned: mean NLL at or above ln |V|', async () => {
    const { learnedCheck } = await import('../../../src/main/analysis/unlearned.js');
    const V = 3072; // ln 3072 = 8.03 nats
    const early = learnedCheck({ eng: 4.8, rus: 10.7, cmn: 10.9 }, V);
    assert.deepEqual(early.unlearned, ['cmn', 'rus']);
    assert.ok(Math.abs(early.uniformNll - Math.log(V)) < 1e-15);
    const late = learnedCheck({ eng: 4.5, rus: 5.1, cmn: 5.9 }, V);
    assert.deepEqual(late.unlearned, []);
    const c = compareCheckpoints([
      { name: '01-english', lape: { ...lapeResult({ eng: [[0, 1]], rus: [[1, 2]], cmn: [[1, 3]] }), learnedCheck: early } },
      { name: '03-final', lape: lapeResult({ eng: [[0, 1]], rus: [[1, 2]], cmn: [[1, 4]] }), learnedCheck: late },
    ]);
    assert.deepEqual(c.learned, { eng: [true, true], rus: [false, true], cmn: [false, true] });
    assert.deepEqual(c.uniformNll, [Math.log(V), Math.log(V)]);
    assert.throws(() => learnedCheck({ eng: 1 }, 1), /vocabulary size/);
  });
});
