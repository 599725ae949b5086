/** The progress display's bundle: the tqdm-like text line, the HTML fallback, timing and validation. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatClock, progressBundle, progressDisplayProblem, progressHtml, progressText, PROGRESS_MIME, remainingMs, type ProgressDisplay } from '../../src/shared/progress-display.js';

const base: ProgressDisplay = { id: 'p1', label: 'capture', stage: 'capture', done: 42, total: 100, detail: '1834 tokens', state: 'running', elapsedMs: 4200 };

it('writes a tqdm-like line: count, bar, percent, detail, elapsed and time left', () => {
  assert.equal(progressText(base), 'capture  42/100 [========>           ] 42%  1834 tokens  [0:04<0:06]');
  assert.equal(progressText({ ...base, done: 100, state: 'done', elapsedMs: 9_600 }), 'capture  100/100 [====================] 100%  1834 tokens  done in 0:10');
  assert.equal(progressText({ ...base, state: 'cancelled' }), 'capture  42/100 [========>           ] 42%  1834 tokens  cancelled after 0:04');
  assert.equal(progressText({ ...base, done: 0, total: 0, detail: undefined as never }).replace(/\s+\[0:04<\?\]$/, ''), 'capture  0 [????????????????????]');
});

it('names the stage beside the operation when it differs', () => {
  assert.match(progressText({ ...base, label: 'codeswitch', stage: 'baseline' }), /^codeswitch · baseline {2}42\/100/);
  assert.match(progressText({ ...base, label: 'ablate', stage: 'ablate' }), /^ablate {2}42/);
});

it('estimates the time left from the rate so far, and not before the first unit', () => {
  assert.equal(remainingMs({ done: 25, total: 100, elapsedMs: 1000 }), 3000);
  assert.equal(remainingMs({ done: 0, total: 100, elapsedMs: 1000 }), null);
  assert.equal(remainingMs({ done: 5, total: 0, elapsedMs: 1000 }), null);
  assert.equal(formatClock(3_723_000), '1:02:03');
  assert.equal(formatClock(59_400), '0:59');
});

it('the HTML fallback is a <progress> element with escaped text', () => {
  const html = progressHtml({ ...base, detail: '<b>x</b>' });
  assert.match(html, /<progress value="42" max="100"/);
  assert.ok(!html.includes('<b>'), 'detail is escaped');
  assert.match(progressHtml({ ...base, total: 0 }), /<progress style/, 'no value: an indeterminate bar');
});

it('the bundle carries the MIME value and both fallbacks; bad values are named', () => {
  const b = progressBundle(base);
  assert.deepEqual(b[PROGRESS_MIME], base);
  assert.equal(typeof b['text/plain'], 'string');
  assert.equal(typeof b['text/html'], 'string');
  assert.equal(progressDisplayProblem(base), null);
  assert.match(progressDisplayProblem({ ...base, state: 'paused' })!, /state/);
  assert.match(progressDisplayProblem({ ...base, done: -1 })!, /done/);
  assert.match(progressDisplayProblem(null)!, /object/);
});
