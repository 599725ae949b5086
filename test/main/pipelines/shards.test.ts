/** Sharded captures and `babelscope merge` on the bundled model: merged LAPE equals one unsharded capture. */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lape } from '../../../src/main/analysis/lape.js';
import { capture } from '../../../src/main/pipelines/capture.js';
import { parseShard } from '../../../src/main/cli/capture-options.js';
import { inShard, shardOf } from '../../../src/main/pipelines/shard.js';
import { lapeStatsOf } from '../../../src/main/pipelines/stored-runs.js';
import type { CorpusText } from '../../../src/shared/corpus-text.js';
import { readCorpus } from '../../../src/main/corpus/index.js';
import { Model } from '../../../src/main/model/model.js';
import { openStore, type Store } from '../../../src/main/store/index.js';
import { runCli, runCliJson } from '../../helpers/cli.js';
import { testCheckpointDirs, testModelDir } from '../../helpers/fixtures.js';

const CORPUS = 'udhr:eng,rus,cmn,arb';
const N = 3;

describe('shard assignment', () => {
  it('parses I/N (0-based) and refuses anything else with a hint', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
    assert.deepEqual(parseShard(' 0 / 1 '), { index: 0, count: 1 });
    for (const bad of ['4/4', '1/0', 'a/b', '1', '-1/3', '1/2/3']) assert.throws(() => parseShard(bad), { name: 'UserError' }, bad);
  });

  it('splits texts into disjoint, covering, roughly even parts by corpus id, keeping translations together', async () => {
    const texts = await readCorpus('udhr:eng,rus', {});
    const parts = Array.from({ length: 4 }, (_, i) => texts.filter((t) => inShard(t.id, { index: i, count: 4 })));
    assert.equal(parts.reduce((s, p) => s + p.length, 0), texts.length);
    for (const p of parts) assert.ok(p.length > texts.length / 8, `a shard of ${p.length} of ${texts.length} texts`);
    for (const t of texts) assert.equal(parts.filter((p) => p.includes(t)).length, 1);
    for (const p of parts) for (const t of p) assert.equal(shardOf(t.id, 4), parts.indexOf(p));
    const eng = new Map(texts.filter((t) => t.lang === 'eng').map((t) => [t.id, shardOf(t.id, 4)]));
    for (const t of texts.filter((x) => x.lang === 'rus' && eng.has(x.id))) assert.equal(shardOf(t.id, 4), eng.get(t.id));
  });
});

