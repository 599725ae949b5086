/**
 * Unicode script of a piece of text, as *evidence* for a natural language (never as proof: ARCHITECTURE.md,
 * "Nothing may assume scripts alone tell languages apart").
 *
 * Each code point is classified by its Unicode `Script` property (regex `\p{Script=…}`, i.e. the ranges
 * of the Unicode Character Database shipped with Node's ICU), not by hand-written ranges, so new
 * Unicode versions come for free. Code points whose script is Common or Inherited (spaces, digits,
 * punctuation, symbols, combining marks) carry no script evidence.
 */

/** Scripts we name. `Common`: no script evidence at all; `Other`: a script not listed here. */
export type Script =
  | 'Latin'
  | 'Cyrillic'
  | 'Greek'
  | 'Armenian'
  | 'Georgian'
  | 'Hebrew'
  | 'Arabic'
  | 'Devanagari'
  | 'Bengali'
  | 'Gurmukhi'
  | 'Gujarati'
  | 'Tamil'
  | 'Telugu'
  | 'Kannada'
  | 'Malayalam'
  | 'Sinhala'
  | 'Thai'
  | 'Lao'
  | 'Khmer'
  | 'Myanmar'
  | 'Tibetan'
  | 'Ethiopic'
  | 'Hangul'
  | 'Hiragana'
  | 'Katakana'
  | 'Han'
  | 'Common'
  | 'Other';

const NAMED_SCRIPTS: readonly Exclude<Script, 'Common' | 'Other'>[] = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Armenian',
  'Georgian',
  'Hebrew',
  'Arabic',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Khmer',
  'Myanmar',
  'Tibetan',
  'Ethiopic',
  'Hangul',
  'Hiragana',
  'Katakana',
  'Han',
];

const SCRIPT_TESTS: readonly [Script, RegExp][] = NAMED_SCRIPTS.map((s) => [s, new RegExp(`^\\p{Script=${s}}$`, 'u')]);
const NO_SCRIPT = /^[\p{Script=Common}\p{Script=Inherited}]$/u;
const cache = new Map<number, Script>();

/** The script of one code point (`Common` for Common/Inherited ones, `Other` for unlisted scripts). */
export function scriptOfCodePoint(codePoint: number): Script {
  const hit = cache.get(codePoint);
  if (hit !== undefined) return hit;
  const ch = String.fromCodePoint(codePoint);
  let script: Script = 'Other';
  if (NO_SCRIPT.test(ch)) script = 'Common';
  else {
    for (const [name, re] of SCRIPT_TESTS) {
      if (re.test(ch)) {
        script = name;
        break;
      }
    }
  }
  cache.set(codePoint, script);
  return script;
}

/** How many code points of each script `text` holds (Common ones are left out). */
export function scriptCounts(text: string): Partial<Record<Script, number>> {
  const counts: Partial<Record<Script, number>> = {};
  for (const ch of text) {
    const s = scriptOfCodePoint(ch.codePointAt(0)!);
    if (s === 'Common') continue;
    counts[s] = (counts[s] ?? 0) + 1;
  }
  return counts;
}

/**
 * The dominant script of `text`: the script with the most code points, ties going to the script seen
 * first; `Common` when the text has no code point with script evidence (digits, punctuation, spaces).
 * Japanese mixes Han, Hiragana and Katakana: use {@link scriptCounts} when the mix matters.
 */
export function scriptOf(text: string): Script {
  let best: Script = 'Common';
  let bestCount = 0;
  const counts = new Map<Script, number>();
  for (const ch of text) {
    const s = scriptOfCodePoint(ch.codePointAt(0)!);
    if (s === 'Common') continue;
    const c = (counts.get(s) ?? 0) + 1;
    counts.set(s, c);
    if (c > bestCount) {
      best = s;
      bestCount = c;
    }
  }
  return best;
}

/**
 * Scripts each natural language of the project is written in (ISO 639-3 codes, as in the corpus).
 * Japanese lists Han and both kana; Korean only Hangul (Hanja are rare in modern text).
 * Programming languages have no entry: script says nothing about them.
 */
export const DEFAULT_LANGUAGE_SCRIPTS: Readonly<Record<string, readonly Script[]>> = {
  eng: ['Latin'],
  deu: ['Latin'],
  fra: ['Latin'],
  spa: ['Latin'],
  tur: ['Latin'],
  ita: ['Latin'],
  por: ['Latin'],
  nld: ['Latin'],
  pol: ['Latin'],
  vie: ['Latin'],
  ind: ['Latin'],
  rus: ['Cyrillic'],
  ukr: ['Cyrillic'],
  ell: ['Greek'],
  heb: ['Hebrew'],
  arb: ['Arabic'],
  hin: ['Devanagari'],
  tha: ['Thai'],
  kor: ['Hangul'],
  cmn: ['Han'],
  jpn: ['Han', 'Hiragana', 'Katakana'],
};

/** Languages among `languages` written in `script`, by the `languageScripts` table. */
export function languagesWithScript(
  script: Script,
  languages: readonly string[],
  languageScripts: Readonly<Record<string, readonly Script[]>> = DEFAULT_LANGUAGE_SCRIPTS,
): string[] {
  return languages.filter((l) => languageScripts[l]?.includes(script) ?? false);
}

/**
 * Scripts of which at least one must appear for a language to be considered: Japanese is written with
 * kana beside Han, so Han-only text is not taken for Japanese.
 */
export const DEFAULT_REQUIRED_SCRIPTS: Readonly<Record<string, readonly Script[]>> = {
  jpn: ['Hiragana', 'Katakana'],
};
