/**
 * Code-switching and language confusion in generated text.
 *
 * Language confusion is scored by the Language Confusion Benchmark's rules (lcb.ts, as LCB's
 * `compute_metrics.py`): per response LCB's line error and word error (`lineError`, `wordError`,
 * `skipped`, the verdict in `lcb`), per expected language LPR, WPR and LCPR (with 95 % intervals), over
 * languages LCB's averages. Lines are labelled by `labeler` (fastText lid.176's raw top label in the
 * API), or by the identifier's top label; LCB's English word list comes in as `englishWords`.
 *
 * Beyond LCB, Babelscope's own checks, under their own names (not LCB's metrics):
 * - `offTargetLine`: the response is split into lines on "\n" and normalised as LCB does (without its
 *   "\nQ:" cut); lines with fewer than `minLineWords` (5) words (`segmentWords`: characters in
 *   Han/Kana/Thai) are skipped; line language: script first (a line whose dominant script is written by
 *   exactly one candidate language gets it, prob = share of its letters in that language's scripts),
 *   otherwise the identifier's top label; a label with prob ≤ `lineThreshold` (0.3) is `unknown`. A
 *   language with `requiredScripts` is a candidate only where one of them appears: Han-only text is not
 *   Japanese unless kana are present;
 * - `foreignWord` and per language `foreignWordRate`: for expected languages whose script table lacks
 *   Latin, among responses with a non-skipped line and no off-target line, the share with a foreign
 *   word: a word written in a script outside the expected language's scripts that is all lower-case
 *   with ≥ `minForeignWordLength` (4) letters when its script has case (acronyms and names are not
 *   confusion), any word in a caseless script (Han inside Hangul text, …); with `foreignWords` it must
 *   also be in that list. It flags what LCB's WPR does not (non-English Latin words, template leaks,
 *   words in caseless scripts) and is no WPR.
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
import type { Interval } from '../../shared/intervals.js';
import { LCB_DEFAULTS, LCB_WPR_LANGUAGES, scoreCompletionRows, type CompletionScore, type LineLabeler } from './lcb.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

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
  /** LCB's line labeler (raw top-1 label and probability); default the identifier's top label. */
  labeler?: LineLabeler;
  /** LCB's English words for WPR (the API passes LCB's list); default none, so WPR finds no word error. */
  englishWords?: ReadonlySet<string>;
  /** Bootstrap resamples of the LCB intervals; default 1000. */
  resamples?: number;
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

/** What the analysis says of one response: LCB's verdict, then Babelscope's own checks. */
export interface ResponseVerdict {
  /** LCB: no line had ≥ 5 words, so the response counts in no LPR/WPR denominator. */
  skipped: boolean;
  /** LCB's line error: some kept line's fastText label is not the expected language; null when skipped. */
  lineError: boolean | null;
  /** LCB's word error (an English word from its list); null when skipped, with a line error, or without WPR for the language. */
  wordError: boolean | null;
  /** Babelscope: some non-skipped line (script first, then the identifier) is off target; null when every line was skipped. */
  offTargetLine: boolean | null;
  /** Babelscope: a foreign word (see the module comment); null when skipped, off target, or the language is written in Latin. */
  foreignWord: boolean | null;
  /** switchedTo holds a determined language (not only `und`). */
  codeSwitch: boolean;
  /** Languages other than the expected one found in words or non-skipped lines, sorted (may hold `und`). */
  switchedTo: string[];
  /** Code-mixing index of the response's words. */
  cmi: number;
  /** Word indices where the language changes. */
  switchPoints: number[];
}

export interface ResponseAnalysis extends ResponseVerdict {
  id?: string;
  expected: string;
  lines: LineLanguage[];
  words: WordLanguage[];
  /** LCB's verdict in full (kept lines' labels, the English word found). */
  lcb: CompletionScore;
  firstOffTarget: { wordIndex: number; charOffset: number; lang: string; basis: 'word' | 'line' } | null;
}

/** LCB numbers of one prompt language (or all). */
export interface ConfusionSummary {
  responses: number;
  /** LCB's counts: responses with a line of ≥ 5 words, line errors and word errors among them. */
  nonSkipped: number;
  lineErrors: number;
  wordErrors: number;
  /** LCB's line pass rate: share of non-skipped responses whose every kept line is in the prompt language. */
  lpr: number;
  /** LCB's word pass rate (ar, hi, ja, ko, ru, zh only; null elsewhere, where LCB prints N/A). */
  wpr: number | null;
  /** Harmonic mean of LPR and WPR; null where WPR is null. */
  lcpr: number | null;
  /** 95 % intervals of lpr, wpr and lcpr (Wilson; bootstrap for lcpr and averages). */
  intervals: { lpr: Interval; wpr: Interval | null; lcpr: Interval | null };
  /** Babelscope's foreign-word rate (not LCB's WPR: it also flags non-English Latin words and words in caseless scripts); null where it does not apply. */
  foreignWordRate: number | null;
  codeSwitchRate: number;
  meanCMI: number;
}

