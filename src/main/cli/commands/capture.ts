import type { Command } from 'commander';
import { capture } from '../../capture/capture.js';
import { openStore } from '../../store/index.js';
import { addModelOptions, output, parseIntOption, withModel, type ModelOptions, type OutputOptions } from '../common.js';
import { addCorpusOptions, loadCorpus, type CorpusOptions } from '../corpus-options.js';
import { progressBar } from '../progress.js';

export function registerCapture(program: Command): void {
  addCorpusOptions(addModelOptions(program.command('capture').argument('<dir>', 'model folder').description('record per-language MLP neuron statistics and pooled residuals into a SQLite file (resumable)')))
    .requiredOption('--db <file>', 'SQLite file to write (created if missing)')
    .option('--run <name>', 'run name in the file; the same name resumes', 'capture')
    .option('--batch <n>', 'texts per forward pass', parseIntOption('--batch', 1, 4096), 8)
    .option('--max-tokens-per-text <n>', 'cut texts longer than this', parseIntOption('--max-tokens-per-text', 2))
    .option('--keep-activations <n>', 'also store raw activations (all tap points) of the first N texts per language', parseIntOption('--keep-activations', 0), 0)
    .option('--json', 'print JSON')
    .action(async (dir: string, o: ModelOptions & OutputOptions & CorpusOptions & { db: string; run: string; batch: number; maxTokensPerText?: number; keepActivations: number }) => {
      await withModel(dir, o, async (model) => {
        const texts = await loadCorpus(o.corpus, o, model);
        const store = openStore(o.db);
        const bar = progressBar('capture');
        try {
          const s = await capture(model, store, texts, {
            runName: o.run,
            corpusSpec: o.corpus,
            batchSize: o.batch,
            keepActivationsPerLang: o.keepActivations,
            ...(o.maxTokensPerText !== undefined ? { maxTokensPerText: o.maxTokensPerText } : {}),
            onProgress: (p) => bar.update(p.done, p.total, `${p.tokens} tokens`),
          });
          bar.stop();
          output(o, s, () =>
            [
              `${s.resumed ? 'resumed' : 'new'} run "${s.runName}" (#${s.runId}) in ${o.db}: ${s.texts} texts, ${s.tokens} tokens${s.skippedAlreadyDone ? `, ${s.skippedAlreadyDone} already done` : ''}`,
              `languages: ${s.languages.join(', ')}`,
              `mean NLL: ${Object.entries(s.meanNll).map(([k, v]) => `${k} ${v.toFixed(3)}`).join('  ')}`,
            ].join('\n'),
          );
        } finally {
          bar.stop();
          store.close();
        }
      });
    });
}
