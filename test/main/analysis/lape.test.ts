import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lape, lapeStatsFromLayers, type LapeThresholds, type LapeStats, type NeuronRef } from '../../../src/main/analysis/lape.js';
import { kthValueQuantile, roundHalfEven } from '../../../src/main/analysis/quantile.js';
import { mulberry32, randInt } from './prng.js';

/**
 * An independent, deliberately plain LAPE (nested arrays, loops, one sort), written from the reference
 * identify.py, to hold the optimised module to.
 */
function referenceLape(stats: LapeStats, o: Required<LapeThresholds>) {
  const pyRound = (x: number) => {
    const r = Math.round(x);
    return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r; // Math.round sends .5 up; Python to even
  };
  const kth = (vals: number[], rate: number) => {
    const s = [...vals].sort((a, b) => a - b);
    const k = Math.min(s.length, Math.max(1, pyRound(s.length * rate)));
    return s[k - 1]!;
  };
  const p: number[][][] = stats.layers.map((layer) => {
    const width = layer[0]!.positiveCounts.length;
    const rows: number[][] = [];
    for (let n = 0; n < width; n++) rows.push(layer.map((c) => c.positiveCounts[n]! / c.tokenCount));
    return rows;
  });
  const all: number[] = p.flat(2);
  const filter = kth(all, o.filterRate);
  const cands: { l: number; n: number; flat: number; h: number }[] = [];
  let flat = 0;
  p.forEach((rows, l) =>
    rows.forEach((ps, n) => {
      const sum = ps.reduce((a, b) => a + b, 0);
      let h = 0;
      for (const v of ps) {
        const q = sum > 0 ? v / sum : 0;
        if (q > 0) h += -q * Math.log(q);
      }
      if (!ps.some((v) => v > filter)) h = Infinity;
      cands.push({ l, n, flat: flat++, h });
    }),
  );
  const sorted = [...cands].sort((a, b) => (a.h === b.h ? a.flat - b.flat : a.h < b.h ? -1 : 1));
  const top = sorted.slice(0, pyRound(cands.length * o.topRate));
  const barValues = o.activationBarOver === 'all' ? all : top.flatMap((c) => p[c.l]![c.n]!);
  const bar = top.length ? kth(barValues, o.activationBarRatio) : null;
  const neurons: Record<string, NeuronRef[]> = {};
  stats.languages.forEach((lang, k) => {
    neurons[lang] = top
      .filter((c) => bar !== null && p[c.l]![c.n]![k]! > bar)
      .map((c): NeuronRef => [c.l, c.n])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  });
  return { neurons, selected: top.map((c): NeuronRef => [c.l, c.n]), filter, bar };
}

/** Random counts; `dupShare` of the neurons copy an earlier neuron of their layer (entropy ties). */
function randomStats(seed: number, layers: number, width: number, languages: string[], maxCount: number, dupShare = 0): LapeStats {
  const rand = mulberry32(seed);
  const stats: LapeStats = {
    languages,
    layers: Array.from({ length: layers }, () =>
      languages.map(() => {
        const tokenCount = randInt(rand, 1, maxCount);
        return {
          tokenCount,
          positiveCounts: Float64Array.from({ length: width }, () =>
            rand() < 0.2 ? 0 : randInt(rand, 0, tokenCount),
          ),
        };
      }),
    ),
  };
  for (const layer of stats.layers) {
    for (let n = 1; n < width; n++) {
      if (rand() < dupShare) {
        const from = randInt(rand, 0, n - 1);
        for (const c of layer) c.positiveCounts[n] = c.positiveCounts[from]!;
      }
    }
  }
  return stats;
}

describe('quantile helpers', () => {
  it('rounds halves to even like Python', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 8.5, 9.5, 2.4, 2.6, 7].map(roundHalfEven), [0, 2, 2, 8, 10, 2, 3, 7]);
  });
  it('takes the k-th smallest value, k = round(N × rate), clamped to [1, N]', () => {
    const v = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    assert.equal(kthValueQuantile(v, 0.95), 10); // round(9.5) = 10
    assert.equal(kthValueQuantile(v, 0.85), 8); // round(8.5) = 8
    assert.equal(kthValueQuantile(v, 0.5), 5);
    assert.equal(kthValueQuantile(v, 0), 1); // k clamped to 1
    assert.deepEqual(v, [10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 'input untouched');
  });
});

