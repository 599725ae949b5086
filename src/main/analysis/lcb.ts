/**
 * Language Confusion Benchmark scoring (Marchisio et al. 2024, "Understanding and Mitigating Language
 * Confusion in LLMs"), as its reference `compute_metrics.py` (github.com/for-ai/language-confusion,
 * Apache-2.0) computes it, for completions given as rows of `task, model, source, language, completion`.
 *
 * Per completion (LCB's `compute_metrics`):
 * - normalise: cut at the first "\nQ:", strip (Python's whitespace), delete ASCII punctuation (Python's
 *   `string.punctuation`), "—" → space, delete "،";
 * - split into lines on "\n"; a line is split into words on whitespace (Python's `str.split()`), zh/ja
 *   with `Intl.Segmenter` (LCB: jieba and MeCab; see {@link lcbTokenize}); lines with fewer than 5 words
 *   are dropped; a completion with no line left is skipped (in no denominator);
 * - each kept line gets fastText lid.176's top label when its probability is > 0.3, else `unknown`; a
 *   line error is a kept line whose label is not the expected language;
 * - a word error (only for ar, hi, ja, ko, ru, zh: "WPR is inaccurate for latin-script languages"): a
 *   completion without line errors in which some word of a kept line is in LCB's English word list.
 * Per task × model × source × language: LPR = 1 − line errors / max(1, non-skipped); WPR = 1 − word
 * errors / max(1, non-skipped − line errors), null for other languages (LCB prints N/A).
 * Averages (LCB's `compute_all_metrics`, per task × model): per source, the mean over its languages;
 * per language, the mean over its sources; overall (`all`, `all`), the mean of the per-language means.
 * A WPR mean is over the rows that have one (so an overall WPR covers the non-Latin languages only).
 *
 * LCPR is not in `compute_metrics.py`; the paper defines it as the harmonic mean of LPR and WPR. Here
 * every row's LCPR (a group's or an average's) is the harmonic mean of that row's LPR and WPR, null
 * where WPR is null: the overall LCPR is the harmonic mean of the averaged LPR and the averaged WPR,
 * not a mean of per-language LCPRs.
 */
import { UserError } from '../../shared/errors.js';
import { mulberry32 } from '../../shared/random.js';
import { sortedQuantile, wilsonInterval, type Interval } from '../../shared/intervals.js';
import { toIso6393 } from './language-codes.js';

/** One completion, with LCB's columns (`id` and `model` optional). */
export interface CompletionRow {
  id?: string;
  model?: string;
  task?: string;
  source?: string;
  /** Expected language: LCB's code (fastText label: fr, zh, …) or ISO 639-3. */
  language: string;
  completion: string;
}

/** fastText's top label for one line: the raw label (`__label__` prefix optional) and its probability. */
export type LineLabeler = (line: string) => { label: string; prob: number } | null;

/** LCB's line rules as `compute_metrics.py` has them: a label above probability 0.3, lines of at least 5 words. */
export const LCB_DEFAULTS = { threshold: 0.3, minLineWords: 5 } as const;

export interface LcbOptions {
  /** Top-1 language of a line; LCB: fastText lid.176 (see `createFastTextLabeler`). */
  labeler: LineLabeler;
  /** LCB's English words (lower-case, > 3 characters): a word error is one of them. */
  englishWords: ReadonlySet<string>;
  /** A line label needs probability above this; default 0.3. */
  threshold?: number;
  /** Lines with fewer words are dropped; default 5. */
  minLineWords?: number;
  /** Languages WPR is computed for; default LCB's ar, hi, ja, ko, ru, zh (any code form). */
  wprLanguages?: readonly string[];
  /** Intervals: bootstrap resamples (default 1000) and seed (default 1). */
  resamples?: number;
  seed?: number;
}

export const LCB_WPR_LANGUAGES: readonly string[] = ['ar', 'hi', 'ja', 'ko', 'ru', 'zh'];
/** Languages LCB segments with jieba (zh) and MeCab (ja); here Intl.Segmenter. */
export const LCB_SEGMENTED_LANGUAGES: readonly string[] = ['zh', 'ja'];

