/**
 * Per-text-group activation counts (table `neuron_text_groups`): what a text-level test needs, kept as
 * sums so batches, resumes and shard merges add them like the per-language statistics.
 */
import type { Database } from 'better-sqlite3';
import { parseShape, shapeJson } from './blobs.js';
import { statement } from './statements.js';
import type { TextGroupCounts, TextGroupDelta } from './types.js';

interface GroupRow {
  layer: number;
  lang: string;
  grp: number;
  n_texts: number;
  token_count: number;
  shape: string;
  positive_counts: Buffer;
}

function uint32FromBlob(blob: Buffer): Uint32Array {
  if (blob.byteLength % 4 !== 0) throw new Error(`BLOB of ${blob.byteLength} bytes is not a whole number of uint32 values`);
  const bytes = blob.byteOffset % 4 === 0 ? blob : new Uint8Array(blob);
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

function toCounts(row: GroupRow): TextGroupCounts {
  const positiveCounts = uint32FromBlob(row.positive_counts);
  const [width] = parseShape(row.shape);
  if (positiveCounts.length !== width) throw new Error(`neuron_text_groups row (layer ${row.layer}, ${row.lang}, group ${row.grp}) does not match its shape ${row.shape}`);
  return { group: row.grp, texts: row.n_texts, tokens: row.token_count, positiveCounts };
}

/** Adds a group's counts to the (run, layer, lang, group) row, creating it if needed. Call inside a transaction. */
export function addTextGroupCounts(db: Database, runId: number, d: TextGroupDelta): void {
  const width = d.positiveCounts.length;
  const existing = statement(db, 'SELECT layer, lang, grp, n_texts, token_count, shape, positive_counts FROM neuron_text_groups WHERE run_id = ? AND layer = ? AND lang = ? AND grp = ?').get(
    runId,
    d.layer,
    d.lang,
    d.group,
  ) as GroupRow | undefined;
  const blob = (a: Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  if (!existing) {
    statement(
      db,
      `INSERT INTO neuron_text_groups (run_id, layer, lang, grp, n_texts, token_count, shape, dtype, positive_counts) VALUES (?, ?, ?, ?, ?, ?, ?, 'uint32', ?)`,
    ).run(runId, d.layer, d.lang, d.group, d.texts, d.tokens, shapeJson([width]), blob(d.positiveCounts));
    return;
  }
  const stored = toCounts(existing);
  if (stored.positiveCounts.length !== width) throw new Error(`text-group counts of run ${runId} layer ${d.layer} have width ${stored.positiveCounts.length}, not ${width}`);
  const sum = new Uint32Array(width);
  for (let n = 0; n < width; n++) sum[n] = stored.positiveCounts[n]! + d.positiveCounts[n]!;
  statement(db, 'UPDATE neuron_text_groups SET n_texts = ?, token_count = ?, positive_counts = ? WHERE run_id = ? AND layer = ? AND lang = ? AND grp = ?').run(
    stored.texts + d.texts,
    stored.tokens + d.tokens,
    blob(sum),
    runId,
    d.layer,
    d.lang,
    d.group,
  );
}

/** The layers a run has text-group counts for, ascending. */
export function textGroupLayers(db: Database, runId: number): number[] {
  // A store of schema 3 opened read-only (not migrated) has no such table: no groups.
  if (!statement(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'neuron_text_groups'").get()) return [];
  return (statement(db, 'SELECT DISTINCT layer FROM neuron_text_groups WHERE run_id = ? ORDER BY layer').all(runId) as { layer: number }[]).map((r) => r.layer);
}

/** One layer's groups: language → its groups, in group order. */
export function readTextGroups(db: Database, runId: number, layer: number): Record<string, TextGroupCounts[]> {
  const rows = statement(db, 'SELECT layer, lang, grp, n_texts, token_count, shape, positive_counts FROM neuron_text_groups WHERE run_id = ? AND layer = ? ORDER BY lang, grp').all(
    runId,
    layer,
  ) as GroupRow[];
  const byLang: Record<string, TextGroupCounts[]> = {};
  for (const row of rows) (byLang[row.lang] ??= []).push(toCounts(row));
  return byLang;
}

/** Copies (adding) an attached database's groups of `sourceRunId` into `targetRunId`. Call inside a transaction. */
export function mergeTextGroups(db: Database, schema: string, sourceRunId: number, targetRunId: number): void {
  // A source store older than the table (schema 3) has no groups to add.
  if (!db.prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE type = 'table' AND name = 'neuron_text_groups'`).get()) return;
  const rows = db
    .prepare(`SELECT layer, lang, grp, n_texts, token_count, shape, positive_counts FROM ${schema}.neuron_text_groups WHERE run_id = ?`)
    .all(sourceRunId) as GroupRow[];
  for (const row of rows) addTextGroupCounts(db, targetRunId, { layer: row.layer, lang: row.lang, ...toCounts(row) });
}
