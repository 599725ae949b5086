/** Completions files `score-completions` cannot score: a UserError that says what is wrong, the file untouched. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../../src/shared/errors.js';
import { scoreCompletions } from '../../../src/main/api/index.js';
import { faultCase } from '../harness.js';

const BAD: Array<[string, string, string, RegExp]> = [
  ['an empty file', 'c.csv', '', /no completions/],
  ['a header only', 'c.csv', 'id,model,completion,task,source,language\n', /no completions/],
  ['a CSV without the language column', 'c.csv', 'id,completion\n1,hello\n', /no "language" column/],
  ['a CSV that ends inside a quoted field', 'c.csv', 'id,model,completion,task,source,language\n1,m,"never closed,t,s,fr\n', /inside a quoted field/],
  ['a record with more fields than the header', 'c.csv', 'completion,language\na,b,c\n', /3 fields, the header 2/],
  ['a JSONL line that is not JSON', 'c.jsonl', '{"completion":"a","language":"fr"}\n{oops\n', /c\.jsonl:2 is not JSON/],
  ['a JSONL line without a completion', 'c.jsonl', '{"language":"fr"}\n', /has no completion/],
  ['a binary file', 'c.csv', '\u0000\u0001\u0002PK\u0003\u0004', /no "completion" column/],
];

export function registerCases(): void {
  for (const [what, name, content, message] of BAD) {
    faultCase('completions-file', `${what}: UserError, file unchanged`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'babelscope-fault-lcb-'));
      try {
        const path = join(dir, name);
        writeFileSync(path, content);
        await assert.rejects(scoreCompletions(path, { labeler: () => ({ label: 'fr', prob: 1 }) }), (e: unknown) => isUserError(e) && message.test((e as Error).message));
        assert.equal(readFileSync(path, 'utf8'), content);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  faultCase('completions-file', 'a missing file: UserError naming it', async () => {
    await assert.rejects(scoreCompletions('/nonexistent/completions.csv'), (e: unknown) => isUserError(e) && /cannot read \/nonexistent\/completions\.csv/.test((e as Error).message));
  });
}
