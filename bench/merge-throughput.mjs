// What `merge` costs at 8 B scale, where pooled vectors dominate: SQLite copying one shard's pooled rows
// (32 layers × mean + last, float16, hidden size 4096: 512 KiB per text) into another store, as
// src/main/store/merge.ts does (ATTACH, INSERT … SELECT in one transaction, WAL). `node bench/merge-throughput.mjs [TEXTS]`
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const texts = Number(process.argv[2] ?? 800);
const layers = 32;
const dir = mkdtempSync(join(tmpdir(), 'babelscope-merge-bench-'));
const table = 'CREATE TABLE pooled (run_id INT, layer INT, text_id INT, mean BLOB, last BLOB, PRIMARY KEY (run_id, layer, text_id))';
try {
  const src = new Database(join(dir, 'shard.db'));
  src.pragma('journal_mode = WAL');
  src.exec(table);
  const vector = Buffer.alloc(4096 * 2, 7);
  const insert = src.prepare('INSERT INTO pooled VALUES (1, ?, ?, ?, ?)');
  src.transaction(() => {
    for (let t = 0; t < texts; t++) for (let l = 0; l < layers; l++) insert.run(l, t, vector, vector);
  })();
  src.close();
  const dst = new Database(join(dir, 'all.db'));
  dst.pragma('journal_mode = WAL');
  dst.pragma('synchronous = NORMAL');
  dst.exec(table);
  const t0 = process.hrtime.bigint();
  dst.prepare('ATTACH DATABASE ? AS shard').run(join(dir, 'shard.db'));
  dst.transaction(() => dst.exec('INSERT INTO main.pooled SELECT 1, layer, text_id, mean, last FROM shard.pooled'))();
  dst.exec('DETACH DATABASE shard');
  dst.pragma('wal_checkpoint(TRUNCATE)');
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  dst.close();
  const mb = (texts * layers * 2 * vector.length) / 1e6;
  console.log(`merge of pooled vectors, 8 B scale: ${texts} texts (${mb.toFixed(0)} MB) in ${s.toFixed(1)} s: ${(mb / s).toFixed(0)} MB/s, ${(texts / s).toFixed(0)} texts/s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
