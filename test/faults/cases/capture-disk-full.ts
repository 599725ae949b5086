/**
 * A capture (src/main/pipelines/capture.ts → Store.commitBatch) under faults: the store's disk fills up at
 * several points, the process is killed at several points. Each time the statistics and the texts' done
 * marks are stored together or not at all (`PRAGMA integrity_check` ok), and a resume (after freeing
 * space) gives the same store as an uninterrupted capture.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isUserError } from '../../../src/shared/errors.js';
import { capture } from '../../../src/main/pipelines/capture.js';
import { readCorpus, type CorpusText } from '../../../src/main/corpus/index.js';
import { Model } from '../../../src/main/model/model.js';
import { NeuronStatsAccumulator, openStore, type Store } from '../../../src/main/store/index.js';
import { testModelDir } from '../../helpers/fixtures.js';
import { repoRoot } from '../../helpers/paths.js';
import { faultCase } from '../harness.js';
import { usedBytes, withTmpfs } from '../disks.js';

const AREA = 'capture-faults';
const CORPUS = 'udhr:eng,rus,cmn,arb';
const PER_LANG = 12;
const RUN = 'c';
const OPTIONS = { runName: RUN, corpusSpec: CORPUS, batchSize: 4, flushIntervalMs: 0 };

let model: Promise<Model> | undefined;
let texts: Promise<CorpusText[]> | undefined;
let whole: Promise<string> | undefined;
let scratch: string | undefined;
const theModel = () => (model ??= Model.open(testModelDir, { device: 'cpu' }));
const theTexts = () => (texts ??= readCorpus(CORPUS, { maxTextsPerLang: PER_LANG }));
const scratchDir = () => (scratch ??= mkdtempSync(join(tmpdir(), 'babelscope-fault-capture-')));

/** The store of one uninterrupted capture, made once. */
function wholeStore(): Promise<string> {
  return (whole ??= (async () => {
    const path = join(scratchDir(), 'whole.db');
    const store = openStore(path);
    try {
      await capture(await theModel(), store, await theTexts(), OPTIONS);
      checkConsistent(store, true);
    } finally {
      store.close();
    }
    return path;
  })());
}

/**
 * Statistics and done marks agree: per layer and language, the stored token count equals the tokens
 * counted for the texts marked done (their tokens after the leading <bos>), and every done text has its
 * pooled vectors. `complete`: every text is done and the run says so.
 */
function checkConsistent(store: Store, complete: boolean): void {
  assert.deepEqual(store.integrityCheck(), ['ok']);
  const run = store.findRun(RUN);
  if (!run) return assert.ok(!complete, 'the run exists');
  const done = store.db
    .prepare('SELECT t.lang AS lang, count(*) AS texts, sum(p.n_tokens) AS tokens FROM capture_progress p JOIN texts t ON t.id = p.text_id WHERE p.run_id = ? GROUP BY t.lang')
    .all(run.id) as { lang: string; texts: number; tokens: number }[];
  const stats = store.readNeuronStats(run.id);
  const doneTexts = done.reduce((n, d) => n + d.texts, 0);
  for (let l = 0; l < stats.numLayers; l++)
    for (const d of done) assert.equal(stats.layers[l]![d.lang]?.tokens ?? 0, d.tokens - d.texts, `layer ${l} ${d.lang}: statistics of exactly the done texts`);
  if (doneTexts === 0) assert.equal(stats.layers.flatMap((x) => Object.values(x)).reduce((n, c) => n + c.tokens, 0), 0, 'no statistics without done marks');
  for (const layer of store.pooledLayers(run.id)) assert.equal(store.readPooled(run.id, layer).length, doneTexts, `pooled vectors of layer ${layer} for each done text`);
  if (complete) {
    assert.equal(doneTexts, PER_LANG * 4);
    assert.equal(run.status, 'done');
  } else {
    assert.notEqual(run.status, 'done', 'an unfinished run is not marked done');
  }
}

const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));

