/**
 * The store's tables as Parquet files, one per table, so many runs and checkpoints can be queried
 * together by DuckDB, pandas or Polars without a SQLite reader. Written by DuckDB (its Node package
 * ships its binary in the registry package): rows go into an in-memory DuckDB table that spills to a
 * temporary folder beside the output when it outgrows DuckDB's memory limit, then `COPY … TO` Parquet.
 *
 * - Tables of plain columns (corpora, texts, runs, capture_progress, results, result_inputs,
 *   merged_shards) keep their columns and names; JSON columns stay JSON text.
 * - `neuron_stats` becomes long: one row per run × layer × language × neuron, with LAPE's
 *   `p = positive_count / token_count` and `mean = sum / token_count` beside the raw sums.
 * - `pooled` has one row per run × layer × text with its language and corpus id, `mean`, `last` and
 *   `wmean` (MEXA's position-weighted mean) as lists of float32 (float16 BLOBs decoded); `activations` keeps its shape and a float32 list.
 * Each file is written under a temporary name and renamed, so a file present is a whole one.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { iteratePooled } from './pooled.js';
import type { Store } from './store.js';

export interface ParquetFile {
  /** The store table it holds. */
  table: string;
  path: string;
  rows: number;
}

/** Tables copied column for column (vectors are handled below); those missing from an older file are skipped. */
const PLAIN_TABLES = ['corpora', 'texts', 'runs', 'capture_progress', 'results', 'result_inputs', 'merged_shards'];

// Loaded on first use: every `import "babelscope"` would otherwise load DuckDB's 68 MB native library.
type DuckDB = typeof import('@duckdb/node-api');
let loaded: DuckDB | undefined;

