import { Option, type Command } from 'commander';
import { exportStore, OPTION_DEFAULTS } from '../../api/index.js';
import { output, requireDbPath, type OutputOptions } from '../common.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .argument('<outdir>', 'folder for the files (created if missing)')
    .description('write the store\'s tables (neuron statistics, pooled vectors, results with parameters and inputs, …) as Parquet files for DuckDB, pandas, Polars')
    .requiredOption('--db <file>', 'SQLite store to read')
    .addOption(new Option('--format <format>', 'file format').choices(['parquet']).default(OPTION_DEFAULTS.exportStore.format))
    .option('--force', 'replace the files of an earlier export in OUTDIR')
    .option('--json', 'print JSON')
    .action(async (outdir: string, o: OutputOptions & { db: string; format: 'parquet'; force?: boolean }) => {
      requireDbPath(o.db);
      const s = await exportStore({ store: o.db, out: outdir, format: o.format, force: o.force === true });
      output(o, s, () => [...s.tables.map((t) => `${t.path}: ${t.rows} rows`), `${s.tables.length} tables of ${s.store} as Parquet in ${s.out}`].join('\n'));
    });
}
