/**
 * Tokenizer fertility and the proportion of continued words as Rust et al. 2021 measure them (each
 * word tokenized on its own, punctuation as words; analysis/fertility.ts), and parity (Petrov et al.
 * 2023) of texts tokenized whole, side by side for several tokenizers.
 */
import { withoutUndefined } from '../../shared/without-undefined.js';
import { UserError } from '../../shared/errors.js';
import { fertility as fertilityOf, fertilityWords, type FertilityRow, type TokenizeText, type WordTokens } from '../analysis/fertility.js';
import { resolveTokenizerFiles, textTokenSpans } from '../pipelines/tokenizer-files.js';
import { Tokenizer } from '../model/tokenizer.js';
import { loadCorpus, type CorpusSource } from './corpus.js';
import { OPTION_DEFAULTS } from './defaults.js';

export type { FertilityRow, WordTokens } from '../analysis/fertility.js';

/** Options of `fertility`. */
export interface FertilityOptions {
  /**
   * `tokenizer.json` files or model folders holding one, named by folder (or file name); or
   * `{ name, path }` to name one yourself.
   */
  tokenizers: readonly (string | { name: string; path: string })[];
  corpus: CorpusSource;
  /** The premium is relative to this language's parallel texts; default `eng`. */
  pivot?: string;
  maxTextsPerLang?: number;
  /** A word's subwords: the whole text's tokens on it ('in-context', default) or the word tokenized alone ('alone', Rust et al.'s procedure). */
  wordTokens?: WordTokens;
}

/** Fertility and parity per tokenizer per language. */
export interface FertilityOutput {
  corpus: string;
  pivot: string;
  /** Where a word's subwords come from. */
  wordTokens: WordTokens;
  /** How texts were split into words and tokens. */
  segmentation: { method: string; locales: Record<string, string>; tokens: string };
  languages: string[];
  tokenizers: { name: string; path: string; vocabSize: number }[];
  /** tokenizer name → language → numbers. */
  byTokenizer: Record<string, Record<string, FertilityRow>>;
}

/** Fertility and continued words (Rust et al. 2021), tokens per character and premium vs a pivot language. */
export async function fertility(options: FertilityOptions): Promise<FertilityOutput> {
  const pivot = options.pivot ?? OPTION_DEFAULTS.fertility.pivot;
  const given = options.tokenizers.map((t) => (typeof t === 'string' ? t : t.path));
  const files = resolveTokenizerFiles(given).map((f, i) => {
    const t = options.tokenizers[i]!;
    return typeof t === 'string' ? f : { ...f, name: t.name };
  });
  const dup = files.find((f, i) => files.findIndex((g) => g.name === f.name) !== i);
  if (dup) throw new UserError(`two tokenizers are named "${dup.name}"`, 'Give each { name, path } its own name.');
  const tokenizers = files.map((f) => ({ ...f, tokenizer: Tokenizer.fromFile(f.path) }));
  const corpusName = typeof options.corpus === 'string' ? options.corpus : 'array';
  const texts = await loadCorpus(options.corpus, withoutUndefined({ maxTextsPerLang: options.maxTextsPerLang }));
  if (texts.length === 0) throw new UserError(`no texts in ${corpusName}`);
  const languages = [...new Set(texts.map((t) => t.lang))];
  if (!languages.includes(pivot)) {
    throw new UserError(`pivot language "${pivot}" is not in the corpus`, `Languages of ${corpusName}: ${languages.join(', ')}; choose the pivot among them.`);
  }
  const counters: Record<string, TokenizeText> = {};
  const wordTokens = options.wordTokens ?? OPTION_DEFAULTS.fertility.wordTokens;
  if (wordTokens !== 'in-context' && wordTokens !== 'alone') throw new UserError(`wordTokens must be 'in-context' or 'alone'`);
  // 'alone': every word too, tokenized on its own (the same segmentation as the analysis).
  const units = wordTokens === 'alone' ? [...texts, ...texts.flatMap((t) => fertilityWords(t.text, t.lang).map((w) => ({ text: w })))] : texts;
  for (const t of tokenizers) counters[t.name] = await textTokenSpans(t.tokenizer, units);
  const report = fertilityOf(texts, counters, { pivot, wordTokens });
  return {
    corpus: corpusName,
    pivot: report.pivot,
    wordTokens: report.wordTokens,
    segmentation: {
      method: report.segmentation,
      locales: report.locales,
      tokens:
        wordTokens === 'alone'
          ? "fertility: each word tokenized on its own (Rust et al.'s procedure); tokens per character and premium: each text tokenized whole; no special tokens"
          : 'each text tokenized whole, no special tokens; fertility counts the tokens on each word',
    },
    languages: report.languages,
    tokenizers: tokenizers.map((t) => ({ name: t.name, path: t.path, vocabSize: t.tokenizer.vocabSize() })),
    byTokenizer: report.byTokenizer,
  };
}
