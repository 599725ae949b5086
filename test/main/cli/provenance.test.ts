/**
 * Provenance and robustness through the CLI on the bundled model: which LAPE selection a result used,
 * partial data after Ctrl-C, one key style in --json and in the store, SCHEMA.md against what is stored.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../../src/main/store/index.js';
import { cliPath, runCli, type CliResult } from '../../helpers/cli.js';
import { testModelDir } from '../../helpers/fixtures.js';
import { repoRoot } from '../../helpers/paths.js';
import { isRoot, NOBODY, nobodyCanRead } from '../../helpers/users.js';
import { readSchemaDoc } from '../../helpers/schema-doc.js';

const CORPUS = ['--corpus', 'udhr:eng,rus', '--max-texts-per-lang', '6', '--device', 'cpu'];
/** Every --json output of this file, checked for one key style at the end. */
const outputs = new Map<string, unknown>();

async function json(args: string[]): Promise<{ out: any; stderr: string }> {
  const r = await runCli([...args, '--json']);
  assert.equal(r.code, 0, `babelscope ${args.join(' ')}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as unknown;
  outputs.set(args.slice(0, 1).join(' ') + ` #${outputs.size}`, out);
  return { out, stderr: r.stderr };
}

function userError(r: CliResult, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
}

/** Object keys in snake_case, with where they are (data keys such as language labels are lowercase words without `_`). */
function snakeKeys(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => snakeKeys(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [...(/^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(k) ? [`${path}.${k}`] : []), ...snakeKeys(v, `${path}.${k}`)]);
}

describe('provenance of stored results', () => {
  let tmp: string;
  let db: string;
  let db2: string;
  let narrow: number;
  let wide: number;
  let other: number;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-provenance-'));
    db = join(tmp, 'a.db');
    db2 = join(tmp, 'b.db');
    await json(['capture', testModelDir, ...CORPUS, '--db', db]);
    await json(['capture', testModelDir, ...CORPUS, '--db', db2]);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('lape stores a selection and says which', async () => {
    const a = await json(['lape', '--db', db, '--top-rate', '0.05']);
    narrow = a.out.selection.id;
    assert.deepEqual(a.out.selection, { id: narrow, run: 'capture', runStatus: 'done', partial: false });
    wide = (await json(['lape', '--db', db, '--top-rate', '0.1'])).out.selection.id;
    other = (await json(['lape', '--db', db2, '--top-rate', '0.05'])).out.selection.id;
    assert.ok(wide > narrow);
  });

  it('ablate uses the latest selection by default, or --selection ID, prints it and records it', async () => {
    const latest = await json(['ablate', testModelDir, '--db', db, ...CORPUS, '--max-texts-per-lang', '2']);
    assert.equal(latest.out.selection, wide);
    assert.match(latest.stderr, new RegExp(`using LAPE selection #${wide} of run "capture" .*top-rate 0.1,`));
    const chosen = await json(['ablate', testModelDir, '--db', db, ...CORPUS, '--max-texts-per-lang', '2', '--selection', String(narrow)]);
    assert.equal(chosen.out.selection, narrow);
    assert.match(chosen.stderr, new RegExp(`using LAPE selection #${narrow} .*top-rate 0.05,`));
    const store = openStore(db, { readonly: true });
    try {
      const stored = store.findResult(chosen.out.resultId, 'ablation')!;
      assert.equal(stored.kind, 'ablation');
      assert.deepEqual(stored.params, { corpus: 'udhr:eng,rus', maxTextsPerLang: 2, randomSets: 20, scale: 0, seed: 0 });
      assert.deepEqual(stored.inputs.map((i) => [i.role, i.id]), [['run', store.findRun('capture')!.id], ['selection', narrow]]);
      assert.equal(stored.partial, false);
      // The neurons actually zeroed were the chosen selection's: fewer neurons, a different matrix.
      assert.notDeepEqual(stored.result.nll, store.findResult(latest.out.resultId, 'ablation')!.result.nll);
    } finally {
      store.close();
    }
  });

  it('a wrong --selection is a clear error', async () => {
    userError(await runCli(['ablate', testModelDir, '--db', db, ...CORPUS, '--selection', '9999']), new RegExp(`no LAPE selection #9999 .*\\n.*LAPE selections here: #${narrow}, #${wide}`));
    userError(await runCli(['ablate', testModelDir, '--db', db, ...CORPUS, '--selection', String(narrow), '--run', 'other']), /made from run "capture", not "other"/);
    userError(await runCli(['ablate', testModelDir, '--db', db, ...CORPUS, '--selection', 'x']), /--selection must be an integer/);
  });

  it('compare prints the selection of each file and warns when their settings differ', async () => {
    const differing = await json(['compare', '--db', db, '--db', db2]);
    assert.deepEqual(differing.out.selections.map((s: { id: number }) => s.id), [wide, other]);
    assert.equal(differing.out.warnings.length, 1);
    assert.match(differing.stderr, /warning: the LAPE selections were made with different settings.*topRate 0\.1.*topRate 0\.05/);
    assert.match(differing.stderr, new RegExp(`using LAPE selection #${wide} .*\\n.*using LAPE selection #${other} `));
    const same = await json(['compare', '--db', db, '--db', db2, '--selection', String(narrow), '--selection', String(other)]);
    assert.deepEqual(same.out.selections.map((s: { id: number }) => s.id), [narrow, other]);
    assert.deepEqual(same.out.warnings, []);
    assert.doesNotMatch(same.stderr, /warning/);
    userError(await runCli(['compare', '--db', db, '--db', db2, '--selection', String(narrow)]), /1 --selection for 2 --db files/);
  });

  it('codeswitch --ablate records the selection it used', async () => {
    const r = await json(['codeswitch', testModelDir, '--prompts', 'udhr:eng', '--max-texts-per-lang', '1', '--samples', '0', '--max-new-tokens', '4', '--device', 'cpu', '--db', db, '--selection', String(narrow), '--ablate', 'eng', '--no-baseline']);
    assert.equal(r.out.intervention.selection, narrow);
    assert.match(r.stderr, new RegExp(`using LAPE selection #${narrow} `));
  });

  it('working-language --db stores its exact parameters', async () => {
    const r = await json(['working-language', testModelDir, ...CORPUS, '--max-texts-per-lang', '2', '--db', db]);
    const store = openStore(db, { readonly: true });
    try {
      assert.deepEqual(store.findResult(r.out.resultId)!.params, { corpus: 'udhr:eng,rus', maxTextsPerLang: 2, minCount: 5, minShare: 0.8, chanceDraws: 20, resamples: 1000, seed: 1 });
    } finally {
      store.close();
    }
  });

  it('working-language with a missing --db says so before loading the model', async () => {
    // The model folder does not exist either: the store's error comes first, so no model was opened.
    userError(await runCli(['working-language', join(tmpdir(), 'no-such-model'), ...CORPUS, '--db', join(tmpdir(), 'no-such-store.db')]), /no such file: .*no-such-store\.db/);
  });

  it('align stores its result with the run it read as input', async () => {
    const r = await json(['align', '--db', db, '--pool', 'last', '--kernel', 'js']);
    const store = openStore(db, { readonly: true });
    try {
      const stored = store.latestResult(store.findRun('capture')!.id, 'alignment')!;
      assert.deepEqual(stored.params, { pivot: 'eng', pool: 'last', layers: 'hidden_states', permutations: 200, seed: 1 });
      assert.deepEqual(stored.inputs.map((i) => [i.role, i.id, i.runStatus]), [['run', store.findRun('capture')!.id, 'done']]);
      assert.deepEqual(stored.result.languages, r.out.languages);
    } finally {
      store.close();
    }
  });

  it('what is stored matches SCHEMA.md: every kind with its documented params, inputs and result keys, in camelCase', async () => {
    const doc = readSchemaDoc();
    // The selectivity method stores its own kind; made last so the tests above use the LAPE selections.
    await json(['lape', '--db', db, '--method', 'selectivity']);
    const store = openStore(db, { readonly: true });
    try {
      const rows = store.db.prepare('SELECT id, kind, params_json, result_json FROM results').all() as { id: number; kind: string; params_json: string; result_json: string }[];
      assert.deepEqual([...new Set(rows.map((r) => r.kind))].sort(), [...doc.kinds.keys()].sort(), 'this test stores one result of every kind');
      for (const row of rows) {
        const d = doc.kinds.get(row.kind)!;
        const params = Object.keys(JSON.parse(row.params_json) as object);
        for (const p of params) assert.ok(d.params.includes(p), `${row.kind} param ${p} is documented`);
        for (const p of d.params) if (!d.optionalParams.includes(p)) assert.ok(params.includes(p), `${row.kind} param ${p} is stored`);
        const result = JSON.parse(row.result_json) as Record<string, unknown>;
        const keys = d.keyedByLanguage ? Object.values(result).flatMap((v) => Object.keys(v as object)) : Object.keys(result);
        for (const k of new Set(keys)) assert.ok(d.result.includes(k), `${row.kind} result key ${k} is documented`);
        for (const k of d.result) if (!d.optionalResult.includes(k)) assert.ok(keys.includes(k), `${row.kind} result key ${k} is stored`);
        assert.deepEqual(snakeKeys(result), [], `${row.kind} result keys are camelCase`);
        assert.deepEqual(
          store.findResult(row.id)!.inputs.map((i) => i.role).sort(),
          [...d.inputs].sort(),
          `inputs of ${row.kind} #${row.id}`,
        );
      }
    } finally {
      store.close();
    }
  });

  it('read-only commands work on a read-only file in a read-only folder', async (t) => {
    // root ignores permissions: run the commands as nobody then, which the modes do stop.
    if (isRoot && !nobodyCanRead(cliPath)) return t.skip('user nobody cannot read this checkout (a private folder above it)');
    const ro = join(tmp, 'ro');
    chmodSync(tmp, 0o755); // mkdtemp made it private to this user
    mkdirSync(ro);
    for (const f of ['a.db', 'b.db']) copyFileSync(join(tmp, f), join(ro, f));
    chmodSync(join(ro, 'a.db'), 0o444);
    chmodSync(join(ro, 'b.db'), 0o444);
    chmodSync(ro, 0o555);
    try {
      const asUser = isRoot ? NOBODY : {};
      for (const args of [
        ['align', '--db', join(ro, 'a.db'), '--no-save'],
        ['compare', '--db', join(ro, 'a.db'), '--db', join(ro, 'b.db')],
      ]) {
        const r = await runCli([...args, '--json'], {}, asUser);
        assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`);
        JSON.parse(r.stdout);
      }
      const write = await runCli(['lape', '--db', join(ro, 'a.db')], {}, asUser);
      assert.equal(write.code, 1, write.stderr);
      assert.match(write.stderr, /^error: .*read-only/m);
    } finally {
      chmodSync(ro, 0o755);
    }
  });

  it('every --json output uses camelCase keys', async () => {
    await json(['inspect', testModelDir, '--device', 'cpu']);
    await json(['lens', testModelDir, '--device', 'cpu', '--text', 'Hello world', '--top', '2', '--languages', 'udhr:eng,rus']);
    await json(['generate', testModelDir, '--device', 'cpu', '--prompt', 'Everyone', '--max-new-tokens', '2']);
    await json(['align', '--db', db]);
    await json(['fertility', testModelDir, '--corpus', 'udhr:eng,rus', '--max-texts-per-lang', '2']);
    await json(['codeswitch', testModelDir, '--prompts', 'udhr:rus', '--max-texts-per-lang', '1', '--samples', '0', '--max-new-tokens', '8', '--device', 'cpu']);
    for (const [command, out] of outputs) assert.deepEqual(snakeKeys(out), [], `${command} --json`);
  });
});

describe('robustness', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-robust-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('Ctrl-C during capture saves what is done, marks the run interrupted, says how to resume and exits 130', async () => {
    const db = join(tmp, 'sigint.db');
    const args = ['capture', testModelDir, '--corpus', 'udhr:eng,rus,deu,fra', '--max-texts-per-lang', '40', '--db', db, '--device', 'cpu', '--batch', '1'];
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let signalled = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The first progress line comes after a quarter of the texts, well before the 10 s flush interval.
      if (!signalled && /capture: \d+\/160/.test(stderr)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.ok(signalled, stderr);
    assert.equal(code, 130, stderr);
    const m = /capture of run "capture" was interrupted after (\d+) of 160 texts; they are stored/.exec(stderr);
    assert.ok(m, stderr);
    const saved = Number(m[1]);
    assert.ok(saved > 0 && saved < 160, `${saved} texts saved`);
    assert.ok(stderr.includes(`Resume with the same command: babelscope ${args.join(' ')}`), stderr);
    const store = openStore(db, { readonly: true });
    try {
      const run = store.findRun('capture')!;
      assert.equal(run.status, 'interrupted');
      assert.equal(store.doneTextIds(run.id).size, saved, 'every text reported saved is stored');
      assert.equal(store.latestResult(run.id, 'nll')!.partial, true);
    } finally {
      store.close();
    }

    // What is computed from the interrupted run is marked partial.
    const lape = await runCli(['lape', '--db', db, '--top-rate', '0.05', '--json']);
    assert.equal(lape.code, 0, lape.stderr);
    assert.match(lape.stderr, /warning: run "capture" is interrupted/);
    assert.equal(JSON.parse(lape.stdout).selection.partial, true);

    const resumed = await runCli([...args, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const s = JSON.parse(resumed.stdout);
    assert.equal(s.resumed, true);
    assert.equal(s.skippedAlreadyDone, saved);
    assert.equal(s.skippedAlreadyDone + s.texts, 160);
    const after = openStore(db, { readonly: true });
    try {
      const run = after.findRun('capture')!;
      assert.equal(run.status, 'done');
      assert.equal(after.latestResult(run.id, 'nll')!.partial, false);
    } finally {
      after.close();
    }
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), version);
    }
  });

  it('--db "" is an error for every command that takes a store', async () => {
    for (const args of [
      ['capture', testModelDir, '--corpus', 'udhr:eng', '--device', 'cpu'],
      ['lape'],
      ['align'],
      ['ablate', testModelDir, '--corpus', 'udhr:eng', '--device', 'cpu'],
      ['working-language', testModelDir, '--corpus', 'udhr:eng', '--device', 'cpu'],
      ['codeswitch', testModelDir, '--prompts', 'udhr:eng', '--ablate', 'eng', '--device', 'cpu'],
    ]) {
      userError(await runCli([...args, '--db', '']), /--db is empty/);
    }
    userError(await runCli(['compare', '--db', '', '--db', 'x.db']), /--db is empty/);
  });
});
