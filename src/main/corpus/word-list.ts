/**
 * Word lists for the latent-language protocol: a CSV with one column per language (ISO 639-3 header,
 * e.g. `eng,fra,cmn`) and one row per concept. Optional extra columns: `concept` (an id; default the
 * row number) and `<lang>_cloze` (a cloze sentence in that language, the word masked as `___`, ending
 * with `: "<word>"`, as Wendler et al.'s `blank_prompt_translation_masked`). Empty cells mean "no word".
 * RFC 4180 quoting (`"a ""b"" c"`), LF or CRLF line ends, a leading BOM ignored.
 */
import { UserError } from '../../shared/errors.js';
import { parseCsv } from '../../shared/csv.js';

export interface WordList {
  /** Language columns, in file order. */
  languages: string[];
  /** One per concept: its id, the word per language, and cloze sentences per language where given. */
  concepts: { id: string; words: Record<string, string>; cloze: Record<string, string> }[];
}

const LANGUAGE_HEADER = /^[a-z]{3}$/;

/** A word list from CSV text; `source` names it in messages. */
export function parseWordList(text: string, source = 'word list'): WordList {
  const rows = parseCsv(text);
  const header = rows[0]?.map((h) => h.trim());
  if (!header || header.length === 0) throw new UserError(`${source} is empty`, 'give a CSV with a header of ISO 639-3 codes (eng,fra,cmn,…) and one row per concept');
  const languages: string[] = [];
  header.forEach((h) => {
    if (h === 'concept' || h.endsWith('_cloze')) return;
    if (!LANGUAGE_HEADER.test(h)) throw new UserError(`${source}: column "${h}" is not an ISO 639-3 code`, 'name each language column by its three-letter code (eng, fra, cmn, …); extra columns may only be "concept" and "<lang>_cloze"');
    languages.push(h);
  });
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) throw new UserError(`${source}: column "${dup}" appears twice`, 'give each language one column');
  if (languages.length === 0) throw new UserError(`${source} has no language column`, 'name each language column by its three-letter code (eng, fra, cmn, …)');
  const concepts = rows.slice(1).map((r, k) => {
    if (r.length !== header.length) throw new UserError(`${source}, line ${k + 2}: ${r.length} fields, the header has ${header.length}`, 'quote fields that contain commas ("a, b")');
    const words: Record<string, string> = {};
    const cloze: Record<string, string> = {};
    let id = String(k + 1);
    header.forEach((h, j) => {
      const v = r[j]!.trim();
      if (h === 'concept') id = v || id;
      else if (h.endsWith('_cloze')) {
        if (v) cloze[h.slice(0, -'_cloze'.length)] = v;
      } else if (v) words[h] = v;
    });
    return { id, words, cloze };
  });
  return { languages, concepts };
}
