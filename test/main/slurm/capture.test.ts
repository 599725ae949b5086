/**
 * examples/slurm/submit.sh on a live one-node Slurm: a 4-task capture array and its merge job give the
 * same store as one process; a task cancelled mid-capture (scancel) and resubmitted alone resumes its
 * shard and the result is the same again.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lape } from '../../../src/main/analysis/lape.js';
import { lapeStatsOf } from '../../../src/main/pipelines/stored-runs.js';
import { openStore, type Store } from '../../../src/main/store/index.js';
import { runCliJson } from '../../helpers/cli.js';
import { testModelDir } from '../../helpers/fixtures.js';
import { jobStates, scancel, slurmSkipReason, submit, waitForJob } from './live-slurm.js';

// The bundled model's 11 languages, whole UDHR: 638 texts, long enough to cancel a task mid-way.
const CORPUS = 'udhr:eng,deu,fra,spa,tur,rus,ell,arb,hin,kor,cmn';
const SHARDS = 4;
const skip = slurmSkipReason();
if (skip) console.log(`# skipped: ${skip}`);

const run = (store: Store) => store.findRun('capture')!;

/** The merged store holds what one process captured: same LAPE selection, counts exact, float sums to float32 rounding. */
function assertSameCapture(mergedPath: string, onePath: string): void {
  const one = openStore(onePath, { readonly: true });
  const merged = openStore(mergedPath, { readonly: true });
  try {
    assert.equal(run(merged).status, 'done');
    assert.equal(merged.mergedShards(run(merged).id).length, SHARDS);
    assert.deepEqual(lape(lapeStatsOf(merged, run(merged))), lape(lapeStatsOf(one, run(one))), 'LAPE selection, thresholds and per-layer counts');
    const a = one.readNeuronStats(run(one).id);
    const b = merged.readNeuronStats(run(merged).id);
    assert.deepEqual(b.languages, a.languages);
    assert.equal(b.numLayers, a.numLayers);
    let compared = 0;
    for (let l = 0; l < a.numLayers; l++)
      for (const lang of a.languages) {
        const x = a.layers[l]![lang]!;
        const y = b.layers[l]![lang]!;
        assert.equal(y.tokens, x.tokens, `tokens ${l}/${lang}`);
        assert.deepEqual(y.positiveCounts, x.positiveCounts, `positive counts ${l}/${lang}`);
        for (let n = 0; n < x.sums.length; n++) {
          // Each text's float32 in-graph reduction depends a little on its batch companions.
          assert.ok(Math.abs(y.sums[n]! - x.sums[n]!) <= 1e-4 * (1 + Math.abs(x.sums[n]!)), `sum ${l}/${lang}/${n}: ${y.sums[n]} vs ${x.sums[n]}`);
          assert.ok(Math.abs(y.sumSquares[n]! - x.sumSquares[n]!) <= 1e-4 * (1 + Math.abs(x.sumSquares[n]!)), `sum of squares ${l}/${lang}/${n}`);
          compared++;
        }
      }
    assert.ok(compared > 0);
    const na = one.latestResult(run(one).id, 'nll')!.result;
    const nb = merged.latestResult(run(merged).id, 'nll')!.result;
    for (const lang of Object.keys(na)) {
      assert.equal(nb[lang]!.count, na[lang]!.count, lang);
      assert.ok(Math.abs(nb[lang]!.sum - na[lang]!.sum) < 1e-3 * na[lang]!.count, lang);
    }
    assert.deepEqual(merged.integrityCheck(), ['ok']);
  } finally {
    one.close();
    merged.close();
  }
}

