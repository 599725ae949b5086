/**
 * The store browser's SQL box under runaway and writing statements: a runaway query is stopped after
 * the time limit with a clear message while other calls are answered, writes of every form are
 * refused with a read-only message, the store file stays byte-identical and sound, and SIGTERM stops
 * a backend in the middle of a runaway query.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runningQueryProcesses } from '../../../src/main/server/store-query-process.js';
import { openStore } from '../../../src/main/store/index.js';
import { cliPath } from '../../helpers/cli.js';
import { repoRoot } from '../../helpers/paths.js';
import { rpc, sharedBackend, type TestBackend } from '../backend-fixture.js';
import { faultCase } from '../harness.js';

const RUNAWAY = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c';
const TIMEOUT_MS = 4000;
const STORE = 'runs/s.db';

function makeStore(workspace: string): void {
  mkdirSync(join(workspace, 'runs'));
  const store = openStore(join(workspace, STORE));
  store.saveCorpus('test', [
    { lang: 'eng', id: '1', text: 'All human beings are born free.' },
    { lang: 'rus', id: '1', text: 'Все люди рождаются свободными.' },
    { lang: 'cmn', id: '1', text: '人人生而自由。' },
  ]);
  store.close();
  writeFileSync(join(workspace, 'notes.db'), 'not a database\n'.repeat(100));
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function query(b: TestBackend, sql: string, path = STORE): Promise<{ result?: any; error?: any; status: number }> {
  const r = await rpc(b.server, JSON.stringify({ method: 'store.query', params: { path, sql } }));
  return { status: r.status, ...(r.body as object) };
}

/** The store is as it was: same bytes, sound, its three texts there. */
function unchanged(b: TestBackend, hashBefore: string): void {
  const path = join(b.workspace, STORE);
  assert.equal(sha(path), hashBefore, 'the store file is byte-identical');
  const store = openStore(path, { readonly: true });
  try {
    assert.deepEqual(store.integrityCheck(), ['ok']);
    assert.equal((store.db.prepare('SELECT COUNT(*) AS n FROM texts').get() as { n: number }).n, 3);
  } finally {
    store.close();
  }
}

/** Query processes of this checkout started by process `parent` (by their command line and parent pid). */
function queryProcessesOf(parent: number): number[] {
  const child = join(repoRoot, 'dist', 'src', 'main', 'server', 'store-query-child.js');
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
        return ppid === parent && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(child);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^[^)]*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); // a zombie has ended
  } catch {
    return false;
  }
}

