import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootstrapMeanInterval, normalQuantile, sortedQuantile, wilsonInterval } from '../../src/shared/intervals.js';

test('normal quantile matches known values', () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-12);
  assert.ok(Math.abs(normalQuantile(0.001) + 3.090232306167813) < 1e-8);
});

test('Wilson interval equals the closed form (statsmodels proportion_confint method="wilson")', () => {
  // statsmodels.stats.proportion.proportion_confint(7, 10, method='wilson') = (0.3967781, 0.8922087)
  const w = wilsonInterval(7, 10);
  assert.ok(Math.abs(w.low - 0.3967781) < 1e-6, String(w.low));
  assert.ok(Math.abs(w.high - 0.8922087) < 1e-6, String(w.high));
  assert.equal(w.method, 'wilson');
  // all successes: the upper bound is 1, the lower bound is n / (n + z²)
  const all = wilsonInterval(10, 10);
  assert.equal(all.high, 1);
  assert.ok(Math.abs(all.low - 10 / (10 + 1.959963984540054 ** 2)) < 1e-9);
  assert.deepEqual([wilsonInterval(0, 0).low, wilsonInterval(0, 0).high], [0, 1]);
  assert.throws(() => wilsonInterval(3, 2), RangeError);
});

test('bootstrap interval covers the mean, is seeded and narrows with more units', () => {
  const few = [1, 2, 3, 4, 5, 6, 7, 8];
  const a = bootstrapMeanInterval(few, { seed: 3, units: 'texts' });
  const b = bootstrapMeanInterval(few, { seed: 3, units: 'texts' });
  assert.deepEqual(a, b);
  assert.ok(a.low < 4.5 && a.high > 4.5);
  assert.match(a.method, /bootstrap-percentile \(2000 resamples over texts\)/);
  const many = Array.from({ length: 800 }, (_, i) => (i % 8) + 1);
  const c = bootstrapMeanInterval(many, { seed: 3 });
  assert.ok(c.high - c.low < (a.high - a.low) / 4);
  assert.equal(sortedQuantile([0, 10], 0.25), 2.5);
});
