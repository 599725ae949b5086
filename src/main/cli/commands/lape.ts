import { Option, type Command } from 'commander';
import { lape, OPTION_DEFAULTS } from '../../api/index.js';
import { output, parseFloatOption, requireDbPath, type OutputOptions } from '../common.js';

const DEFAULTS = OPTION_DEFAULTS.lape;
/** `name (default)` when it is the default, padded to the help's column. */
const choice = (name: string, isDefault: boolean) => `${name}${isDefault ? ' (default)' : ''}`.padEnd(16);

const METHODS_HELP = `
Methods:
  ${choice('lape', DEFAULTS.method === 'lape')}LAPE (Tang et al. 2024), as its reference code: the lowest-entropy --top-rate share of
                  all neurons, each assigned to every language whose activation probability p is above
                  the --activation-bar-ratio quantile. A fixed quota: it misses language neurons when
                  there are more and admits others when there are fewer.
  ${choice('selectivity', DEFAULTS.method === 'selectivity')}No quota, tested across texts (the unit of inference; tokens of one text are not
                  independent). A neuron belongs to language k when it fires for k's texts more often
                  than for EVERY other language's by more than a large effect, and not by chance:
                  --min-effect h (default ${DEFAULTS.minEffect}): the null is h ≤ this, where h is the text-level
                    Cohen's h (mean over text groups of 2·asin(√rate), difference) over the closest
                    other language. 0.8 is Cohen's (1988) "large" effect; the floor is inside the null,
                    so a selected neuron's effect is shown to exceed it.
                  Test: Welch's one-sided t-test over groups of texts (each language's texts dealt into
                    up to 16 groups by the capture), against every other language, combined as an
                    intersection-union test (Berger 1982: p = the largest).
                  --fdr q (default ${DEFAULTS.fdr}) with --fdr-procedure ${choice('BY', DEFAULTS.fdrProcedure === 'BY').trim()}: Benjamini-Yekutieli
                    (2001) over all neurons × languages, valid under any dependence between the tests
                    (they share texts; neurons correlate both ways); BH (Benjamini-Hochberg 1995) needs
                    positive dependence and is there for comparison.
                  Needs a capture made with per-text counts (this version) and ≥ 2 texts per language.
                  Neither default was tuned on any model.`;

export function registerLape(program: Command): void {
  program
    .command('lape')
    .description('language-specific neurons from a capture (LAPE, Tang et al. 2024, or --method selectivity), stored in the file')
    .requiredOption('--db <file>', 'SQLite file written by capture')
    .option('--run <name>', 'capture run to read', DEFAULTS.run)
    .addOption(new Option('--method <m>', 'selection method (see below)').choices(['lape', 'selectivity']).default(DEFAULTS.method))
    .option('--top-rate <r>', 'lape: share of all neurons to select', parseFloatOption('--top-rate', 0, 1), DEFAULTS.topRate)
    .option('--filter-rate <r>', 'lape: quantile of all p a neuron\'s max p must exceed', parseFloatOption('--filter-rate', 0, 1), DEFAULTS.filterRate)
    .option('--activation-bar-ratio <r>', 'lape: quantile p must exceed to assign a language', parseFloatOption('--activation-bar-ratio', 0, 1), DEFAULTS.activationBarRatio)
    .option('--min-effect <h>', "selectivity: Cohen's h floor over every other language", parseFloatOption('--min-effect', 0, Math.PI), DEFAULTS.minEffect)
    .option('--fdr <q>', 'selectivity: false-discovery rate over all neurons × languages', parseFloatOption('--fdr', 1e-12, 1), DEFAULTS.fdr)
    .addOption(new Option('--fdr-procedure <p>', 'selectivity: BY (any dependence) or BH').choices(['BY', 'BH']).default(DEFAULTS.fdrProcedure))
    .option('--json', 'print JSON')
    .addHelpText('after', METHODS_HELP)
    .action(
      (o: OutputOptions & { db: string; run: string; method: 'lape' | 'selectivity'; topRate: number; filterRate: number; activationBarRatio: number; minEffect: number; fdr: number; fdrProcedure: 'BY' | 'BH' }) => {
        const result = lape({
          store: requireDbPath(o.db),
          run: o.run,
          method: o.method,
          ...(o.method === 'selectivity' ? { minEffect: o.minEffect, fdr: o.fdr, fdrProcedure: o.fdrProcedure } : { topRate: o.topRate, filterRate: o.filterRate, activationBarRatio: o.activationBarRatio }),
        });
        for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
        const { run, resultId: id } = result;
        const selection = { id, run: run.name, runStatus: run.status, partial: run.status !== 'done' };
        const table = [
          `${'lang'.padEnd(6)} ${'total'.padStart(6)}  per layer`,
          ...result.languages.map(
            (l) => `${l.padEnd(6)} ${String(result.neurons[l]!.length).padStart(6)}  ${result.perLayer[l]!.join(' ')}${result.unlearned?.includes(l) ? '   (not learned: meaningless)' : ''}`,
          ),
        ];
        if (result.method === 'selectivity') {
          output(o, { selection, method: result.method, test: result.test, languages: result.languages, neurons: result.neurons, perLayer: result.perLayer, options: result.options, tests: result.tests, units: result.units, details: result.details, unlearned: result.unlearned, learnedCheck: result.learnedCheck }, () =>
            [
              `selectivity (selection #${id}) on run "${run.name}": ${result.details.length} (neuron, language) pairs whose text-level Cohen's h over every other language is shown to exceed ${result.options.minEffect} (Welch over text groups, ${result.options.fdrProcedure} FDR ${result.options.fdr} over ${result.tests} tests; no quota)`,
              `units: ${Object.entries(result.units ?? {}).map(([l, u]) => `${l} ${u.texts} texts in ${u.groups} groups`).join(', ')}`,
              ...table,
            ].join('\n'),
          );
          return;
        }
        output(o, { selection, method: 'lape', languages: result.languages, neurons: result.neurons, perLayer: result.perLayer, thresholds: result.thresholds, options: result.options, unlearned: result.unlearned, learnedCheck: result.learnedCheck }, () =>
          [`LAPE selection #${id} on run "${run.name}": ${result.selected.length} neurons selected (top ${o.topRate * 100}%)`, ...table].join('\n'),
        );
      },
    );
}