export function registerCases(): void {
  const backend = sharedBackend({ queryTimeoutMs: TIMEOUT_MS }, makeStore);

  faultCase('sql-box', 'a runaway recursive query is stopped after the limit with a clear message; other calls are answered meanwhile', async () => {
    const b = await backend();
    let settled = false;
    const runaway = query(b, RUNAWAY).finally(() => (settled = true));
    const listed = await rpc(b.server, JSON.stringify({ method: 'store.list', params: {} }));
    const quick = await query(b, 'SELECT lang FROM texts ORDER BY lang');
    assert.equal(settled, false, 'the quick calls were answered while the runaway query ran');
    assert.deepEqual(listed.body.result.stores.map((s: { path: string }) => s.path).sort(), ['notes.db', STORE].sort());
    assert.deepEqual(quick.result.rows, [['cmn'], ['eng'], ['rus']]);
    const r = await runaway;
    assert.equal(r.error?.kind, 'user');
    assert.match(r.error.message, /ran longer than 4 s and was stopped/);
    assert.match(r.error.hint, /--query-timeout/);
    assert.equal(runningQueryProcesses(), 0, 'the query process is gone');
  });

  faultCase('sql-box', 'three runaway queries at once are all stopped; the store stays sound', async () => {
    const b = await backend();
    const before = sha(join(b.workspace, STORE));
    const rs = await Promise.all([RUNAWAY, `${RUNAWAY} WHERE 1`, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT max(x) FROM c'].map((q) => query(b, q)));
    for (const r of rs) assert.match(r.error?.message ?? '', /was stopped/);
    assert.equal(runningQueryProcesses(), 0);
    unchanged(b, before);
  });

  for (const [what, sql, message] of [
    ['PRAGMA journal_mode=DELETE', 'PRAGMA journal_mode=DELETE', /read-only.*does not set them/],
    ['PRAGMA journal_mode(DELETE)', 'PRAGMA journal_mode(DELETE)', /read-only/],
    ['PRAGMA writable_schema = 1', 'PRAGMA writable_schema = 1', /read-only/],
    ['PRAGMA user_version = 99', '  /* c */ PRAGMA user_version = 99;', /read-only/],
    ['DELETE', 'DELETE FROM texts', /read-only/],
    ['INSERT inside a WITH', "WITH t(x) AS (SELECT 1) INSERT INTO texts (corpus_id, lang, key, text) SELECT 1, 'eng', 'x', 'y' FROM t", /read-only/],
    ['UPDATE after a comment', '-- tidy up\nUPDATE texts SET text = upper(text)', /read-only/],
    ['DROP TABLE', 'DROP TABLE texts', /read-only/],
    ['VACUUM INTO a new file', "VACUUM INTO 'copy.db'", /read-only/],
    ['ATTACH DATABASE', "ATTACH DATABASE 'other.db' AS o", /read-only/],
    ['two statements, the second a DELETE', 'SELECT 1; DELETE FROM texts', /one statement|more than one/i],
  ] as const) {
    faultCase('sql-box', `${what} in the SQL box is refused with a clear message; the store is unchanged`, async () => {
      const b = await backend();
      const path = join(b.workspace, STORE);
      const before = sha(path);
      const r = await query(b, sql);
      assert.equal(r.error?.kind, 'user', JSON.stringify(r));
      assert.match(r.error.message, message);
      assert.doesNotMatch(r.error.message, /disk I\/O error/);
      unchanged(b, before);
      assert.equal(existsSync(join(b.workspace, 'runs', 'copy.db')) || existsSync(join(b.workspace, 'copy.db')), false, 'no file written');
    });
  }

  for (const [what, sql, path, message] of [
    ['an empty query', '  ;  ', STORE, /empty/],
    ['a syntax error', 'SELEC lang FROM texts', STORE, /syntax error|read-only/],
    ['a missing table', 'SELECT * FROM nope', STORE, /no such table/],
    ['load_extension', "SELECT load_extension('/tmp/nope.so')", STORE, /not authorized|no such function/],
    ['a file that is not a store', 'SELECT 1', 'notes.db', /not a|database/i],
    ['a store outside the workspace', 'SELECT 1', '../outside.db', /outside the workspace/],
  ] as const) {
    faultCase('sql-box', `${what} gives a UserError`, async () => {
      const b = await backend();
      const r = await query(b, sql, path);
      assert.equal(r.error?.kind, 'user', JSON.stringify(r));
      assert.match(r.error.message, message);
    });
  }

  faultCase('sql-box', 'a query over 1 MiB is refused by the contract', async () => {
    const b = await backend();
    const r = await query(b, `SELECT '${'x'.repeat((1 << 20) + 10)}'`);
    assert.equal(r.status, 400);
    assert.match(r.error.message, /longer than/);
  });

  faultCase('sql-box', 'SIGTERM stops `babelscope serve` in the middle of a runaway query and leaves no query process', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'babelscope-fault-serve-'));
    try {
      makeStore(workspace);
      const child = spawn(process.execPath, [cliPath, 'serve', workspace, '--json', '--query-timeout', '600'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
      const { url } = JSON.parse(first) as { url: string };
      const origin = new URL(url).origin;
      const token = new URL(url).searchParams.get('token')!;
      const post = (method: string, params: unknown) =>
        fetch(`${origin}/api/rpc`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-babelscope-token': token }, body: JSON.stringify({ method, params }) }).then((r) => r.json() as Promise<any>);
      const runaway = post('store.query', { path: STORE, sql: RUNAWAY }).catch(() => 'connection closed');
      // The backend still answers while the query runs (it is in its own process).
      assert.equal((await post('workspace.info', {})).result.root, workspace);
      let queries: number[] = [];
      for (let i = 0; i < 200 && (queries = queryProcessesOf(child.pid!)).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const end = await exited;
      clearTimeout(guard);
      assert.notEqual(end.signal, 'SIGKILL', 'it stopped on SIGTERM (not the 30 s guard)');
      await runaway;
      for (let i = 0; i < 40 && queries.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(queries.filter(alive), [], 'no query process left behind');
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });
}
