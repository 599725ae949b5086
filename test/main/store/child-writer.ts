/**
 * A second process for the store tests (crash, lock). It does nothing unless started by a test with
 * BABELSCOPE_STORE_CHILD set, so `node --test dist/test/` can load it harmlessly.
 */
import { openStore } from '../../../src/main/store/index.js';
import { countsOfText } from './fixtures.js';

export interface ChildTask {
  role: 'crash-mid-batch' | 'hold-lock' | 'write-until-killed';
  dbPath: string;
  runId?: number;
  layers?: number;
  width?: number;
  langs?: string[];
  /** Texts of the batch written before the kill (crash-mid-batch), or all texts to walk through (write-until-killed). */
  textIds?: number[];
  /** A small page cache makes SQLite spill uncommitted pages into the WAL before COMMIT. */
  cacheSizeKib?: number;
}

const raw = process.env['BABELSCOPE_STORE_CHILD'];
if (raw) await run(JSON.parse(raw) as ChildTask);

async function run(task: ChildTask): Promise<void> {
  const store = openStore(task.dbPath, { busyTimeoutMs: 100 });
  const send = (message: unknown) => process.send?.(message);
  if (task.cacheSizeKib) store.db.pragma(`cache_size = -${task.cacheSizeKib}`);
  if (task.role === 'hold-lock') {
    store.db.exec('BEGIN IMMEDIATE');
    send('locked');
    process.on('message', () => {
      store.db.exec('ROLLBACK');
      store.close();
      process.exit(0);
    });
    return;
  }
  const { runId = 1, layers = 1, width = 4, langs = ['eng'], textIds = [] } = task;
  const writeText = (textId: number) => {
    for (let layer = 0; layer < layers; layer++) {
      for (const lang of langs) store.addNeuronStats(runId, layer, lang, countsOfText(textId, width));
    }
    store.markTextsDone(runId, [textId]);
  };
  if (task.role === 'crash-mid-batch') {
    store.transaction(() => {
      for (const id of textIds) writeText(id);
      // Die before COMMIT, with uncommitted pages already spilled into the WAL file.
      process.kill(process.pid, 'SIGKILL');
    });
    return;
  }
  // write-until-killed: one text per transaction; yields between texts so progress messages go out.
  for (const [i, id] of textIds.entries()) {
    store.transaction(() => writeText(id));
    send({ done: i + 1 });
    await new Promise((resolve) => setImmediate(resolve));
  }
  send('finished');
}
