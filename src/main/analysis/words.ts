/**
 * Word segmentation. `icuWordAndPunctuationSegmenter` (ICU word breaking, punctuation as words) is what
 * fertility counts as words (Rust et al. 2021); the
 * character rule below (`segmentWords`) is what the code-switching analysis uses.
 *
 * Rule (deterministic, independent of ICU dictionaries):
 * - words are separated by Unicode whitespace (`\s` with the `u` flag: the White_Space property);
 * - inside a whitespace-separated chunk, every character of a script written without spaces
 *   (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) is a word by itself: "character = word";
 * - a combining mark (`\p{M}`) stays with the character before it (Thai vowel signs, accents), so a
 *   "character" is a base code point plus its marks;
 * - punctuation and symbols (`\p{P}`, `\p{S}`) stay with the word before them (as "world!" does in
 *   English); at the start of a chunk, or when an opening bracket/quote (`\p{Ps}`, `\p{Pi}`) follows a
 *   no-space-script character, they stay with the word after them ("年「你好」" gives 年 | 「你 | 好」);
 * - any other run (letters of spaced scripts, digits) inside a chunk is one word: "我爱NLP。" gives
 *   我 | 爱 | NLP。, and "2024年" gives 2024 | 年.
 */

const NO_SPACE_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const MARK = /\p{M}/u;
const PUNCT_OR_SYMBOL = /[\p{P}\p{S}]/u;
const OPENING_PUNCT = /[\p{Ps}\p{Pi}]/u;
const WHITESPACE = /\s/u;

/** A word of a text and where it starts (UTF-16 offset into the text, as `String.prototype.slice` uses). */
export interface Word {
  text: string;
  start: number;
}

/** Is this character from a script written without spaces between words? */
export function isNoSpaceScriptChar(ch: string): boolean {
  return NO_SPACE_SCRIPT.test(ch);
}

/** Split `text` into words with their offsets (see the module comment for the rule). */
export function segmentWords(text: string): Word[] {
  const words: Word[] = [];
  let cur = '';
  let curStart = 0;
  /** The current word is a single no-space-script character (plus marks/punctuation). */
  let curIsUnit = false;
  /** The current word holds more than punctuation, symbols and marks. */
  let curHasBase = false;
  const flush = (): void => {
    if (cur !== '') words.push({ text: cur, start: curStart });
    cur = '';
    curIsUnit = false;
    curHasBase = false;
  };
  let offset = 0;
  for (const ch of text) {
    const at = offset;
    offset += ch.length;
    if (WHITESPACE.test(ch)) {
      flush();
      continue;
    }
    if (MARK.test(ch) || PUNCT_OR_SYMBOL.test(ch)) {
      // An opening bracket or quote after a no-space-script character opens the next word.
      if (curIsUnit && OPENING_PUNCT.test(ch)) flush();
      if (cur === '') curStart = at;
      cur += ch;
      continue;
    }
    if (NO_SPACE_SCRIPT.test(ch)) {
      // Leading punctuation ("「你") stays with the character that follows it.
      if (curHasBase) flush();
      if (cur === '') curStart = at;
      cur += ch;
      curIsUnit = true;
      curHasBase = true;
      continue;
    }
    if (curIsUnit) flush();
    if (cur === '') curStart = at;
    cur += ch;
    curHasBase = true;
  }
  flush();
  return words;
}

/** The words of `text` as strings (see {@link segmentWords}). */
export function splitWords(text: string): string[] {
  return segmentWords(text).map((w) => w.text);
}

/** Number of code points in `s` (what "characters" means throughout the analyses). */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** A word as a [start, end) span of code points. */
export interface WordSpan {
  start: number;
  end: number;
}

/** A word segmenter: the words of a text in a given language, and a name saying how it finds them. */
export interface WordSegmenter {
  readonly name: string;
  words(text: string, lang: string): WordSpan[];
  /** The locale used for `lang`. */
  locale(lang: string): string;
}

const icuSegmenters = new Map<string, Intl.Segmenter>();
function icuSegmenterFor(lang: string): Intl.Segmenter {
  let s = icuSegmenters.get(lang);
  if (!s) {
    try {
      s = new Intl.Segmenter(lang, { granularity: 'word' });
    } catch {
      s = new Intl.Segmenter(undefined, { granularity: 'word' }); // not a BCP 47 tag (e.g. a programming language)
    }
    icuSegmenters.set(lang, s);
  }
  return s;
}

/**
 * ICU word breaking (Unicode UAX #29 plus ICU's dictionaries for Chinese, Japanese, Thai, Lao, Khmer
 * and Burmese) through `Intl.Segmenter`; words are its word-like segments (letters, digits, ideographs),
 * not punctuation or spaces. The language code is the locale (ICU maps ISO 639-3 `cmn` to `zh`).
 */
export const icuWordSegmenter: WordSegmenter = icuSegmenter(`Intl.Segmenter word (ICU ${process.versions.icu ?? '?'})`, (seg) => seg.isWordLike === true);

/**
 * ICU word breaking as {@link icuWordSegmenter}, with punctuation and symbols as words too (every
 * segment that is not whitespace): the word units of Rust et al. 2021, whose UD treebanks count
 * punctuation as words.
 */
export const icuWordAndPunctuationSegmenter: WordSegmenter = icuSegmenter(
  `Intl.Segmenter word (ICU ${process.versions.icu ?? '?'}), punctuation as words`,
  (seg) => seg.isWordLike === true || !/^\s*$/u.test(seg.segment),
);

function icuSegmenter(name: string, keep: (seg: Intl.SegmentData) => boolean): WordSegmenter {
  return {
    name,
    locale: (lang) => icuSegmenterFor(lang).resolvedOptions().locale,
    words(text, lang) {
      const out: WordSpan[] = [];
      // Segment indices are UTF-16 offsets: walk the text once to turn them into code point offsets.
      let u16 = 0;
      let cp = 0;
      const toCodePoint = (index: number): number => {
        while (u16 < index) {
          u16 += text.codePointAt(u16)! > 0xffff ? 2 : 1;
          cp++;
        }
        return cp;
      };
      for (const seg of icuSegmenterFor(lang).segment(text)) {
        if (!keep(seg)) continue;
        const start = toCodePoint(seg.index);
        out.push({ start, end: toCodePoint(seg.index + seg.segment.length) });
      }
      return out;
    },
  };
}
