import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openStore } from '../../../src/main/store/index.js';
import { countsOfText, expectedCounts, modelA, tempDir } from './fixtures.js';
import { exited, nextMessage, startChild } from './spawn-child.js';

const tmp = tempDir();
after(tmp.cleanup);

const LANGS = ['eng', 'rus', 'cmn'];

function setUp(path: string, nTexts: number) {
  const store = openStore(path);
  const corpus = Array.from({ length: nTexts }, (_, i) => ({ lang: LANGS[i % LANGS.length]!, id: String(i), text: `text ${i}` }));
  const { corpusId, texts } = store.saveCorpus('inline', corpus);
  const run = store.createRun({ name: 'capture', kind: 'capture', model: modelA, corpusId });
  return { store, run, textIds: texts.map((t) => t.textId) };
}

function assertStatsMatchDoneTexts(path: string, runId: number, layers: number, width: number): Set<number> {
  const store = openStore(path);
  try {
    assert.deepEqual(store.integrityCheck(), ['ok']);
    const done = store.doneTextIds(runId);
    const stats = store.readNeuronStats(runId);
    const expected = done.size === 0 ? undefined : expectedCounts(done, width);
    for (let layer = 0; layer < layers; layer++) {
      for (const lang of LANGS) assert.deepEqual(stats.layers[layer]?.[lang], expected, `layer ${layer} ${lang}`);
    }
    return done;
  } finally {
    store.close();
  }
}

test('a process killed before COMMIT leaves the previous batch only, and a sound file', async () => {
  const path = join(tmp.dir, 'crash.db');
  const layers = 8;
  const width = 8192;
  const { store, run, textIds } = setUp(path, 6);
  const batch1 = textIds.slice(0, 3);
  store.commitBatch(run.id, {
    stats: batch1.flatMap((id) => Array.from({ length: layers }, (_, layer) => LANGS.map((lang) => ({ layer, lang, ...countsOfText(id, width) }))).flat()),
    done: batch1,
  });
  store.close();

  // Batch 2 is ~4.7 MB of rows against a 1 MB page cache, so uncommitted pages reach the WAL before the kill.
  const child = startChild({ role: 'crash-mid-batch', dbPath: path, runId: run.id, layers, width, langs: LANGS, textIds: textIds.slice(3), cacheSizeKib: 1024 });
  assert.deepEqual(await exited(child), { code: null, signal: 'SIGKILL' });
  assert.ok(statSync(`${path}-wal`).size > 1_000_000, 'the killed writer left uncommitted frames in the WAL');

  const done = assertStatsMatchDoneTexts(path, run.id, layers, width);
  assert.deepEqual(done, new Set(batch1));
});

test('killed at a random moment while writing, the stats always equal the sum over the texts marked done', async () => {
  const path = join(tmp.dir, 'random-kill.db');
  const layers = 4;
  const width = 4096;
  const { store, run, textIds } = setUp(path, 400);
  store.close();
  const child = startChild({ role: 'write-until-killed', dbPath: path, runId: run.id, layers, width, langs: LANGS, textIds });
  const killAfter = 5 + Math.floor(Math.random() * 20);
  await nextMessage(child, (m) => typeof m === 'object' && m !== null && (m as { done: number }).done >= killAfter);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
  child.kill('SIGKILL');
  assert.equal((await exited(child)).signal, 'SIGKILL');

  const done = assertStatsMatchDoneTexts(path, run.id, layers, width);
  assert.ok(done.size >= killAfter && done.size < textIds.length, `${done.size} texts done`);

  // Resuming skips what is done and ends with every text counted exactly once.
  const resumed = openStore(path);
  for (const id of textIds.filter((t) => !done.has(t))) {
    resumed.commitBatch(run.id, {
      stats: Array.from({ length: layers }, (_, layer) => LANGS.map((lang) => ({ layer, lang, ...countsOfText(id, width) }))).flat(),
      done: [id],
    });
  }
  resumed.close();
  assert.equal(assertStatsMatchDoneTexts(path, run.id, layers, width).size, textIds.length);
});
