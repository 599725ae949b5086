/** capture → lape → align / ablate / working-language / compare on the bundled model, through the CLI and the store. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { capture } from '../../../src/main/pipelines/capture.js';
import { readCorpus } from '../../../src/main/corpus/index.js';
import { Model } from '../../../src/main/model/model.js';
import { openStore } from '../../../src/main/store/index.js';
import { cliPath, runCli, runCliJson } from '../../helpers/cli.js';
import { testCheckpointDirs, testModelDir } from '../../helpers/fixtures.js';

const CORPUS = 'udhr:eng,rus,cmn,arb';
const json = runCliJson;

describe('analysis pipeline on the bundled model', () => {
  let tmp: string;
  let db: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-pipeline-'));
    db = join(tmp, 'run.db');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('capture records statistics for every layer and language', async () => {
    const s = await json(['capture', testModelDir, '--corpus', CORPUS, '--max-texts-per-lang', '12', '--db', db, '--device', 'cpu', '--batch', '5']);
    assert.deepEqual(s.languages, ['arb', 'cmn', 'eng', 'rus']);
    assert.equal(s.texts, 48);
    assert.equal(s.resumed, false);
    const store = openStore(db, { readonly: true });
    try {
      const run = store.findRun('capture')!;
      const stats = store.readNeuronStats(run.id);
      assert.deepEqual(stats.languages, ['arb', 'cmn', 'eng', 'rus']);
      for (const layer of stats.layers) for (const lang of stats.languages) assert.ok(layer[lang]!.tokens > 0);
      assert.ok(store.readPooled(run.id, 0).length === 48);
      assert.deepEqual(store.integrityCheck(), ['ok']);
    } finally {
      store.close();
    }
  });

  it('a second capture with the same name resumes and adds nothing twice', async () => {
    const s = await json(['capture', testModelDir, '--corpus', CORPUS, '--max-texts-per-lang', '12', '--db', db, '--device', 'cpu']);
    assert.equal(s.resumed, true);
    assert.equal(s.texts, 0);
    assert.equal(s.skippedAlreadyDone, 48);
  });

  it('stored statistics equal a direct count over the engine\'s activations', async () => {
    const texts = await readCorpus('udhr:eng,rus', { maxTextsPerLang: 2 });
    const model = await Model.open(testModelDir, { device: 'cpu' });
    const store = openStore(join(tmp, 'direct.db'));
    try {
      await capture(model, store, texts, { runName: 'direct', corpusSpec: 'udhr:eng,rus', batchSize: 3 });
      const stats = store.readNeuronStats(store.findRun('direct')!.id);
      const I = model.info.intermediateSize;
      for (let l = 0; l < model.info.numLayers; l++) {
        for (const lang of ['eng', 'rus']) {
          const positive = new Float64Array(I);
          const sums = new Float64Array(I);
          let tokens = 0;
          for (const t of texts.filter((x) => x.lang === lang)) {
            const { ids } = await model.tokenizer.encode(t.text);
            const act = (await model.forward({ inputIds: [ids], taps: [`mlp_act.${l}`], logits: false })).taps[`mlp_act.${l}`]!.data;
            for (let p = 1; p < ids.length; p++) {
              tokens++;
              for (let n = 0; n < I; n++) {
                const v = act[p * I + n]!;
                if (v > 0) positive[n]!++;
                sums[n]! += v;
              }
            }
          }
          const got = stats.layers[l]![lang]!;
          assert.equal(got.tokens, tokens);
          assert.deepEqual(Array.from(got.positiveCounts), Array.from(positive), `layer ${l} ${lang}`);
          for (let n = 0; n < I; n++) assert.ok(Math.abs(got.sums[n]! - sums[n]!) < 1e-3);
        }
      }
    } finally {
      store.close();
      await model.dispose();
    }
  });

  it('--keep-activations stores raw taps of the first texts per language, as the engine gives them', async () => {
    const path = join(tmp, 'keep.db');
    await json(['capture', testModelDir, '--corpus', 'udhr:eng,rus', '--max-texts-per-lang', '3', '--keep-activations', '1', '--db', path, '--device', 'cpu']);
    const store = openStore(path, { readonly: true });
    const model = await Model.open(testModelDir, { device: 'cpu' });
    try {
      const run = store.findRun('capture')!;
      const kept = store.listActivations(run.id);
      const textIds = [...new Set(kept.map((k) => k.textId))];
      assert.equal(textIds.length, 2);
      assert.equal(kept.length, 2 * model.info.taps.length);
      const text = store.readCorpus(run.corpusId!).find((t) => t.textId === textIds[0])!;
      const { ids } = await model.tokenizer.encode(text.text);
      const direct = await model.forward({ inputIds: [ids], taps: ['mlp_act.1'], logits: false });
      const stored = store.readActivation(run.id, text.textId, 'mlp_act.1')!;
      assert.deepEqual(stored.dims, [ids.length, model.info.intermediateSize]);
      assert.deepEqual(Array.from(stored.data), Array.from(direct.taps['mlp_act.1']!.data));
    } finally {
      store.close();
      await model.dispose();
    }
  });

  it('an interrupted capture resumes to exactly the uninterrupted totals', async () => {
    const texts = await readCorpus('udhr:eng,cmn', { maxTextsPerLang: 6 });
    const model = await Model.open(testModelDir, { device: 'cpu' });
    const whole = openStore(join(tmp, 'whole.db'));
    const parts = openStore(join(tmp, 'parts.db'));
    const wholeNll = async () => {
      const r = whole.latestResult(whole.findRun('c')!.id, 'nll')!.result;
      return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.sum / v.count]));
    };
    try {
      await capture(model, whole, texts, { runName: 'c', corpusSpec: 'x', batchSize: 2 });
      await capture(model, parts, texts, { runName: 'c', corpusSpec: 'x', batchSize: 2, flushIntervalMs: 0, stopAfterBatches: 2 });
      const half = parts.readNeuronStats(parts.findRun('c')!.id);
      assert.ok(half.layers[0]!['eng']!.tokens + (half.layers[0]!['cmn']?.tokens ?? 0) > 0, 'first batches were flushed');
      const s = await capture(model, parts, texts, { runName: 'c', corpusSpec: 'x', batchSize: 2, flushIntervalMs: 0 });
      assert.equal(s.resumed, true);
      // NLL totals are one running row, replaced at each flush, and equal the uninterrupted totals.
      assert.equal((parts.db.prepare("SELECT count(*) AS n FROM results WHERE kind = 'nll'").get() as { n: number }).n, 1);
      for (const [lang, v] of Object.entries(s.meanNll)) assert.ok(Math.abs(v - (await wholeNll())[lang]!) < 1e-4, lang);
      assert.equal(s.skippedAlreadyDone, 4);
      const a = whole.readNeuronStats(whole.findRun('c')!.id);
      const b = parts.readNeuronStats(parts.findRun('c')!.id);
      for (let l = 0; l < a.numLayers; l++)
        for (const lang of a.languages) {
          assert.equal(b.layers[l]![lang]!.tokens, a.layers[l]![lang]!.tokens);
          assert.deepEqual(Array.from(b.layers[l]![lang]!.positiveCounts), Array.from(a.layers[l]![lang]!.positiveCounts));
        }
    } finally {
      whole.close();
      parts.close();
      await model.dispose();
    }
  });

  it('kill -9 during capture leaves a consistent file that a rerun completes', async () => {
    const killed = join(tmp, 'killed.db');
    const args = [cliPath, 'capture', testModelDir, '--corpus', CORPUS, '--max-texts-per-lang', '12', '--db', killed, '--device', 'cpu', '--batch', '2'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env } });
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        if (/capture: \d+\/48/.test(d.toString())) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('close', () => resolve());
    });
    await new Promise((r) => child.on('close', r));
    const s = await json(['capture', testModelDir, '--corpus', CORPUS, '--max-texts-per-lang', '12', '--db', killed, '--device', 'cpu']);
    assert.equal(s.skippedAlreadyDone + s.texts, 48);
    const a = openStore(db, { readonly: true });
    const b = openStore(killed, { readonly: true });
    try {
      assert.deepEqual(b.integrityCheck(), ['ok']);
      const sa = a.readNeuronStats(a.findRun('capture')!.id);
      const sb = b.readNeuronStats(b.findRun('capture')!.id);
      for (let l = 0; l < sa.numLayers; l++) for (const lang of sa.languages) assert.equal(sb.layers[l]![lang]!.tokens, sa.layers[l]![lang]!.tokens);
    } finally {
      a.close();
      b.close();
    }
  });

  it('lape finds neurons and stores the result', async () => {
    const r = await json(['lape', '--db', db, '--top-rate', '0.05']);
    assert.deepEqual(r.languages, ['arb', 'cmn', 'eng', 'rus']);
    const total = Object.values(r.neurons as Record<string, number[][]>).reduce((s, v) => s + v.length, 0);
    assert.ok(total > 0);
    for (const [lang, perLayer] of Object.entries(r.perLayer as Record<string, number[]>)) assert.equal(perLayer.reduce((a, b) => a + b, 0), r.neurons[lang].length);
  });

  it('align gives per-layer matrices with cosine 1 on the diagonal, MEXA with its interval and permutation chance band', async () => {
    const r = await json(['align', '--db', db]);
    // As MEXA numbers them: the embedding output, then the 4 blocks (the last after the final norm).
    assert.equal(r.layers.length, 5);
    assert.equal(r.layerIndexing, 'hidden_states');
    assert.equal(r.pool, 'wmean');
    for (const layer of r.layers) r.languages.forEach((_: string, i: number) => assert.ok(Math.abs(layer.meanCosine[i][i] - 1) < 1e-6));
    assert.equal(r.pivot.pivot, 'eng');
    // Chance levels beside the scores: the mean over 200 shuffles of the pairing of the 12 parallel texts, with their band.
    assert.deepEqual(r.chanceMethod, { permutations: 200, seed: 1, bootstrapResamples: 2000 });
    r.layers.forEach((layer: { layer: number }, k: number) => {
      const chance = r.pivot.chanceMexaByLayer['rus'][k];
      const band = r.pivot.mexaChanceBand['rus'][k];
      assert.ok(chance >= 0 && chance <= 0.25 && band.low <= chance && chance <= band.high, `layer ${layer.layer}: chance ${chance}, band ${band.low}–${band.high}`);
      const iv = r.pivot.mexaInterval['rus'][k];
      const mexa = r.pivot.mexa['rus'][k];
      assert.ok(iv.low <= mexa && mexa <= iv.high);
      assert.ok(r.pivot.retrievalChanceBand['rus'][k].high <= 1);
    });
    assert.equal(r.pivot.chanceMexa['rus'], r.pivot.chanceMexaByLayer['rus'].at(-1));
    // The result is stored with the capture run, and the text output prints every score with its interval and chance band.
    const store = openStore(db, { readonly: true });
    try {
      const stored = store.latestResult(store.findRun('capture')!.id, 'alignment');
      assert.equal(stored?.result.pivot?.chanceMexa['rus'], r.pivot.chanceMexa['rus']);
      assert.deepEqual(stored?.params, { pool: 'wmean', pivot: 'eng', layers: 'hidden_states', permutations: 200, seed: 1 });
    } finally {
      store.close();
    }
    const text = await runCli(['align', '--db', db, '--no-save']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^layers as MEXA and Hugging Face hidden_states number them: 0 = embedding output/m);
    assert.match(text.stdout, /^MEXA vs eng; then its 95 % interval \(bootstrap over texts\) and the chance band \(2\.5–97\.5 % over 200 shuffles of the pairing, seed 1\)/m);
    assert.match(text.stdout, /^ {2}rus .* chance 0\.\d\d\n {4}95 % .*\n {4}chance +\d\.\d\d–\d\.\d\d/m);
    assert.match(text.stdout, /^mean cosine with the eng translation \/ with eng non-translations/m);
    assert.match(text.stdout, /^retrieval of the eng translation among all eng texts; 95 % interval; chance band:\n {2}rus /m);
  });

  it('ablate reports a deactivated × evaluated NLL matrix', async () => {
    const r = await json(['ablate', testModelDir, '--db', db, '--corpus', CORPUS, '--max-texts-per-lang', '4', '--device', 'cpu']);
    assert.deepEqual([...r.evaluated].sort(), ['arb', 'cmn', 'eng', 'rus']);
    assert.ok(r.deactivated.length > 0);
    for (const row of r.nll) for (const v of row) assert.ok(v > 0);
    // The chance level: 20 same-size random sets per deactivated language by default, and their band.
    assert.equal(r.randomDraws, 20);
    assert.equal(r.randomDelta.length, r.deactivated.length);
    for (const lang of r.deactivated) {
      const d = r.diagonal[lang];
      assert.equal(typeof d.randomDelta, 'number');
      assert.ok(d.randomBand.low <= d.randomDelta && d.randomDelta <= d.randomBand.high, `${lang}: the mean of the draws lies in their band`);
      assert.equal(d.outsideRandomBand, d.delta > d.randomBand.high || d.delta < d.randomBand.low);
      assert.ok(d.deltaInterval.low <= d.delta + 1e-12 && d.delta <= d.deltaInterval.high + 1e-12);
    }
    console.log('bundled model, ablation diagonal:', JSON.stringify(Object.fromEntries(r.deactivated.map((l: string) => [l, { delta: r.diagonal[l].delta, ci: r.diagonal[l].deltaInterval, band: r.diagonal[l].randomBand, outside: r.diagonal[l].outsideRandomBand }]))));
  });

  it('ablate --scale 1 changes nothing and so wins nothing', async () => {
    const r = await json(['ablate', testModelDir, '--db', db, '--corpus', CORPUS, '--max-texts-per-lang', '2', '--scale', '1', '--random-sets', '0', '--device', 'cpu']);
    assert.ok(r.diagonalSize > 0);
    for (const row of r.delta) for (const v of row) assert.equal(v, 0);
    assert.deepEqual([r.rowMaxCount, r.columnMaxCount], [0, 0]);
    for (const d of Object.values(r.diagonal) as { columnMargin: number; isColumnMax: boolean }[]) assert.deepEqual([d.columnMargin, d.isColumnMax], [0, false]);
    assert.equal(r.randomDelta, null);
  });

  it('working-language shares sum to 1 per layer', async () => {
    const r = await json(['working-language', testModelDir, '--corpus', CORPUS, '--max-texts-per-lang', '6', '--device', 'cpu', '--db', db]);
    for (let l = 0; l < r.numLayers; l++) {
      const sum = r.labels.reduce((s: number, label: string) => s + r.overall.top1Share[label][l], 0);
      assert.ok(Math.abs(sum - 1) < 1e-9);
      const mass = r.labels.reduce((s: number, label: string) => s + r.overall.meanMass[label][l], 0);
      assert.ok(Math.abs(mass - 1) < 1e-3, `mass sums to ${mass}`);
    }
  });

  it('compare puts checkpoints side by side', async () => {
    const dbs: string[] = [];
    const mexa: number[] = [];
    for (const [i, dir] of testCheckpointDirs.entries()) {
      const path = join(tmp, `ckpt-${i}.db`);
      await json(['capture', dir, '--corpus', 'udhr:eng,rus', '--max-texts-per-lang', '6', '--db', path, '--device', 'cpu']);
      await json(['lape', '--db', path, '--top-rate', '0.05']);
      const a = await json(['align', '--db', path]);
      dbs.push(path);
      mexa.push(a.pivot.mean['rus']);
    }
    const r = await json(['compare', ...dbs.flatMap((d) => ['--db', d])]);
    assert.equal(r.checkpoints.length, testCheckpointDirs.length);
    for (const lang of r.languages) for (let i = 0; i < r.checkpoints.length; i++) assert.equal(r.jaccard[lang][i][i], 1);
    assert.deepEqual([...r.nllLanguages].sort(), ['eng', 'rus']);
    // Alignment stored by `align` is shown per checkpoint, with its chance level (6 parallel texts).
    assert.equal(r.alignment.pivot, 'eng');
    assert.deepEqual(r.alignment.mean['rus'], mexa);
    // (the permutation chance at the last layer: a share of 6 texts, well under a half)
    for (const c of r.alignment.chance['rus']) assert.ok(c >= 0 && c < 0.5 && Number.isInteger(Math.round(c * 6 * 200)), `${c}`);
    const text = await runCli(['compare', ...dbs.flatMap((d) => ['--db', d])]);
    assert.match(text.stdout, /^MEXA vs eng, mean over layers/m);
  });

  it('a file made with another model is refused, nothing stored is lost', async () => {
    const other = testCheckpointDirs[0]!;
    const r = await runCli(['capture', other, '--corpus', CORPUS, '--max-texts-per-lang', '12', '--db', db, '--device', 'cpu']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /was made with model/);
    const s = await json(['capture', testModelDir, '--corpus', CORPUS, '--max-texts-per-lang', '12', '--db', db, '--device', 'cpu']);
    assert.equal(s.skippedAlreadyDone, 48);
  });

  it('bad corpora are clear errors', async () => {
    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(bad, '{"lang":"eng","id":"1","text":"ok"}\n{"lang":"eng","id":2\n');
    const r1 = await runCli(['capture', testModelDir, '--corpus', bad, '--db', join(tmp, 'x.db'), '--device', 'cpu']);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /bad\.jsonl:2/);
    const r2 = await runCli(['capture', testModelDir, '--corpus', 'udhr:eng,xyz', '--db', join(tmp, 'x.db'), '--device', 'cpu']);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /xyz/);
    const empty = join(tmp, 'empty.jsonl');
    writeFileSync(empty, '');
    const r3 = await runCli(['capture', testModelDir, '--corpus', empty, '--db', join(tmp, 'x.db'), '--device', 'cpu']);
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /empty/);
  });
});
