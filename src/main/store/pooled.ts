import type { Database } from 'better-sqlite3';
import { float32ToHalf, halfToFloat32 } from '../../shared/float16.js';
import { float32FromBlob, parseShape, shapeJson, toBlob } from './blobs.js';
import { statement } from './statements.js';
import { POOLED_KINDS, type EncodedPooled, type PooledDtype, type PooledKind, type PooledRow, type PooledVectors } from './types.js';

/**
 * A row's vectors as stored: float16 asked for, float32 kept where a value is beyond float16's range
 * (the whole row, so it never turns into Infinity). Capture encodes each text as it is recorded, while
 * the model's worker runs the next batch, so the store write at the end has only rows to insert.
 */
export function encodePooled(row: PooledVectors, dtype: PooledDtype = 'float16'): EncodedPooled {
  const { textId, layer } = row;
  const vectors = [row.wmean ?? null, row.mean, row.last];
  const present = vectors.filter((v): v is Float32Array => v !== null);
  const width = present[0]?.length;
  if (width === undefined) throw new Error(`pooled row of text ${textId} at layer ${layer} has no vector`);
  if (present.some((v) => v.length !== width)) throw new Error(`pooled vectors of text ${textId} differ in length (${present.map((v) => v.length).join(', ')})`);
  const half = dtype === 'float16' ? vectors.map((v) => v && float32ToHalf(v)) : null;
  const asHalf = half !== null && vectors.every((v, k) => v === null || half[k] !== null);
  const blob = (k: number) => (vectors[k] === null ? null : asHalf ? toBlob(half![k]!) : toBlob(vectors[k]!));
  return { textId, layer, width, dtype: asHalf ? 'float16' : 'float32', wmean: blob(0), mean: blob(1), last: blob(2) };
}

/**
 * Stores (or, with `replace`, replaces) encoded pooled rows; call inside a transaction. A capture's rows
 * are new by construction (a text is skipped once done), and a plain INSERT there takes half the time:
 * with foreign keys on, INSERT OR REPLACE costs SQLite a delete check per row.
 */
export function insertPooled(db: Database, runId: number, rows: readonly EncodedPooled[], replace: boolean): void {
  const insert = statement(db, `INSERT ${replace ? 'OR REPLACE ' : ''}INTO pooled (run_id, layer, text_id, shape, dtype, wmean, mean, last) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  for (const r of rows) insert.run(runId, r.layer, r.textId, shapeJson([r.width]), r.dtype, r.wmean, r.mean, r.last);
}

/** Stores (or replaces) pooled vectors, encoded as `dtype`; call inside a transaction. */
export function savePooled(db: Database, runId: number, rows: readonly PooledVectors[], dtype: PooledDtype = 'float16'): void {
  insertPooled(db, runId, rows.map((r) => encodePooled(r, dtype)), true);
}

/**
 * Pooled vectors of every text at one layer (as float32), with each text's language and corpus id, in
 * text order; `only` reads just one kind (the others come back null).
 */
export function readPooled(db: Database, runId: number, layer: number, only?: PooledKind): PooledRow[] {
  // Reading one kind only leaves the other BLOBs on disk: a third of the bytes for alignment.
  const column = (k: PooledKind) => (only === undefined || only === k ? `p.${k}` : `NULL AS ${k}`);
  const rows = statement(
    db,
    `SELECT p.text_id AS textId, p.layer, t.lang, t.key, p.shape, p.dtype, ${column('wmean')}, ${column('mean')}, ${column('last')}
     FROM pooled p JOIN texts t ON t.id = p.text_id
     WHERE p.run_id = ? AND p.layer = ? ORDER BY p.text_id`,
  ).all(runId, layer) as Array<{ textId: number; layer: number; lang: string; key: string; shape: string; dtype: string; wmean: Buffer | null; mean: Buffer | null; last: Buffer | null }>;
  return rows.map((r) => {
    const [width] = parseShape(r.shape);
    const decode = (b: Buffer | null) => (b === null ? null : checkWidth(vectorFromBlob(b, r.dtype), width!, r.textId, layer));
    return { textId: r.textId, layer: r.layer, lang: r.lang, key: r.key, wmean: decode(r.wmean), mean: decode(r.mean), last: decode(r.last) };
  });
}

/** Which kinds of pooled vectors a run kept (any row having one). */
export function pooledKinds(db: Database, runId: number): PooledKind[] {
  const row = statement(
    db,
    `SELECT EXISTS (SELECT 1 FROM pooled WHERE run_id = ? AND wmean IS NOT NULL) AS wmean,
            EXISTS (SELECT 1 FROM pooled WHERE run_id = ? AND mean IS NOT NULL) AS mean,
            EXISTS (SELECT 1 FROM pooled WHERE run_id = ? AND last IS NOT NULL) AS last`,
  ).get(runId, runId, runId) as Record<PooledKind, number>;
  return POOLED_KINDS.filter((k) => row[k] === 1);
}

/** The layers a run has pooled vectors for, ascending. */
export function pooledLayers(db: Database, runId: number): number[] {
  return statement(db, 'SELECT DISTINCT layer FROM pooled WHERE run_id = ? ORDER BY layer').pluck().all(runId) as number[];
}

/** Every pooled row of a run, layer by layer, read one row at a time (an export of any size). */
export function* iteratePooled(db: Database, runId: number): Generator<PooledRow> {
  const rows = db
    .prepare('SELECT p.layer, p.text_id, t.lang, t.key, p.dtype, p.mean, p.last, p.wmean FROM pooled p JOIN texts t ON t.id = p.text_id WHERE p.run_id = ? ORDER BY p.layer, p.text_id')
    .iterate(runId) as Iterable<{ layer: number; text_id: number; lang: string; key: string; dtype: string; mean: Buffer | null; last: Buffer | null; wmean: Buffer | null }>;
  for (const r of rows) {
    const decode = (b: Buffer | null) => b && vectorFromBlob(b, r.dtype);
    yield { layer: r.layer, textId: r.text_id, lang: r.lang, key: r.key, mean: decode(r.mean), last: decode(r.last), wmean: decode(r.wmean) };
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
