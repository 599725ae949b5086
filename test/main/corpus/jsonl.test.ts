import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { readJsonlCorpus } from '../../../src/main/corpus/index.js';
import { isUserError } from '../../../src/shared/errors.js';
import { tempFiles } from './temp.js';

const files = tempFiles();
after(files.cleanup);

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

async function rejectsWithUserError(source: AsyncIterable<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(collect(source), (e: unknown) => {
    assert.ok(isUserError(e), `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(e.hint, 'has a hint');
    return true;
  });
}

test('reads {lang,id,text} lines, skipping blank ones; numeric ids become strings', async () => {
  const path = files.write(
    'ok.jsonl',
    '{"lang":"eng","id":"a","text":"Hello"}\n\n{"lang":"rus","id":7,"text":"Привет","extra":true}\r\n   \n',
  );
  assert.deepEqual(await collect(readJsonlCorpus(path)), [
    { lang: 'eng', id: 'a', text: 'Hello' },
    { lang: 'rus', id: '7', text: 'Привет' },
  ]);
});

test('a malformed line is a UserError naming file:line', async () => {
  const path = files.write('bad.jsonl', '{"lang":"eng","id":"1","text":"ok"}\n\n{"lang":"eng","id":"2","text":"oops"\n');
  await rejectsWithUserError(readJsonlCorpus(path), new RegExp(`${path.replace(/[.]/g, '\\.')}:3: not valid JSON`));
});

test('missing or mistyped fields are UserErrors naming file:line and the field', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"id":"1","text":"x"}', /bad-fields\.jsonl:1: "lang" must be a non-empty string/],
    ['{"lang":"eng","text":"x"}', /:1: "id" must be/],
    ['{"lang":"eng","id":"1","text":42}', /:1: "text" must be a non-empty string/],
    ['{"lang":"eng","id":"1","text":"  "}', /:1: "text" must be a non-empty string/],
    ['["eng","1","x"]', /:1: expected a JSON object, got an array/],
  ];
  for (const [line, pattern] of cases) await rejectsWithUserError(readJsonlCorpus(files.write('bad-fields.jsonl', line + '\n')), pattern);
});

test('a duplicate id within a language is a UserError naming both lines', async () => {
  const path = files.write(
    'dup.jsonl',
    ['{"lang":"eng","id":"1","text":"a"}', '{"lang":"rus","id":"1","text":"б"}', '{"lang":"eng","id":"1","text":"c"}'].join('\n'),
  );
  await rejectsWithUserError(readJsonlCorpus(path), /dup\.jsonl:3: duplicate id "1" for language "eng" \(first at line 1\)/);
});

test('an empty corpus or a missing file is a UserError', async () => {
  await rejectsWithUserError(readJsonlCorpus(files.write('empty.jsonl', '\n\n')), /empty\.jsonl has no texts/);
  await rejectsWithUserError(readJsonlCorpus('/nonexistent/corpus.jsonl'), /does not exist/);
});
