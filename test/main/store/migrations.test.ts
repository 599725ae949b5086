import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { APPLICATION_ID, openStore, SCHEMA_VERSION } from '../../../src/main/store/index.js';
import { modelA, tempDir } from './fixtures.js';

const tmp = tempDir();
after(tmp.cleanup);

const TABLES = ['activations', 'capture_progress', 'corpora', 'neuron_stats', 'pooled', 'result_inputs', 'results', 'runs', 'texts'];

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
