/** A store's tables as Parquet files (`babelscope export`), for DuckDB, pandas, Polars and Spark. */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { openStore as openInternalStore } from '../store/index.js';
import { writeParquet } from '../store/parquet.js';
import { OPTION_DEFAULTS } from './defaults.js';

/** Options of `exportStore`. */
export interface ExportStoreOptions {
  /** The SQLite store file to read (opened read-only; a capture may still be writing it). */
  store: string;
  /** Folder to write `<table>.parquet` files into (created if missing). */
  out: string;
  /** Only `parquet` for now. Default `parquet`. */
  format?: 'parquet';
  /** Replace the files of an earlier export in `out`. Default false: a folder with files in it is refused. */
  force?: boolean;
}

/** One file `exportStore` wrote. */
export interface ExportedTable {
  /** The store table it holds: `neuron_stats` (long: one row per run × layer × language × neuron), `pooled`, `results`, … */
  table: string;
  path: string;
  rows: number;
}

/** What `exportStore` wrote. */
export interface ExportSummary {
  store: string;
  out: string;
  format: 'parquet';
  tables: ExportedTable[];
}

/**
 * Writes the store's tables as Parquet, one file per table: corpora, texts, runs, capture_progress,
 * neuron statistics per run, layer, language and neuron (with LAPE's p and the mean), pooled vectors
 * per run, layer and text (float32 lists), kept activations, and results with their parameters and
 * inputs (results, result_inputs), merged_shards. Columns are SCHEMA.md's; JSON columns stay JSON text.
 */
export async function exportStore(options: ExportStoreOptions): Promise<ExportSummary> {
  const format = options.format ?? OPTION_DEFAULTS.exportStore.format;
  if (format !== 'parquet') throw new UserError(`unknown export format "${String(format)}"`, 'Use --format parquet.');
  if (!existsSync(options.store)) throw new UserError(`no such store: ${options.store}`, 'Pass the SQLite file a capture wrote: --db run.db');
  const out = resolve(options.out);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new UserError(`${out} is a file, not a folder`, 'Pass a folder for the Parquet files (it is created if missing).');
    if (!options.force && readdirSync(out).length > 0) {
      throw new UserError(`${out} is not empty`, 'Pass an empty or new folder, or --force to replace the Parquet files of an earlier export there.');
    }
  }
  mkdirSync(out, { recursive: true });
  const store = openInternalStore(options.store, { readonly: true });
  try {
    const tables = await writeParquet(store, out, out);
    return { store: options.store, out, format, tables };
  } finally {
    store.close();
  }
}
