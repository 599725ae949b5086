import type { Command } from 'commander';
import { ablate, describeLapeSelection, OPTION_DEFAULTS } from '../../api/index.js';
import { addModelOptions, output, parseFloatOption, parseIntOption, requireDbPath, withModel, type ModelOptions, type OutputOptions } from '../common.js';
import { addCorpusOptions, type CorpusOptions, corpusParams } from '../corpus-options.js';
import { progressBar } from '../progress.js';
import { withoutUndefined } from '../../../shared/without-undefined.js';

const DEFAULTS = OPTION_DEFAULTS.ablate;

export function registerAblate(program: Command): void {
  addCorpusOptions(addModelOptions(program.command('ablate').argument('<dir>', 'model folder').description('zero each language\'s LAPE neurons in turn; mean NLL per evaluated language')))
    .requiredOption('--db <file>', 'SQLite file with a LAPE result (babelscope lape)')
    .option('--selection <id>', 'LAPE selection (result id) whose neurons to zero; default: the latest of --run', parseIntOption('--selection', 1))
    .option('--run <name>', `capture run whose latest LAPE selection to use (default: ${DEFAULTS.run})`)
    .option('--scale <s>', 'multiply the neurons by this instead of 0', parseFloatOption('--scale', 0, 1000), DEFAULTS.scale)
    .option('--random-sets <n>', 'chance level: per language, scale this many random neuron sets with as many neurons per layer as its own; their 2.5–97.5 % spread is the band each diagonal entry is tested against (0: none)', parseIntOption('--random-sets', 0, 1000), DEFAULTS.randomSets)
    .option('--seed <n>', 'seed of the random neuron sets', parseIntOption('--seed', 0), DEFAULTS.seed)
    .option('--batch <n>', 'texts per forward pass', parseIntOption('--batch', 1, 4096), DEFAULTS.batch)
    .option('--json', 'print JSON')
    .action(async (dir: string, o: ModelOptions & OutputOptions & CorpusOptions & { db: string; run?: string; selection?: number; scale: number; batch: number; randomSets: number; seed: number }) => {
      // Resolved before the model loads: the user sees which selection (or what is missing) at once.
      const chosen = describeLapeSelection({ store: requireDbPath(o.db), ...withoutUndefined({ run: o.run, selection: o.selection }) });
      process.stderr.write(`using ${chosen.description}\n`);
      await withModel(dir, o, async (model) => {
        const bar = progressBar('ablate');
        const out = await ablate({
          model,
          store: o.db,
          ...corpusParams(o),
          selection: chosen.resultId,
          scale: o.scale,
          batch: o.batch,
          randomSets: o.randomSets,
          seed: o.seed,
          onProgress: (p) => bar.update(p.done, p.total, p.detail),
        });
        bar.stop();
        const { resultId, selection: used, partial, ...m } = out;
        for (const w of chosen.warnings) process.stderr.write(`warning: ${w}\n`);
          output(o, { resultId, selection: used, partial, ...m }, () => {
            const w = 8;
            const lines = [`mean NLL with each language's neurons of LAPE selection #${used} ×${o.scale} (rows) evaluated per language (columns); Δ vs baseline`];
            lines.push(''.padEnd(10) + m.evaluated.map((e) => e.padStart(w)).join(''));
            lines.push('baseline'.padEnd(10) + m.baseline.map((v) => (v === null ? '–' : v.toFixed(3)).padStart(w)).join(''));
            const cell = (v: number | null) => (v === null ? '–' : (v >= 0 ? '+' : '') + v.toFixed(3)).padStart(w);
            m.deactivated.forEach((d, i) => lines.push(`−${d}`.padEnd(10) + m.delta[i]!.map(cell).join('')));
            if (m.randomDelta) {
              // The chance level of each diagonal entry: a random set as large (per layer) as that language's, on that language.
              lines.push('random'.padEnd(10) + m.evaluated.map((e) => cell(m.diagonal[e]?.randomDelta ?? null)).join('') + `   (same-size random neuron sets, mean of ${m.randomDraws})`);
            }
            if (m.randomBand) {
              const banded = Object.entries(m.diagonal).filter(([, d]) => d.randomBand && d.delta !== null);
              const where = (d: (typeof banded)[number][1]) => (d.delta! > d.randomBand!.high ? 'above' : d.delta! < d.randomBand!.low ? 'below' : 'within');
              lines.push(
                `diagonal above the 2.5–97.5 % band of its ${m.randomDraws} random draws for ${m.aboveRandomCount}/${banded.length} languages: ` +
                  banded.map(([l, d]) => `${l} ${where(d)} (${d.randomBand!.low.toFixed(3)}…${d.randomBand!.high.toFixed(3)})`).join(', '),
              );
            }
            const ci = Object.entries(m.diagonal).flatMap(([l, d]) => (d.deltaInterval ? [`${l} [${d.deltaInterval.low.toFixed(3)}, ${d.deltaInterval.high.toFixed(3)}]`] : []));
            if (ci.length) lines.push(`95 % bootstrap interval of each diagonal Δ over its texts: ${ci.join('; ')}`);
            lines.push(`diagonal is strictly the largest rise in its column for ${m.columnMaxCount}/${m.diagonalSize} languages, in its row for ${m.rowMaxCount}/${m.diagonalSize}`);
            const margins = Object.entries(m.diagonal).map(([l, d]) => `${l} ${cell(d.columnMargin).trim()}/${cell(d.rowMargin).trim()}${d.excessOverRandom === null ? '' : `, ${cell(d.excessOverRandom).trim()} over random`}`);
            lines.push(`margin of the diagonal over the column/row runner-up: ${margins.join('; ')}`);
            return lines.join('\n');
        });
      });
    });
}