/** What LCB decided for one completion. */
export interface CompletionScore {
  /** No line had ≥ 5 words: the completion is in no denominator. */
  skipped: boolean;
  /** Kept lines, and how many of them are not in the expected language. */
  lines: number;
  lineErrors: number;
  /** Some kept line is not in the expected language (null when skipped). */
  lineError: boolean | null;
  /** A kept word is an English word (null when skipped, with a line error, or WPR not computed). */
  wordError: boolean | null;
  /** The first English word found (for word errors). */
  englishWord: string | null;
  /** Kept lines' labels (`unknown` below the threshold). */
  labels: string[];
}

/** One row of LCB's table: a task × model × source × language, or an average (`all`). */
export interface LcbRow {
  task: string;
  model: string;
  source: string;
  language: string;
  /** Completions in the row (in the rows averaged, for `all`). */
  n: number;
  lpr: number;
  /** null where LCB prints N/A. */
  wpr: number | null;
  /** Harmonic mean of lpr and wpr; null where wpr is null. */
  lcpr: number | null;
}

/** A row with what it was computed from and its 95 % intervals. */
export interface LcbScoredRow extends LcbRow {
  /** Completions with a kept line (LPR's denominator; for a group). */
  nonSkipped: number | null;
  lineErrors: number | null;
  wordErrors: number | null;
  /** Mean share of kept lines in the expected language (LCB's `acc`, not printed by LCB). */
  lineAccuracy: number;
  intervals: { lpr: Interval; wpr: Interval | null; lcpr: Interval | null };
}

const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
/** Python's str.isspace() characters (str.split() and str.strip() without arguments). */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPLIT = new RegExp(`[${PY_SPACE}]+`, 'u');
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'gu');

/** Python's `str.strip()`. */
export function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}

/** Python's `str.split()`: on runs of whitespace, no empty words. */
export function pySplit(s: string): string[] {
  return s.split(PY_SPLIT).filter((w) => w !== '');
}

/** LCB's `normalize`: cut at "\nQ:", strip, delete ASCII punctuation, "—" → space, delete "،". */
export function lcbNormalize(text: string): string {
  const cut = text.split('\nQ:')[0]!;
  return pyStrip(cut).replace(ASCII_PUNCTUATION, '').replace(/—/g, ' ').replace(/،/g, '');
}

const segmenters = new Map<string, Intl.Segmenter>();

/**
 * LCB's `tokenize`: whitespace words, except zh and ja, which LCB cuts with jieba and MeCab: here the
 * word-like segments of `Intl.Segmenter` (ICU dictionaries), and every other character as a token of
 * its own, as jieba and MeCab give punctuation; for zh also every whitespace character (jieba yields
 * them as tokens, and they count towards a line's 5). Word boundaries still differ from jieba's and
 * MeCab's, so which lines have ≥ 5 words can too (METRICS.md gives the measured difference for zh).
 */
export function lcbTokenize(line: string, lang: string): string[] {
  const code = segmentedCode(lang);
  if (code === null) return pySplit(line);
  let seg = segmenters.get(code);
  if (!seg) segmenters.set(code, (seg = new Intl.Segmenter(code, { granularity: 'word' })));
  const out: string[] = [];
  for (const s of seg.segment(line)) {
    if (s.isWordLike) out.push(s.segment);
    else for (const ch of s.segment) if (code === 'zh' || pyStrip(ch) !== '') out.push(ch);
  }
  return out;
}

function segmentedCode(lang: string): string | null {
  const iso = toIso6393(lang);
  for (const c of LCB_SEGMENTED_LANGUAGES) if (lang === c || iso === toIso6393(c)) return c;
  return null;
}

/** Whether a line label (fastText's) is the expected language (LCB: equal codes; here also equal ISO 639-3). */
export function sameLanguage(label: string, expected: string): boolean {
  return label === expected || toIso6393(label) === toIso6393(expected);
}

function stripLabel(label: string): string {
  return label.startsWith('__label__') ? label.slice('__label__'.length) : label;
}

