import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tokenizer } from '../../../src/main/model/tokenizer.js';
import { tinyModelDir } from '../../helpers/paths.js';

test('encodeBatchIds gives the ids encodeBatch gives, with and without special tokens', async () => {
  const tk = Tokenizer.fromFile(join(tinyModelDir, 'tokenizer.json'));
  const texts = ['Hello world', 'Всеобщая декларация прав человека', '人人生而自由', ''];
  for (const special of [true, false]) {
    const full = await tk.encodeBatch(texts, special);
    assert.deepEqual(await tk.encodeBatchIds(texts, special), full.map((e) => e.ids));
  }
  assert.ok((await tk.encodeBatchIds(texts)).some((ids) => ids.length > 3), 'real texts make real ids');
  assert.deepEqual(await tk.encodeBatchIds([]), []);
});
