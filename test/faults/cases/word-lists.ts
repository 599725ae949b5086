/** Word lists for latent-language that are not what they claim: a UserError that says what is wrong, the file untouched. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWordList } from '../../../src/main/api/latent-language.js';
import { isUserError } from '../../../src/shared/errors.js';
import { faultCase } from '../harness.js';

const BAD: Array<[string, string | Buffer, RegExp]> = [
  ['an empty file', '', /is empty/],
  ['a header of language names, not codes', 'English,French\nflower,fleur\n', /"English" is not an ISO 639-3 code/],
  ['a row with an unquoted comma', 'eng,fra\nflower,fleur,extra\n', /line 2: 3 fields/],
  ['an unclosed quote', 'eng,fra\n"flower,fleur\n', /inside a quoted field/],
  ['a repeated column', 'eng,eng\nflower,flower\n', /appears twice/],
  ['a binary file', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 31) & 0xff)), /not an ISO 639-3 code|fields|quoted|empty/],
];

export function registerCases(): void {
  for (const [what, bytes, message] of BAD) {
    faultCase('word-list', `${what} gives a UserError and stays byte-identical`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'babelscope-fault-words-'));
      try {
        const path = join(dir, 'words.csv');
        writeFileSync(path, bytes);
        const before = readFileSync(path);
        assert.throws(() => readWordList(path), (e: unknown) => isUserError(e) && message.test((e as Error).message));
        assert.deepEqual(readFileSync(path), before);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  faultCase('word-list', 'a missing file or a folder gives a UserError naming the bundled list', () => {
    const dir = mkdtempSync(join(tmpdir(), 'babelscope-fault-words-'));
    try {
      for (const path of [join(dir, 'missing.csv'), dir])
        assert.throws(() => readWordList(path), (e: unknown) => isUserError(e) && /cannot read the word list/.test((e as Error).message) && /cldr-names\.csv/.test((e as { hint?: string }).hint ?? ''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
