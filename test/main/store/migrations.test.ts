import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { APPLICATION_ID, openStore, SCHEMA_VERSION } from '../../../src/main/store/index.js';
import { ablationMatrix } from '../../../src/main/analysis/ablation-matrix.js';
import { migrations } from '../../../src/main/store/migrations.js';
import { modelA, tempDir } from './fixtures.js';

const tmp = tempDir();
after(tmp.cleanup);

const TABLES = ['activations', 'capture_progress', 'corpora', 'merged_shards', 'neuron_stats', 'neuron_text_groups', 'pooled', 'result_inputs', 'results', 'runs', 'texts'];

test('a new file is migrated to the current schema, in WAL mode', () => {
  const path = join(tmp.dir, 'new.db');
  const store = openStore(path);
  try {
    assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(store.db.pragma('application_id', { simple: true }), APPLICATION_ID);
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(store.db.pragma('synchronous', { simple: true }), 1); // NORMAL
    const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    assert.deepEqual(tables, TABLES);
    assert.deepEqual(store.integrityCheck(), ['ok']);
  } finally {
    store.close();
  }
});

test('an empty existing file becomes a store', () => {
  const path = join(tmp.dir, 'empty.db');
  writeFileSync(path, '');
  const store = openStore(path);
  assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  store.close();
});

