import { Option, type Command } from 'commander';
import { alignment } from '../../analysis/alignment.js';
import { openExistingStore, pooledByLayer, requireCaptureRun } from '../../capture/stored-runs.js';
import { output, type OutputOptions } from '../common.js';

export function registerAlign(program: Command): void {
  program
    .command('align')
    .description('cross-lingual alignment per layer (mean cosine, retrieval, MEXA) from pooled residuals of parallel texts')
    .requiredOption('--db <file>', 'SQLite file written by capture')
    .option('--run <name>', 'capture run to read', 'capture')
    .addOption(new Option('--pool <how>', 'pooled vector to compare').choices(['mean', 'last']).default('mean'))
    .option('--pivot <lang>', 'report every language against this one', 'eng')
    .option('--json', 'print JSON')
    .action((o: OutputOptions & { db: string; run: string; pool: 'mean' | 'last'; pivot: string }) => {
      const store = openExistingStore(o.db, true);
      try {
        const run = requireCaptureRun(store, o.run);
        const numLayers = Number((run.model as { numLayers?: number }).numLayers ?? store.readNeuronStats(run.id).numLayers);
        const layers = pooledByLayer(store, run, numLayers, o.pool);
        const langs = [...(layers[0]?.keys() ?? [])];
        const r = alignment(layers, langs.includes(o.pivot) ? { pivot: o.pivot } : {});
        output(o, { pool: o.pool, ...r }, () => {
          const lines = [`alignment of run "${run.name}" (${o.pool} pooling), languages: ${r.languages.join(', ')}`];
          if (r.pivot) {
            lines.push(`MEXA vs ${r.pivot.pivot} per layer:`);
            for (const l of r.languages) lines.push(`  ${l.padEnd(6)} ${r.pivot.mexa[l]!.map((v) => (v === null ? '  –  ' : v.toFixed(2))).join(' ')}   mean ${fmt(r.pivot.mean[l])} max ${fmt(r.pivot.max[l])}`);
          }
          return lines.join('\n');
        });
      } finally {
        store.close();
      }
    });
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : v.toFixed(2);
}
