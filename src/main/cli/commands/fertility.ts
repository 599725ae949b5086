import type { Command } from 'commander';
import { UserError } from '../../../shared/errors.js';
import { fertility, type FertilityReport, type FertilityStats, type TokenizeText } from '../../analysis/fertility.js';
import { resolveTokenizerFiles, textTokenSpans } from '../../capture/tokenizer-files.js';
import { Tokenizer } from '../../model/tokenizer.js';
import { output, type OutputOptions } from '../common.js';
import { addCorpusOptions, loadCorpus, type CorpusOptions } from '../corpus-options.js';

export function registerFertility(program: Command): void {
  addCorpusOptions(
    program
      .command('fertility')
      .argument('<tokenizer...>', 'tokenizer.json files or model folders holding one')
      .description('tokens per word, share of split words, tokens per character and premium vs a pivot language, side by side for several tokenizers'),
  )
    .option('--pivot <lang>', 'language the premium is relative to (parallel texts share ids)', 'eng')
    .option('--json', 'print JSON')
    .action(async (args: string[], o: OutputOptions & CorpusOptions & { pivot: string }) => {
      if (o.maxTokensPerLang !== undefined) throw new UserError('fertility does not take --max-tokens-per-lang', 'Token counts differ between tokenizers: limit the corpus with --max-texts-per-lang.');
      const files = resolveTokenizerFiles(args);
      const tokenizers = files.map((f) => ({ ...f, tokenizer: Tokenizer.fromFile(f.path) }));
      const texts = await loadCorpus(o.corpus, o);
      if (texts.length === 0) throw new UserError(`no texts in ${o.corpus}`);
      const languages = [...new Set(texts.map((t) => t.lang))];
      if (!languages.includes(o.pivot)) {
        throw new UserError(`pivot language "${o.pivot}" is not in the corpus`, `Languages of ${o.corpus}: ${languages.join(', ')} (pass --pivot LANG).`);
      }
      const counters: Record<string, TokenizeText> = {};
      for (const t of tokenizers) counters[t.name] = await textTokenSpans(t.tokenizer, texts);
      const report = fertility(texts, counters, { pivot: o.pivot });
      const result = {
        corpus: o.corpus,
        pivot: report.pivot,
        segmentation: { method: report.segmentation, locales: report.locales, tokens: 'each text tokenized whole, without special tokens' },
        languages: report.languages,
        tokenizers: files.map((f) => ({ name: f.name, path: f.path, vocab_size: tokenizers.find((t) => t.name === f.name)!.tokenizer.vocabSize() })),
        by_tokenizer: Object.fromEntries(
          Object.entries(report.byTokenizer).map(([name, byLang]) => [name, Object.fromEntries(Object.entries(byLang).map(([lang, s]) => [lang, statsJson(s)]))]),
        ),
      };
      output(o, result, () => renderHuman(report, result.tokenizers));
    });
}

function statsJson(s: FertilityStats) {
  return {
    texts: s.texts,
    words: s.words,
    chars: s.chars,
    tokens: s.tokens,
    split_words: s.splitWords,
    tokens_per_word: s.tokensPerWord,
    split_word_share: s.splitWordShare,
    tokens_per_char: s.tokensPerChar,
    premium: s.premium,
    premium_mean_of_ratios: s.premiumMeanOfRatios,
    paired_texts: s.pairedTexts,
  };
}

function renderHuman(r: FertilityReport, tokenizers: { name: string; vocab_size: number }[]): string {
  const w = Math.max(10, ...r.tokenizers.map((n) => n.length + 2));
  const metrics: [string, (s: FertilityStats) => number | null][] = [
    ['tokens per word', (s) => s.tokensPerWord],
    ['share of words split into ≥ 2 tokens', (s) => s.splitWordShare],
    ['tokens per character', (s) => s.tokensPerChar],
    [`premium: tokens / ${r.pivot} tokens on parallel texts`, (s) => s.premium],
  ];
  const lines = [
    `tokenizers: ${tokenizers.map((t) => `${t.name} (${t.vocab_size} tokens)`).join(', ')}`,
    `tokens: each text tokenized whole; words: ${r.segmentation}, word-like segments (locale ${r.languages.map((l) => `${l}→${r.locales[l]}`).join(', ')})`,
  ];
  for (const [title, get] of metrics) {
    lines.push('', title);
    lines.push('lang'.padEnd(8) + r.tokenizers.map((n) => n.padStart(w)).join(''));
    for (const lang of r.languages) {
      lines.push(lang.padEnd(8) + r.tokenizers.map((n) => {
        const v = get(r.byTokenizer[n]![lang]!);
        return (v === null ? '–' : v.toFixed(3)).padStart(w);
      }).join(''));
    }
  }
  return lines.join('\n');
}