describe('lape', () => {
  // 4 layers × 200 neurons × 3 languages; background neurons fire for 20–50 % of every language's tokens
  // (high entropy), planted neurons fire for one (or two) languages only.
  const languages = ['eng', 'rus', 'cmn'];
  const layers = 4;
  const width = 200;
  const tokens = [1000, 800, 1200];
  const planted: { at: NeuronRef; langs: string[]; p: number }[] = [
    { at: [0, 3], langs: ['eng'], p: 0.9 },
    { at: [1, 17], langs: ['rus'], p: 0.8 },
    { at: [1, 150], langs: ['cmn'], p: 0.95 },
    { at: [2, 0], langs: ['cmn'], p: 0.7 },
    { at: [3, 199], langs: ['eng'], p: 0.75 },
    { at: [3, 42], langs: ['rus'], p: 0.85 },
    { at: [2, 77], langs: ['eng', 'rus'], p: 0.9 },
  ];
  const weak: NeuronRef = [0, 100]; // fires for eng only, but rarely: entropy 0, filtered out
  function plantedStats(): LapeStats {
    const rand = mulberry32(7);
    const stats: LapeStats = {
      languages,
      layers: Array.from({ length: layers }, () =>
        languages.map((_, k) => ({
          tokenCount: tokens[k]!,
          positiveCounts: Float64Array.from({ length: width }, () => Math.round(tokens[k]! * (0.2 + 0.3 * rand()))),
        })),
      ),
    };
    const set = ([l, n]: NeuronRef, k: number, p: number) => {
      stats.layers[l]![k]!.positiveCounts[n] = Math.round(tokens[k]! * p);
    };
    for (const pl of planted) languages.forEach((lang, k) => set(pl.at, k, pl.langs.includes(lang) ? pl.p : 0));
    languages.forEach((lang, k) => set(weak, k, lang === 'eng' ? 0.01 : 0));
    return stats;
  }

  it('finds planted language-specific neurons and nothing else', () => {
    const stats = plantedStats();
    // 7 / 800 = 0.00875 → exactly the 7 planted neurons are selected
    const r = lape(stats, { topRate: 7 / 800 });
    const expected = (lang: string) =>
      planted
        .filter((p) => p.langs.includes(lang))
        .map((p) => p.at)
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const lang of languages) assert.deepEqual(r.neurons[lang], expected(lang), lang);
    assert.deepEqual(r.perLayer, { eng: [1, 0, 1, 1], rus: [0, 1, 1, 1], cmn: [0, 1, 1, 0] });
    assert.equal(r.selected.length, 7);
    assert.ok(!r.selected.some(([l, n]) => l === weak[0] && n === weak[1]), 'weak neuron filtered out');
    assert.deepEqual(r.neuronsPerLayer, [200, 200, 200, 200]);
    assert.deepEqual(r.options, { topRate: 7 / 800, filterRate: 0.95, activationBarRatio: 0.95, activationBarOver: 'all' });
    // single-language neurons (entropy 0) come before the two-language one (entropy ln 2)
    assert.deepEqual(r.selected.at(-1), [2, 77]);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'serialises to JSON unchanged');
  });

  it('with the default top rate (1 % of 800 = 8) also picks the lowest-entropy background neuron', () => {
    const r = lape(plantedStats());
    assert.equal(r.selected.length, 8);
    for (const pl of planted) {
      for (const lang of pl.langs) assert.ok(r.neurons[lang]!.some(([l, n]) => l === pl.at[0] && n === pl.at[1]));
    }
  });

  it('agrees exactly with a plain reference implementation on random counts', () => {
    const cases: { seed: number; layers: number; width: number; langs: string[]; max: number; dup?: number; o: LapeThresholds }[] = [
      { seed: 1, layers: 3, width: 50, langs: ['eng', 'rus', 'cmn'], max: 1000, o: {} },
      { seed: 2, layers: 5, width: 64, langs: ['eng', 'deu', 'fra', 'spa'], max: 500, o: { topRate: 0.05 } },
      // tiny counts: τ_f = 1, too few finite entropies, +∞ neurons fill the selection as in the reference
      { seed: 3, layers: 2, width: 5, langs: ['eng', 'rus'], max: 3, o: { topRate: 0.5, filterRate: 0.5 } },
      { seed: 4, layers: 4, width: 30, langs: ['python', 'php', 'go'], max: 200, o: { topRate: 0.1, activationBarRatio: 0.8 } },
      { seed: 5, layers: 3, width: 40, langs: ['eng', 'rus', 'cmn', 'jpn'], max: 300, o: { topRate: 0.1, activationBarOver: 'selected' } },
      // many exact entropy ties (duplicated neurons): ties go to the lower flat index
      { seed: 6, layers: 3, width: 40, langs: ['eng', 'rus', 'ell'], max: 50, dup: 0.5, o: { topRate: 0.2, filterRate: 0.8, activationBarRatio: 0.8 } },
    ];
    let assigned = 0;
    for (const c of cases) {
      const stats = randomStats(c.seed, c.layers, c.width, c.langs, c.max, c.dup);
      const got = lape(stats, c.o);
      assigned += Object.values(got.neurons).reduce((a, v) => a + v.length, 0);
      const want = referenceLape(stats, got.options);
      assert.deepEqual(got.neurons, want.neurons, `seed ${c.seed}`);
      assert.deepEqual(got.selected, want.selected, `seed ${c.seed}`);
      assert.equal(got.thresholds.filter, want.filter);
      assert.equal(got.thresholds.activationBar, want.bar);
    }
    assert.ok(assigned > 20, 'the random cases assign neurons (not a vacuous comparison)');
  });

  it("'selected' takes the activation bar over the selected neurons' p only", () => {
    const stats = plantedStats();
    const r = lape(stats, { topRate: 7 / 800, activationBarOver: 'selected' });
    // selected p values: 7 × 3 = 21 values, round(21 × 0.95) = round(19.95) = 20th smallest of
    // {0 ×13, .7, .75, .8, .85, .9, .9, .9, .95} → 0.9; only p > 0.9 passes: cmn [1,150]
    assert.equal(r.thresholds.activationBar, 0.9);
    assert.deepEqual(r.neurons, { eng: [], rus: [], cmn: [[1, 150]] });
  });

  it('takes the store shape (layers[layer][lang] = { tokens, positiveCounts })', () => {
    const stats = plantedStats();
    const layersByLang = stats.layers.map((layer) =>
      Object.fromEntries(layer.map((c, k) => [languages[k]!, { tokens: c.tokenCount, positiveCounts: c.positiveCounts }])),
    );
    const fromStore = lapeStatsFromLayers(languages, layersByLang);
    assert.deepEqual(lape(fromStore, { topRate: 7 / 800 }).neurons, lape(stats, { topRate: 7 / 800 }).neurons);
    delete layersByLang[2]!['rus'];
    assert.throws(() => lapeStatsFromLayers(languages, layersByLang), /no activation counts for rus at layer 2/);
  });

  it('rejects bad input with clear errors', () => {
    const stats = randomStats(9, 1, 4, ['eng', 'rus'], 5);
    stats.layers[0]![1]!.tokenCount = 0;
    assert.throws(() => lape(stats), /rus has no tokens at layer 0/);
    const s2 = randomStats(9, 1, 4, ['eng', 'rus'], 5);
    s2.layers[0]![0]!.positiveCounts[2] = 1e9;
    assert.throws(() => lape(s2), /outside/);
    assert.throws(() => lape(randomStats(9, 1, 4, ['eng'], 5), { topRate: 2 }), /topRate/);
    const s3 = randomStats(9, 1, 4, ['eng', 'rus'], 5);
    s3.layers[0]!.pop();
    assert.throws(() => lape(s3), /expected 2/);
    // One language: every neuron is "specific" to it; a clear error instead of "N neurons selected".
    assert.throws(() => lape(randomStats(9, 1, 4, ['eng'], 5)), /at least two languages, got 1 \(eng\)/);
  });
});
