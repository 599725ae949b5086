/**
 * What a scheduler does to jobs, without the scheduler: SIGTERM in the middle of a capture (Slurm's
 * scancel and time limit), bad arguments to examples/slurm/submit.sh, an export into a place that is
 * not a folder. Each ends with a clear message and nothing saved is lost.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/main/store/index.js';
import { cliPath, runCli, runCliJson } from '../../helpers/cli.js';
import { testModelDir } from '../../helpers/fixtures.js';
import { repoRoot } from '../../helpers/paths.js';
import { faultCase } from '../harness.js';

const CORPUS = 'udhr:eng,deu,fra,spa,rus,cmn';

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-fault-scheduler-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function registerCases(): void {
  faultCase('scheduler', 'SIGTERM mid-capture saves what is done, marks the run interrupted; the same command resumes it', () =>
    withTempDir(async (dir) => {
      const db = join(dir, 'run.db');
      const args = ['capture', testModelDir, '--device', 'cpu', '--corpus', CORPUS, '--max-batch-tokens', '256', '--db', db];
      const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      const code = await new Promise<number | null>((resolve) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          // The first progress line (at 25 %) says it is capturing: terminate it as scancel would.
          const m = /capture: (\d+)\/(\d+)/.exec(stderr);
          if (m && Number(m[1]) < Number(m[2]) && child.signalCode === null && !child.killed) child.kill('SIGTERM');
        });
        child.on('close', resolve);
      });
      assert.ok(child.killed, `the capture ended before it could be terminated: ${stderr}`);
      assert.equal(code, 130, stderr);
      assert.match(stderr, /interrupted/);
      const store = openStore(db, { readonly: true });
      const run = store.findRun('capture')!;
      const saved = store.doneTextIds(run.id).size;
      assert.equal(run.status, 'interrupted');
      store.close();
      assert.ok(saved > 0, 'texts done before SIGTERM are stored');
      const resumed = await runCliJson(args);
      assert.equal(resumed.skippedAlreadyDone, saved);
      const done = openStore(db, { readonly: true });
      assert.equal(done.findRun('capture')!.status, 'done');
      assert.equal(done.doneTextIds(run.id).size, saved + resumed.texts);
      assert.deepEqual(done.integrityCheck(), ['ok']);
      done.close();
    }),
  );

  const submit = join(repoRoot, 'examples', 'slurm', 'submit.sh');
  const bad: Array<[string, string[], RegExp]> = [
    ['no arguments', [], /usage: /],
    ['SHARDS not a number', ['m', 'udhr:eng', 'out.db', 'four'], /SHARDS must be a positive integer/],
    ['SHARDS zero', ['m', 'udhr:eng', 'out.db', '0'], /SHARDS must be a positive integer/],
    ['OUT not a .db file', ['m', 'udhr:eng', 'out', '4'], /OUT must be a \.db file/],
    ['--retry of a task that does not exist', ['--retry', '4', 'm', 'udhr:eng', 'out.db', '4'], /tasks are numbered 0 to 3/],
    ['--retry with a malformed list', ['--retry', '1-3', 'm', 'udhr:eng', 'out.db', '4'], /--retry takes task numbers/],
  ];
  for (const [what, args, message] of bad) {
    faultCase('scheduler', `submit.sh with ${what} says so in one line and submits nothing`, () =>
      withTempDir(async (dir) => {
        const r = spawnSync(submit, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `/nonexistent:${process.env['PATH']}` } });
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.equal(r.stdout, '');
      }),
    );
  }

  faultCase('scheduler', 'export into a path that is a file gives a UserError and leaves the file and the store as they were', () =>
    withTempDir(async (dir) => {
      const db = join(dir, 'run.db');
      await runCliJson(['capture', testModelDir, '--device', 'cpu', '--corpus', 'udhr:eng,rus', '--max-texts-per-lang', '2', '--db', db]);
      const before = readFileSync(db);
      writeFileSync(join(dir, 'notes.txt'), 'mine');
      const r = await runCli(['export', '--db', db, '--format', 'parquet', join(dir, 'notes.txt')]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /is a file, not a folder\n {2}\S/);
      assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
      assert.deepEqual(readFileSync(db), before);
    }),
  );
}
