/**
 * Tokenizer fertility and parity (Rust et al. 2021; Petrov et al. 2023), side by side for several
 * tokenizers.
 *
 * Tokens are those of each text tokenized whole (no special tokens), as the model sees it: tokenizing
 * word by word would count a SentencePiece space marker per word, and in scripts written without
 * spaces one per character. Words come from a real word segmenter (`WordSegmenter`; by default
 * `icuWordSegmenter`, ICU word breaking through `Intl.Segmenter`, with dictionaries for Chinese,
 * Japanese, Thai, Lao, Khmer and Burmese): its word-like segments, punctuation and spaces left out.
 * Characters are the text's code points, whitespace excluded. A word is split when ≥ 2 of the text's
 * tokens overlap it (by the tokenizer's offsets).
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
import { codePointLength, icuWordSegmenter, type WordSegmenter } from './words.js';

/** Token spans of a whole text: [start, end) in code points, one per token (special tokens left out). */
export type TokenizeText = (text: string) => readonly (readonly [number, number])[];

export interface FertilityText {
  /** Parallel texts share an id across languages. */
  id: string;
  lang: string;
  text: string;
}

export interface FertilityOptions {
  /** Language premiums are relative to; default 'eng'. */
  pivot?: string;
  /** Word segmentation; default {@link icuWordSegmenter}. */
  segmenter?: WordSegmenter;
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
  /** How words were found, e.g. "Intl.Segmenter word (ICU 78.2)". */
  segmentation: string;
  /** language → locale the segmenter used for it. */
  locales: Record<string, string>;
  tokenizers: string[];
  /** Languages in first-seen order. */
  languages: string[];
  /** tokenizer → language → statistics. */
  byTokenizer: Record<string, Record<string, FertilityStats>>;
}

/** Measure one text of language `lang` with one tokenizer. */
export function measureText(text: string, lang: string, tokenize: TokenizeText, segmenter: WordSegmenter = icuWordSegmenter): TextMeasure {
  const words = segmenter.words(text, lang);
  const chars = codePointLength(text.replace(/\s/gu, ''));
  const tokens = tokenize(text);
  // Which word each code point belongs to (-1: none), to find the words each token overlaps.
  const wordAt = new Int32Array(codePointLength(text)).fill(-1);
  words.forEach((w, k) => wordAt.fill(k, w.start, w.end));
  const tokensOnWord = new Uint32Array(words.length);
  for (const [start, end] of tokens) {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end >= start && end <= wordAt.length)) {
      throw new UserError(`tokenizer offset [${start}, ${end}) is outside the text (${wordAt.length} characters)`);
    }
    let last = -1;
    for (let c = start; c < end; c++) {
      const k = wordAt[c]!;
      if (k >= 0 && k !== last) tokensOnWord[k]!++;
      last = k;
    }
  }
  let split = 0;
  for (const n of tokensOnWord) if (n >= 2) split++;
  return { words: words.length, chars, tokens: tokens.length, splitWords: split };
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/** Fertility, split share, tokens per character and premium per language for each tokenizer. */
export function fertility(
  texts: readonly FertilityText[],
  tokenizers: Readonly<Record<string, TokenizeText>>,
  options: FertilityOptions = {},
): FertilityReport {
  const pivot = options.pivot ?? 'eng';
  const segmenter = options.segmenter ?? icuWordSegmenter;
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
    const measures = texts.map((t) => measureText(t.text, t.lang, tokenize, segmenter));
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
  const locales = Object.fromEntries(languages.map((l) => [l, segmenter.locale(l)]));
  return { pivot, segmentation: segmenter.name, locales, tokenizers: names, languages, byTokenizer };
}
