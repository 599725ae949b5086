/**
 * Code-switching and language confusion in generated text.
 *
 * Metrics of the Language Confusion Benchmark (LCB, Marchisio et al. 2024, reference
 * `compute_metrics.py`), per expected language:
 * - the response is normalised as LCB does (ASCII punctuation removed, "—" → space, "،" and "#"
 *   removed; LCB's cut at "\nQ:" is left to the caller), split into lines on "\n";
 * - lines with fewer than `minLineWords` (5) words are skipped; a response with no line left is
 *   skipped (it counts in no denominator);
 * - line language: script first (a line whose dominant script is written by exactly one candidate
 *   language gets it, prob = share of its letters in that language's scripts), otherwise the language
 *   identifier's top label; a label with prob ≤ `lineThreshold` (0.3) is `unknown`. A language with
 *   `requiredScripts` is a candidate only where one of them appears: Han-only text is not Japanese
 *   unless kana are present (in the line, for a line or one of its words);
 * - LPR = 1 − (responses with a line not in the expected language) / max(1, non-skipped responses);
 * - WPR, only for expected languages not written in Latin script (LCB: ar, hi, ja, ko, ru, zh; here:
 *   every language whose script table lacks Latin): among non-skipped responses without line errors,
 *   1 − (responses with a foreign word) / max(1, that count). A foreign word (in a non-skipped line) is
 *   written in a script outside the expected language's scripts and — in place of LCB's English word
 *   list — is all lower-case with ≥ `minForeignWordLength` (4) letters when its script has case
 *   (acronyms and names are not confusion); with `foreignWords` it must also be in that list (LCB);
 * - LCPR = harmonic mean of LPR and WPR (= LPR where WPR is not defined). Over all languages, LPR and
 *   WPR are means of the per-language values (as LCB averages), LCPR their harmonic mean.
 * Words for these splits follow `segmentWords` (characters in Han/Kana/Thai, where LCB uses jieba and
 * MeCab).
 *
 * Word languages (for code-switching), over every word of the response: a word without letters is
 * language-independent (`univ`); otherwise its script's candidate languages decide: one → it (`by:
 * 'script'`); several → (with `wordLevel: 'model'`, word-level identification: the identifier's best
 * candidate for the word alone, `by: 'model'`) the line's language if a candidate (`by: 'line'`), else
 * the expected language if a candidate, else the identifier's best candidate, else `und`.
 * So with the default `'inherit'`, Latin words inside a French line count as French: code-switching
 * between languages of the same script is seen at line level only (LCB: word level "is inaccurate for
 * Latin-script languages").
 *
 * Per response: the languages switched to (of words, and of non-skipped lines, other than the expected
 * one; `unknown` lines do not count), a code-switch flag (one of them is a determined language: words
 * of a foreign script whose language stays `und`, such as acronyms, alone do not make a switch), the Code-Mixing Index (Das & Gambäck
 * 2014) CMI = 100 × (1 − max_lang_words / (n − u)), with n words, u language-independent ones
 * (`univ`), 0 when n = u; switch points (indices of words whose language differs from the previous
 * word with a language); and the first off-target word (index and UTF-16 offset in the response, to
 * find the token where the model switched): the first word whose *own* evidence (its script, or
 * word-level identification) puts it outside the expected language (`basis: 'word'`); when no word
 * has such evidence but a line is in another language, the first word of that line (`basis: 'line'`).
 *
 * Every label is ISO 639-3 (`toIso6393`: expected languages and identifier labels alike, with the
 * macrolanguage choices of language-codes.ts).
 */
import { UserError } from '../../shared/errors.js';
import type { LanguageIdentifier } from './language-id.js';
import { toIso6393 } from './language-codes.js';
import { DEFAULT_LANGUAGE_SCRIPTS, DEFAULT_REQUIRED_SCRIPTS, languagesWithScript, scriptCounts, scriptOf, type Script } from './script.js';
import { codePointLength, segmentWords } from './words.js';

