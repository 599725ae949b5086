import type { Command } from 'commander';
import { lape, LAPE_DEFAULTS } from '../../analysis/lape.js';
import { lapeStatsOf, openExistingStore, partialRunWarning, requireCaptureRun } from '../../capture/stored-runs.js';
import { output, parseFloatOption, type OutputOptions } from '../common.js';

export function registerLape(program: Command): void {
  program
    .command('lape')
    .description('language-specific neurons by LAPE (Tang et al. 2024) from a capture, stored in the file')
    .requiredOption('--db <file>', 'SQLite file written by capture')
    .option('--run <name>', 'capture run to read', 'capture')
    .option('--top-rate <r>', 'share of all neurons to select', parseFloatOption('--top-rate', 0, 1), LAPE_DEFAULTS.topRate)
    .option('--filter-rate <r>', 'quantile of all p a neuron\'s max p must exceed', parseFloatOption('--filter-rate', 0, 1), LAPE_DEFAULTS.filterRate)
    .option('--activation-bar-ratio <r>', 'quantile p must exceed to assign a language', parseFloatOption('--activation-bar-ratio', 0, 1), LAPE_DEFAULTS.activationBarRatio)
    .option('--json', 'print JSON')
    .action((o: OutputOptions & { db: string; run: string; topRate: number; filterRate: number; activationBarRatio: number }) => {
      const store = openExistingStore(o.db);
      try {
        const run = requireCaptureRun(store, o.run);
        const result = lape(lapeStatsOf(store, run), { topRate: o.topRate, filterRate: o.filterRate, activationBarRatio: o.activationBarRatio });
        const id = store.saveResult('lape', { runId: run.id, params: result.options, result, inputs: { run: run.id } });
        const warning = partialRunWarning(run);
        if (warning) process.stderr.write(warning + '\n');
        const selection = { id, run: run.name, runStatus: run.status, partial: run.status !== 'done' };
        output(o, { selection, languages: result.languages, neurons: result.neurons, perLayer: result.perLayer, thresholds: result.thresholds, options: result.options }, () =>
          [
            `LAPE selection #${id} on run "${run.name}": ${result.selected.length} neurons selected (top ${o.topRate * 100}%)`,
            `${'lang'.padEnd(6)} ${'total'.padStart(6)}  per layer`,
            ...result.languages.map((l) => `${l.padEnd(6)} ${String(result.neurons[l]!.length).padStart(6)}  ${result.perLayer[l]!.join(' ')}`),
          ].join('\n'),
        );
      } finally {
        store.close();
      }
    });
}
