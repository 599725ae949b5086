import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLUSH_SPACING, flushDue } from '../../../src/main/pipelines/capture.js';

test('a capture writes once the interval has passed, but waits FLUSH_SPACING × a slow write before the next', () => {
  assert.equal(flushDue(9_000, 10, 10_000), false, 'before the interval');
  assert.equal(flushDue(10_001, 10, 10_000), true, 'a fast write: the interval decides');
  assert.equal(flushDue(10_001, 2_000, 10_000), false, 'a 2 s write: not before 40 s');
  assert.equal(flushDue(FLUSH_SPACING * 2_000 + 1, 2_000, 10_000), true);
  assert.equal(flushDue(0, 5_000, 0), true, 'interval 0: after every batch, whatever a write costs');
});
