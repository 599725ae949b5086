/** Tokenizer fertility and parity (Rust et al. 2021, Petrov et al. 2023), side by side for several tokenizers. */
import { UserError } from '../../shared/errors.js';
import { fertility as fertilityOf, type FertilityStats, type TokenizeText } from '../analysis/fertility.js';
import { resolveTokenizerFiles, textTokenSpans } from '../capture/tokenizer-files.js';
import { Tokenizer } from '../model/tokenizer.js';
import { loadCorpus, type CorpusSource } from './corpus.js';

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
}

/** One tokenizer's numbers for one language. */
export interface FertilityRow {
  texts: number;
  words: number;
  chars: number;
  tokens: number;
  splitWords: number;
  /** Tokens per word. */
  tokensPerWord: number | null;
  /** Share of words split into ≥ 2 tokens. */
  splitWordShare: number | null;
  tokensPerChar: number | null;
  /** Tokens for this language / tokens for the pivot on the same parallel texts. */
  premium: number | null;
  premiumMeanOfRatios: number | null;
  pairedTexts: number;
}

/** Fertility and parity per tokenizer per language. */
export interface FertilityOutput {
  corpus: string;
  pivot: string;
  /** How texts were split into words and tokens. */
  segmentation: { method: string; locales: Record<string, string>; tokens: string };
  languages: string[];
  tokenizers: { name: string; path: string; vocabSize: number }[];
  /** tokenizer name → language → numbers. */
  byTokenizer: Record<string, Record<string, FertilityRow>>;
}

/** Tokens per word, share of split words, tokens per character and premium vs a pivot language. */
export async function fertility(options: FertilityOptions): Promise<FertilityOutput> {
  const pivot = options.pivot ?? 'eng';
  const given = options.tokenizers.map((t) => (typeof t === 'string' ? t : t.path));
  const files = resolveTokenizerFiles(given).map((f, i) => {
    const t = options.tokenizers[i]!;
    return typeof t === 'string' ? f : { ...f, name: t.name };
  });
  const dup = files.find((f, i) => files.findIndex((g) => g.name === f.name) !== i);
  if (dup) throw new UserError(`two tokenizers are named "${dup.name}"`, 'Give each { name, path } its own name.');
  const tokenizers = files.map((f) => ({ ...f, tokenizer: Tokenizer.fromFile(f.path) }));
  const corpusName = typeof options.corpus === 'string' ? options.corpus : 'array';
  const texts = await loadCorpus(options.corpus, options.maxTextsPerLang !== undefined ? { maxTextsPerLang: options.maxTextsPerLang } : {});
  if (texts.length === 0) throw new UserError(`no texts in ${corpusName}`);
  const languages = [...new Set(texts.map((t) => t.lang))];
  if (!languages.includes(pivot)) {
    throw new UserError(`pivot language "${pivot}" is not in the corpus`, `Languages of ${corpusName}: ${languages.join(', ')}; choose the pivot among them.`);
  }
  const counters: Record<string, TokenizeText> = {};
  for (const t of tokenizers) counters[t.name] = await textTokenSpans(t.tokenizer, texts);
  const report = fertilityOf(texts, counters, { pivot });
  return {
    corpus: corpusName,
    pivot: report.pivot,
    segmentation: { method: report.segmentation, locales: report.locales, tokens: 'each text tokenized whole, without special tokens' },
    languages: report.languages,
    tokenizers: tokenizers.map((t) => ({ name: t.name, path: t.path, vocabSize: t.tokenizer.vocabSize() })),
    byTokenizer: Object.fromEntries(
      Object.entries(report.byTokenizer).map(([name, byLang]) => [name, Object.fromEntries(Object.entries(byLang).map(([lang, s]) => [lang, fertilityRow(s)]))]),
    ),
  };
}

function fertilityRow(s: FertilityStats): FertilityRow {
  return {
    texts: s.texts,
    words: s.words,
    chars: s.chars,
    tokens: s.tokens,
    splitWords: s.splitWords,
    tokensPerWord: s.tokensPerWord,
    splitWordShare: s.splitWordShare,
    tokensPerChar: s.tokensPerChar,
    premium: s.premium,
    premiumMeanOfRatios: s.premiumMeanOfRatios,
    pairedTexts: s.pairedTexts,
  };
}