test('reopening is idempotent and keeps the data', () => {
  const path = join(tmp.dir, 'reopen.db');
  const first = openStore(path);
  const run = first.createRun({ kind: 'capture', model: modelA, params: { layers: [0, 1] } });
  first.close();
  for (let i = 0; i < 3; i++) {
    const again = openStore(path);
    assert.equal(again.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.deepEqual(again.findRun(run.id), run);
    assert.equal(again.listRuns().length, 1);
    again.close();
  }
});

test('read-only opening reads but does not write', () => {
  const path = join(tmp.dir, 'ro.db');
  openStore(path).close();
  const store = openStore(path, { readonly: true });
  try {
    assert.deepEqual(store.listRuns(), []);
    assert.throws(() => store.createRun({ kind: 'capture', model: modelA }), { name: 'UserError', message: /read-only/ });
  } finally {
    store.close();
  }
});

test('a version 1 store (float32 pooled vectors, mean and last required) opens upgraded with its data readable', () => {
  const path = join(tmp.dir, 'v1.db');
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  old.pragma('foreign_keys = ON');
  old.transaction(() => {
    migrations[0]!(old);
    old.pragma('user_version = 1');
  })();
  const mean = Float32Array.from([0.1, -2.5, 1e5]);
  const last = Float32Array.from([3, 4, 5]);
  old.exec(`INSERT INTO corpora VALUES (1, 'inline', 'h', 1, '2026-01-01T00:00:00Z');
            INSERT INTO texts VALUES (1, 1, 'eng', 'a', 'hello');
            INSERT INTO runs VALUES (1, 'capture', 'capture', 1, '/m', '${'a1'.repeat(32)}', '{}', 'cpu', '{}', '2026-01-01T00:00:00Z', NULL, 'running');`);
  old
    .prepare(`INSERT INTO pooled VALUES (1, 0, 1, '[3]', 'float32', ?, ?)`)
    .run(Buffer.from(mean.buffer), Buffer.from(last.buffer));
  old.close();

  assert.throws(() => openStore(path, { readonly: true }), /older schema/);
  const store = openStore(path);
  try {
    assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    const [row] = store.readPooled(1, 0);
    assert.deepEqual(row!.mean, mean, 'float32 rows stay float32, bit for bit');
    assert.deepEqual(row!.last, last);
    assert.deepEqual(store.pooledLayers(1), [0]);
    assert.deepEqual(store.integrityCheck(), ['ok']);
    const fk = store.db.pragma('foreign_key_check') as unknown[];
    assert.deepEqual(fk, []);
  } finally {
    store.close();
  }
});

test('a version 3 store (pooled mean and last, an alignment with analytic chance) opens upgraded: no wmean, null bands', () => {
  const path = join(tmp.dir, 'v3.db');
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  old.transaction(() => {
    for (const m of migrations.slice(0, 3)) m(old);
    old.pragma('user_version = 3');
  })();
  const mean = Float32Array.from([1, 2, 3]);
  old.exec(`INSERT INTO corpora VALUES (1, 'inline', 'h', 2, '2026-01-01T00:00:00Z');
            INSERT INTO texts VALUES (1, 1, 'eng', 'a', 'hello'), (2, 1, 'deu', 'a', 'hallo');
            INSERT INTO runs VALUES (1, 'capture', 'capture', 1, '/m', '${'a1'.repeat(32)}', '{}', 'cpu', '{}', '2026-01-01T00:00:00Z', NULL, 'done');`);
  old.prepare(`INSERT INTO pooled VALUES (1, 0, 1, '[3]', 'float32', ?, ?)`).run(Buffer.from(mean.buffer), Buffer.from(mean.buffer));
  const matrix = [[1, 1], [1, 1]];
  const alignment = {
    pool: 'mean',
    languages: ['eng', 'deu'],
    layers: [{ layer: 0, meanCosine: matrix, retrieval: matrix, mexa: matrix, sharedTexts: matrix, chance: { meanCosine: matrix, retrieval: matrix, mexa: matrix } }],
    mexaSummary: { mean: matrix, max: matrix, maxLayer: matrix },
    meanCosineSummary: { mean: matrix, max: matrix, maxLayer: matrix },
    pivot: { pivot: 'eng', mexa: { deu: [1] }, mean: { deu: 1 }, max: { deu: 1 }, maxLayer: { deu: 0 }, chanceMexa: { deu: 1 }, meanCosine: { deu: [1] }, nonParallelCosine: { deu: [null] }, retrieval: { deu: [1] }, chanceRetrieval: { deu: [1] } },
  };
  old.prepare(`INSERT INTO results (id, run_id, kind, params_json, result_json, created_at) VALUES (1, 1, 'alignment', '{"pool":"mean","pivot":"eng"}', ?, '2026-01-01T00:00:00Z')`).run(JSON.stringify(alignment));
  old.close();

  const store = openStore(path);
  try {
    assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    const [row] = store.readPooled(1, 0);
    assert.deepEqual([row!.mean, row!.wmean], [mean, null]);
    assert.deepEqual(store.pooledKinds(1), ['mean', 'last']);
    const r = store.latestResult(1, 'alignment')!.result;
    assert.equal(r.chanceMethod, null);
    assert.deepEqual(r.layers[0]!.chanceBand, { retrieval: [[null, null], [null, null]], mexa: [[null, null], [null, null]] });
    assert.deepEqual(r.layers[0]!.intervals.mexa, [[null, null], [null, null]]);
    assert.deepEqual(r.pivot!.mexaInterval, { eng: [null], deu: [null] });
    assert.deepEqual(r.layers[0]!.chance.mexa, matrix, 'the analytic chance levels it was stored with stay');
    assert.deepEqual(store.integrityCheck(), ['ok']);
  } finally {
    store.close();
  }
});

test('a version 4 store is migrated to 5 with an empty neuron_text_groups table: its runs have no text groups', () => {
  const path = join(tmp.dir, 'v4.db');
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  old.transaction(() => {
    for (const m of migrations.slice(0, 4)) m(old);
    old.pragma('user_version = 4');
  })();
  old.exec(`INSERT INTO runs VALUES (1, 'capture', 'capture', NULL, '/m', '${'a1'.repeat(32)}', '{}', 'cpu', '{}', '2026-01-01T00:00:00Z', NULL, 'done');`);
  old.close();
  const store = openStore(path);
  try {
    assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.deepEqual(store.textGroupLayers(1), []);
    assert.deepEqual(store.integrityCheck(), ['ok']);
  } finally {
    store.close();
  }
});

test('a version 2 ablation without chance levels gets its diagonal again, frozen: strict wins and margins, no random sets', () => {
  const path = join(tmp.dir, 'v2-ablation.db');
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  old.transaction(() => {
    for (const m of migrations.slice(0, 2)) m(old);
    old.pragma('user_version = 2');
  })();
  // eng's own delta (0.5) ties with its effect on deu (0.5): no row win, margin 0.
  const stored = { deactivated: ['eng', 'deu'], evaluated: ['eng', 'deu'], baseline: [2, 3], nll: [[2.5, 3.5], [2.125, 3.375]] };
  old.exec(`INSERT INTO corpora VALUES (1, 'inline', 'h', 1, '2026-01-01T00:00:00Z');
            INSERT INTO runs VALUES (1, 'capture', 'capture', 1, '/m', '${'a1'.repeat(32)}', '{}', 'cpu', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'done');`);
  old.prepare(`INSERT INTO results (id, run_id, kind, params_json, result_json, created_at) VALUES (1, 1, 'ablation', '{}', ?, '2026-01-01T00:00:00Z')`).run(JSON.stringify(stored));
  old.close();

  const store = openStore(path);
  try {
    const r = store.findResult(1, 'ablation')!.result;
    assert.deepEqual(r.delta, [[0.5, 0.5], [0.125, 0.375]]);
    assert.deepEqual(r.diagonal, {
      eng: { delta: 0.5, isRowMax: false, isColumnMax: true, rowMargin: 0, columnMargin: 0.375, randomDelta: null, excessOverRandom: null },
      deu: { delta: 0.375, isRowMax: true, isColumnMax: false, rowMargin: 0.25, columnMargin: -0.125, randomDelta: null, excessOverRandom: null },
    });
    assert.deepEqual([r.rowMaxCount, r.columnMaxCount, r.diagonalSize, r.randomDraws, r.randomDelta], [1, 1, 2, 0, null]);
    // The frozen copy still agrees with the analysis on such an input (they may part later; the migration may not).
    const byLang = (values: number[]) => ({ eng: values[0]!, deu: values[1]! });
    assert.deepEqual(r, ablationMatrix({ baseline: byLang(stored.baseline), ablated: { eng: byLang(stored.nll[0]!), deu: byLang(stored.nll[1]!) } }));
  } finally {
    store.close();
  }
});

test('a version 5 store is migrated to 6: selectivity selections stored as kind lape get their own kind, and ablations still find them', () => {
  const path = join(tmp.dir, 'v5.db');
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  old.transaction(() => {
    for (const m of migrations.slice(0, 5)) m(old);
    old.pragma('user_version = 5');
  })();
  old.exec(`INSERT INTO runs VALUES (1, 'capture', 'capture', NULL, '/m', '${'a1'.repeat(32)}', '{}', 'cpu', '{}', '2026-01-01T00:00:00Z', NULL, 'done');`);
  const insert = old.prepare("INSERT INTO results (id, run_id, kind, params_json, result_json, created_at, partial) VALUES (?, 1, ?, ?, '{}', '2026-01-01T00:00:00Z', 0)");
  insert.run(1, 'lape', '{"activationBarOver":"all","activationBarRatio":0.95,"filterRate":0.95,"topRate":0.01}');
  insert.run(2, 'lape', '{"fdr":0.05,"fdrProcedure":"BY","method":"selectivity","minEffect":0.8,"test":"welch-arcsine-text-groups"}');
  insert.run(3, 'ablation', '{"corpus":"udhr:eng","scale":0}');
  old.exec(`INSERT INTO result_inputs (result_id, role, run_id, input_result_id, run_status) VALUES (3, 'run', 1, NULL, 'done'), (3, 'selection', NULL, 2, NULL);`);
  old.close();
  const store = openStore(path);
  try {
    assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.deepEqual(store.findResult(1)!.kind, 'lape');
    const selectivity = store.findResult(2)!;
    assert.equal(selectivity.kind, 'selectivity');
    assert.deepEqual(selectivity.params, { fdr: 0.05, fdrProcedure: 'BY', minEffect: 0.8, test: 'welch-arcsine-text-groups' });
    assert.deepEqual(store.findResult(3)!.inputs.find((i) => i.role === 'selection'), { role: 'selection', target: 'selectivity', id: 2, runStatus: null });
    assert.deepEqual(store.integrityCheck(), ['ok']);
  } finally {
    store.close();
  }
});