/** LCB numbers over all prompt languages: LPR/WPR averaged over languages (LCB), LCPR their harmonic mean; rates and CMI over all responses. */
export type OverallSummary = Pick<ConfusionSummary, 'responses' | 'lpr' | 'wpr' | 'lcpr' | 'intervals' | 'codeSwitchRate' | 'meanCMI'>;

/** Prompt language × switched-to language: responses that switched to it (counts, and share of the row's responses). */
export interface SwitchMatrix {
  rows: string[];
  columns: string[];
  counts: number[][];
  rates: number[][];
}

export interface CodeSwitchReport {
  responses: ResponseAnalysis[];
  /** expected language → summary. */
  byLanguage: Record<string, ConfusionSummary>;
  overall: OverallSummary;
  matrix: SwitchMatrix;
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

function analyseResponse(resp: CodeSwitchResponse, ctx: Context, lcb: CompletionScore): ResponseAnalysis {
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
    ...withoutUndefined({ id: resp.id }),
    expected,
    lines,
    words,
    skipped: lcb.skipped,
    lineError: lcb.lineError,
    wordError: lcb.wordError,
    lcb,
    offTargetLine: isSkipped ? null : lineError,
    foreignWord: isSkipped || lineError || !wprApplies ? null : foreign,
    codeSwitch: [...switched].some((l) => l !== UNDETERMINED),
    switchedTo: [...switched].sort(),
    cmi: codeMixingIndex(labels),
    switchPoints: switchPoints(labels),
    firstOffTarget,
  };
}

function summarise(analyses: ResponseAnalysis[], row: LcbRowLike): ConfusionSummary {
  const withForeign = analyses.filter((a) => a.foreignWord !== null);
  return {
    responses: analyses.length,
    nonSkipped: row.nonSkipped ?? 0,
    lineErrors: row.lineErrors ?? 0,
    wordErrors: row.wordErrors ?? 0,
    lpr: row.lpr,
    wpr: row.wpr,
    lcpr: row.lcpr,
    intervals: row.intervals,
    foreignWordRate: withForeign.length ? withForeign.filter((a) => a.foreignWord).length / withForeign.length : null,
    codeSwitchRate: analyses.length ? analyses.filter((a) => a.codeSwitch).length / analyses.length : 0,
    meanCMI: analyses.length ? analyses.reduce((s, a) => s + a.cmi, 0) / analyses.length : 0,
  };
}

type LcbRowLike = ReturnType<typeof scoreCompletionRows>['rows'][number];

/** An identifier's top label as LCB's line labeler. */
function labelerOf(identifier: LanguageIdentifier): LineLabeler {
  return (line) => {
    const top = identifier.identify(line)[0];
    return top ? { label: top.lang, prob: top.prob } : null;
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
  const lineThreshold = options.lineThreshold ?? LCB_DEFAULTS.threshold;
  const minLineWords = options.minLineWords ?? LCB_DEFAULTS.minLineWords;
  const wordLevel = options.wordLevel ?? 'inherit';
  if (wordLevel !== 'inherit' && wordLevel !== 'model') throw new UserError(`wordLevel must be 'inherit' or 'model'`);
  for (const r of responses) {
    if (typeof r.text !== 'string' || !r.expected) throw new UserError('every response needs an expected language and a text');
  }
  const lcb = scoreCompletionRows(
    responses.map((r) => ({ language: toIso6393(r.expected), completion: r.text })),
    {
      labeler: options.labeler ?? labelerOf(identifier),
      englishWords: options.englishWords ?? new Set<string>(),
      threshold: lineThreshold,
      minLineWords,
      wprLanguages: LCB_WPR_LANGUAGES,
      ...withoutUndefined({ resamples: options.resamples }),
    },
  );
  const analyses = responses.map((r, i) => {
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
    }, lcb.completions[i]!);
  });

  const rows: string[] = [];
  for (const a of analyses) if (!rows.includes(a.expected)) rows.push(a.expected);
  const byLanguage: Record<string, ConfusionSummary> = {};
  const lcbRow = (source: string, language: string): LcbRowLike => lcb.rows.find((x) => x.source === source && x.language === language)!;
  for (const lang of rows) byLanguage[lang] = summarise(analyses.filter((a) => a.expected === lang), lcbRow('', lang));
  const all = lcb.rows.length ? lcbRow('all', 'all') : null;
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
      lpr: all?.lpr ?? 1,
      wpr: all?.wpr ?? null,
      lcpr: all?.lcpr ?? null,
      intervals: all?.intervals ?? { lpr: { low: 0, high: 1, level: 0.95, method: 'wilson' }, wpr: null, lcpr: null },
      codeSwitchRate: n ? analyses.filter((a) => a.codeSwitch).length / n : 0,
      meanCMI: n ? analyses.reduce((s, a) => s + a.cmi, 0) / n : 0,
      responses: n,
    },
    matrix: { rows, columns, counts, rates },
  };
}