/** The resumed store holds what the uninterrupted one does (sums to float64 rounding, pooled to float32's). */
function assertSameAsWhole(path: string, wholePath: string): void {
  const [a, b] = [openStore(path, { readonly: true }), openStore(wholePath, { readonly: true })];
  try {
    checkConsistent(a, true);
    const [ra, rb] = [a.findRun(RUN)!, b.findRun(RUN)!];
    const [sa, sb] = [a.readNeuronStats(ra.id), b.readNeuronStats(rb.id)];
    assert.deepEqual(sa.languages, sb.languages);
    for (let l = 0; l < sb.numLayers; l++)
      for (const lang of sb.languages) {
        const [x, y] = [sa.layers[l]![lang]!, sb.layers[l]![lang]!];
        assert.equal(x.tokens, y.tokens);
        assert.deepEqual(Array.from(x.positiveCounts), Array.from(y.positiveCounts));
        for (let j = 0; j < y.sums.length; j++) {
          assert.ok(close(x.sums[j]!, y.sums[j]!, 1e-6), `layer ${l} ${lang} neuron ${j} sum ${x.sums[j]} vs ${y.sums[j]}`);
          assert.ok(close(x.sumSquares[j]!, y.sumSquares[j]!, 1e-6));
        }
      }
    for (const layer of b.pooledLayers(rb.id)) {
      const byKey = new Map(a.readPooled(ra.id, layer).map((p) => [`${p.lang}/${p.key}`, p]));
      for (const q of b.readPooled(rb.id, layer)) {
        const p = byKey.get(`${q.lang}/${q.key}`);
        assert.ok(p, `pooled ${q.lang}/${q.key} layer ${layer}`);
        for (const v of ['mean', 'last'] as const) if (q[v]) q[v]!.forEach((e, i) => assert.ok(Math.abs(p[v]![i]! - e) < 1e-3, `${v} ${q.key} ${i}`));
      }
    }
    const [na, nb] = [a.latestResult(ra.id, 'nll')!.result, b.latestResult(rb.id, 'nll')!.result];
    for (const lang of Object.keys(nb)) {
      assert.equal(na[lang]!.count, nb[lang]!.count);
      assert.ok(close(na[lang]!.sum, nb[lang]!.sum, 1e-5), `NLL ${lang}`);
    }
  } finally {
    a.close();
    b.close();
  }
}

