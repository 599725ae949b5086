/** Bad values on the command line: a non-zero exit with a message that says what to pass, never a silent success. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { capture, openModel } from '../../../src/main/api/index.js';
import { runCli } from '../../helpers/cli.js';
import { tinyModelDir } from '../../helpers/paths.js';
import { faultCase } from '../harness.js';

export function registerCases(): void {
  let dir: string | undefined;
  let captured: Promise<string> | undefined;
  /** A store with a small capture of eng and rus (made once). */
  const store = () =>
    (captured ??= (async () => {
      dir = mkdtempSync(join(tmpdir(), 'babelscope-fault-cli-'));
      const db = join(dir, 'run.db');
      const model = await openModel(tinyModelDir, { device: 'cpu', log: () => {} });
      try {
        await capture({ model, store: db, corpus: 'udhr:eng,rus', maxTextsPerLang: 3 });
      } finally {
        await model.dispose();
      }
      return db;
    })());
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  faultCase('cli-input', 'align --pivot xyz (not in the run) exits non-zero and lists the run’s languages', async () => {
    const r = await runCli(['align', '--db', await store(), '--pivot', 'xyz', '--kernel', 'js', '--no-save']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pivot language "xyz" is not among the languages/);
    assert.match(r.stderr, /eng, rus|rus, eng/);
  });

  faultCase('cli-input', 'align --pivot rus (in the run) works and reports against rus', async () => {
    const r = await runCli(['align', '--db', await store(), '--pivot', 'rus', '--kernel', 'js', '--no-save', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).pivot.pivot, 'rus');
  });

  for (const [what, args, message] of [
    ['serve --query-timeout 0', ['serve', '.', '--query-timeout', '0', '--json'], /--query-timeout must be an integer between 1/],
    ['serve --query-timeout ten', ['serve', '.', '--query-timeout', 'ten', '--json'], /--query-timeout must be an integer/],
    ['serve --port 70000', ['serve', '.', '--port', '70000', '--json'], /--port must be an integer between 0 and 65535/],
    ['serve on a folder that does not exist', ['serve', '/no/such/folder', '--json'], /is not a folder/],
    ['lens --top 0', ['lens', tinyModelDir, '--text', 'Hello', '--top', '0'], /--top must be an integer between 1/],
    ['generate --max-new-tokens -3', ['generate', tinyModelDir, '--prompt', 'Hi', '--max-new-tokens', '-3'], /--max-new-tokens must be an integer/],
  ] as const) {
    faultCase('cli-input', `${what} exits non-zero with a message`, async () => {
      const r = await runCli([...args]);
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /    at /, 'no stack');
    });
  }
}