describe('sharded capture as a Slurm job array (examples/slurm/submit.sh)', { skip }, () => {
  let tmp: string;
  let onePath: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-slurm-'));
    onePath = join(tmp, 'one.db');
    const one = await runCliJson(['capture', testModelDir, '--device', 'cpu', '--corpus', CORPUS, '--db', onePath]);
    assert.ok(one.texts > 600, `${one.texts} texts`);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('4 tasks + an afterok merge give the store one process gives', { timeout: 300_000 }, async () => {
    const dir = join(tmp, 'array');
    mkdirSync(dir);
    const out = join(dir, 'all.db');
    const { merge, array } = submit([testModelDir, CORPUS, out, String(SHARDS), '--device', 'cpu'], dir);
    assert.match(jobStates(merge)[0]?.state ?? '', /PENDING|RUNNING|COMPLETED/, 'the merge job is queued');
    const tasks = await waitForJob(array);
    assert.deepEqual(tasks.map((t) => t.state).sort(), Array(SHARDS).fill('COMPLETED'));
    const [m] = await waitForJob(merge);
    assert.equal(m!.state, 'COMPLETED', readFileSync(join(dir, `all.merge.${merge}.log`), 'utf8'));
    for (let i = 0; i < SHARDS; i++) assert.ok(existsSync(join(dir, `all.shard-${i}-of-${SHARDS}.db`)), `shard ${i} wrote its own file`);
    assert.match(readFileSync(join(dir, `all.merge.${merge}.log`), 'utf8'), /638 of 638 texts, complete/);
    assertSameCapture(out, onePath);
  });

  it('a task cancelled mid-capture, resubmitted alone, resumes its shard: the same store', { timeout: 300_000 }, async () => {
    const dir = join(tmp, 'cancel');
    mkdirSync(dir);
    const out = join(dir, 'all.db');
    const args = [testModelDir, CORPUS, out, String(SHARDS), '--device', 'cpu', '--max-batch-tokens', '256'];
    const first = submit(args, dir);
    // Cancel task 0 once its progress shows it is capturing (the first line comes at 25 %).
    const log = join(dir, `all.shard-0-of-${SHARDS}.${first.array}.log`);
    const until = Date.now() + 120_000;
    for (;;) {
      const seen = existsSync(log) ? /capture 0\/4: (\d+)\/(\d+)/.exec(readFileSync(log, 'utf8')) : null;
      if (seen && Number(seen[1]) < Number(seen[2])) break;
      assert.ok(!seen && Date.now() < until, `task 0 finished or never started before it could be cancelled: ${existsSync(log) ? readFileSync(log, 'utf8') : 'no log'}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    scancel(`${first.array}_0`);
    const tasks = await waitForJob(first.array);
    assert.equal(tasks.find((t) => t.id === `${first.array}_0`)!.state, 'CANCELLED');
    assert.deepEqual(
      tasks.filter((t) => t.id !== `${first.array}_0`).map((t) => t.state),
      Array(SHARDS - 1).fill('COMPLETED'),
    );
    // SIGTERM: the task saved what it had done and marked its run interrupted.
    const shard0 = join(dir, `all.shard-0-of-${SHARDS}.db`);
    const s = openStore(shard0, { readonly: true });
    const saved = s.doneTextIds(run(s).id).size;
    assert.equal(run(s).status, 'interrupted');
    s.close();
    assert.ok(saved > 0, 'texts saved before the cancel');
    const [firstMerge] = await waitForJob(first.merge);
    assert.equal(firstMerge!.state, 'CANCELLED', 'the first merge cannot run (--kill-on-invalid-dep)');
    assert.ok(!existsSync(out), 'nothing was merged');

    const again = submit(['--retry', '0', ...args], dir);
    assert.match(again.stderr, /tasks 0 /);
    const [task] = await waitForJob(again.array);
    const retryLog = readFileSync(join(dir, `all.shard-0-of-${SHARDS}.${again.array}.log`), 'utf8');
    assert.equal(task!.state, 'COMPLETED', retryLog);
    assert.match(retryLog, new RegExp(`resumed run "capture".*, ${saved} already done`));
    const [m] = await waitForJob(again.merge);
    assert.equal(m!.state, 'COMPLETED', readFileSync(join(dir, `all.merge.${again.merge}.log`), 'utf8'));
    assertSameCapture(out, onePath);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.db')).sort(),
      ['all.db', ...Array.from({ length: SHARDS }, (_, i) => `all.shard-${i}-of-${SHARDS}.db`)].sort(),
    );
  });
});
