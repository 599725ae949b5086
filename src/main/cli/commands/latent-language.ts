import { Option, type Command } from 'commander';
import { bundledWordList, latentLanguage, OPTION_DEFAULTS, type LatentTask } from '../../api/index.js';
import { addModelOptions, output, parseIntOption, showToken, withModel, type ModelOptions, type OutputOptions } from '../common.js';
import { progressBar } from '../progress.js';
import { withoutUndefined } from '../../../shared/without-undefined.js';

const DEFAULTS = OPTION_DEFAULTS.latentLanguage;

export function registerLatentLanguage(program: Command): void {
  addModelOptions(
    program
      .command('latent-language')
      .argument('<dir>', 'model folder')
      .description("Wendler et al. 2024's latent-language protocol: per layer, the logit-lens probability of the target word and of the latent-language word at the end of few-shot prompts, mean and 95 % CI over prompts"),
  )
    .addOption(new Option('--words <file>', 'word list CSV: one column per language (ISO 639-3 header), one row per concept').default(bundledWordList, 'the bundled CLDR names, assets/words/cldr-names.csv'))
    .option('--from <lang>', 'input language of translation prompts (ISO 639-3)')
    .requiredOption('--to <lang>', 'target language (ISO 639-3)')
    .option('--latent <lang>', 'the hypothesised latent language', DEFAULTS.latent)
    .addOption(new Option('--task <task>', 'prompt kind').choices(['translation', 'repetition', 'cloze']).default(DEFAULTS.task))
    .option('--shots <n>', 'examples before the query (default 4; cloze 2, as the paper)', parseIntOption('--shots', 0, 64))
    .option('--seed <n>', 'seed of the shot sampling and the bootstrap', parseIntOption('--seed', 0), DEFAULTS.seed)
    .option('--max-concepts <n>', 'use at most this many concepts of the list', parseIntOption('--max-concepts', 1))
    .option('--batch <n>', 'prompts per forward pass', parseIntOption('--batch', 1, 4096), DEFAULTS.batch)
    .option('--json', 'print JSON (with every prompt, its token sets and per-layer probabilities)')
    .action(async (dir: string, o: ModelOptions & OutputOptions & { words: string; from?: string; to: string; latent: string; task: LatentTask; shots?: number; seed: number; maxConcepts?: number; batch: number }) => {
      await withModel(dir, { ...o, lens: true }, async (model) => {
        const bar = progressBar('latent-language');
        const r = await latentLanguage({
          model,
          words: o.words,
          task: o.task,
          to: o.to,
          latent: o.latent,
          seed: o.seed,
          batch: o.batch,
          ...withoutUndefined({ from: o.from, shots: o.shots, maxConcepts: o.maxConcepts }),
          onProgress: (p) => bar.update(p.done, p.total),
        });
        bar.stop();
        output(o, r, () => {
          const f = (v: number) => v.toFixed(4);
          const lines = [
            `${r.task} ${r.task === 'translation' ? `${r.from} → ${r.to}` : r.to}, latent ${r.latent}: ${r.prompts.length} prompts (${r.shots} shots, seed ${r.seed}), ${r.dropped.length} concepts dropped`,
            `first prompt (${r.prompts[0]!.concept}):`,
            ...r.prompts[0]!.prompt.split('\n').map((l) => `  ${l}`),
            `  ${r.to} set: ${r.prompts[0]!.targetTokens.map((t) => showToken(t.token)).join(' ')}   ${r.latent} set: ${r.prompts[0]!.latentTokens.map((t) => showToken(t.token)).join(' ')}`,
            'layer   p(' + r.to + ') [95% CI]'.padEnd(24) + 'p(' + r.latent + ') [95% CI]'.padEnd(26) + 'entropy (bits)',
          ];
          for (let l = 0; l < r.numLayers; l++) {
            const t = r.summary.target;
            const a = r.summary.latent;
            lines.push(
              String(l).padEnd(8) +
                `${f(t.mean[l]!)} [${f(t.interval[l]!.low)}, ${f(t.interval[l]!.high)}]`.padEnd(30) +
                `${f(a.mean[l]!)} [${f(a.interval[l]!.low)}, ${f(a.interval[l]!.high)}]`.padEnd(30) +
                r.summary.entropy.mean[l]!.toFixed(2),
            );
          }
          lines.push('layer l = the residual after block l (0-based); intervals: percentile bootstrap over prompts; --json keeps every prompt');
          return lines.join('\n');
        });
      });
    });
}
