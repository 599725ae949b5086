import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { isUserError } from '../../../src/shared/errors.js';
import { openStore } from '../../../src/main/store/index.js';
import { countsOfText, expectedCounts, modelA, tempDir } from './fixtures.js';
import { exited, nextMessage, startChild } from './spawn-child.js';

const tmp = tempDir();
after(tmp.cleanup);

function userError(pattern: RegExp, hint?: RegExp) {
  return (e: unknown) => {
    assert.ok(isUserError(e), `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    if (hint) assert.match(e.hint ?? '', hint);
    return true;
  };
}

test('a file that is not SQLite is a UserError and is left untouched', () => {
  const path = join(tmp.dir, 'notes.db');
  const content = 'these are my notes, not a database\n'.repeat(200);
  writeFileSync(path, content);
  assert.throws(() => openStore(path), userError(/notes\.db is not a SQLite database/, /Babelscope store/));
  assert.throws(() => openStore(path, { readonly: true }), userError(/not a SQLite database/));
  assert.equal(readFileSync(path, 'utf8'), content);
});

test('a SQLite file of another program is a UserError', () => {
  const path = join(tmp.dir, 'other-app.sqlite');
  const other = new Database(path);
  other.exec('CREATE TABLE notes (body TEXT)');
  other.close();
  assert.throws(() => openStore(path), userError(/is a SQLite database, but not a Babelscope store/));
});

test('a missing file opened read-only, or a folder, is a UserError', () => {
  assert.throws(() => openStore(join(tmp.dir, 'missing.db'), { readonly: true }), userError(/No store at/));
  const folder = join(tmp.dir, 'folder.db');
  mkdirSync(folder);
  assert.throws(() => openStore(folder), userError(/is a folder/));
});

test('a store of a newer schema is a UserError', () => {
  const path = join(tmp.dir, 'newer.db');
  openStore(path).close();
  const db = new Database(path);
  db.pragma('user_version = 999');
  db.close();
  assert.throws(() => openStore(path), userError(/newer Babelscope \(schema v999/));
});

test('a store locked by another process is a UserError after busy_timeout', async () => {
  const path = join(tmp.dir, 'locked.db');
  const setup = openStore(path);
  const run = setup.createRun({ kind: 'capture', model: modelA });
  setup.close();
  const child = startChild({ role: 'hold-lock', dbPath: path });
  try {
    await nextMessage(child, (m) => m === 'locked');
    const store = openStore(path, { busyTimeoutMs: 150 });
    const started = Date.now();
    assert.throws(() => store.addNeuronStats(run.id, 0, 'eng', countsOfText(1, 4)), userError(/locked by another process \(still busy after 150 ms\)/));
    assert.ok(Date.now() - started >= 100, 'waited for busy_timeout');
    assert.equal(store.listRuns().length, 1, 'reading still works under WAL');
    store.close();
  } finally {
    child.send('release');
    await exited(child);
  }
  const store = openStore(path);
  store.addNeuronStats(run.id, 0, 'eng', countsOfText(1, 4));
  store.close();
});

test('disk full is a UserError, the batch rolls back and earlier data is intact', () => {
  const path = join(tmp.dir, 'full.db');
  const store = openStore(path);
  const { texts } = store.saveCorpus('inline', [
    { lang: 'eng', id: '1', text: 'one' },
    { lang: 'eng', id: '2', text: 'two' },
  ]);
  const run = store.createRun({ kind: 'capture', model: modelA });
  const width = 1024;
  store.commitBatch(run.id, { stats: [{ layer: 0, lang: 'eng', ...countsOfText(1, width) }], done: [texts[0]!.textId] });
  // Simulate a full disk: the file may not grow beyond its current size.
  const pages = store.db.pragma('page_count', { simple: true }) as number;
  store.db.pragma(`max_page_count = ${pages + 1}`);
  const big = Array.from({ length: 20 }, (_, layer) => ({ layer: layer + 1, lang: 'eng', ...countsOfText(2, width) }));
  assert.throws(() => store.commitBatch(run.id, { stats: big, done: [texts[1]!.textId] }), userError(/disk is full/, /resume/));
  assert.deepEqual(store.doneTextIds(run.id), new Set([texts[0]!.textId]));
  store.close();

  const reopened = openStore(path);
  assert.deepEqual(reopened.integrityCheck(), ['ok']);
  assert.deepEqual(reopened.doneTextIds(run.id), new Set([texts[0]!.textId]));
  const stats = reopened.readNeuronStats(run.id);
  assert.equal(stats.numLayers, 1);
  assert.deepEqual(stats.layers[0]!['eng'], expectedCounts([1], width));
  reopened.close();
});
