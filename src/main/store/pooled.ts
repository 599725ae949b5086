import type { Database } from 'better-sqlite3';
import { float32ToHalf, halfToFloat32 } from '../../shared/float16.js';
import { float32FromBlob, parseShape, shapeJson, toBlob } from './blobs.js';
import { statement } from './statements.js';
import type { PooledDtype, PooledRow, PooledVectors } from './types.js';

/** Stores (or replaces) pooled vectors; call inside a transaction. */
export function savePooled(db: Database, runId: number, rows: readonly PooledVectors[], dtype: PooledDtype = 'float16'): void {
  const insert = statement(db, `INSERT OR REPLACE INTO pooled (run_id, layer, text_id, shape, dtype, mean, last) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  for (const { textId, layer, mean, last } of rows) {
    if (mean && last && mean.length !== last.length) throw new Error(`pooled vectors of text ${textId} differ in length (${mean.length}, ${last.length})`);
    const width = (mean ?? last)?.length;
    if (width === undefined) throw new Error(`pooled row of text ${textId} at layer ${layer} has neither a mean nor a last vector`);
    const half = dtype === 'float16' ? [mean && float32ToHalf(mean), last && float32ToHalf(last)] : null;
    // A vector beyond the float16 range keeps the whole row in float32 instead of turning into Infinity.
    const asHalf = half !== null && (mean === null || half[0] !== null) && (last === null || half[1] !== null);
    const blob = (v: Float32Array | null, h: Uint16Array | null | undefined) => (v === null ? null : asHalf ? toBlob(h!) : toBlob(v));
    insert.run(runId, layer, textId, shapeJson([width]), asHalf ? 'float16' : 'float32', blob(mean, half?.[0]), blob(last, half?.[1]));
  }
}

/**
 * Pooled vectors of every text at one layer (as float32), with each text's language and corpus id, in
 * text order; `only` reads just the mean or the last vectors (the other comes back null).
 */
export function readPooled(db: Database, runId: number, layer: number, only?: 'mean' | 'last'): PooledRow[] {
  // Reading one kind only leaves the other's BLOBs on disk: half the bytes for alignment.
  const rows = statement(
    db,
    `SELECT p.text_id AS textId, p.layer, t.lang, t.key, p.shape, p.dtype, ${only === 'last' ? 'NULL AS mean' : 'p.mean'}, ${only === 'mean' ? 'NULL AS last' : 'p.last'}
     FROM pooled p JOIN texts t ON t.id = p.text_id
     WHERE p.run_id = ? AND p.layer = ? ORDER BY p.text_id`,
  ).all(runId, layer) as Array<{ textId: number; layer: number; lang: string; key: string; shape: string; dtype: string; mean: Buffer | null; last: Buffer | null }>;
  return rows.map((r) => {
    const [width] = parseShape(r.shape);
    const decode = (b: Buffer | null) => (b === null ? null : checkWidth(vectorFromBlob(b, r.dtype), width!, r.textId, layer));
    return { textId: r.textId, layer: r.layer, lang: r.lang, key: r.key, mean: decode(r.mean), last: decode(r.last) };
  });
}

/** The layers a run has pooled vectors for, ascending. */
export function pooledLayers(db: Database, runId: number): number[] {
  return statement(db, 'SELECT DISTINCT layer FROM pooled WHERE run_id = ? ORDER BY layer').pluck().all(runId) as number[];
}

/** Every pooled row of a run, layer by layer, read one row at a time (an export of any size). */
export function* iteratePooled(db: Database, runId: number): Generator<PooledRow> {
  const rows = db
    .prepare('SELECT p.layer, p.text_id, t.lang, t.key, p.dtype, p.mean, p.last FROM pooled p JOIN texts t ON t.id = p.text_id WHERE p.run_id = ? ORDER BY p.layer, p.text_id')
    .iterate(runId) as Iterable<{ layer: number; text_id: number; lang: string; key: string; dtype: string; mean: Buffer | null; last: Buffer | null }>;
  for (const r of rows) {
    yield { layer: r.layer, textId: r.text_id, lang: r.lang, key: r.key, mean: r.mean && vectorFromBlob(r.mean, r.dtype), last: r.last && vectorFromBlob(r.last, r.dtype) };
  }
}

function vectorFromBlob(blob: Buffer, dtype: string): Float32Array {
  if (dtype === 'float32') return float32FromBlob(blob);
  if (dtype === 'float16') {
    if (blob.byteLength % 2 !== 0) throw new Error(`float16 BLOB of ${blob.byteLength} bytes`);
    const bytes = blob.byteOffset % 2 === 0 ? blob : new Uint8Array(blob);
    return halfToFloat32(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2));
  }
  throw new Error(`pooled vectors of dtype ${dtype} are not supported`);
}

function checkWidth(v: Float32Array, width: number, textId: number, layer: number): Float32Array {
  if (v.length !== width) throw new Error(`pooled row (text ${textId}, layer ${layer}) has ${v.length} values, its shape says ${width}`);
  return v;
}
