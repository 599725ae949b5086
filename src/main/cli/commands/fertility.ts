import { Option, type Command } from 'commander';
import { UserError } from '../../../shared/errors.js';
import { fertility, OPTION_DEFAULTS, type FertilityOutput, type FertilityRow } from '../../api/index.js';
import { output, type OutputOptions } from '../common.js';
import { addCorpusOptions, type CorpusOptions } from '../corpus-options.js';
import { withoutUndefined } from '../../../shared/without-undefined.js';

export function registerFertility(program: Command): void {
  addCorpusOptions(
    program
      .command('fertility')
      .argument('<tokenizer...>', 'tokenizer.json files or model folders holding one')
      .description('fertility and proportion of continued words (Rust et al. 2021: each word tokenized alone, punctuation as words), tokens per character and premium vs a pivot language, side by side for several tokenizers (see METRICS.md)'),
  )
    .option('--pivot <lang>', 'language the premium is relative to (parallel texts share ids)', OPTION_DEFAULTS.fertility.pivot)
    .addOption(new Option('--word-tokens <how>', "a word's subwords: the whole text's tokens on the word, or the word tokenized alone (Rust et al.'s procedure)").choices(['in-context', 'alone']).default(OPTION_DEFAULTS.fertility.wordTokens))
    .option('--json', 'print JSON')
    .action(async (args: string[], o: OutputOptions & CorpusOptions & { pivot: string; wordTokens: 'in-context' | 'alone' }) => {
      if (o.maxTokensPerLang !== undefined) throw new UserError('fertility does not take --max-tokens-per-lang', 'Token counts differ between tokenizers: limit the corpus with --max-texts-per-lang.');
      const result = await fertility(withoutUndefined({ tokenizers: args, corpus: o.corpus, pivot: o.pivot, wordTokens: o.wordTokens, maxTextsPerLang: o.maxTextsPerLang }));
      output(o, result, () => renderHuman(result));
    });
}

function renderHuman(r: FertilityOutput): string {
  const names = r.tokenizers.map((t) => t.name);
  const w = Math.max(10, ...names.map((n) => n.length + 2));
  const metrics: [string, (s: FertilityRow) => number | null][] = [
    ['fertility: subwords per word (Rust et al. 2021)', (s) => s.fertility],
    ['proportion of continued words (≥ 2 subwords)', (s) => s.continuedWordShare],
    ['tokens per character', (s) => s.tokensPerChar],
    [`premium: tokens / ${r.pivot} tokens on parallel texts`, (s) => s.premium],
  ];
  const lines = [
    `tokenizers: ${r.tokenizers.map((t) => `${t.name} (${t.vocabSize} tokens)`).join(', ')}`,
    `tokens: ${r.segmentation.tokens}; words: ${r.segmentation.method} (locale ${r.languages.map((l) => `${l}→${r.segmentation.locales[l]}`).join(', ')}); 95 % bootstrap intervals over texts in --json`,
  ];
  for (const [title, get] of metrics) {
    lines.push('', title);
    lines.push('lang'.padEnd(8) + names.map((n) => n.padStart(w)).join(''));
    for (const lang of r.languages) {
      lines.push(lang.padEnd(8) + names.map((n) => {
        const v = get(r.byTokenizer[n]![lang]!);
        return (v === null ? '–' : v.toFixed(3)).padStart(w);
      }).join(''));
    }
  }
  return lines.join('\n');
}
