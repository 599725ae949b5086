import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodePooled, openStore } from '../../../src/main/store/index.js';
import { ablationOf, lapeOf, modelA, modelB, tempDir } from './fixtures.js';

const tmp = tempDir();
after(tmp.cleanup);

test('createRun records the model, params and status; names default to kind-id', () => {
  const store = openStore(join(tmp.dir, 'runs.db'));
  const run = store.createRun({ kind: 'capture', model: { ...modelA, numLayers: 2 }, device: 'cpu', params: { b: 1, a: [1, 2] } });
  assert.equal(run.name, `capture-${run.id}`);
  assert.equal(run.modelHash, modelA.hash);
  assert.equal(run.model.numLayers, 2);
  assert.deepEqual(run.params, { a: [1, 2], b: 1 });
  assert.equal(run.status, 'running');
  assert.equal(run.finishedAt, null);
  store.finishRun(run.id);
  const done = store.findRun(run.name)!;
  assert.equal(done.status, 'done');
  assert.ok(done.finishedAt);
  assert.throws(() => store.createRun({ name: run.name, kind: 'capture', model: modelA }), { name: 'UserError', message: /already exists/ });
  store.close();
});

test('openRun resumes a run by name with the same model and params, in any key order', () => {
  const store = openStore(join(tmp.dir, 'resume.db'));
  const first = store.openRun({ name: 'eng-rus', kind: 'capture', model: modelA, params: { x: 1, y: 2 } });
  assert.equal(first.resumed, false);
  const second = store.openRun({ name: 'eng-rus', kind: 'capture', model: modelA, params: { y: 2, x: 1 } });
  assert.equal(second.resumed, true);
  assert.equal(second.run.id, first.run.id);
  store.close();
});

test('a run made with another model gives a UserError naming that model', () => {
  const store = openStore(join(tmp.dir, 'mismatch.db'));
  store.openRun({ name: 'lape', kind: 'capture', model: modelA });
  assert.throws(
    () => store.openRun({ name: 'lape', kind: 'capture', model: modelB }),
    (e: Error & { kind?: string; hint?: string }) => {
      assert.equal(e.kind, 'user');
      assert.match(e.message, /was made with model \/models\/tiny-a \(sha256 a1a1a1a1a1a1…\), not \/models\/tiny-b/);
      assert.match(e.hint ?? '', /another run name/);
      return true;
    },
  );
  assert.throws(() => store.openRun({ name: 'lape', kind: 'capture', model: modelA, params: { top: 2 } }), { name: 'UserError', message: /other parameters/ });
  assert.throws(() => store.openRun({ name: 'lape', kind: 'generate', model: modelA }), { name: 'UserError', message: /is a capture run/ });
  store.close();
});

test('results: latest of a kind, optionally matching params; typed arrays stored as arrays', () => {
  const store = openStore(join(tmp.dir, 'results.db'));
  const run = store.createRun({ kind: 'capture', model: modelA });
  const first = lapeOf(0.01);
  (first as { neuronsPerLayer: unknown }).neuronsPerLayer = new Float32Array([1, 2]);
  store.saveResult('lape', { runId: run.id, params: first.options, result: first, inputs: { run: run.id } });
  const second = store.saveResult('lape', { runId: run.id, params: lapeOf(0.02).options, result: lapeOf(0.02), inputs: { run: run.id } });
  assert.equal(store.latestResult(run.id, 'lape')!.id, second);
  assert.deepEqual(store.latestResult(run.id, 'lape', first.options)!.result.neuronsPerLayer, [1, 2]);
  assert.equal(store.latestResult(run.id, 'lape', lapeOf(0.5).options), undefined);
  assert.equal(store.latestResult(null, 'lape'), undefined);
  assert.equal(store.latestResult(run.id, 'ablation'), undefined);
  store.close();
});

test('deleteRun removes everything stored for the run', () => {
  const store = openStore(join(tmp.dir, 'delete.db'));
  const { texts } = store.saveCorpus('inline', [{ lang: 'eng', id: '1', text: 'hi' }]);
  const run = store.createRun({ kind: 'capture', model: modelA });
  store.commitBatch(run.id, {
    stats: [{ layer: 0, lang: 'eng', tokens: 1, positiveCounts: new Float64Array(2), sums: new Float64Array(2), sumSquares: new Float64Array(2) }],
    pooled: [encodePooled({ textId: texts[0]!.textId, layer: 0, mean: new Float32Array(3), last: new Float32Array(3) })],
    done: [texts[0]!.textId],
  });
  const selection = store.saveResult('lape', { runId: run.id, params: lapeOf(0.01).options, result: lapeOf(0.01), inputs: { run: run.id } });
  store.saveResult('ablation', { runId: run.id, params: { corpus: 'x', scale: 0 }, result: ablationOf(), inputs: { run: run.id, selection } });
  store.deleteRun(run.id);
  for (const table of ['neuron_stats', 'pooled', 'capture_progress', 'results', 'result_inputs', 'runs']) {
    assert.equal(store.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get(), 0, table);
  }
  store.close();
});
