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

test('a UTF-8 byte order mark is accepted', async () => {
  const path = files.write('bom.jsonl', '\uFEFF{"lang":"eng","id":"1","text":"Hello"}\r\n{"lang":"eng","id":"2","text":"again"}\n');
  assert.deepEqual(await collect(readJsonlCorpus(path)), [
    { lang: 'eng', id: '1', text: 'Hello' },
    { lang: 'eng', id: '2', text: 'again' },
  ]);
});

test('invalid UTF-8 is a UserError naming its line, not U+FFFD in the text', async () => {
  const good = Buffer.from('{"lang":"deu","id":"1","text":"Grüße"}\n');
  const latin1 = Buffer.from('{"lang":"deu","id":"2","text":"Gr\u00fc\u00dfe"}\n', 'latin1');
  const path = files.write('latin1.jsonl', Buffer.concat([good, latin1]));
  await rejectsWithUserError(readJsonlCorpus(path), new RegExp(`${path.replace(/[.]/g, '\\.')}:2: not valid UTF-8`));
});

test('lines longer than a read chunk and multi-byte characters across chunks are read whole', async () => {
  const long = 'Привет мир '.repeat(20_000);
  const path = files.write('long.jsonl', `{"lang":"rus","id":"1","text":"${long}"}\n{"lang":"rus","id":"2","text":"x"}`);
  const texts = await collect(readJsonlCorpus(path));
  assert.equal(texts[0]!.text, long);
  assert.equal(texts[1]!.text, 'x');
});
