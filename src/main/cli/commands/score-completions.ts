import type { Command } from 'commander';
import { OPTION_DEFAULTS, scoreCompletions, type CompletionScoreRow, type ScoreCompletionsOutput } from '../../api/index.js';
import { parseFloatOption, parseIntOption, type OutputOptions } from '../common.js';
import { withoutUndefined } from '../../../shared/without-undefined.js';

interface ScoreCompletionsCliOptions extends OutputOptions {
  intervals?: boolean;
  englishWords?: string;
  threshold: number;
  minLineWords: number;
}

/** `--json` rows: exactly LCB's grouping keys and n, lpr, wpr, lcpr (with --intervals, also `intervals`). */
export function rowJson(r: CompletionScoreRow, intervals: boolean): Record<string, unknown> {
  const row: Record<string, unknown> = { task: r.task, model: r.model, source: r.source, language: r.language, n: r.n, lpr: r.lpr, wpr: r.wpr, lcpr: r.lcpr };
  if (intervals) row['intervals'] = r.intervals;
  return row;
}

export function registerScoreCompletions(program: Command): void {
  program
    .command('score-completions')
    .argument('<file>', 'completions: CSV as LCB releases it (id,model,completion,task,source,language) or JSONL with those fields')
    .description("Language Confusion Benchmark scores of given completions, as LCB's compute_metrics.py: LPR, WPR, LCPR per task × model × source × language and LCB's averages (see METRICS.md)")
    .option('--intervals', 'add each rate\'s 95 % interval (Wilson per group; bootstrap over completions for LCPR and averages)')
    .option('--english-words <file>', "word list for WPR (one word a line, filtered as LCB filters it: lower-case, > 3 characters); default LCB's")
    .option('--threshold <p>', 'a line\'s fastText label needs probability above this', parseFloatOption('--threshold', 0, 1), OPTION_DEFAULTS.scoreCompletions.threshold)
    .option('--min-line-words <n>', 'lines with fewer words are not scored', parseIntOption('--min-line-words', 1), OPTION_DEFAULTS.scoreCompletions.minLineWords)
    .option('--json', 'print JSON: { rows: [{ task, model, source, language, n, lpr, wpr, lcpr }] } (rates 0–1, null where LCB prints N/A)')
    .action(async (file: string, o: ScoreCompletionsCliOptions) => {
      const result = await scoreCompletions(file, withoutUndefined({ threshold: o.threshold, minLineWords: o.minLineWords, englishWords: o.englishWords }));
      const intervals = o.intervals === true;
      if (o.json) process.stdout.write(JSON.stringify({ rows: result.rows.map((r) => rowJson(r, intervals)) }) + '\n');
      else process.stdout.write(renderHuman(result, intervals) + '\n');
    });
}

/** Rates as fractions 0–1 (LCB prints percentages); null where LCB prints N/A. */
const frac = (v: number | null): string => (v === null ? 'null' : v.toFixed(4));

function renderHuman(r: ScoreCompletionsOutput, intervals: boolean): string {
  const head = ['task', 'model', 'source', 'language', 'n', 'lpr', 'wpr', 'lcpr'];
  const lines = [
    `${r.completions} completions from ${r.input}; ${r.method.reference}; lines: ${r.method.languageId}, p > ${r.method.threshold}, ≥ ${r.method.minLineWords} words; WPR for ${r.method.wprLanguages.join(', ')} with ${r.method.englishWords}; words: ${r.method.segmentation}`,
    'rates are fractions 0–1; null where LCB prints N/A (WPR and LCPR of Latin-script languages)',
    head.join('\t') + (intervals ? '\tlpr 95%\twpr 95%\tlcpr 95%' : ''),
  ];
  const iv = (i: { low: number; high: number } | null): string => (i === null ? 'null' : `${frac(i.low)}–${frac(i.high)}`);
  for (const row of r.rows) {
    const cells = [row.task, row.model, row.source, row.language, String(row.n), frac(row.lpr), frac(row.wpr), frac(row.lcpr)];
    if (intervals) cells.push(iv(row.intervals.lpr), iv(row.intervals.wpr), iv(row.intervals.lcpr));
    lines.push(cells.join('\t'));
  }
  return lines.join('\n');
}
