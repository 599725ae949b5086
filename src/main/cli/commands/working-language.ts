import type { Command } from 'commander';
import { workingLanguageOverCorpus } from '../../capture/working-language-run.js';
import { openExistingStore, requireCaptureRun } from '../../capture/stored-runs.js';
import { addModelOptions, output, parseIntOption, withModel, type ModelOptions, type OutputOptions } from '../common.js';
import { addCorpusOptions, loadCorpus, type CorpusOptions } from '../corpus-options.js';
import { progressBar } from '../progress.js';
import { addTokenLanguageOptions } from '../token-language-options.js';

export const WORKING_LANGUAGE_RESULT = 'working-language';

export function registerWorkingLanguage(program: Command): void {
  addTokenLanguageOptions(addCorpusOptions(addModelOptions(program.command('working-language').argument('<dir>', 'model folder').description('per layer: language shares of logit-lens top-1 tokens and mean probability mass per language'))))
    .option('--batch <n>', 'texts per forward pass', parseIntOption('--batch', 1, 4096), 8)
    .option('--db <file>', 'also store the result with this file\'s capture run (for compare)')
    .option('--run <name>', 'capture run to attach the result to', 'capture')
    .option('--json', 'print JSON')
    .action(async (dir: string, o: ModelOptions & OutputOptions & CorpusOptions & { batch: number; minShare: number; minCount: number; db?: string; run: string }) => {
      await withModel(dir, o, async (model) => {
        const store = o.db ? openExistingStore(o.db) : null;
        try {
          const run = store ? requireCaptureRun(store, o.run) : null;
          if (store && run) store.assertSameModel(run, model.info);
          const texts = await loadCorpus(o.corpus, o, model);
          const bar = progressBar('working-language');
          const { tokens, result } = await workingLanguageOverCorpus(model, texts, { batchSize: o.batch, minShare: o.minShare, minCount: o.minCount, onProgress: (d, t) => bar.update(d, t) });
          bar.stop();
          if (store && run) store.saveResult(run.id, WORKING_LANGUAGE_RESULT, { corpus: o.corpus, minShare: o.minShare, minCount: o.minCount }, result);
          output(o, { tokens_per_label: tokens.tokensPerLabel, ...result }, () => {
            const lines = [`token languages from the corpus: ${Object.entries(tokens.tokensPerLabel).map(([k, v]) => `${k} ${v}`).join(', ')}`];
            lines.push(`share of logit-lens top-1 tokens per layer (all texts):`);
            lines.push('layer'.padEnd(9) + [...Array(result.numLayers).keys()].map((l) => String(l).padStart(6)).join(''));
            for (const label of result.labels) lines.push(label.padEnd(9) + result.overall.top1Share[label]!.map((v) => v.toFixed(2).padStart(6)).join(''));
            for (const [lang, table] of Object.entries(result.byTextLanguage)) {
              lines.push(`texts in ${lang}: top-1 share of ${lang} / eng per layer: ${table.top1Share[lang]!.map((v) => v.toFixed(2)).join(' ')} / ${(table.top1Share['eng'] ?? []).map((v) => v.toFixed(2)).join(' ')}`);
            }
            return lines.join('\n');
          });
        } finally {
          store?.close();
        }
      });
    });
}
