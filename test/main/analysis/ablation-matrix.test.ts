import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ablationMatrix, randomNeuronSetLike } from '../../../src/main/analysis/ablation-matrix.js';
import { mulberry32 } from '../../../src/shared/random.js';

const close = (a: number | null | undefined, b: number) =>
  assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-12, `${a} ≉ ${b}`);

describe('ablationMatrix', () => {
  const r = ablationMatrix({
    baseline: { eng: 2.0, rus: 3.0, cmn: 4.0 },
    ablated: {
      // removing English neurons hurts English most: the textbook case
      eng: { eng: 3.0, rus: 3.1, cmn: 4.2 },
      // removing Russian neurons hurts Chinese more than Russian (row fails), but nothing hurts Russian
      // more than its own neurons (column holds)
      rus: { eng: 2.1, rus: 3.5, cmn: 5.0 },
      // removing Chinese neurons: Chinese +0.5, but removing Russian's hurt Chinese by +1.0 (column fails)
      cmn: { eng: 2.0, rus: 3.0, cmn: 4.5 },
    },
  });

  it('builds the NLL matrix and the deltas against the baseline', () => {
    assert.deepEqual(r.deactivated, ['eng', 'rus', 'cmn']);
    assert.deepEqual(r.evaluated, ['eng', 'rus', 'cmn']);
    assert.deepEqual(r.baseline, [2, 3, 4]);
    assert.deepEqual(r.nll[1], [2.1, 3.5, 5.0]);
    const expected = [
      [1.0, 0.1, 0.2],
      [0.1, 0.5, 1.0],
      [0.0, 0.0, 0.5],
    ];
    expected.forEach((row, i) => row.forEach((v, j) => close(r.delta[i]![j], v)));
  });

  it('checks whether each diagonal entry is the max of its row and of its column', () => {
    const eng = r.diagonal['eng']!;
    assert.deepEqual([eng.delta, eng.isRowMax, eng.isColumnMax], [1, true, true]);
    close(eng.rowMargin, 1 - 0.2);
    close(eng.columnMargin, 1 - 0.1);
    close(r.diagonal['rus']!.rowMargin, 0.5 - 1.0);
    assert.equal(r.diagonal['rus']!.isRowMax, false);
    assert.equal(r.diagonal['rus']!.isColumnMax, true);
    assert.equal(r.diagonal['cmn']!.isRowMax, true);
    assert.equal(r.diagonal['cmn']!.isColumnMax, false);
    assert.deepEqual([r.rowMaxCount, r.columnMaxCount, r.diagonalSize], [2, 2, 3]);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'serialises to JSON unchanged');
  });

  it('handles missing entries, languages only evaluated, and ties (a tie is no win)', () => {
    const m = ablationMatrix({
      baseline: { eng: 1, fra: 1 },
      ablated: { eng: { eng: 2, deu: 3 }, fra: { eng: 2, fra: 2 } },
    });
    assert.deepEqual(m.evaluated, ['eng', 'fra', 'deu']);
    assert.deepEqual(m.nll, [
      [2, null, 3],
      [2, 2, null],
    ]);
    assert.deepEqual(m.delta[0], [1, null, null], 'no baseline for deu');
    // eng's column: −eng +1 vs −fra +1, a tie; its row has nothing else measured against a baseline
    assert.deepEqual(m.diagonal['eng'], { delta: 1, isRowMax: null, isColumnMax: false, rowMargin: null, columnMargin: 0, randomDelta: null, excessOverRandom: null });
    assert.deepEqual(m.diagonal['fra'], { delta: 1, isRowMax: false, isColumnMax: null, rowMargin: 0, columnMargin: null, randomDelta: null, excessOverRandom: null });
    assert.deepEqual([m.rowMaxCount, m.columnMaxCount], [0, 0]);
    assert.throws(() => ablationMatrix({ baseline: { eng: NaN }, ablated: {} }), /not a finite number/);
  });
});

describe('an intervention that changes nothing', () => {
  it('wins nothing: every delta 0 gives no row or column max and zero margins', () => {
    const same = { eng: 2, rus: 3, cmn: 4 };
    const m = ablationMatrix({ baseline: same, ablated: { eng: same, rus: same, cmn: same } });
    assert.deepEqual([m.rowMaxCount, m.columnMaxCount, m.diagonalSize], [0, 0, 3]);
    for (const d of Object.values(m.diagonal)) assert.deepEqual([d.isRowMax, d.isColumnMax, d.rowMargin, d.columnMargin], [false, false, 0, 0]);
  });
});

