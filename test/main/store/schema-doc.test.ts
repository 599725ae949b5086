/** SCHEMA.md describes the real schema: every table, column, view and result kind, no more and no less. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openStore, SCHEMA_VERSION } from '../../../src/main/store/index.js';
import { RESULT_KINDS } from '../../../src/shared/result-kinds.js';
import { readSchemaDoc } from '../../helpers/schema-doc.js';
import { tempDir } from './fixtures.js';

const tmp = tempDir();
after(tmp.cleanup);
const doc = readSchemaDoc();

test('SCHEMA.md names the current schema version', () => {
  assert.equal(doc.version, SCHEMA_VERSION);
});

test('SCHEMA.md lists exactly the tables and columns of a new store, in order', () => {
  const store = openStore(join(tmp.dir, 'schema.db'));
  try {
    const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    assert.deepEqual([...doc.tables.keys()].sort(), tables);
    for (const table of tables) {
      const columns = (store.db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
      assert.deepEqual(doc.tables.get(table), columns, `columns of ${table}`);
    }
    const views = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name").pluck().all() as string[];
    assert.deepEqual([...doc.views.keys()].sort(), views);
    for (const view of views) {
      const columns = (store.db.pragma(`table_info(${view})`) as { name: string }[]).map((c) => c.name);
      assert.deepEqual(doc.views.get(view), columns, `columns of view ${view}`);
    }
  } finally {
    store.close();
  }
});

test('SCHEMA.md documents every result kind of the kind table with its inputs', () => {
  assert.deepEqual([...doc.kinds.keys()].sort(), Object.keys(RESULT_KINDS).sort());
  for (const [kind, info] of Object.entries(RESULT_KINDS)) {
    assert.deepEqual(doc.kinds.get(kind)!.inputs.sort(), Object.keys(info.inputs).sort(), `inputs of ${kind}`);
  }
});