/** Label of words without letters (numbers, punctuation, emoji): language-independent. */
export const UNIVERSAL = 'univ';
/** Label of words whose language could not be determined. */
export const UNDETERMINED = 'und';
/** Line label when no language reaches the line threshold. */
export const UNKNOWN_LINE = 'unknown';

export interface CodeSwitchResponse {
  id?: string;
  /** The language the response should be in (the prompt's language). */
  expected: string;
  text: string;
}

export interface CodeSwitchOptions {
  /** Candidate natural languages for script decisions; default every language of `languageScripts`. The expected language is always added. */
  languages?: string[];
  /** language → scripts; default DEFAULT_LANGUAGE_SCRIPTS. */
  languageScripts?: Readonly<Record<string, readonly Script[]>>;
  /** language → scripts of which one must appear for the language to be a candidate; default DEFAULT_REQUIRED_SCRIPTS (Japanese: kana). */
  requiredScripts?: Readonly<Record<string, readonly Script[]>>;
  /** Line label probability must exceed this; default 0.3 (LCB). */
  lineThreshold?: number;
  /** Lines with fewer words are skipped; default 5 (LCB). */
  minLineWords?: number;
  /** How words of a script shared by several languages get a language; default 'inherit'. */
  wordLevel?: 'inherit' | 'model';
  /** Word list a foreign word must belong to (LCB uses an English dictionary); default none. */
  foreignWords?: ReadonlySet<string>;
  /** Minimum letters of a foreign word in a cased script; default 4 (LCB: len > 3). */
  minForeignWordLength?: number;
}

export interface LineLanguage {
  /** UTF-16 offset of the line in the response. */
  start: number;
  lang: string;
  prob: number;
  method: 'script' | 'model' | 'none';
  /** Words after LCB normalisation. */
  words: number;
  skipped: boolean;
}

export interface WordLanguage {
  text: string;
  /** UTF-16 offset in the response. */
  start: number;
  lang: string;
  line: number;
  /** What decided `lang`: the word's script, word-level identification, its line, the expected language, or nothing (no letters). */
  by: 'script' | 'model' | 'line' | 'expected' | 'none';
}

export interface ResponseAnalysis {
  id?: string;
  expected: string;
  lines: LineLanguage[];
  words: WordLanguage[];
  /** No line had enough words: the response counts in no LPR/WPR denominator. */
  skipped: boolean;
  /** Some non-skipped line is not in the expected language; null when the response was skipped. */
  lineError: boolean | null;
  /** null when skipped, when a line error was found, or when WPR does not apply to the language. */
  wordError: boolean | null;
  /** switchedTo holds a determined language (not only `und`). */
  codeSwitch: boolean;
  /** Languages other than the expected one found in words or non-skipped lines, sorted (may hold `und`). */
  switchedTo: string[];
  cmi: number;
  switchPoints: number[];
  firstOffTarget: { wordIndex: number; charOffset: number; lang: string; basis: 'word' | 'line' } | null;
}

export interface LanguageConfusionSummary {
  responses: number;
  nonSkipped: number;
  lineErrors: number;
  wordErrors: number;
  lpr: number;
  wpr: number | null;
  lcpr: number;
  codeSwitchRate: number;
  meanCMI: number;
}

export interface CodeSwitchReport {
  responses: ResponseAnalysis[];
  /** expected language → summary. */
  byLanguage: Record<string, LanguageConfusionSummary>;
  /** LPR/WPR averaged over languages (LCB), LCPR their harmonic mean; rates and CMI over all responses. */
  overall: { lpr: number; wpr: number | null; lcpr: number; codeSwitchRate: number; meanCMI: number; responses: number };
  /** Prompt language × switched-to language: responses that switched to it (counts and share of the row's responses). */
  matrix: { rows: string[]; columns: string[]; counts: number[][]; rates: number[][] };
}

const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
const LETTER = /\p{L}/u;
const PUNCT_SYMBOL = /[\p{P}\p{S}]/gu;

