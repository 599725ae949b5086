#!/usr/bin/env node
/**
 * Writes assets/words/cldr-names.csv: a word list for the latent-language protocol (`latent-language
 * --words`), one column per language of the bundled model (ISO 639-3), one row per concept.
 *
 * Source: CLDR (Unicode Common Locale Data Repository) display names of languages, regions and
 * currencies, read through Node's built-in `Intl.DisplayNames` (ICU's copy of CLDR). Licence: Unicode
 * License v3 (assets/words/LICENSE). Only single-word names are kept (no space or hyphen in any
 * language), so every concept is one word, as in Wendler et al.'s lists; names that CLDR lacks in a
 * locale drop the concept. Re-running with the same Node (same ICU/CLDR) gives the same file.
 *
 * Usage (repository root): node scripts/make_word_list.mjs [out.csv]
 */
import { writeFileSync } from 'node:fs';

const LANGUAGES = { eng: 'en', deu: 'de', fra: 'fr', spa: 'es', tur: 'tr', rus: 'ru', ell: 'el', arb: 'ar', hin: 'hi', kor: 'ko', cmn: 'zh' };
const CONCEPTS = {
  language: ['ar', 'bg', 'cs', 'da', 'de', 'el', 'en', 'es', 'et', 'fa', 'fi', 'fr', 'he', 'hi', 'hu', 'id', 'it', 'ja', 'ko', 'la', 'lt', 'lv', 'nl', 'pl', 'pt', 'ro', 'ru', 'sk', 'sl', 'sr', 'sv', 'sw', 'th', 'tr', 'uk', 'ur', 'vi', 'zh'],
  region: ['AR', 'AT', 'AU', 'BE', 'BR', 'CA', 'CH', 'CL', 'CN', 'CU', 'DE', 'DK', 'EG', 'ES', 'FI', 'FR', 'GB', 'GR', 'HU', 'ID', 'IE', 'IL', 'IN', 'IQ', 'IR', 'IS', 'IT', 'JP', 'KE', 'KR', 'MA', 'MX', 'NG', 'NL', 'NO', 'NP', 'PE', 'PK', 'PL', 'PT', 'RO', 'RU', 'SA', 'SE', 'SY', 'TH', 'TR', 'UA', 'VN'],
  currency: ['CHF', 'CNY', 'EUR', 'GBP', 'INR', 'JPY', 'KRW', 'RUB', 'TRY', 'USD'],
};

const out = process.argv[2] ?? new URL('../assets/words/cldr-names.csv', import.meta.url);
const codes = Object.keys(LANGUAGES);
const quote = (v) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const rows = [['concept', ...codes].join(',')];
let kept = 0;
let skipped = 0;
for (const [type, ids] of Object.entries(CONCEPTS)) {
  const names = Object.fromEntries(codes.map((c) => [c, new Intl.DisplayNames([LANGUAGES[c]], { type, fallback: 'none' })]));
  for (const id of ids) {
    const words = codes.map((c) => names[c].of(id));
    if (words.some((w) => !w || /[\s\-‐]/.test(w))) {
      skipped++;
      continue;
    }
    rows.push([`${type}:${id}`, ...words].map(quote).join(','));
    kept++;
  }
}
writeFileSync(out, rows.join('\n') + '\n');
process.stderr.write(`${kept} concepts written, ${skipped} with a multi-word or missing name left out (ICU ${process.versions.icu}, CLDR ${process.versions.cldr})\n`);
