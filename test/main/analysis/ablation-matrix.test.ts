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
