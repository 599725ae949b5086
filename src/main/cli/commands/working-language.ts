import type { Command } from 'commander';
import { OPTION_DEFAULTS, openStore, workingLanguage } from '../../api/index.js';
import { addModelOptions, output, parseIntOption, requireDbPath, withModel, type ModelOptions, type OutputOptions } from '../common.js';
import { addCorpusOptions, type CorpusOptions, corpusParams } from '../corpus-options.js';
import { progressBar } from '../progress.js';
import { addTokenLanguageOptions } from '../token-language-options.js';

const DEFAULTS = OPTION_DEFAULTS.workingLanguage;

export function registerWorkingLanguage(program: Command): void {
  addTokenLanguageOptions(addCorpusOptions(addModelOptions(program.command('working-language').argument('<dir>', 'model folder').description('per layer: language shares of logit-lens top-1 tokens and mean probability mass per language, with 95 % CIs over texts and a size-matched chance level (Babelscope\'s corpus measure; Wendler et al.\'s protocol is latent-language)'))))
    .option('--batch <n>', 'texts per forward pass', parseIntOption('--batch', 1, 4096), DEFAULTS.batch)
    .option('--db <file>', 'also store the result with this file\'s capture run (for compare)')
    .option('--run <name>', 'capture run to attach the result to', DEFAULTS.run)
    .option('--chance-draws <n>', 'random token sets per language for the size-matched chance level (0: none)', parseIntOption('--chance-draws', 0, 1000), DEFAULTS.chanceDraws)
    .option('--resamples <n>', 'bootstrap resamples over texts for the 95 % intervals (0: none)', parseIntOption('--resamples', 0, 100000), DEFAULTS.resamples)
    .option('--seed <n>', 'seed of the random sets and the bootstrap', parseIntOption('--seed', 0), DEFAULTS.seed)
    .option('--json', 'print JSON')
    .action(async (dir: string, o: ModelOptions & OutputOptions & CorpusOptions & { batch: number; minShare: number; minCount: number; db?: string; run: string; chanceDraws: number; resamples: number; seed: number }) => {
      // A mistyped --db fails now, not after the model has loaded (minutes for a large one); the API's error says why.
      if (o.db !== undefined) openStore(requireDbPath(o.db), { readonly: true }).close();
      await withModel(dir, { ...o, lens: true }, async (model) => {
        const bar = progressBar('working-language');
        const value = await workingLanguage({
          model,
          ...corpusParams(o),
          batch: o.batch,
          minShare: o.minShare,
          minCount: o.minCount,
          chanceDraws: o.chanceDraws,
          resamples: o.resamples,
          seed: o.seed,
          ...(o.db !== undefined ? { store: o.db, run: o.run } : {}),
          onProgress: (p) => bar.update(p.done, p.total),
        });
        bar.stop();
        output(o, value, () => {
          const lines = [`token languages from the corpus: ${Object.entries(value.tokensPerLabel).map(([k, v]) => `${k} ${v}`).join(', ')}`];
          lines.push(`share of logit-lens top-1 tokens per layer (all texts):`);
          lines.push('layer'.padEnd(9) + [...Array(value.numLayers).keys()].map((l) => String(l).padStart(6)).join(''));
          for (const label of value.labels) lines.push(label.padEnd(9) + value.overall.top1Share[label]!.map((v) => v.toFixed(2).padStart(6)).join(''));
          const chance = value.overall.chanceMass;
          if (chance) {
            lines.push(`mean probability mass per layer (all texts) [95% CI over texts]; chance = mean mass of random token sets of the same size [2.5–97.5% over ${Object.values(chance)[0]?.draws ?? 0} draws]:`);
            for (const label of value.labels) {
              const iv = value.overall.meanMassInterval?.[label];
              const c = chance[label]!;
              lines.push(
                `${label.padEnd(9)}${c.setSize} tokens: ` +
                  value.overall.meanMass[label]!.map((v, l) => `${v.toFixed(3)}${iv ? ` [${iv[l]!.low.toFixed(3)}, ${iv[l]!.high.toFixed(3)}]` : ''} (chance ${c.mean[l]!.toFixed(3)} [${c.low[l]!.toFixed(3)}, ${c.high[l]!.toFixed(3)}])`).join('  '),
              );
            }
          }
          for (const [lang, table] of Object.entries(value.byTextLanguage)) {
            lines.push(`texts in ${lang}: top-1 share of ${lang} / eng per layer: ${table.top1Share[lang]!.map((v) => v.toFixed(2)).join(' ')} / ${(table.top1Share['eng'] ?? []).map((v) => v.toFixed(2)).join(' ')}`);
          }
          return lines.join('\n');
        });
      });
    });
}