describe('sharded capture + merge on the bundled model', () => {
  let tmp: string;
  let model: Model;
  let texts: CorpusText[];
  const db = (name: string) => join(tmp, name);
  const run = (store: Store) => store.findRun('capture')!;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-shards-'));
    model = await Model.open(testModelDir, { device: 'cpu' });
    texts = await readCorpus(CORPUS, { maxTextsPerLang: 15 });
    const full = openStore(db('full.db'));
    // The unsharded capture queues batches ahead (overlap); the shards run one batch at a time.
    await capture(model, full, texts, { runName: 'capture', corpusSpec: CORPUS, maxBatchTokens: 512, overlap: true });
    full.close();
    for (let i = 0; i < N; i++) {
      const s = openStore(db(`shard${i}.db`));
      const summary = await capture(model, s, texts, { runName: 'capture', corpusSpec: CORPUS, shard: { index: i, count: N }, maxBatchTokens: 300, overlap: false });
      assert.equal(summary.shard!.shardTexts, texts.filter((t) => inShard(t.id, { index: i, count: N })).length);
      s.close();
    }
  });
  after(async () => {
    await model.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('merged LAPE, counts and pooled vectors equal the unsharded capture', async () => {
    const r = await runCliJson(['merge', db('merged.db'), ...[...Array(N).keys()].map((i) => db(`shard${i}.db`))]);
    assert.equal(r.complete, true);
    assert.equal(r.doneTexts, texts.length);
    assert.deepEqual(
      r.sources.map((s: { shard: { index: number } }) => s.shard.index),
      [0, 1, 2],
    );
    const full = openStore(db('full.db'), { readonly: true });
    const merged = openStore(db('merged.db'), { readonly: true });
    try {
      const a = lapeStatsOf(full, run(full));
      const b = lapeStatsOf(merged, run(merged));
      assert.deepEqual(lape(b), lape(a), 'LAPE selection, thresholds and per-layer counts are identical');
      const fs = full.readNeuronStats(run(full).id);
      const ms = merged.readNeuronStats(run(merged).id);
      for (let l = 0; l < fs.numLayers; l++) {
        for (const lang of fs.languages) {
          const x = fs.layers[l]![lang]!;
          const y = ms.layers[l]![lang]!;
          assert.equal(y.tokens, x.tokens);
          assert.deepEqual(y.positiveCounts, x.positiveCounts, `positive counts, layer ${l} ${lang}`);
          // Float sums: each text's in-graph float32 reduction depends a little on its batch companions.
          for (let n = 0; n < x.sums.length; n++) assert.ok(Math.abs(y.sums[n]! - x.sums[n]!) <= 1e-4 * (1 + Math.abs(x.sums[n]!)), `sum ${l}/${lang}/${n}: ${y.sums[n]} vs ${x.sums[n]}`);
        }
      }
      // Per-text-group counts (the selectivity test's units) add up across shards like the rest.
      const layers = full.textGroupLayers(run(full).id);
      assert.equal(layers.length, fs.numLayers);
      assert.deepEqual(merged.textGroupLayers(run(merged).id), layers);
      for (const l of layers) assert.deepEqual(merged.readTextGroups(run(merged).id, l), full.readTextGroups(run(full).id, l), `text groups, layer ${l}`);
      const byKey = (rows: { lang: string; key: string; mean: Float32Array | null; last: Float32Array | null }[]) => new Map(rows.map((x) => [`${x.lang}/${x.key}`, x]));
      const fp = byKey(full.readPooled(run(full).id, 2));
      const mp = byKey(merged.readPooled(run(merged).id, 2));
      assert.equal(mp.size, fp.size);
      for (const [k, v] of fp) {
        // Same text, other batch companions: equal up to float32 rounding, then float16 storage.
        const w = mp.get(k)!;
        for (let h = 0; h < v.mean!.length; h++) assert.ok(Math.abs(w.mean![h]! - v.mean![h]!) <= 1e-3 * (1 + Math.abs(v.mean![h]!)), k);
      }
      const nf = full.latestResult(run(full).id, 'nll')!.result;
      const nm = merged.latestResult(run(merged).id, 'nll')!.result;
      for (const lang of Object.keys(nf)) {
        assert.equal(nm[lang]!.count, nf[lang]!.count);
        assert.ok(Math.abs(nm[lang]!.sum - nf[lang]!.sum) < 1e-3 * nf[lang]!.count, lang);
      }
      assert.equal(run(merged).status, 'done');
      assert.equal(merged.mergedShards(run(merged).id).length, N);
      assert.equal((run(merged).params as { shard?: unknown }).shard, undefined, 'the merged run is not a shard');
      assert.deepEqual(merged.integrityCheck(), ['ok']);
    } finally {
      full.close();
      merged.close();
    }
  });

  it('merging in steps, or again after a kill, adds each shard once', async () => {
    const first = await runCliJson(['merge', db('steps.db'), db('shard0.db')]);
    assert.equal(first.complete, false);
    const again = await runCliJson(['merge', db('steps.db'), db('shard0.db'), db('shard1.db'), db('shard2.db')]);
    assert.deepEqual(
      again.sources.map((s: { alreadyMerged: boolean }) => s.alreadyMerged),
      [true, false, false],
    );
    assert.equal(again.complete, true);
    const a = openStore(db('steps.db'), { readonly: true });
    const b = openStore(db('merged.db'), { readonly: true });
    assert.deepEqual(lape(lapeStatsOf(a, run(a))), lape(lapeStatsOf(b, run(b))));
    a.close();
    b.close();
  });

  it('merges form a tree: partial merges merged together equal the flat merge', async () => {
    const left = await runCliJson(['merge', db('tree-left.db'), db('shard0.db'), db('shard1.db')]);
    assert.equal(left.complete, false);
    await runCliJson(['merge', db('tree-right.db'), db('shard2.db')]);
    const top = await runCliJson(['merge', db('tree.db'), db('tree-left.db'), db('tree-right.db')]);
    assert.equal(top.complete, true);
    assert.equal(top.doneTexts, texts.length);
    const a = openStore(db('tree.db'), { readonly: true });
    const b = openStore(db('merged.db'), { readonly: true });
    try {
      assert.deepEqual(lape(lapeStatsOf(a, run(a))), lape(lapeStatsOf(b, run(b))));
      assert.equal(run(a).status, 'done');
      assert.deepEqual(a.latestResult(run(a).id, 'nll')!.result, b.latestResult(run(b).id, 'nll')!.result);
    } finally {
      a.close();
      b.close();
    }
    const twice = await runCli(['merge', db('tree-twice.db'), db('tree-left.db'), db('shard1.db')]);
    assert.equal(twice.code, 1, 'a shard already inside a partial merge is refused');
    assert.match(twice.stderr, /overlaps what is already merged/);
  });

  it('a merge that fails midway leaves the output as it was (one transaction per shard)', () => {
    const out = openStore(db('rollback.db'));
    const src = openStore(db('shard2.db'), { readonly: true });
    try {
      const corpus = out.saveCorpus(CORPUS, src.readCorpus(run(src).corpusId!));
      const target = out.createRun({ name: 'capture', kind: 'capture', model: run(src).model, corpusId: corpus.corpusId });
      const source = { path: db('shard2.db'), runId: run(src).id, runName: 'capture', corpusId: run(src).corpusId!, params: run(src).params };
      // Fails after the statistics, pooled vectors and done marks were written inside the transaction.
      assert.throws(() => out.mergeCaptureRun({ runId: target.id, corpusId: corpus.corpusId }, source, () => {
        assert.ok(out.doneTextIds(target.id).size > 0, 'written inside the transaction');
        throw new Error('killed');
      }), /killed/);
      assert.equal(out.doneTextIds(target.id).size, 0);
      assert.equal(out.readNeuronStats(target.id).numLayers, 0);
      assert.deepEqual(out.pooledLayers(target.id), []);
      assert.deepEqual(out.mergedShards(target.id), []);
      const again = out.mergeCaptureRun({ runId: target.id, corpusId: corpus.corpusId }, source);
      assert.deepEqual(again, { texts: src.doneTextIds(run(src).id).size, alreadyMerged: false });
      assert.deepEqual(out.integrityCheck(), ['ok']);
    } finally {
      out.close();
      src.close();
    }
  });

  it('refuses overlapping shards, and leaves the output as it was', async () => {
    copyFileSync(db('shard1.db'), db('shard1-copy.db'));
    const r = await runCli(['merge', db('overlap.db'), db('shard0.db'), db('shard1.db'), db('shard1-copy.db')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /both shard 1\/3/);
    const full = await runCli(['merge', db('overlap2.db'), db('shard0.db'), db('full.db')]);
    assert.equal(full.code, 1);
    assert.match(full.stderr, /overlaps what is already merged: \d+ of its \d+ texts/);
    const out = openStore(db('overlap2.db'), { readonly: true });
    assert.equal(out.doneTextIds(run(out).id).size, texts.filter((t) => inShard(t.id, { index: 0, count: N })).length, 'shard 0 alone was kept');
    out.close();
  });

  it('refuses shards of another model, corpus or settings, unfinished shards, and the output as a source', async () => {
    const other = await Model.open(testCheckpointDirs[0]!, { device: 'cpu' });
    try {
      const s = openStore(db('other-model.db'));
      await capture(other, s, texts, { runName: 'capture', corpusSpec: CORPUS, shard: { index: 1, count: N } });
      s.close();
    } finally {
      await other.dispose();
    }
    const otherCorpus = openStore(db('other-corpus.db'));
    await capture(model, otherCorpus, texts.slice(1), { runName: 'capture', corpusSpec: CORPUS, shard: { index: 1, count: N } });
    otherCorpus.close();
    const otherPool = openStore(db('other-pool.db'));
    await capture(model, otherPool, texts, { runName: 'capture', corpusSpec: CORPUS, shard: { index: 1, count: N }, pooling: { vectors: ['mean'], layers: 'all', dtype: 'float16' } });
    otherPool.close();
    const unfinished = openStore(db('unfinished.db'));
    await capture(model, unfinished, texts, { runName: 'capture', corpusSpec: CORPUS, shard: { index: 1, count: N }, maxBatchTokens: 64, flushIntervalMs: 0, stopAfterBatches: 2 });
    unfinished.close();

    const cases: [string, RegExp][] = [
      ['other-model.db', /another model/],
      ['other-corpus.db', /another corpus/],
      ['other-pool.db', /other settings/],
      ['unfinished.db', /not finished/],
    ];
    for (const [file, message] of cases) {
      const r = await runCli(['merge', db(`refused-${file}`), db('shard0.db'), db(file)]);
      assert.equal(r.code, 1, file);
      assert.match(r.stderr, message, file);
      assert.match(r.stderr, /\n {2}\S/, 'with a hint');
    }
    const self = await runCli(['merge', db('shard0.db'), db('shard0.db'), db('shard1.db')]);
    assert.match(self.stderr, /also a source/);
  });

  it('a shard resumes only as the same shard', async () => {
    const s = openStore(db('shard0.db'));
    try {
      await assert.rejects(capture(model, s, texts, { runName: 'capture', corpusSpec: CORPUS, shard: { index: 1, count: N } }), /other parameters/);
      const again = await capture(model, s, texts, { runName: 'capture', corpusSpec: CORPUS, shard: { index: 0, count: N } });
      assert.equal(again.texts, 0);
      assert.equal(again.skippedAlreadyDone, again.shard!.shardTexts);
    } finally {
      s.close();
    }
  });
});