export function registerCases(): void {
  after(async () => {
    if (model) await (await model).dispose();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  // The store grows by ~500 KB over the capture: these budgets fill the disk early, midway and near the end.
  for (const kib of [48, 160, 320]) {
    faultCase(AREA, `the store's disk fills ${kib} KiB into a capture (tmpfs): UserError, stats and done marks agree, resume after freeing space equals an uninterrupted capture`, (t) =>
      withTmpfs(t, 16 << 20, async ({ dir, resize }) => {
        const wholePath = await wholeStore();
        const path = join(dir, 'store.db');
        openStore(path).close(); // the empty store, with its schema
        resize(usedBytes(dir) + (kib << 10));
        let store = openStore(path);
        try {
          await assert.rejects(capture(await theModel(), store, await theTexts(), OPTIONS), (e: unknown) => isUserError(e) && /disk is full/.test(e.message) && /resume|again/.test(e.hint ?? ''));
          checkConsistent(store, false);
          // Still full: a second try fails the same way and keeps the store consistent.
          await assert.rejects(capture(await theModel(), store, await theTexts(), OPTIONS), (e: unknown) => isUserError(e) && /disk is full/.test(e.message));
          checkConsistent(store, false);
          const started = store.findRun(RUN) !== undefined; // a disk full at once leaves no run to resume
          store.close();
          resize(16 << 20);
          store = openStore(path);
          const s = await capture(await theModel(), store, await theTexts(), OPTIONS);
          assert.equal(s.resumed, started);
          assert.equal(s.texts + s.skippedAlreadyDone, PER_LANG * 4);
        } finally {
          store.close();
        }
        assertSameAsWhole(path, wholePath);
      }),
    );
  }

  for (const at of [1, 5]) {
    faultCase(AREA, `the store refuses flush ${at} once (SQLite error from a trigger), then the run is saved as failed: no done mark without its statistics; resume equals an uninterrupted capture`, async () => {
      const wholePath = await wholeStore();
      const path = join(scratchDir(), `refused-${at}.db`);
      let store = openStore(path);
      try {
        // Fails flush `at` only, at its last statement (each flush stores the NLL totals once); a temporary
        // trigger, gone when the store is closed.
        let flushes = 0;
        store.db.function('fault_flush', () => (++flushes === at ? 1 : 0));
        store.db.exec(`CREATE TEMP TRIGGER fault AFTER INSERT ON results BEGIN SELECT CASE WHEN fault_flush() = 1 THEN RAISE(ABORT, 'injected: database or disk is full') END; END`);
        await assert.rejects(capture(await theModel(), store, await theTexts(), OPTIONS), /injected/);
        checkConsistent(store, false);
        assert.equal(store.findRun(RUN)!.status, 'failed', 'the run was saved as failed (resumable)');
        store.close();
        store = openStore(path);
        const s = await capture(await theModel(), store, await theTexts(), OPTIONS);
        assert.equal(s.resumed, true);
      } finally {
        store.close();
      }
      assertSameAsWhole(path, wholePath);
    });
  }

  faultCase(AREA, 'a file size limit (ulimit -f, no root needed) stops a capture in a child: UserError, consistent store, resume equals an uninterrupted capture', async () => {
    const wholePath = await wholeStore();
    const path = join(scratchDir(), 'limited.db');
    openStore(path).close(); // the empty store, with its schema
    const script = join(scratchDir(), 'limited.mjs');
    writeFileSync(script, childScript(path).replace(/await capture\(([^;]*)\);/, "try { await capture($1); } catch (e) { process.stdout.write('error ' + e.kind + ' ' + e.message + '\\n'); }"));
    const limitKiB = Math.ceil(statSync(path).size / 1024) + 160;
    const child = spawn('bash', ['-c', `ulimit -f ${limitKiB}; exec "$0" "$1"`, process.execPath, script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.once('close', r));
    assert.match(out, /^error user (Disk I\/O error|The disk is full)[^\n]*limited\.db/m);
    let store = openStore(path);
    try {
      checkConsistent(store, false);
      const started = store.findRun(RUN) !== undefined;
      const s = await capture(await theModel(), store, await theTexts(), OPTIONS);
      assert.equal(s.resumed, started);
    } finally {
      store.close();
    }
    assertSameAsWhole(path, wholePath);
  });

  faultCase(AREA, 'a failed commit keeps the accumulator\'s statistics pending; the retry writes them with their done marks', async () => {
    const dir = scratchDir();
    const store = openStore(join(dir, `acc-${process.pid}.db`));
    try {
      const corpus = store.saveCorpus('t', [
        { lang: 'eng', id: '1', text: 'a' },
        { lang: 'eng', id: '2', text: 'b' },
      ]);
      const stored = corpus.texts;
      const run = store.createRun({ name: 'acc', kind: 'capture', corpusId: corpus.corpusId, model: { dir: '/models/m', hash: 'h' }, device: 'cpu', params: {} });
      store.markTextsDone(run.id, [stored[0]!.textId]);
      const acc = new NeuronStatsAccumulator(1, 3, ['eng']);
      acc.add(0, 'eng', new Float32Array([1, -1, 2, 3, 0, -2]));
      // Text 1 is already done: SQLite refuses the batch, the transaction rolls back.
      assert.throws(() => acc.commit((stats) => store.commitBatch(run.id, { stats, done: [{ textId: stored[0]!.textId, nTokens: 2 }] })), /already marked done/);
      assert.equal(acc.pendingTokens, 2, 'nothing was forgotten');
      assert.equal(store.readNeuronStats(run.id).layers.length, 0, 'nothing was stored');
      acc.commit((stats) => store.commitBatch(run.id, { stats, done: [{ textId: stored[1]!.textId, nTokens: 2 }] }));
      assert.equal(acc.pendingTokens, 0);
      const c = store.readNeuronStats(run.id).layers[0]!['eng']!;
      assert.equal(c.tokens, 2);
      assert.deepEqual(Array.from(c.positiveCounts), [2, 0, 1]);
      assert.deepEqual(Array.from(c.sums), [4, -1, 0]);
    } finally {
      store.close();
    }
  });

  const childScript = (storePath: string) => `
    import { capture } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'dist', 'src', 'main', 'pipelines', 'capture.js')).href)};
    import { readCorpus } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'dist', 'src', 'main', 'corpus', 'index.js')).href)};
    import { Model } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'dist', 'src', 'main', 'model', 'model.js')).href)};
    import { openStore } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'dist', 'src', 'main', 'store', 'index.js')).href)};
    const texts = await readCorpus(${JSON.stringify(CORPUS)}, { maxTextsPerLang: ${PER_LANG} });
    const model = await Model.open(${JSON.stringify(testModelDir)}, { device: 'cpu' });
    const store = openStore(${JSON.stringify(storePath)});
    process.stdout.write('up\\n');
    await capture(model, store, texts, { ...${JSON.stringify(OPTIONS)}, onProgress: (p) => process.stdout.write('done ' + p.done + '\\n') });
    process.stdout.write('finished\\n');
    await model.dispose();`;

  const killAt = (name: string, trigger: (line: string) => boolean) =>
    faultCase(AREA, `kill -9 ${name}: integrity ok, stats and done marks agree, resume equals an uninterrupted capture`, async () => {
      const wholePath = await wholeStore();
      const path = join(scratchDir(), `killed-${name.replace(/\W+/g, '-')}.db`);
      // A script file, not -e: the model's worker thread inherits the parent's flags, --input-type included.
      const script = join(scratchDir(), `child-${name.replace(/\W+/g, '-')}.mjs`);
      writeFileSync(script, childScript(path));
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let killed = false;
      child.stdout.on('data', (d: Buffer) => {
        if (!killed && d.toString().split('\n').some(trigger)) {
          killed = child.kill('SIGKILL');
        }
      });
      const code = await new Promise((r) => child.once('close', (c) => r(c)));
      assert.ok(killed, `the child was killed (exit ${String(code)}: ${stderr.slice(-500)})`);
      let store = openStore(path);
      try {
        checkConsistent(store, false);
        const started = store.findRun(RUN) !== undefined;
        const s = await capture(await theModel(), store, await theTexts(), OPTIONS);
        assert.equal(s.resumed, started);
      } finally {
        store.close();
      }
      assertSameAsWhole(path, wholePath);
    });

  killAt('right after the store opens', (l) => l === 'up');
  killAt('after the first batch', (l) => /^done [1-9]/.test(l));
  killAt('after a dozen texts', (l) => /^done (1[2-9]|[2-9]\d)/.test(l));
  killAt('after 40 texts', (l) => /^done (4\d)/.test(l));
}