/** LCB's normalisation of a completion (without its "\nQ:" cut). */
export function lcbNormalize(text: string): string {
  return text.replace(ASCII_PUNCTUATION, '').replace(/—/g, ' ').replace(/،/g, '');
}

/** Harmonic mean of two rates (0 when both are 0). */
export function harmonicMean(a: number, b: number): number {
  return a + b > 0 ? (2 * a * b) / (a + b) : 0;
}

/** Code-Mixing Index of a sequence of word labels (`univ` = language-independent). */
export function codeMixingIndex(labels: readonly string[]): number {
  const counts = new Map<string, number>();
  let u = 0;
  for (const l of labels) {
    if (l === UNIVERSAL) u++;
    else counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  const n = labels.length;
  if (n === u) return 0;
  const max = Math.max(...counts.values());
  return 100 * (1 - max / (n - u));
}

/** Indices of words whose language differs from that of the previous word with a language. */
export function switchPoints(labels: readonly string[]): number[] {
  const points: number[] = [];
  let prev: string | null = null;
  labels.forEach((l, i) => {
    if (l === UNIVERSAL) return;
    if (prev !== null && l !== prev) points.push(i);
    prev = l;
  });
  return points;
}

interface Context {
  identifier: LanguageIdentifier;
  candidates: string[];
  scripts: Readonly<Record<string, readonly Script[]>>;
  required: Readonly<Record<string, readonly Script[]>>;
  lineThreshold: number;
  minLineWords: number;
  wordLevel: 'inherit' | 'model';
  foreignWords: ReadonlySet<string> | undefined;
  minForeignWordLength: number;
}

/** Candidates that may have written `script`, given the scripts present in `context` (kana for Japanese). */
function ownersOf(script: Script, context: Partial<Record<Script, number>>, ctx: Context): string[] {
  return languagesWithScript(script, ctx.candidates, ctx.scripts).filter((l) => allowedIn(l, context, ctx));
}

function allowedIn(lang: string, context: Partial<Record<Script, number>>, ctx: Context): boolean {
  const need = ctx.required[lang];
  return need === undefined || need.some((s) => (context[s] ?? 0) > 0);
}

function identifyLine(normalized: string, ctx: Context): Pick<LineLanguage, 'lang' | 'prob' | 'method'> {
  const dominant = scriptOf(normalized);
  const counts = scriptCounts(normalized);
  if (dominant !== 'Common') {
    const owners = ownersOf(dominant, counts, ctx);
    if (owners.length === 1) {
      const owner = owners[0]!;
      let all = 0;
      let own = 0;
      for (const [s, c] of Object.entries(counts) as [Script, number][]) {
        all += c;
        if (ctx.scripts[owner]!.includes(s)) own += c;
      }
      const prob = own / all;
      return prob > ctx.lineThreshold ? { lang: owner, prob, method: 'script' } : { lang: UNKNOWN_LINE, prob, method: 'script' };
    }
  }
  const top = ctx.identifier.identify(normalized).find((p) => allowedIn(p.lang, counts, ctx));
  if (!top) return { lang: UNKNOWN_LINE, prob: 0, method: 'none' };
  return top.prob > ctx.lineThreshold
    ? { lang: top.lang, prob: top.prob, method: 'model' }
    : { lang: UNKNOWN_LINE, prob: top.prob, method: 'model' };
}

function wordCore(word: string): string {
  return word.replace(PUNCT_SYMBOL, '');
}

function identifyWord(core: string, line: { lang: string; scripts: Partial<Record<Script, number>> }, expected: string, ctx: Context): Pick<WordLanguage, 'lang' | 'by'> {
  if (!LETTER.test(core)) return { lang: UNIVERSAL, by: 'none' };
  const script = scriptOf(core);
  if (script === 'Common') return { lang: UNIVERSAL, by: 'none' };
  const owners = ownersOf(script, line.scripts, ctx);
  if (owners.length === 1) return { lang: owners[0]!, by: 'script' };
  if (owners.length === 0) return { lang: UNDETERMINED, by: 'script' };
  const byModel = (): string | undefined => ctx.identifier.identify(core).find((p) => owners.includes(p.lang))?.lang;
  if (ctx.wordLevel === 'model') {
    const m = byModel();
    if (m) return { lang: m, by: 'model' };
  }
  if (owners.includes(line.lang)) return { lang: line.lang, by: 'line' };
  if (owners.includes(expected)) return { lang: expected, by: 'expected' };
  const m = byModel();
  return m ? { lang: m, by: 'model' } : { lang: UNDETERMINED, by: 'none' };
}

const CASED = /[\p{Lu}\p{Ll}\p{Lt}]/u;

function isForeignWord(core: string, expectedScripts: readonly Script[], ctx: Context): boolean {
  if (!LETTER.test(core)) return false;
  const script = scriptOf(core);
  if (script === 'Common' || expectedScripts.includes(script)) return false;
  if (ctx.foreignWords && !ctx.foreignWords.has(core)) return false;
  if (CASED.test(core)) {
    return core === core.toLowerCase() && codePointLength(core) >= ctx.minForeignWordLength;
  }
  return true;
}

function analyseResponse(resp: CodeSwitchResponse, ctx: Context): ResponseAnalysis {
  const { expected } = resp;
  const expectedScripts = ctx.scripts[expected];
  const wprApplies = expectedScripts !== undefined && !expectedScripts.includes('Latin');
  const lines: LineLanguage[] = [];
  const words: WordLanguage[] = [];
  let lineError = false;
  let foreign = false;
  const switched = new Set<string>();
  let start = 0;
  resp.text.split('\n').forEach((line, lineIndex) => {
    const normalized = lcbNormalize(line);
    const normWords = segmentWords(normalized);
    const skipped = normWords.length < ctx.minLineWords;
    const id = normWords.length ? identifyLine(normalized, ctx) : { lang: UNKNOWN_LINE, prob: 0, method: 'none' as const };
    lines.push({ start, ...id, words: normWords.length, skipped });
    if (!skipped) {
      if (id.lang !== expected) lineError = true;
      if (id.lang !== expected && id.lang !== UNKNOWN_LINE) switched.add(id.lang);
      if (wprApplies && normWords.some((w) => isForeignWord(wordCore(w.text), expectedScripts, ctx))) foreign = true;
    }
    const lineScripts = scriptCounts(line);
    for (const w of segmentWords(line)) {
      words.push({ text: w.text, start: start + w.start, line: lineIndex, ...identifyWord(wordCore(w.text), { lang: id.lang, scripts: lineScripts }, expected, ctx) });
    }
    start += line.length + 1;
  });
  const labels = words.map((w) => w.lang);
  let byWord: ResponseAnalysis['firstOffTarget'] = null;
  let byLine: ResponseAnalysis['firstOffTarget'] = null;
  words.forEach((w, i) => {
    if (w.lang === UNIVERSAL || w.lang === expected) return;
    switched.add(w.lang);
    if (w.by === 'script' || w.by === 'model') byWord ??= { wordIndex: i, charOffset: w.start, lang: w.lang, basis: 'word' };
    else byLine ??= { wordIndex: i, charOffset: w.start, lang: w.lang, basis: 'line' };
  });
  const firstOffTarget = byWord ?? byLine;
  const isSkipped = !lines.some((l) => !l.skipped);
  return {
    ...(resp.id !== undefined ? { id: resp.id } : {}),
    expected,
    lines,
    words,
    skipped: isSkipped,
    lineError: isSkipped ? null : lineError,
    wordError: isSkipped || lineError || !wprApplies ? null : foreign,
    codeSwitch: [...switched].some((l) => l !== UNDETERMINED),
    switchedTo: [...switched].sort(),
    cmi: codeMixingIndex(labels),
    switchPoints: switchPoints(labels),
    firstOffTarget,
  };
}

function summarise(analyses: ResponseAnalysis[], wprApplies: boolean): LanguageConfusionSummary {
  const nonSkipped = analyses.filter((a) => !a.skipped).length;
  const lineErrors = analyses.filter((a) => a.lineError === true).length;
  const wordErrors = analyses.filter((a) => a.wordError === true).length;
  const lpr = 1 - lineErrors / Math.max(1, nonSkipped);
  const wpr = wprApplies ? 1 - wordErrors / Math.max(1, nonSkipped - lineErrors) : null;
  return {
    responses: analyses.length,
    nonSkipped,
    lineErrors,
    wordErrors,
    lpr,
    wpr,
    lcpr: wpr === null ? lpr : harmonicMean(lpr, wpr),
    codeSwitchRate: analyses.length ? analyses.filter((a) => a.codeSwitch).length / analyses.length : 0,
    meanCMI: analyses.length ? analyses.reduce((s, a) => s + a.cmi, 0) / analyses.length : 0,
  };
}

/** Language-confusion metrics and code-switching statistics over generated responses. */
export function codeSwitchReport(
  responses: readonly CodeSwitchResponse[],
  identifier: LanguageIdentifier,
  options: CodeSwitchOptions = {},
): CodeSwitchReport {
  const scripts = options.languageScripts ?? DEFAULT_LANGUAGE_SCRIPTS;
  const required = options.requiredScripts ?? DEFAULT_REQUIRED_SCRIPTS;
  const base = (options.languages ?? Object.keys(scripts)).map(toIso6393);
  const lineThreshold = options.lineThreshold ?? 0.3;
  const minLineWords = options.minLineWords ?? 5;
  const wordLevel = options.wordLevel ?? 'inherit';
  if (wordLevel !== 'inherit' && wordLevel !== 'model') throw new UserError(`wordLevel must be 'inherit' or 'model'`);
  const analyses = responses.map((r) => {
    if (typeof r.text !== 'string' || !r.expected) throw new UserError('every response needs an expected language and a text');
    const expected = toIso6393(r.expected);
    const candidates = base.includes(expected) ? base : [...base, expected];
    return analyseResponse({ ...r, expected }, {
      identifier,
      candidates,
      scripts,
      required,
      lineThreshold,
      minLineWords,
      wordLevel,
      foreignWords: options.foreignWords,
      minForeignWordLength: options.minForeignWordLength ?? 4,
    });
  });

  const rows: string[] = [];
  for (const a of analyses) if (!rows.includes(a.expected)) rows.push(a.expected);
  const byLanguage: Record<string, LanguageConfusionSummary> = {};
  for (const lang of rows) {
    const s = scripts[lang];
    byLanguage[lang] = summarise(
      analyses.filter((a) => a.expected === lang),
      s !== undefined && !s.includes('Latin'),
    );
  }
  const sums = Object.values(byLanguage);
  const lpr = sums.length ? sums.reduce((s, x) => s + x.lpr, 0) / sums.length : 1;
  const wprs = sums.map((x) => x.wpr).filter((x): x is number => x !== null);
  const wpr = wprs.length ? wprs.reduce((s, x) => s + x, 0) / wprs.length : null;
  const n = analyses.length;

  const columns = [...new Set(analyses.flatMap((a) => a.switchedTo))].sort();
  const counts = rows.map(() => columns.map(() => 0));
  const perRow = rows.map(() => 0);
  for (const a of analyses) {
    const r = rows.indexOf(a.expected);
    perRow[r]!++;
    for (const lang of a.switchedTo) counts[r]![columns.indexOf(lang)]!++;
  }
  const rates = counts.map((row, r) => row.map((c) => c / perRow[r]!));

  return {
    responses: analyses,
    byLanguage,
    overall: {
      lpr,
      wpr,
      lcpr: wpr === null ? lpr : harmonicMean(lpr, wpr),
      codeSwitchRate: n ? analyses.filter((a) => a.codeSwitch).length / n : 0,
      meanCMI: n ? analyses.reduce((s, a) => s + a.cmi, 0) / n : 0,
      responses: n,
    },
    matrix: { rows, columns, counts, rates },
  };
}
