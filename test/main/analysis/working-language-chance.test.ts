/** The working-language measure's size-matched chance level and its bootstrap intervals over texts, on hand-made inputs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chanceMassOf, randomSizeMatchedSets, workingLanguageIntervals, type WorkingLanguageTextSums } from '../../../src/main/analysis/working-language.js';
import { bootstrapInterval } from '../../../src/shared/intervals.js';
import { mulberry32 } from '../../../src/shared/random.js';

describe('size-matched chance level', () => {
  it('random sets have the label sizes, distinct ids inside the vocabulary, and follow the seed', () => {
    const sets = randomSizeMatchedSets([3, 0, 10], 50, 4, 7);
    assert.deepEqual(sets.map((draws) => draws.map((d) => d.length)), [[3, 3, 3, 3], [0, 0, 0, 0], [10, 10, 10, 10]]);
    for (const d of sets.flat()) {
      assert.equal(new Set(d).size, d.length);
      assert.ok(d.every((id) => Number.isInteger(id) && id >= 0 && id < 50));
    }
    assert.deepEqual(randomSizeMatchedSets([3, 0, 10], 50, 4, 7), sets);
    assert.notDeepEqual(randomSizeMatchedSets([3, 0, 10], 50, 4, 8), sets);
  });

  it('each id is drawn about size/vocabulary of the time (uniform sets)', () => {
    const counts = new Array(20).fill(0);
    for (const d of randomSizeMatchedSets([5], 20, 4000, 3)[0]!) for (const id of d) counts[id]++;
    for (const c of counts) assert.ok(Math.abs(c / 4000 - 0.25) < 0.03, `${c / 4000}`);
  });

  it('chance per label: expected size/V, mean and 2.5–97.5 % over draws of the mean mass per position', () => {
    // 2 layers, 1 label, 3 draws; 4 positions.
    const c = chanceMassOf([[[0.4, 0.8, 1.2]], [[0, 2, 4]]], [4, 4], ['eng'], [10], 100)['eng']!;
    assert.equal(c.expected, 0.1);
    assert.equal(c.setSize, 10);
    assert.equal(c.draws, 3);
    assert.ok(Math.abs(c.mean[0]! - 0.2) < 1e-12 && Math.abs(c.mean[1]! - 0.5) < 1e-12);
    assert.ok(Math.abs(c.low[0]! - (0.1 + 0.025 * 2 * 0.1)) < 1e-12, `${c.low[0]}`);
    assert.ok(Math.abs(c.high[1]! - (0.5 + 0.95 * 0.5)) < 1e-12, `${c.high[1]}`);
  });
});

describe('bootstrap intervals over texts', () => {
  const rand = mulberry32(11);
  const L = 2;
  const labels = ['eng', 'rus', 'shared'];
  const texts: WorkingLanguageTextSums[] = Array.from({ length: 9 }, (_, i) => {
    const positions = 5 + (i % 4);
    const top1 = new Float64Array(L * 3);
    const mass = new Float64Array(L * 3);
    for (let l = 0; l < L; l++)
      for (let p = 0; p < positions; p++) {
        top1[l * 3 + Math.floor(rand() * 3)]!++;
        const a = rand();
        mass[l * 3]! += a * 0.7;
        mass[l * 3 + 1]! += (1 - a) * 0.7;
        mass[l * 3 + 2]! += 0.3;
      }
    return { language: i % 2 ? 'eng' : 'rus', positions, top1, mass };
  });

  it('equal, cell by cell, to the shared percentile bootstrap of the pooled ratio (Σ counts / Σ positions)', () => {
    const r = workingLanguageIntervals(texts, labels, L, { resamples: 400, seed: 5 });
    labels.forEach((label, k) =>
      [0, 1].forEach((l) => {
        const c = l * 3 + k;
        const ratio = (key: 'top1' | 'mass') => (s: readonly WorkingLanguageTextSums[]) => s.reduce((a, t) => a + t[key][c]!, 0) / s.reduce((a, t) => a + t.positions, 0);
        const top1 = bootstrapInterval(texts, ratio('top1'), { resamples: 400, seed: 5, units: 'texts' });
        const mass = bootstrapInterval(texts, ratio('mass'), { resamples: 400, seed: 5, units: 'texts' });
        const got = r.top1ShareInterval[label]![l]!;
        assert.ok(Math.abs(got.low - top1.low) < 1e-12 && Math.abs(got.high - top1.high) < 1e-12, `${label} top-1 layer ${l}`);
        assert.ok(Math.abs(r.meanMassInterval[label]![l]!.low - mass.low) < 1e-12, `${label} mass layer ${l}`);
        assert.equal(got.method, top1.method);
      }),
    );
    // A constant share has a zero-width interval.
    assert.deepEqual([r.meanMassInterval['shared']![0]!.low, r.meanMassInterval['shared']![0]!.high].map((v) => v.toFixed(12)), ['0.300000000000', '0.300000000000']);
  });
});
