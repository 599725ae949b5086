import { Option, type Command } from 'commander';
import { lape, LAPE_DEFAULTS, SELECTIVITY_DEFAULTS } from '../../api/index.js';
import { openExistingStore } from '../../capture/stored-runs.js';
import { output, parseFloatOption, type OutputOptions } from '../common.js';

const METHODS_HELP = `
Methods:
  lape (default)  LAPE (Tang et al. 2024), as its reference code: the lowest-entropy --top-rate share of
                  all neurons, each assigned to every language whose activation probability p is above
                  the --activation-bar-ratio quantile. A fixed quota: it misses language neurons when
                  there are more and admits others when there are fewer.
  selectivity     No quota. A neuron belongs to language k when p_k beats the p of EVERY other language
                  by a large effect and not by chance:
                  --min-effect h (default ${SELECTIVITY_DEFAULTS.minEffect}): Cohen's h = 2·asin(√p_k) − 2·asin(√p_j) against the
                    highest other p_j must reach h. 0.8 is Cohen's (1988) "large" effect; a floor is
                    needed because with millions of tokens any tiny difference is significant.
                  --fdr q (default ${SELECTIVITY_DEFAULTS.fdr}): one-sided two-proportion z-tests of p_k > p_j for every other
                    language j, combined as an intersection-union test (Berger 1982: p = the largest),
                    then Benjamini-Hochberg (1995) over all neurons × languages at false-discovery
                    rate q (the conventional 5 %). Tokens of one text are not independent, so the
                    p-values are optimistic: one more reason for the effect floor.
                  Neither default was tuned on any model.`;

export function registerLape(program: Command): void {
  program
    .command('lape')
    .description('language-specific neurons from a capture (LAPE, Tang et al. 2024, or --method selectivity), stored in the file')
    .requiredOption('--db <file>', 'SQLite file written by capture')
    .option('--run <name>', 'capture run to read', 'capture')
    .addOption(new Option('--method <m>', 'selection method (see below)').choices(['lape', 'selectivity']).default('lape'))
    .option('--top-rate <r>', 'lape: share of all neurons to select', parseFloatOption('--top-rate', 0, 1), LAPE_DEFAULTS.topRate)
    .option('--filter-rate <r>', 'lape: quantile of all p a neuron\'s max p must exceed', parseFloatOption('--filter-rate', 0, 1), LAPE_DEFAULTS.filterRate)
    .option('--activation-bar-ratio <r>', 'lape: quantile p must exceed to assign a language', parseFloatOption('--activation-bar-ratio', 0, 1), LAPE_DEFAULTS.activationBarRatio)
    .option('--min-effect <h>', "selectivity: Cohen's h floor over every other language", parseFloatOption('--min-effect', 0, Math.PI), SELECTIVITY_DEFAULTS.minEffect)
    .option('--fdr <q>', 'selectivity: Benjamini-Hochberg false-discovery rate over all neurons × languages', parseFloatOption('--fdr', 1e-12, 1), SELECTIVITY_DEFAULTS.fdr)
    .option('--json', 'print JSON')
    .addHelpText('after', METHODS_HELP)
    .action(
      (o: OutputOptions & { db: string; run: string; method: 'lape' | 'selectivity'; topRate: number; filterRate: number; activationBarRatio: number; minEffect: number; fdr: number }) => {
        openExistingStore(o.db).close(); // a missing file is a UserError saying how to make one
        const result = lape({
          store: o.db,
          run: o.run,
          method: o.method,
          ...(o.method === 'selectivity' ? { minEffect: o.minEffect, fdr: o.fdr } : { topRate: o.topRate, filterRate: o.filterRate, activationBarRatio: o.activationBarRatio }),
        });
        for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
        const { run, resultId: id } = result;
        const selection = { id, run: run.name, runStatus: run.status, partial: run.status !== 'done' };
        const table = [
          `${'lang'.padEnd(6)} ${'total'.padStart(6)}  per layer`,
          ...result.languages.map((l) => `${l.padEnd(6)} ${String(result.neurons[l]!.length).padStart(6)}  ${result.perLayer[l]!.join(' ')}`),
        ];
        if (result.method === 'selectivity') {
          output(o, { selection, method: result.method, languages: result.languages, neurons: result.neurons, perLayer: result.perLayer, options: result.options, tests: result.tests, details: result.details }, () =>
            [
              `selectivity (selection #${id}) on run "${run.name}": ${result.details.length} (neuron, language) pairs with Cohen's h ≥ ${result.options.minEffect} over every other language, FDR ${result.options.fdr} over ${result.tests} tests (no quota)`,
              ...table,
            ].join('\n'),
          );
          return;
        }
        output(o, { selection, method: 'lape', languages: result.languages, neurons: result.neurons, perLayer: result.perLayer, thresholds: result.thresholds, options: result.options }, () =>
          [`LAPE selection #${id} on run "${run.name}": ${result.selected.length} neurons selected (top ${o.topRate * 100}%)`, ...table].join('\n'),
        );
      },
    );
}
