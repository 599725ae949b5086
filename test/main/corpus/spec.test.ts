import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { openCorpus, parseCorpusSpec, readCorpus } from '../../../src/main/corpus/index.js';
import { isUserError } from '../../../src/shared/errors.js';
import { tempFiles } from './temp.js';

const files = tempFiles();
after(files.cleanup);

test('parses udhr:LANGS and .jsonl paths', () => {
  assert.deepEqual(parseCorpusSpec('udhr:eng,rus, cmn'), { kind: 'udhr', langs: ['eng', 'rus', 'cmn'] });
  assert.deepEqual(parseCorpusSpec('data/code.jsonl'), { kind: 'jsonl', path: 'data/code.jsonl' });
  // udhr alone: every language the token labeller knows (the lens's default).
  assert.deepEqual(parseCorpusSpec('udhr'), { kind: 'udhr', langs: ['eng', 'deu', 'fra', 'spa', 'rus', 'ell', 'arb', 'hin', 'kor', 'cmn', 'jpn', 'tur', 'ukr'] });
});

test('bad specs are UserErrors with a hint', () => {
  for (const [spec, pattern] of [
    ['udhr:', /names no languages/],
    ['udhr:eng,eng', /names eng twice/],
    ['corpus.txt', /Unknown corpus source/],
  ] as const) {
    assert.throws(
      () => parseCorpusSpec(spec),
      (e: unknown) => isUserError(e) && pattern.test(e.message) && /udhr:/.test(e.hint ?? ''),
    );
  }
  assert.throws(() => openCorpus('udhr:eng,klingon'), /Unknown UDHR language "klingon"/);
});

test('openCorpus streams a JSONL file with per-language limits', async () => {
  const lines = ['eng', 'php', 'eng', 'php', 'eng'].map((lang, i) => JSON.stringify({ lang, id: String(i), text: `t${i}` }));
  const path = files.write('mixed.jsonl', lines.join('\n'));
  assert.equal((await readCorpus(path)).length, 5);
  assert.deepEqual(
    (await readCorpus(path, { maxTextsPerLang: 1 })).map((t) => t.id),
    ['0', '1'],
  );
  await assert.rejects(readCorpus(path, { maxTokensPerLang: 10 }), /needs a countTokens/);
});