describe('chance level from random neuron sets', () => {
  it('puts the same-size random delta beside each diagonal entry', () => {
    const m = ablationMatrix({
      baseline: { eng: 2, rus: 3 },
      ablated: { eng: { eng: 3, rus: 3.1 }, rus: { eng: 2.2, rus: 3.4 } },
      random: { eng: { eng: 2.9, rus: 3 }, rus: { eng: 2, rus: 3.05 } },
      randomDraws: 4,
    });
    assert.equal(m.randomDraws, 4);
    close(m.randomDelta![0]![0], 0.9);
    close(m.diagonal['eng']!.randomDelta, 0.9);
    close(m.diagonal['eng']!.excessOverRandom, 0.1);
    close(m.diagonal['rus']!.excessOverRandom, 0.4 - 0.05);
    assert.equal(ablationMatrix({ baseline: { eng: 1 }, ablated: { eng: { eng: 2 } } }).randomDelta, null);
  });

  it('draws as many neurons per layer as the set has, distinct, reproducibly for a seed', () => {
    const set: [number, number][] = [[0, 1], [0, 2], [0, 3], [2, 7], [3, 0], [3, 9]];
    const a = randomNeuronSetLike(set, 10, mulberry32(5));
    const perLayer = (s: [number, number][]) => s.reduce<Record<number, number>>((m, [l]) => ((m[l] = (m[l] ?? 0) + 1), m), {});
    assert.deepEqual(perLayer(a), { 0: 3, 2: 1, 3: 2 });
    for (const l of [0, 2, 3]) {
      const idx = a.filter(([x]) => x === l).map(([, i]) => i);
      assert.equal(new Set(idx).size, idx.length, 'no neuron twice');
      assert.ok(idx.every((i) => i >= 0 && i < 10));
    }
    assert.deepEqual(randomNeuronSetLike(set, 10, mulberry32(5)), a);
    assert.notDeepEqual(randomNeuronSetLike(set, 10, mulberry32(6)), a);
    // Uniform: over many draws each of 10 neurons is picked about 3/10 of the time in layer 0.
    const hits = new Array<number>(10).fill(0);
    const rand = mulberry32(1);
    for (let k = 0; k < 2000; k++) for (const [l, i] of randomNeuronSetLike(set, 10, rand)) if (l === 0) hits[i]!++;
    for (const h of hits) assert.ok(Math.abs(h / 2000 - 0.3) < 0.05, `${h}`);
    assert.throws(() => randomNeuronSetLike(set, 2, rand), /only 2 exist/);
  });
});

describe('ablationMatrix: random band and intervals over texts', () => {
  // Two languages, 4 texts each of 10 tokens; 20 random draws per deactivated language.
  const base = [
    ...[20, 22, 18, 20].map((sum) => ({ lang: 'eng', sum, count: 10 })),
    ...[30, 31, 29, 30].map((sum) => ({ lang: 'rus', sum, count: 10 })),
  ];
  // eng's neurons off: every eng text +1 nat/token (sum +10), rus texts +0.1.
  const engOff = base.map((t) => ({ ...t, sum: t.sum + (t.lang === 'eng' ? 10 : 1) }));
  // rus's neurons off: rus texts +0.05 nats/token, but unevenly (one text carries it).
  const rusOff = base.map((t, i) => ({ ...t, sum: t.sum + (i === 4 ? 2 : 0) }));
  const mean = (rows: typeof base) => {
    const out: Record<string, number> = {};
    for (const lang of ['eng', 'rus']) {
      const r = rows.filter((t) => t.lang === lang);
      out[lang] = r.reduce((a, t) => a + t.sum, 0) / r.reduce((a, t) => a + t.count, 0);
    }
    return out;
  };
  // Random draws: deltas spread evenly over [0, 0.19] on every language.
  const draws = (b: Record<string, number>) => Array.from({ length: 20 }, (_, k) => ({ eng: b['eng']! + k * 0.01, rus: b['rus']! + k * 0.01 }));
  const b = mean(base);
  const r = ablationMatrix({
    baseline: b,
    ablated: { eng: mean(engOff), rus: mean(rusOff) },
    random: { eng: { eng: b['eng']! + 0.095, rus: b['rus']! + 0.095 }, rus: { eng: b['eng']! + 0.095, rus: b['rus']! + 0.095 } },
    randomDraws: 20,
    randomByDraw: { eng: draws(b), rus: draws(b) },
    perText: { baseline: base, ablated: { eng: engOff, rus: rusOff } },
  });

  it('the band is the 2.5–97.5 % spread of the draws, and each diagonal entry says whether it lies outside', () => {
    // 20 evenly spaced deltas 0 … 0.19: type-7 quantiles at 0.025 and 0.975 are 0.00475 and 0.18525.
    close(r.randomBand![0]![0]!.low, 0.00475);
    close(r.randomBand![0]![0]!.high, 0.18525);
    assert.equal(r.diagonal['eng']!.outsideRandomBand, true, 'Δ 1.0 is above the band');
    assert.equal(r.diagonal['rus']!.outsideRandomBand, false, 'Δ 0.05 is within it: no better than random neurons');
    assert.equal(r.aboveRandomCount, 1);
  });

  it('each Δ has a paired bootstrap interval over its texts', () => {
    const eng = r.diagonal['eng']!.deltaInterval!;
    // Every eng text rises by exactly 1 nat/token: the interval is the point.
    close(eng.low, 1);
    close(eng.high, 1);
    assert.match(eng.method, /bootstrap-percentile \(2000 resamples over eng texts\)/);
    const rus = r.diagonal['rus']!.deltaInterval!;
    // One of 4 rus texts carries the whole rise (0.2 nats/token on it, 0.05 on average): the interval reaches 0.
    close(r.diagonal['rus']!.delta!, 0.05);
    assert.ok(rus.low === 0 && rus.high >= 0.1, JSON.stringify(rus));
    assert.equal(r.deltaInterval![0]![1]!.low, r.deltaInterval![0]![1]!.high, 'eng off: every rus text +0.1');
  });

  it('without per-draw NLLs or per-text sums there is no band and no interval (older results)', () => {
    const old = ablationMatrix({ baseline: b, ablated: { eng: mean(engOff) }, random: { eng: { eng: b['eng']!, rus: b['rus']! } }, randomDraws: 2 });
    assert.equal(old.randomBand, undefined);
    assert.equal(old.deltaInterval, undefined);
    assert.equal(old.diagonal['eng']!.outsideRandomBand, undefined);
  });
});