/** LCB's English word set from a word list (one word a line): lower-case words longer than 3 characters. */
export function lcbEnglishWords(list: string): Set<string> {
  const out = new Set<string>();
  for (const raw of list.split('\n')) {
    const w = pyStrip(raw);
    // Python's islower(): some cased character, none upper or title case.
    if ([...w].length > 3 && /[\p{Ll}\p{Lu}\p{Lt}]/u.test(w) && !/[\p{Lu}\p{Lt}]/u.test(w)) out.add(w);
  }
  return out;
}

interface Resolved {
  labeler: LineLabeler;
  englishWords: ReadonlySet<string>;
  threshold: number;
  minLineWords: number;
  wpr: (lang: string) => boolean;
}

function resolve(options: LcbOptions): Resolved {
  if (typeof options?.labeler !== 'function') throw new UserError('LCB scoring needs a line labeler (fastText lid.176)');
  if (!(options.englishWords instanceof Set)) throw new UserError('LCB scoring needs its English word set');
  const wprLangs = options.wprLanguages ?? LCB_WPR_LANGUAGES;
  const wprIso = new Set(wprLangs.map(toIso6393));
  return {
    labeler: options.labeler,
    englishWords: options.englishWords,
    threshold: options.threshold ?? LCB_DEFAULTS.threshold,
    minLineWords: options.minLineWords ?? LCB_DEFAULTS.minLineWords,
    wpr: (lang) => wprLangs.includes(lang) || wprIso.has(toIso6393(lang)),
  };
}

function scoreOne(completion: string, lang: string, r: Resolved, computeWpr: boolean): CompletionScore {
  const lines = lcbNormalize(completion).split('\n');
  const kept: { line: string; words: string[] }[] = [];
  for (const line of lines) {
    const words = lcbTokenize(line, lang);
    if (words.length >= r.minLineWords) kept.push({ line, words });
  }
  if (kept.length === 0) return { skipped: true, lines: 0, lineErrors: 0, lineError: null, wordError: null, englishWord: null, labels: [] };
  const labels = kept.map(({ line }) => {
    const top = r.labeler(line);
    return top && top.prob > r.threshold ? stripLabel(top.label) : 'unknown';
  });
  const lineErrors = labels.filter((l) => !sameLanguage(l, lang)).length;
  let englishWord: string | null = null;
  if (lineErrors === 0 && computeWpr) {
    outer: for (const { words } of kept) {
      for (const w of words) {
        const t = pyStrip(w);
        if (r.englishWords.has(t)) {
          englishWord = t;
          break outer;
        }
      }
    }
  }
  return {
    skipped: false,
    lines: kept.length,
    lineErrors,
    lineError: lineErrors > 0,
    wordError: lineErrors > 0 || !computeWpr ? null : englishWord !== null,
    englishWord,
    labels,
  };
}

/** LCB's verdict on one completion whose expected language is `lang`. */
export function scoreCompletion(completion: string, lang: string, options: LcbOptions): CompletionScore {
  const r = resolve(options);
  return scoreOne(completion, lang, r, r.wpr(lang));
}

/** Per-completion outcome codes, for counting and resampling. */
const SKIPPED = 0;
const LINE_ERROR = 1;
const WORD_ERROR = 2;
const PASS = 3;

interface Group {
  task: string;
  model: string;
  source: string;
  language: string;
  wpr: boolean;
  outcomes: Uint8Array;
  /** Line accuracy per non-skipped completion. */
  accuracy: number[];
}

interface Rates {
  lpr: number;
  wpr: number | null;
}

function groupRates(outcomes: ArrayLike<number>, wpr: boolean): Rates {
  let nonSkipped = 0;
  let lineErrors = 0;
  let wordErrors = 0;
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i]!;
    if (o === SKIPPED) continue;
    nonSkipped++;
    if (o === LINE_ERROR) lineErrors++;
    else if (o === WORD_ERROR) wordErrors++;
  }
  return {
    lpr: 1 - lineErrors / Math.max(1, nonSkipped),
    wpr: wpr ? 1 - wordErrors / Math.max(1, nonSkipped - lineErrors) : null,
  };
}

const meanOf = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Harmonic mean of LPR and WPR (0 when both are 0); null without WPR. */
export function lcpr(lpr: number, wpr: number | null): number | null {
  if (wpr === null) return null;
  return lpr + wpr > 0 ? (2 * lpr * wpr) / (lpr + wpr) : 0;
}

