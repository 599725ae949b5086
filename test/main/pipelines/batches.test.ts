import assert from 'node:assert/strict';
import { test } from 'node:test';
import { budgetBatches } from '../../../src/main/pipelines/batches.js';

const text = (n: number, item: number) => ({ item, ids: Array.from({ length: n }, (_, i) => i) });

test('batches stay within the padded-token budget and the count cap, sorted by length, every text once', () => {
  const lengths = [5, 300, 17, 17, 64, 2, 120, 120, 33, 9, 700, 1, 250];
  const texts = lengths.map((n, i) => text(n, i));
  const batches = budgetBatches(texts, { maxBatchTokens: 256, maxBatchSize: 4 });
  assert.deepEqual(batches.flat().map((t) => t.item).sort((a, b) => a - b), lengths.map((_, i) => i));
  const flat = batches.flat().map((t) => t.ids.length);
  assert.deepEqual(flat, [...lengths].sort((a, b) => a - b));
  for (const b of batches) {
    const padded = b.length * Math.max(...b.map((t) => t.ids.length));
    assert.ok(b.length <= 4);
    assert.ok(padded <= 256 || b.length === 1, `batch of ${b.length} costs ${padded}`);
  }
  assert.deepEqual(
    batches.map((b) => b.map((t) => t.ids.length)),
    [[1, 2, 5, 9], [17, 17, 33, 64], [120, 120], [250], [300], [700]],
  );
});

test('short texts fill a batch up to the count cap; an empty input gives no batch', () => {
  const batches = budgetBatches(Array.from({ length: 10 }, (_, i) => text(3, i)), { maxBatchTokens: 10_000, maxBatchSize: 4 });
  assert.deepEqual(batches.map((b) => b.length), [4, 4, 2]);
  assert.deepEqual(budgetBatches([], { maxBatchTokens: 8, maxBatchSize: 8 }), []);
});
