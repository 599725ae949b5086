/** Stored results carry their provenance: params, the runs and results they came from, and whether that data was partial. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { migrations } from '../../../src/main/store/migrations.js';
import { openStore, SCHEMA_VERSION } from '../../../src/main/store/index.js';
import { ablationOf, lapeOf, modelA, tempDir } from './fixtures.js';

const tmp = tempDir();
after(tmp.cleanup);

test('a result records its inputs by role, with the input run status when computed', () => {
  const store = openStore(join(tmp.dir, 'inputs.db'));
  try {
    const run = store.createRun({ kind: 'capture', model: modelA });
    store.finishRun(run.id, 'done');
    const selection = store.saveResult('lape', { runId: run.id, params: lapeOf(0.01).options, result: lapeOf(0.01), inputs: { run: run.id } });
    const ablation = store.saveResult('ablation', { runId: run.id, params: { corpus: 'udhr:eng', scale: 0 }, result: ablationOf(), inputs: { run: run.id, selection } });
    const stored = store.findResult(ablation)!;
    assert.equal(stored.kind, 'ablation');
    assert.deepEqual(stored.params, { corpus: 'udhr:eng', scale: 0 });
    assert.equal(stored.partial, false);
    assert.deepEqual(stored.inputs, [
      { role: 'run', target: 'run', id: run.id, runStatus: 'done' },
      { role: 'selection', target: 'lape', id: selection, runStatus: null },
    ]);
    // The same provenance is plain SQL for sqlite3 / pandas users.
    const row = store.db.prepare("SELECT input_result_id FROM result_inputs WHERE result_id = ? AND role = 'selection'").pluck().get(ablation);
    assert.equal(row, selection);
  } finally {
    store.close();
  }
});

test('results of a running or interrupted run are partial, and so is what is computed from them', () => {
  const store = openStore(join(tmp.dir, 'partial.db'));
  try {
    const run = store.createRun({ kind: 'capture', model: modelA });
    store.finishRun(run.id, 'interrupted');
    const selection = store.saveResult('lape', { runId: run.id, params: lapeOf(0.01).options, result: lapeOf(0.01), inputs: { run: run.id } });
    assert.equal(store.findResult(selection)!.partial, true);
    assert.equal(store.findResult(selection)!.inputs[0]!.runStatus, 'interrupted');
    // The run finished later: the old selection stays partial, and an ablation of it is partial too.
    store.finishRun(run.id, 'done');
    const ablation = store.saveResult('ablation', { runId: run.id, params: { corpus: 'x', scale: 0 }, result: ablationOf(), inputs: { run: run.id, selection } });
    assert.equal(store.findResult(ablation)!.partial, true);
    const fresh = store.saveResult('lape', { runId: run.id, params: lapeOf(0.01).options, result: lapeOf(0.01), inputs: { run: run.id } });
    assert.equal(store.findResult(fresh)!.partial, false);
  } finally {
    store.close();
  }
});

test('inputs must exist and be of the kind the table names', () => {
  const store = openStore(join(tmp.dir, 'bad-inputs.db'));
  try {
    const run = store.createRun({ kind: 'capture', model: modelA });
    const nll = store.saveResult('nll', { runId: run.id, params: {}, result: { eng: { sum: 1, count: 1 } }, inputs: { run: run.id } });
    assert.throws(
      () => store.saveResult('ablation', { runId: run.id, params: { corpus: 'x', scale: 0 }, result: ablationOf(), inputs: { run: run.id, selection: nll } }),
      { name: 'UserError', message: new RegExp(`no neuron selection \\(a lape or selectivity result\\) #${nll}`) },
    );
    assert.throws(() => store.saveResult('lape', { runId: run.id, params: lapeOf(0.01).options, result: lapeOf(0.01), inputs: { run: 999 } }), { name: 'UserError', message: /no run #999/ });
    assert.equal(store.listResults('ablation').length, 0, 'nothing half-written');
  } finally {
    store.close();
  }
});

test('kinds that keep running totals replace their earlier result', () => {
  const store = openStore(join(tmp.dir, 'replace.db'));
  try {
    const run = store.createRun({ kind: 'capture', model: modelA });
    store.saveResult('nll', { runId: run.id, params: {}, result: { eng: { sum: 1, count: 1 } }, inputs: { run: run.id } });
    store.saveResult('nll', { runId: run.id, params: {}, result: { eng: { sum: 3, count: 2 } }, inputs: { run: run.id } });
    assert.deepEqual(
      store.listResults('nll').map((r) => r.result),
      [{ eng: { sum: 3, count: 2 } }],
    );
    assert.equal(store.db.prepare('SELECT COUNT(*) FROM result_inputs').pluck().get(), 1);
  } finally {
    store.close();
  }
});

test('a version 1 store is migrated: runs may be interrupted, old results get their run and selection as inputs', () => {
  const path = join(tmp.dir, 'v1.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    migrations[0]!(db);
    db.pragma('user_version = 1');
  })();
  const insertRun = db.prepare(
    "INSERT INTO runs (name, kind, model_dir, model_hash, model_json, params_json, created_at, status) VALUES (?, 'capture', '/m', 'h', '{}', '{}', 't', ?)",
  );
  const done = Number(insertRun.run('capture', 'done').lastInsertRowid);
  const running = Number(insertRun.run('other', 'running').lastInsertRowid);
  const insertResult = db.prepare("INSERT INTO results (run_id, kind, params_json, result_json, created_at) VALUES (?, ?, ?, ?, 't')");
  const lape1 = Number(insertResult.run(done, 'lape', JSON.stringify(lapeOf(0.01).options), JSON.stringify(lapeOf(0.01))).lastInsertRowid);
  const lape2 = Number(insertResult.run(done, 'lape', JSON.stringify(lapeOf(0.02).options), JSON.stringify(lapeOf(0.02))).lastInsertRowid);
  // An ablation as version 1 stored it: no chance level, no margins, a tie counted as a win.
  const v1Ablation = {
    deactivated: ['eng', 'rus'],
    evaluated: ['eng', 'rus'],
    baseline: [2, 3],
    nll: [[2.5, 3.5], [2.1, 3.4]],
    delta: [[0.5, 0.5], [0.1, 0.4]],
    diagonal: { eng: { delta: 0.5, isRowMax: true, isColumnMax: true }, rus: { delta: 0.4, isRowMax: true, isColumnMax: false } },
    rowMaxCount: 2,
    columnMaxCount: 1,
    diagonalSize: 2,
  };
  const ablation = Number(insertResult.run(done, 'ablation', '{"corpus":"x","scale":0}', JSON.stringify(v1Ablation)).lastInsertRowid);
  insertResult.run(done, 'lape', JSON.stringify(lapeOf(0.03).options), JSON.stringify(lapeOf(0.03)));
  const nll = Number(insertResult.run(running, 'nll', '{}', '{"eng":{"sum":1,"count":1}}').lastInsertRowid);
  db.close();

  const store = openStore(path);
  try {
    assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.deepEqual(store.integrityCheck(), ['ok']);
    assert.deepEqual(store.db.pragma('foreign_key_check'), []);
    assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
    assert.deepEqual(store.findRun(done)!.status, 'done');
    // The ablation used the latest LAPE selection saved before it (what `ablate` read then), not a later one.
    const a = store.findResult(ablation)!;
    assert.deepEqual(a.inputs.map((i) => [i.role, i.id]), [['run', done], ['selection', lape2]]);
    assert.equal(a.partial, false);
    // Its result now has today's shape, recomputed from its own NLL: the tie in eng's row is no win.
    const m = store.findResult(ablation, 'ablation')!.result;
    assert.deepEqual(m.nll, v1Ablation.nll);
    assert.equal(m.randomDelta, null);
    assert.equal(m.randomDraws, 0);
    const eng = m.diagonal['eng']!;
    assert.deepEqual({ ...eng, columnMargin: Number(eng.columnMargin!.toFixed(12)) }, { delta: 0.5, isRowMax: false, isColumnMax: true, rowMargin: 0, columnMargin: 0.4, randomDelta: null, excessOverRandom: null });
    assert.equal(m.rowMaxCount, 1);
    assert.equal(store.findResult(lape1)!.inputs[0]!.runStatus, 'done');
    assert.equal(store.findResult(nll)!.partial, true, 'results of a run still running are partial');
    store.finishRun(running, 'interrupted');
    assert.equal(store.findRun(running)!.status, 'interrupted');
    // Deleting a run still cascades after the table was rebuilt.
    store.deleteRun(done);
    assert.equal(store.listResults('lape').length, 0);
  } finally {
    store.close();
  }
});
