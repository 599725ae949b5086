import type { Command } from 'commander';
import { capture } from '../../capture/capture.js';
import { openStore } from '../../store/index.js';
import { CancellationError } from '../../../shared/errors.js';
import { addModelOptions, interruptOnSigint, output, parseIntOption, requireDbPath, withModel, type ModelOptions, type OutputOptions } from '../common.js';
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
      requireDbPath(o.db);
      await withModel(dir, o, async (model) => {
        const texts = await loadCorpus(o.corpus, o, model);
        const store = openStore(o.db);
        const bar = progressBar('capture');
        const interrupt = interruptOnSigint(() => {
          bar.stop();
          process.stderr.write('\ninterrupting: saving what is done after the current batch (Ctrl-C again to quit at once; every batch already saved stays)\n');
        });
        try {
          const s = await capture(model, store, texts, {
            signal: interrupt.signal,
            runName: o.run,
            corpusSpec: o.corpus,
            batchSize: o.batch,
            keepActivationsPerLang: o.keepActivations,
            ...(o.maxTokensPerText !== undefined ? { maxTokensPerText: o.maxTokensPerText } : {}),
            onProgress: (p) => bar.update(p.done, p.total, `${p.tokens} tokens`),
          });
          bar.stop();
          if (s.interrupted) {
            throw new CancellationError(
              `capture interrupted: ${s.capturedTexts}/${s.totalTexts} texts saved in run "${s.runName}" of ${o.db} (status interrupted).\n` +
                `Resume with the same command: ${resumeCommand(dir, o)}`,
            );
          }
          output(o, s, () =>
            [
              `${s.resumed ? 'resumed' : 'new'} run "${s.runName}" (#${s.runId}) in ${o.db}: ${s.texts} texts, ${s.tokens} tokens${s.skippedAlreadyDone ? `, ${s.skippedAlreadyDone} already done` : ''}`,
              `languages: ${s.languages.join(', ')}`,
              `mean NLL: ${Object.entries(s.meanNll).map(([k, v]) => `${k} ${v.toFixed(3)}`).join('  ')}`,
            ].join('\n'),
          );
        } finally {
          interrupt.dispose();
          bar.stop();
          store.close();
        }
      });
    });
}

/** The command line that resumes this capture: the same model, corpus, limits, file and run. */
function resumeCommand(dir: string, o: CorpusOptions & ModelOptions & { db: string; run: string; maxTokensPerText?: number }): string {
  const args = ['babelscope', 'capture', dir, '--corpus', o.corpus, '--db', o.db, '--run', o.run];
  if (o.maxTextsPerLang !== undefined) args.push('--max-texts-per-lang', String(o.maxTextsPerLang));
  if (o.maxTokensPerLang !== undefined) args.push('--max-tokens-per-lang', String(o.maxTokensPerLang));
  if (o.maxTokensPerText !== undefined) args.push('--max-tokens-per-text', String(o.maxTokensPerText));
  if (o.arch) args.push('--arch', o.arch);
  for (const t of o.tap ?? []) args.push('--tap', t);
  return args.map(shellQuote).join(' ');
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}