/** LCB's average of per-group rates: LPR over all, WPR over those that have one. */
function average(rates: readonly Rates[]): Rates {
  const wprs = rates.map((r) => r.wpr).filter((w): w is number => w !== null);
  return { lpr: meanOf(rates.map((r) => r.lpr)), wpr: wprs.length ? meanOf(wprs) : null };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The rows of one task × model in LCB's order: groups by (source, language), per-source, per-language, overall. */
function tableOf(groups: readonly Group[], rates: readonly Rates[]): { key: [string, string]; members: number[]; rates: Rates }[] {
  const out: { key: [string, string]; members: number[]; rates: Rates }[] = [];
  groups.forEach((g, i) => out.push({ key: [g.source, g.language], members: [i], rates: rates[i]! }));
  const bySource = new Map<string, number[]>();
  const byLang = new Map<string, number[]>();
  groups.forEach((g, i) => {
    bySource.set(g.source, [...(bySource.get(g.source) ?? []), i]);
    byLang.set(g.language, [...(byLang.get(g.language) ?? []), i]);
  });
  for (const [source, members] of bySource) out.push({ key: [source, 'all'], members, rates: average(members.map((i) => rates[i]!)) });
  const langAverages: Rates[] = [];
  for (const [lang, members] of byLang) {
    const a = average(members.map((i) => rates[i]!));
    langAverages.push(a);
    out.push({ key: ['all', lang], members, rates: a });
  }
  out.push({ key: ['all', 'all'], members: groups.map((_, i) => i), rates: average(langAverages) });
  return out;
}

/**
 * LCB's table for completions of any number of tasks, models, sources and languages: one row per task
 * × model × source × language and LCB's averages per task × model, in LCB's order. Every rate has a 95 %
 * interval: Wilson for a group's LPR and WPR (over non-skipped completions, and those without line
 * errors), a bootstrap over completions (resampled within each group) for LCPR and for averages.
 */
export function scoreCompletionRows(rows: readonly CompletionRow[], options: LcbOptions): { rows: LcbScoredRow[]; completions: CompletionScore[] } {
  const r = resolve(options);
  const groups = new Map<string, Group & { members: number[] }>();
  rows.forEach((row, i) => {
    if (row === null || typeof row !== 'object') throw new UserError(`completion ${i + 1} is not an object`);
    if (typeof row.completion !== 'string') throw new UserError(`completion ${i + 1} has no completion text`, 'Each row needs completion, task, source and language.');
    if (typeof row.language !== 'string' || row.language.trim() === '') throw new UserError(`completion ${i + 1} has no language`, 'Each row needs the expected language (LCB codes such as fr, zh, or ISO 639-3).');
    const task = row.task ?? '';
    const model = row.model ?? '';
    const source = row.source ?? '';
    const key = [task, model, source, row.language].join('\u0000');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { task, model, source, language: row.language, wpr: r.wpr(row.language), outcomes: new Uint8Array(0), accuracy: [], members: [] }));
    g.members.push(i);
  });
  const byTaskModel = new Map<string, Group[]>();
  const scores: CompletionScore[] = new Array(rows.length);
  for (const g of groups.values()) {
    g.outcomes = new Uint8Array(g.members.length);
    g.members.forEach((i, k) => {
      const s = scoreOne(rows[i]!.completion, g.language, r, g.wpr);
      scores[i] = s;
      g.outcomes[k] = s.skipped ? SKIPPED : s.lineError ? LINE_ERROR : s.wordError ? WORD_ERROR : PASS;
      if (!s.skipped) g.accuracy.push(1 - s.lineErrors / s.lines);
    });
    const tm = `${g.task}\u0000${g.model}`;
    byTaskModel.set(tm, [...(byTaskModel.get(tm) ?? []), g]);
  }
  const resamples = options.resamples ?? 1000;
  const rand = mulberry32(options.seed ?? 1);
  const out: LcbScoredRow[] = [];
  const taskModels = [...byTaskModel.keys()].sort(cmp);
  for (const tm of taskModels) {
    const gs = byTaskModel.get(tm)!.sort((a, b) => cmp(a.source, b.source) || cmp(a.language, b.language));
    const rates = gs.map((g) => groupRates(g.outcomes, g.wpr));
    const table = tableOf(gs, rates);
    // Bootstrap: the whole table recomputed from completions resampled within each group.
    const boot = table.map(() => ({ lpr: new Float64Array(resamples), wpr: new Float64Array(resamples), lcpr: new Float64Array(resamples) }));
    for (let b = 0; b < resamples; b++) {
      const rs = gs.map((g) => {
        const n = g.outcomes.length;
        const sample = new Uint8Array(n);
        for (let k = 0; k < n; k++) sample[k] = g.outcomes[Math.floor(rand() * n)]!;
        return groupRates(sample, g.wpr);
      });
      tableOf(gs, rs).forEach((t, j) => {
        boot[j]!.lpr[b] = t.rates.lpr;
        boot[j]!.wpr[b] = t.rates.wpr ?? Number.NaN;
        boot[j]!.lcpr[b] = lcpr(t.rates.lpr, t.rates.wpr) ?? Number.NaN;
      });
    }
    const method = `bootstrap-percentile (${resamples} resamples over completions, within each task × model × source × language)`;
    const pct = (values: Float64Array): Interval => {
      const sorted = Float64Array.from(values).sort();
      return { low: sortedQuantile(sorted, 0.025), high: sortedQuantile(sorted, 0.975), level: 0.95, method };
    };
    table.forEach((t, j) => {
      const first = gs[t.members[0]!]!;
      const n = t.members.reduce((s, i) => s + gs[i]!.outcomes.length, 0);
      const single = t.members.length === 1 && t.key[0] !== 'all' && t.key[1] !== 'all';
      const counts = single ? countsOf(gs[t.members[0]!]!.outcomes) : null;
      const acc = single
        ? (gs[t.members[0]!]!.accuracy.length ? meanOf(gs[t.members[0]!]!.accuracy) : 1)
        : accuracyAverage(t, gs, table);
      const lcprValue = lcpr(t.rates.lpr, t.rates.wpr);
      out.push({
        task: first.task,
        model: first.model,
        source: t.key[0],
        language: t.key[1],
        n,
        lpr: t.rates.lpr,
        wpr: t.rates.wpr,
        lcpr: lcprValue,
        nonSkipped: counts?.nonSkipped ?? null,
        lineErrors: counts?.lineErrors ?? null,
        wordErrors: counts ? (t.rates.wpr === null ? null : counts.wordErrors) : null,
        lineAccuracy: acc,
        intervals: {
          lpr: counts ? wilsonInterval(counts.nonSkipped - counts.lineErrors, counts.nonSkipped) : pct(boot[j]!.lpr),
          wpr: t.rates.wpr === null ? null : counts ? wilsonInterval(counts.nonSkipped - counts.lineErrors - counts.wordErrors, counts.nonSkipped - counts.lineErrors) : pct(boot[j]!.wpr),
          lcpr: lcprValue === null ? null : pct(boot[j]!.lcpr),
        },
      });
    });
  }
  return { rows: out, completions: scores };
}

function countsOf(outcomes: Uint8Array): { nonSkipped: number; lineErrors: number; wordErrors: number } {
  let nonSkipped = 0;
  let lineErrors = 0;
  let wordErrors = 0;
  for (const o of outcomes) {
    if (o !== SKIPPED) nonSkipped++;
    if (o === LINE_ERROR) lineErrors++;
    if (o === WORD_ERROR) wordErrors++;
  }
  return { nonSkipped, lineErrors, wordErrors };
}

/** LCB's `acc` averages, the same way as LPR (per source, per language, overall over languages). */
function accuracyAverage(t: { key: [string, string]; members: number[] }, gs: readonly Group[], table: readonly { key: [string, string]; members: number[] }[]): number {
  const accOf = (g: Group): number => (g.accuracy.length ? meanOf(g.accuracy) : 1);
  if (t.key[0] === 'all' && t.key[1] === 'all') {
    const perLang = table.filter((x) => x.key[0] === 'all' && x.key[1] !== 'all').map((x) => meanOf(x.members.map((i) => accOf(gs[i]!))));
    return meanOf(perLang);
  }
  return meanOf(t.members.map((i) => accOf(gs[i]!)));
}
