/**
 * One system for language labels: ISO 639-3 (the corpus's codes: eng, rus, cmn, arb, …).
 *
 * A label is mapped by `toIso6393`:
 * - a two-letter ISO 639-1 code → its ISO 639-3 code (tables of the npm `iso-639-3` package, SIL's
 *   registry); when that is a macrolanguage, the individual language in {@link MACROLANGUAGE_CHOICES}
 *   (the one its standard written form and its Wikipedia, on which fastText lid.176 was trained, use);
 * - a three-letter ISO 639-3 code stays itself, except a macrolanguage, which becomes its choice too
 *   (so a corpus labelled `zho` and lid.176's `zh` both read `cmn`);
 * - the few lid.176 labels that are Wikipedia codes rather than ISO codes are mapped by
 *   {@link WIKIPEDIA_CODES} (`als` is Alemannic there, not Tosk Albanian);
 * - anything else (a programming language, a private label) comes back unchanged.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { iso6393To1 } from 'iso-639-3/iso6393-to-1.js';

/** Macrolanguage (ISO 639-3) → the individual language its label stands for here. */
export const MACROLANGUAGE_CHOICES: Readonly<Record<string, string>> = {
  zho: 'cmn', // Chinese → Mandarin (lid.176 has yue and wuu apart)
  ara: 'arb', // Arabic → Standard Arabic (lid.176 has arz apart)
  fas: 'pes', // Persian → Iranian Persian
  msa: 'zsm', // Malay → Standard Malay
  swa: 'swh', // Swahili → Swahili (individual)
  est: 'ekk', // Estonian → Standard Estonian
  lav: 'lvs', // Latvian → Standard Latvian
  uzb: 'uzn', // Uzbek → Northern Uzbek
  nor: 'nob', // Norwegian → Bokmål (lid.176 has nn apart)
  sqi: 'als', // Albanian → Tosk Albanian (standard Albanian)
  aze: 'azj', // Azerbaijani → North Azerbaijani (lid.176 has azb apart)
  mon: 'khk', // Mongolian → Halh Mongolian
  nep: 'npi', // Nepali → Nepali (individual)
  ori: 'ory', // Oriya → Odia
  pus: 'pbu', // Pashto → Northern Pashto
  kur: 'kmr', // Kurdish → Northern Kurdish (lid.176 has ckb apart)
  yid: 'ydd', // Yiddish → Eastern Yiddish
  grn: 'gug', // Guarani → Paraguayan Guarani
  mlg: 'plt', // Malagasy → Plateau Malagasy
  kom: 'kpv', // Komi → Komi-Zyrian
};

/** lid.176 labels that are Wikipedia language codes, not ISO codes. */
export const WIKIPEDIA_CODES: Readonly<Record<string, string>> = {
  als: 'gsw', // Alemannic Wikipedia
  bh: 'bho', // Bihari Wikipedia is written in Bhojpuri
  eml: 'egl', // Emilian-Romagnol (retired code) → Emilian
  sh: 'hbs', // Serbo-Croatian: kept as the macrolanguage (sr, hr, bs are separate labels)
};

const FROM_639_1 = new Map<string, string>(Object.entries(iso6393To1).map(([three, one]) => [one, three]));
let known639_3: ReadonlySet<string> | undefined;

/**
 * Every ISO 639-3 code of the `iso-639-3` package's table, read on first use. Importing that table
 * (a 780 KB module of 7,867 objects) cost every process that imports the API 65 ms at start-up, for the
 * few labels that need it (a three-letter label not in lower case); its codes are its `iso6393: '…'`
 * fields, and a unit test checks this set against the module itself.
 */
export function iso6393Codes(): ReadonlySet<string> {
  if (!known639_3) {
    const source = readFileSync(createRequire(import.meta.url).resolve('iso-639-3/iso6393.js'), 'utf8');
    known639_3 = new Set(Array.from(source.matchAll(/\biso6393: '([a-z]{3})'/g), (m) => m[1]!));
  }
  return known639_3;
}

/** A language label in ISO 639-3, by the rules in this module's header. */
export function toIso6393(label: string): string {
  const code = label.trim();
  const wiki = WIKIPEDIA_CODES[code];
  if (wiki) return wiki;
  const lower = code.toLowerCase();
  if (lower.length === 2) {
    const three = FROM_639_1.get(lower);
    if (three) return MACROLANGUAGE_CHOICES[three] ?? three;
    return code;
  }
  if (lower.length !== 3) return code;
  // A lower-case label is itself whether or not it is a code: the table is read only to lower a code's case.
  if (lower === code || iso6393Codes().has(lower)) return MACROLANGUAGE_CHOICES[lower] ?? lower;
  return code;
}

/** What a report says about its labels. */
export const LANGUAGE_LABEL_SYSTEM = {
  system: 'ISO 639-3',
  macrolanguages: MACROLANGUAGE_CHOICES,
  wikipediaCodes: WIKIPEDIA_CODES,
} as const;
