import type { Command } from 'commander';
import { ablationMatrix } from '../../analysis/ablation-matrix.js';
import { meanNllByLanguage, tokenizeCorpus } from '../../capture/corpus-nll.js';
import { describeSelection, lapeSelection, openExistingStore, partialRunWarning } from '../../capture/stored-runs.js';
import { addModelOptions, output, parseFloatOption, parseIntOption, withModel, type ModelOptions, type OutputOptions } from '../common.js';
import { addCorpusOptions, corpusParams, loadCorpus, type CorpusOptions } from '../corpus-options.js';
import { progressBar } from '../progress.js';

export function registerAblate(program: Command): void {
  addCorpusOptions(addModelOptions(program.command('ablate').argument('<dir>', 'model folder').description('zero each language\'s LAPE neurons in turn; mean NLL per evaluated language')))
    .requiredOption('--db <file>', 'SQLite file with a LAPE result (babelscope lape)')
    .option('--selection <id>', 'LAPE selection (result id) whose neurons to zero; default: the latest of --run', parseIntOption('--selection', 1))
    .option('--run <name>', 'capture run whose latest LAPE selection to use (default: capture)')
    .option('--scale <s>', 'multiply the neurons by this instead of 0', parseFloatOption('--scale', 0, 1000), 0)
    .option('--batch <n>', 'texts per forward pass', parseIntOption('--batch', 1, 4096), 8)
    .option('--json', 'print JSON')
    .action(async (dir: string, o: ModelOptions & OutputOptions & CorpusOptions & { db: string; run?: string; selection?: number; scale: number; batch: number }) => {
      const store = openExistingStore(o.db);
      try {
        const selection = lapeSelection(store, o.run, o.selection);
        const { run, result: lapeResult } = selection;
        process.stderr.write(`using ${describeSelection(selection, o.db)}\n`);
        await withModel(dir, o, async (model) => {
          store.assertSameModel(run, model.info);
          const corpus = await tokenizeCorpus(model, await loadCorpus(o.corpus, o, model));
          const bar = progressBar('ablate');
          const langs = lapeResult.languages.filter((l) => (lapeResult.neurons[l]?.length ?? 0) > 0);
          bar.update(0, langs.length + 1);
          const baseline = await meanNllByLanguage(model, corpus, o.batch);
          const ablated: Record<string, Record<string, number>> = {};
          for (const [i, lang] of langs.entries()) {
            bar.update(i + 1, langs.length + 1, lang);
            ablated[lang] = await meanNllByLanguage(model, corpus, o.batch, lapeResult.neurons[lang]!.map(([layer, index]) => ({ layer, index, scale: o.scale })));
          }
          bar.update(langs.length + 1, langs.length + 1);
          bar.stop();
          const m = ablationMatrix({ baseline, ablated });
          const resultId = store.saveResult('ablation', { runId: run.id, params: { ...corpusParams(o), scale: o.scale }, result: m, inputs: { run: run.id, selection: selection.id } });
          const warning = partialRunWarning(run);
          if (warning) process.stderr.write(warning + '\n');
          output(o, { resultId, selection: selection.id, partial: store.findResult(resultId)!.partial, ...m }, () => {
            const w = 8;
            const lines = [`mean NLL with each language's neurons of LAPE selection #${selection.id} ×${o.scale} (rows) evaluated per language (columns); Δ vs baseline`];
            lines.push(''.padEnd(10) + m.evaluated.map((e) => e.padStart(w)).join(''));
            lines.push('baseline'.padEnd(10) + m.baseline.map((v) => (v === null ? '–' : v.toFixed(3)).padStart(w)).join(''));
            m.deactivated.forEach((d, i) => lines.push(`−${d}`.padEnd(10) + m.delta[i]!.map((v) => (v === null ? '–' : (v >= 0 ? '+' : '') + v.toFixed(3)).padStart(w)).join('')));
            lines.push(`diagonal is the largest rise in its column for ${m.columnMaxCount}/${m.diagonalSize} languages, in its row for ${m.rowMaxCount}/${m.diagonalSize}`);
            return lines.join('\n');
          });
        });
      } finally {
        store.close();
      }
    });
}
