import type { Database } from 'better-sqlite3';
import { float32FromBlob, shapeJson, toBlob } from './blobs.js';
import { statement } from './statements.js';
import type { PooledRow, PooledVectors } from './types.js';

/** Stores (or replaces) pooled vectors; call inside a transaction. */
export function savePooled(db: Database, runId: number, rows: readonly PooledVectors[]): void {
  const insert = statement(
    db,
    `INSERT OR REPLACE INTO pooled (run_id, layer, text_id, shape, dtype, mean, last) VALUES (?, ?, ?, ?, 'float32', ?, ?)`,
  );
  for (const { textId, layer, mean, last } of rows) {
    if (mean.length !== last.length) throw new Error(`pooled vectors of text ${textId} differ in length (${mean.length}, ${last.length})`);
    insert.run(runId, layer, textId, shapeJson([mean.length]), toBlob(mean), toBlob(last));
  }
}

/** Pooled vectors of every text at one layer, with each text's language and corpus id, in text order. */
export function readPooled(db: Database, runId: number, layer: number): PooledRow[] {
  const rows = statement(
    db,
    `SELECT p.text_id AS textId, p.layer, t.lang, t.key, p.mean, p.last
     FROM pooled p JOIN texts t ON t.id = p.text_id
     WHERE p.run_id = ? AND p.layer = ? ORDER BY p.text_id`,
  ).all(runId, layer) as Array<{ textId: number; layer: number; lang: string; key: string; mean: Buffer; last: Buffer }>;
  return rows.map((r) => ({ textId: r.textId, layer: r.layer, lang: r.lang, key: r.key, mean: float32FromBlob(r.mean), last: float32FromBlob(r.last) }));
}
