/**
 * Adding one store's capture run (a shard) into another's: statistics are sums, so merging is adding
 * them; pooled vectors, kept activations and done marks are copied (BLOBs as they are) with text ids
 * mapped through (language, corpus id). The source is ATTACHed and only read; each source goes in
 * one transaction: a kill leaves the target with the shard either wholly merged or not at all.
 */
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { UserError } from '../../shared/errors.js';
import { addNeuronStats, toCounts, type StatsRow } from './neuron-stats.js';
import { now } from './statements.js';
import { mergeTextGroups } from './text-groups.js';

export interface MergeSource {
  path: string;
  runId: number;
  runName: string;
  corpusId: number;
  params: unknown;
}

export interface MergeTarget {
  runId: number;
  corpusId: number;
}

export interface MergeOutcome {
  /** Texts the source had done. */
  texts: number;
  /** True when this very set of texts was merged into the run before (a rerun after a kill): nothing was added. */
  alreadyMerged: boolean;
}

const SHARD = 'babelscope_shard';

/** Merges `source` into `target`; `alsoInTransaction` runs inside the same transaction (e.g. summing NLL totals). */
export function mergeCaptureRun(db: Database, target: MergeTarget, source: MergeSource, alsoInTransaction: () => void): MergeOutcome {
  db.prepare(`ATTACH DATABASE ? AS ${SHARD}`).run(source.path);
  try {
    const done = db
      .prepare(`SELECT t.lang, t.key FROM ${SHARD}.capture_progress p JOIN ${SHARD}.texts t ON t.id = p.text_id WHERE p.run_id = ? ORDER BY t.lang, t.key`)
      .all(source.runId) as { lang: string; key: string }[];
    const hash = createHash('sha256');
    for (const { lang, key } of done) hash.update(`${lang}\u0000${key}\u0001`);
    const textsHash = hash.digest('hex');
    return db.transaction((): MergeOutcome => {
      if (db.prepare('SELECT 1 FROM merged_shards WHERE run_id = ? AND texts_hash = ?').get(target.runId, textsHash)) {
        return { texts: done.length, alreadyMerged: true };
      }
      db.exec('DROP TABLE IF EXISTS temp.shard_text_map');
      db.prepare(
        `CREATE TEMP TABLE shard_text_map AS
         SELECT st.id AS src, tt.id AS dst, st.lang, st.key FROM ${SHARD}.texts st
         JOIN main.texts tt ON tt.corpus_id = ? AND tt.lang = st.lang AND tt.key = st.key
         WHERE st.corpus_id = ?`,
      ).run(target.corpusId, source.corpusId);
      const unmapped = db
        .prepare(`SELECT COUNT(*) FROM ${SHARD}.capture_progress p LEFT JOIN temp.shard_text_map m ON m.src = p.text_id WHERE p.run_id = ? AND m.dst IS NULL`)
        .pluck()
        .get(source.runId) as number;
      if (unmapped > 0) throw new Error(`${unmapped} done texts of ${source.path} are not in the target corpus`);
      const overlap = db
        .prepare(
          `SELECT COUNT(*) AS n, MIN(m.lang || '/' || m.key) AS example FROM ${SHARD}.capture_progress p
           JOIN temp.shard_text_map m ON m.src = p.text_id
           JOIN main.capture_progress tp ON tp.run_id = ? AND tp.text_id = m.dst
           WHERE p.run_id = ?`,
        )
        .get(target.runId, source.runId) as { n: number; example: string | null };
      if (overlap.n > 0) {
        throw new UserError(
          `${source.path} (run "${source.runName}") overlaps what is already merged: ${overlap.n} of its ${done.length} texts (e.g. ${overlap.example}) are counted already; nothing of it was added.`,
          'Shards must be disjoint: give each shard once, all made with the same N (--shard 0/N … N-1/N).',
        );
      }
      const stats = db
        .prepare(`SELECT layer, lang, token_count, shape, positive_counts, sums, sum_squares FROM ${SHARD}.neuron_stats WHERE run_id = ?`)
        .all(source.runId) as StatsRow[];
      for (const row of stats) addNeuronStats(db, target.runId, row.layer, row.lang, toCounts(row));
      mergeTextGroups(db, SHARD, source.runId, target.runId);
      db.prepare(
        `INSERT INTO main.pooled (run_id, layer, text_id, shape, dtype, wmean, mean, last)
         SELECT ?, p.layer, m.dst, p.shape, p.dtype, p.wmean, p.mean, p.last FROM ${SHARD}.pooled p JOIN temp.shard_text_map m ON m.src = p.text_id WHERE p.run_id = ?`,
      ).run(target.runId, source.runId);
      db.prepare(
        `INSERT INTO main.activations (run_id, text_id, point, shape, dtype, data)
         SELECT ?, m.dst, a.point, a.shape, a.dtype, a.data FROM ${SHARD}.activations a JOIN temp.shard_text_map m ON m.src = a.text_id WHERE a.run_id = ?`,
      ).run(target.runId, source.runId);
      db.prepare(
        `INSERT INTO main.capture_progress (run_id, text_id, n_tokens, done_at)
         SELECT ?, m.dst, p.n_tokens, p.done_at FROM ${SHARD}.capture_progress p JOIN temp.shard_text_map m ON m.src = p.text_id WHERE p.run_id = ?`,
      ).run(target.runId, source.runId);
      alsoInTransaction();
      db.prepare(
        'INSERT INTO merged_shards (run_id, source_path, source_run, source_params_json, n_texts, texts_hash, merged_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(target.runId, source.path, source.runName, JSON.stringify(source.params), done.length, textsHash, now());
      db.exec('DROP TABLE temp.shard_text_map');
      return { texts: done.length, alreadyMerged: false };
    }).immediate();
  } finally {
    db.prepare(`DETACH DATABASE ${SHARD}`).run();
  }
}

export interface MergedShard {
  sourcePath: string;
  sourceRun: string;
  sourceParams: unknown;
  texts: number;
  mergedAt: string;
}

/** The `merged_shards` rows of a run: where its statistics came from. */
export function mergedShards(db: Database, runId: number): MergedShard[] {
  return (
    db.prepare('SELECT source_path, source_run, source_params_json, n_texts, merged_at FROM merged_shards WHERE run_id = ? ORDER BY id').all(runId) as {
      source_path: string;
      source_run: string;
      source_params_json: string;
      n_texts: number;
      merged_at: string;
    }[]
  ).map((r) => ({ sourcePath: r.source_path, sourceRun: r.source_run, sourceParams: JSON.parse(r.source_params_json) as unknown, texts: r.n_texts, mergedAt: r.merged_at }));
}
