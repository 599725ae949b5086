/**
 * Tokenizer fertility (Rust et al. 2021, "How Good is Your Tokenizer?") and parity (Petrov et al.
 * 2023), side by side for several tokenizers.
 *
 * Fertility as Rust et al. define it (reference: adapter-hub/hgiyt `tokenizer_exploration_utils.py`):
 * subwords per word, with words from one segmentation, punctuation included (their UD treebanks count
 * it as words), and the subwords counted on those same words; a word with no subword is left out of
 * both counts. Words here come from `WordSegmenter` (by default `icuWordAndPunctuationSegmenter`: ICU
 * word breaking through `Intl.Segmenter`, dictionaries for Chinese, Japanese, Thai, Lao, Khmer and
 * Burmese, every non-space segment a word), where Rust et al. use the gold UD segmentation.
 * A word's subwords (`wordTokens`):
 * - 'in-context' (default): the tokens of the text tokenized whole, as the model sees it, that overlap
 *   the word (by the tokenizer's offsets); the numerator counts each token that overlaps a word once,
 *   so tokens of whitespace alone count nowhere;
 * - 'alone' (the reference's procedure): the word tokenized on its own. With byte-level BPE the word
 *   then lacks its leading space, and a SentencePiece tokenizer that prepends ▁ gives every word its
 *   marker (one more token per Chinese or Thai word), so this is not the tokenization the model sees.
 *
 * Per tokenizer and language, over all texts of that language (corpus-level ratios):
 * - fertility = Σ subwords of the words / Σ words (the mean of the per-word token counts);
 * - continuedWordShare = words tokenized into ≥ 2 subwords / words ("proportion of continued words");
 * - both with a 95 % percentile-bootstrap interval over texts (the ratio recomputed on resampled texts);
 * - tokensPerChar = Σ tokens / Σ characters, with tokens those of each text tokenized whole as the model
 *   sees it, characters the text's code points without whitespace;
 * - premium = Σ tokens(lang) / Σ tokens(pivot) of the texts tokenized whole, over the ids present in
 *   both languages (parity, with the pivot English by default); premiumMeanOfRatios = mean over those
 *   ids of the per-text ratio. null when the language shares no id with the pivot (or the pivot texts
 *   have no tokens).
 */
import { UserError } from '../../shared/errors.js';
import { bootstrapInterval, type Interval } from '../../shared/intervals.js';
import { codePointLength, icuWordAndPunctuationSegmenter, type WordSegmenter } from './words.js';

/** Token spans of a text tokenized on its own: [start, end) in code points, one per token (special tokens left out). */
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
  /** Word segmentation; default {@link icuWordAndPunctuationSegmenter}. */
  segmenter?: WordSegmenter;
  /** How a word's subwords are found; default 'in-context' (see the module comment). */
  wordTokens?: WordTokens;
  /** Bootstrap resamples over texts; default 1000. */
  resamples?: number;
  /** Bootstrap seed; default 1. */
  seed?: number;
}

/** Where a word's subwords come from: the whole text's tokens on the word, or the word tokenized alone. */
export type WordTokens = 'in-context' | 'alone';

/** Counts for one text under one tokenizer. */
export interface TextMeasure {
  /** Words that gave at least one token (punctuation included). */
  words: number;
  /** Subwords on those words: tokens of the whole text that overlap a word (in-context), or the words' own tokens (alone). */
  wordTokens: number;
  /** Words tokenized into ≥ 2 subwords. */
  continuedWords: number;
  chars: number;
  /** Tokens of the text tokenized whole. */
  tokens: number;
}

/** One tokenizer's numbers for one language. */
export interface FertilityRow {
  texts: number;
  /** Words (ICU segments, punctuation included) that gave a token. */
  words: number;
  /** Subwords of those words (in context, or each word tokenized on its own: `wordTokens`). */
  wordTokens: number;
  /** Words tokenized into ≥ 2 subwords. */
  continuedWords: number;
  chars: number;
  /** Tokens of the texts tokenized whole. */
  tokens: number;
  /** Fertility (Rust et al. 2021): subwords per word, with its 95 % bootstrap interval over texts. */
  fertility: number | null;
  fertilityInterval: Interval | null;
  /** Proportion of continued words (Rust et al. 2021): words tokenized into ≥ 2 subwords / words, with its interval. */
  continuedWordShare: number | null;
  continuedWordShareInterval: Interval | null;
  /** Tokens of the texts tokenized whole per non-space character. */
  tokensPerChar: number | null;
  /** Tokens for this language / tokens for the pivot on the same parallel texts. */
  premium: number | null;
  premiumMeanOfRatios: number | null;
  /** Texts of this language with a pivot counterpart. */
  pairedTexts: number;
}

export interface FertilityReport {
  pivot: string;
  wordTokens: WordTokens;
  /** How words were found, e.g. "Intl.Segmenter word (ICU 78.2)". */
  segmentation: string;
  /** language → locale the segmenter used for it. */
  locales: Record<string, string>;
  tokenizers: string[];
  /** Languages in first-seen order. */
  languages: string[];
  /** tokenizer → language → statistics. */
  byTokenizer: Record<string, Record<string, FertilityRow>>;
}

