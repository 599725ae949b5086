/** Store files that are not what they claim: opened with a clear message, never modified. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../../src/shared/errors.js';
import { openStore } from '../../../src/main/store/index.js';
import { faultCase } from '../harness.js';

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-fault-store-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const NOT_STORES: Array<[string, Buffer]> = [
  ['a text file', Buffer.from('these are my notes, not a database\n'.repeat(200))],
  ['a truncated SQLite header', Buffer.from('SQLite format 3\0' + 'x'.repeat(40))],
  ['random bytes', Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) & 0xff))],
];

export function registerCases(): void {
  for (const [what, bytes] of NOT_STORES) {
    faultCase('store-file', `${what} named .db gives a UserError and stays byte-identical`, () =>
      withTempDir((dir) => {
        const path = join(dir, 'notes.db');
        writeFileSync(path, bytes);
        for (const readonly of [false, true]) {
          assert.throws(() => openStore(path, { readonly }), (e: unknown) => isUserError(e));
        }
        assert.deepEqual(readFileSync(path), bytes);
      }),
    );
  }
}
