/**
 * Tokenizer fertility and parity (Rust et al. 2021; Petrov et al. 2023), side by side for several
 * tokenizers.
 *
 * Words come from `segmentWords` (words.ts): Unicode whitespace separates words, and in scripts
 * written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) each character counts as
 * a word. Characters are code points of the words (whitespace excluded). The caller tokenizes: a
 * `TokenizeWords` function returns how many tokens each word becomes.
 *
 * Per tokenizer and language, over all texts of that language (corpus-level ratios, not means of
 * per-text ratios):
 * - tokensPerWord = Σ tokens / Σ words (fertility);
 * - splitWordShare = words split into ≥ 2 tokens / words;
 * - tokensPerChar = Σ tokens / Σ characters;
 * - premium = Σ tokens(lang) / Σ tokens(pivot) over the ids present in both languages (parity, with
 *   the pivot English by default); premiumMeanOfRatios = mean over those ids of the per-text ratio.
 *   null when the language shares no id with the pivot (or the pivot texts have no tokens).
 */
import { UserError } from '../../shared/errors.js';
import { codePointLength, splitWords } from './words.js';

/** Token count of each word, in order (`result[i]` tokens for `words[i]`). */
export type TokenizeWords = (words: string[]) => number[];

export interface FertilityText {
  /** Parallel texts share an id across languages. */
  id: string;
  lang: string;
  text: string;
}

export interface FertilityOptions {
  /** Language premiums are relative to; default 'eng'. */
  pivot?: string;
}

/** Counts for one text under one tokenizer. */
export interface TextMeasure {
  words: number;
  chars: number;
  tokens: number;
  /** Words that became ≥ 2 tokens. */
  splitWords: number;
}

export interface FertilityStats {
  texts: number;
  words: number;
  chars: number;
  tokens: number;
  splitWords: number;
  tokensPerWord: number | null;
  splitWordShare: number | null;
  tokensPerChar: number | null;
  premium: number | null;
  premiumMeanOfRatios: number | null;
  /** Texts of this language with a pivot counterpart. */
  pairedTexts: number;
}

export interface FertilityReport {
  pivot: string;
  tokenizers: string[];
  /** Languages in first-seen order. */
  languages: string[];
  /** tokenizer → language → statistics. */
  byTokenizer: Record<string, Record<string, FertilityStats>>;
}

/** Measure one text with one tokenizer. */
export function measureText(text: string, tokenizeWords: TokenizeWords): TextMeasure {
  const words = splitWords(text);
  const counts = words.length ? tokenizeWords(words) : [];
  if (counts.length !== words.length) {
    throw new UserError(`tokenizeWords returned ${counts.length} counts for ${words.length} words`);
  }
  let tokens = 0;
  let split = 0;
  for (const c of counts) {
    if (!(Number.isInteger(c) && c >= 0)) throw new UserError(`tokenizeWords returned an invalid token count: ${c}`);
    tokens += c;
    if (c >= 2) split++;
  }
  let chars = 0;
  for (const w of words) chars += codePointLength(w);
  return { words: words.length, chars, tokens, splitWords: split };
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/** Fertility, split share, tokens per character and premium per language for each tokenizer. */
export function fertility(
  texts: readonly FertilityText[],
  tokenizers: Readonly<Record<string, TokenizeWords>>,
  options: FertilityOptions = {},
): FertilityReport {
  const pivot = options.pivot ?? 'eng';
  const languages: string[] = [];
  const seenKeys = new Set<string>();
  for (const t of texts) {
    if (!languages.includes(t.lang)) languages.push(t.lang);
    const key = `${t.lang}\u0000${t.id}`;
    if (seenKeys.has(key)) throw new UserError(`fertility: text id ${t.id} appears twice for ${t.lang}`);
    seenKeys.add(key);
  }
  const names = Object.keys(tokenizers);
  if (names.length === 0) throw new UserError('fertility needs at least one tokenizer');
  const byTokenizer: Record<string, Record<string, FertilityStats>> = {};
  for (const name of names) {
    const tokenize = tokenizers[name]!;
    const measures = texts.map((t) => measureText(t.text, tokenize));
    const pivotTokens = new Map<string, number>();
    texts.forEach((t, i) => {
      if (t.lang === pivot) pivotTokens.set(t.id, measures[i]!.tokens);
    });
    const perLang: Record<string, FertilityStats> = {};
    for (const lang of languages) {
      let n = 0;
      let words = 0;
      let chars = 0;
      let tokens = 0;
      let split = 0;
      let pairedTokens = 0;
      let pairedPivotTokens = 0;
      let ratioSum = 0;
      let ratioCount = 0;
      let paired = 0;
      texts.forEach((t, i) => {
        if (t.lang !== lang) return;
        const m = measures[i]!;
        n++;
        words += m.words;
        chars += m.chars;
        tokens += m.tokens;
        split += m.splitWords;
        const pt = pivotTokens.get(t.id);
        if (pt !== undefined) {
          paired++;
          pairedTokens += m.tokens;
          pairedPivotTokens += pt;
          if (pt > 0) {
            ratioSum += m.tokens / pt;
            ratioCount++;
          }
        }
      });
      perLang[lang] = {
        texts: n,
        words,
        chars,
        tokens,
        splitWords: split,
        tokensPerWord: ratio(tokens, words),
        splitWordShare: ratio(split, words),
        tokensPerChar: ratio(tokens, chars),
        premium: ratio(pairedTokens, pairedPivotTokens),
        premiumMeanOfRatios: ratioCount ? ratioSum / ratioCount : null,
        pairedTexts: paired,
      };
    }
    byTokenizer[name] = perLang;
  }
  return { pivot, tokenizers: names, languages, byTokenizer };
}