/** The words of a text as the fertility counts them (strings, in order). */
export function fertilityWords(text: string, lang: string, segmenter: WordSegmenter = icuWordAndPunctuationSegmenter): string[] {
  const cps = [...text];
  return segmenter.words(text, lang).map((w) => cps.slice(w.start, w.end).join(''));
}

/** Measure one text of language `lang` with one tokenizer (see the module comment for `wordTokens`). */
export function measureText(text: string, lang: string, tokenize: TokenizeText, segmenter: WordSegmenter = icuWordAndPunctuationSegmenter, wordTokens: WordTokens = 'in-context'): TextMeasure {
  const chars = codePointLength(text.replace(/\s/gu, ''));
  const spans = tokenize(text);
  let words = 0;
  let subwords = 0;
  let continued = 0;
  if (wordTokens === 'alone') {
    for (const w of fertilityWords(text, lang, segmenter)) {
      const n = tokenize(w).length;
      if (n === 0) continue;
      words++;
      subwords += n;
      if (n >= 2) continued++;
    }
    return { words, wordTokens: subwords, continuedWords: continued, chars, tokens: spans.length };
  }
  if (wordTokens !== 'in-context') throw new UserError(`wordTokens must be 'in-context' or 'alone', not ${String(wordTokens)}`);
  const segments = segmenter.words(text, lang);
  // Which word each code point belongs to (-1: none), to find the words each token overlaps.
  const wordAt = new Int32Array(codePointLength(text)).fill(-1);
  segments.forEach((w, k) => wordAt.fill(k, w.start, w.end));
  const tokensOnWord = new Uint32Array(segments.length);
  for (const [start, end] of spans) {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end >= start && end <= wordAt.length)) {
      throw new UserError(`tokenizer offset [${start}, ${end}) is outside the text (${wordAt.length} characters)`);
    }
    let last = -1;
    let onWord = false;
    for (let c = start; c < end; c++) {
      const k = wordAt[c]!;
      if (k >= 0 && k !== last) {
        tokensOnWord[k]!++;
        onWord = true;
      }
      last = k;
    }
    if (onWord) subwords++;
  }
  for (const n of tokensOnWord) {
    if (n === 0) continue;
    words++;
    if (n >= 2) continued++;
  }
  return { words, wordTokens: subwords, continuedWords: continued, chars, tokens: spans.length };
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

function sumOf(xs: readonly TextMeasure[], key: keyof TextMeasure): number {
  let s = 0;
  for (const x of xs) s += x[key];
  return s;
}

/** Fertility, split share, tokens per character and premium per language for each tokenizer. */
export function fertility(
  texts: readonly FertilityText[],
  tokenizers: Readonly<Record<string, TokenizeText>>,
  options: FertilityOptions = {},
): FertilityReport {
  const pivot = options.pivot ?? 'eng';
  const segmenter = options.segmenter ?? icuWordAndPunctuationSegmenter;
  const boot = { resamples: options.resamples ?? 1000, seed: options.seed ?? 1, units: 'texts' };
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
  const byTokenizer: Record<string, Record<string, FertilityRow>> = {};
  for (const name of names) {
    const tokenize = tokenizers[name]!;
    const measures = texts.map((t) => measureText(t.text, t.lang, tokenize, segmenter, options.wordTokens ?? 'in-context'));
    const pivotTokens = new Map<string, number>();
    texts.forEach((t, i) => {
      if (t.lang === pivot) pivotTokens.set(t.id, measures[i]!.tokens);
    });
    const perLang: Record<string, FertilityRow> = {};
    for (const lang of languages) {
      let n = 0;
      let words = 0;
      let wordTokens = 0;
      let continued = 0;
      let chars = 0;
      let tokens = 0;
      const own: TextMeasure[] = [];
      let pairedTokens = 0;
      let pairedPivotTokens = 0;
      let ratioSum = 0;
      let ratioCount = 0;
      let paired = 0;
      texts.forEach((t, i) => {
        if (t.lang !== lang) return;
        const m = measures[i]!;
        n++;
        own.push(m);
        words += m.words;
        wordTokens += m.wordTokens;
        continued += m.continuedWords;
        chars += m.chars;
        tokens += m.tokens;
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
        wordTokens,
        continuedWords: continued,
        chars,
        tokens,
        fertility: ratio(wordTokens, words),
        fertilityInterval: words > 0 ? bootstrapInterval(own, (xs) => sumOf(xs, 'wordTokens') / sumOf(xs, 'words'), boot) : null,
        continuedWordShare: ratio(continued, words),
        continuedWordShareInterval: words > 0 ? bootstrapInterval(own, (xs) => sumOf(xs, 'continuedWords') / sumOf(xs, 'words'), boot) : null,
        tokensPerChar: ratio(tokens, chars),
        premium: ratio(pairedTokens, pairedPivotTokens),
        premiumMeanOfRatios: ratioCount ? ratioSum / ratioCount : null,
        pairedTexts: paired,
      };
    }
    byTokenizer[name] = perLang;
  }
  const locales = Object.fromEntries(languages.map((l) => [l, segmenter.locale(l)]));
  return { pivot, wordTokens: options.wordTokens ?? 'in-context', segmentation: segmenter.name, locales, tokenizers: names, languages, byTokenizer };
}