/** Writes the store's tables as `OUTDIR/<table>.parquet` and returns what it wrote. */
export async function writeParquet(store: Store, outDir: string, workDir: string): Promise<ParquetFile[]> {
  const d = (loaded ??= await import('@duckdb/node-api'));
  const tmp = mkdtempSync(join(workDir, '.babelscope-export-'));
  const instance = await d.DuckDBInstance.create(':memory:', { temp_directory: join(tmp, 'spill') });
  const duck = await instance.connect();
  try {
    const files: ParquetFile[] = [];
    const copy = async (table: string, select = `SELECT * FROM ${table}`) => {
      const path = join(outDir, `${table}.parquet`);
      const partial = join(outDir, `.${table}.parquet.partial`);
      await duck.run(`COPY (${select}) TO '${sqlString(partial)}' (FORMAT parquet, COMPRESSION snappy)`);
      renameSync(partial, path);
      const rows = Number((await duck.runAndReadAll(`SELECT COUNT(*) FROM (${select})`)).getRows()[0]![0]);
      files.push({ table, path, rows });
    };
    for (const table of PLAIN_TABLES) {
      if (!(await copyPlainTable(store, duck, table))) continue;
      await copy(table);
    }
    await copyNeuronStats(d, store, duck);
    await copy(
      'neuron_stats',
      `SELECT run_id, layer, lang, neuron, token_count, positive_count, sum, sum_squares,
              positive_count / token_count AS p, sum / token_count AS mean
       FROM (SELECT run_id, layer, lang, token_count, unnest(range(len(positive_counts))) AS neuron,
                    unnest(positive_counts)::BIGINT AS positive_count, unnest(sums) AS sum, unnest(sum_squares) AS sum_squares
             FROM neuron_stats_lists)
       ORDER BY run_id, layer, lang, neuron`,
    );
    await copyPooled(d, store, duck);
    await copy('pooled', 'SELECT * FROM pooled ORDER BY run_id, layer, text_id');
    await copyActivations(d, store, duck);
    await copy('activations', 'SELECT * FROM activations ORDER BY run_id, text_id, point');
    return files;
  } finally {
    duck.closeSync();
    instance.closeSync();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function sqlString(s: string): string {
  return s.replaceAll("'", "''");
}

function quoteIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** SQLite's declared type → DuckDB's: INTEGER → BIGINT, REAL → DOUBLE, anything else text. */
function duckType(sqliteType: string): 'BIGINT' | 'DOUBLE' | 'VARCHAR' {
  const t = sqliteType.toUpperCase();
  if (t.includes('INT')) return 'BIGINT';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'DOUBLE';
  return 'VARCHAR';
}

async function copyPlainTable(store: Store, duck: DuckDBConnection, table: string): Promise<boolean> {
  const columns = store.db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(table) as { name: string; type: string }[];
  if (columns.length === 0) return false;
  const types = columns.map((c) => duckType(c.type));
  await duck.run(`CREATE TABLE ${table} (${columns.map((c, i) => `${quoteIdent(c.name)} ${types[i]}`).join(', ')})`);
  const appender = await duck.createAppender(table);
  const rows = store.db.prepare(`SELECT ${columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${table}`).raw().iterate() as Iterable<unknown[]>;
  for (const row of rows) {
    row.forEach((v, i) => appendPlain(appender, v, types[i]!));
    appender.endRow();
  }
  appender.closeSync();
  return true;
}

function appendPlain(appender: DuckDBAppender, v: unknown, type: 'BIGINT' | 'DOUBLE' | 'VARCHAR'): void {
  if (v === null || v === undefined) return appender.appendNull();
  if (type === 'BIGINT' && (typeof v === 'number' || typeof v === 'bigint')) return appender.appendBigInt(BigInt(v));
  if (type === 'DOUBLE' && typeof v === 'number') return appender.appendDouble(v);
  appender.appendVarchar(Buffer.isBuffer(v) ? v.toString('base64') : String(v));
}

const runIds = (store: Store, table: string) => (store.db.prepare(`SELECT DISTINCT run_id FROM ${table} ORDER BY run_id`).pluck().all() as number[]);

async function copyNeuronStats(d: DuckDB, store: Store, duck: DuckDBConnection): Promise<void> {
  await duck.run('CREATE TABLE neuron_stats_lists (run_id BIGINT, layer INTEGER, lang VARCHAR, token_count BIGINT, positive_counts DOUBLE[], sums DOUBLE[], sum_squares DOUBLE[])');
  const appender = await duck.createAppender('neuron_stats_lists');
  for (const runId of runIds(store, 'neuron_stats')) {
    const stats = store.readNeuronStats(runId);
    stats.layers.forEach((byLang, layer) => {
      for (const [lang, c] of Object.entries(byLang)) {
        appender.appendBigInt(BigInt(runId));
        appender.appendInteger(layer);
        appender.appendVarchar(lang);
        appender.appendBigInt(BigInt(c.tokens));
        appender.appendList(d.listValue(Array.from(c.positiveCounts)));
        appender.appendList(d.listValue(Array.from(c.sums)));
        appender.appendList(d.listValue(Array.from(c.sumSquares)));
        appender.endRow();
      }
    });
    appender.flushSync();
  }
  appender.closeSync();
}

async function copyPooled(d: DuckDB, store: Store, duck: DuckDBConnection): Promise<void> {
  await duck.run('CREATE TABLE pooled (run_id BIGINT, layer INTEGER, text_id BIGINT, lang VARCHAR, key VARCHAR, mean FLOAT[], last FLOAT[], wmean FLOAT[])');
  const appender = await duck.createAppender('pooled');
  const vector = (v: Float32Array | null) => (v ? appender.appendList(d.listValue(Array.from(v)), d.LIST(d.FLOAT)) : appender.appendNull());
  for (const runId of runIds(store, 'pooled')) {
    // Row by row: memory does not grow with the corpus (DuckDB spills what it holds).
    for (const row of iteratePooled(store.db, runId)) {
      appender.appendBigInt(BigInt(runId));
      appender.appendInteger(row.layer);
      appender.appendBigInt(BigInt(row.textId));
      appender.appendVarchar(row.lang);
      appender.appendVarchar(row.key);
      vector(row.mean);
      vector(row.last);
      vector(row.wmean ?? null);
      appender.endRow();
    }
    appender.flushSync();
  }
  appender.closeSync();
}

async function copyActivations(d: DuckDB, store: Store, duck: DuckDBConnection): Promise<void> {
  await duck.run('CREATE TABLE activations (run_id BIGINT, text_id BIGINT, point VARCHAR, shape INTEGER[], data FLOAT[])');
  const appender = await duck.createAppender('activations');
  for (const runId of runIds(store, 'activations')) {
    for (const a of store.listActivations(runId)) {
      const tensor = store.readActivation(runId, a.textId, a.point)!;
      appender.appendBigInt(BigInt(runId));
      appender.appendBigInt(BigInt(a.textId));
      appender.appendVarchar(a.point);
      appender.appendList(d.listValue(a.shape), d.LIST(d.INTEGER));
      appender.appendList(d.listValue(Array.from(tensor.data)), d.LIST(d.FLOAT));
      appender.endRow();
    }
    appender.flushSync();
  }
  appender.closeSync();
}
