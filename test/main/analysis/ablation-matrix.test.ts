import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ablationMatrix } from '../../../src/main/analysis/ablation-matrix.js';

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
    assert.deepEqual(r.diagonal['eng'], { delta: 1, isRowMax: true, isColumnMax: true });
    assert.equal(r.diagonal['rus']!.isRowMax, false);
    assert.equal(r.diagonal['rus']!.isColumnMax, true);
    assert.equal(r.diagonal['cmn']!.isRowMax, true);
    assert.equal(r.diagonal['cmn']!.isColumnMax, false);
    assert.deepEqual([r.rowMaxCount, r.columnMaxCount, r.diagonalSize], [2, 2, 3]);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'serialises to JSON unchanged');
  });

  it('handles missing entries, languages only evaluated, and ties', () => {
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
    assert.deepEqual(m.diagonal['eng'], { delta: 1, isRowMax: true, isColumnMax: true }, 'a tie counts as max');
    assert.deepEqual(m.diagonal['fra'], { delta: 1, isRowMax: true, isColumnMax: true });
    assert.throws(() => ablationMatrix({ baseline: { eng: NaN }, ablated: {} }), /not a finite number/);
  });
});
