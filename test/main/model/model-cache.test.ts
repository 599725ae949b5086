/**
 * One copy of the weights on disk and a cheap open: a graph with inline weights has them moved once to
 * one external file in the cache, later opens do not read the original, `inspect` reads the graph only,
 * and external data beyond 2 GiB loads from another filesystem than the cache's.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Model } from '../../../src/main/model/model.js';
import { describeModel } from '../../../src/main/model/model-description.js';
import { runCli } from '../../helpers/cli.js';
import { decode, loadReference, maxAbsDiff } from '../../helpers/fixtures.js';
import { farOffsetCopy, inlineCopy } from '../../helpers/onnx-edit.js';
import { tinyModelDir } from '../../helpers/paths.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('model cache', () => {
  let work: string;
  let cache: string;
  const previous = process.env['BABELSCOPE_CACHE'];
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'babelscope-cache-test-'));
    cache = join(work, 'cache');
    process.env['BABELSCOPE_CACHE'] = cache;
  });
  after(() => {
    if (previous === undefined) delete process.env['BABELSCOPE_CACHE'];
    else process.env['BABELSCOPE_CACHE'] = previous;
    rmSync(work, { recursive: true, force: true });
  });

  it('inline weights move once to one external file; the next open reads neither the original nor the weights again', async () => {
    const ref = loadReference().texts[0]!;
    const dir = inlineCopy(tinyModelDir, join(work, 'inline'));
    const onnx = join(dir, 'model.onnx');
    const stamp0 = Math.floor(Date.now() / 1000) - 60; // whole seconds: restored exactly below
    utimesSync(onnx, stamp0, stamp0);
    const first = await Model.open(dir, { device: 'cpu' });
    const a = await first.forward({ inputIds: [ref.input_ids], taps: ['mlp_act.1'] });
    const lens = await first.lens({ inputIds: [ref.input_ids], topK: 1 });
    await first.dispose();
    assert.ok(maxAbsDiff(a.logits!.data, decode(ref.logits)) <= 1e-4);
    assert.equal(lens.texts[0]!.topIds[3]![2]![0], ref.lens[3]![2]!.ids[0]);
    const files = filesUnder(cache).filter((f) => !f.endsWith('file-hashes.json'));
    assert.deepEqual(files.map((f) => f.split('/').pop()).sort(), ['graph.onnx', 'weights.bin'], 'one graph and one weights file, no copy per feature');
    const weights = files.find((f) => f.endsWith('weights.bin'))!;
    const graph = files.find((f) => f.endsWith('graph.onnx'))!;
    assert.ok(statSync(graph).size < 200_000, 'the cached graph holds no weights');
    assert.ok(statSync(weights).size >= statSync(onnx).size - 200_000);
    const stamp = statSync(weights).mtimeMs;

    // Corrupt the original but keep its size and mtime: the open is keyed on them, so it must not read it.
    const bytes = readFileSync(onnx);
    bytes.fill(0, 1000, bytes.length - 1000);
    writeFileSync(onnx, bytes);
    utimesSync(onnx, stamp0, stamp0);
    const second = await Model.open(dir, { device: 'cpu' });
    const b = await second.forward({ inputIds: [ref.input_ids] });
    await second.dispose();
    assert.equal(maxAbsDiff(a.logits!.data, b.logits!.data), 0);
    assert.equal(statSync(weights).mtimeMs, stamp, 'weights were not written again');
  });

  it('inspect reads the graph only: it works when the weights are unusable and creates no session', async () => {
    const dir = farOffsetCopy(tinyModelDir, join(work, 'truncated'), 0);
    truncateSync(join(dir, 'big.onnx_data'), 10);
    const r = await runCli(['inspect', dir, '--json'], { BABELSCOPE_CACHE: cache });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.numLayers, 4);
    assert.equal(j.hash, null, 'never hashed, so no hash yet');
    assert.equal(j.taps[0].onnxName, '/model/layers.0/Add_1_output_0');
    const opened = await Model.open(dir, { device: 'cpu' }).then(
      (m) => m.dispose().then(() => 'opened'),
      (e: Error) => e.message,
    );
    assert.match(opened, /onnxruntime could not load/);
    const d = await describeModel(tinyModelDir, {}, 'inspect');
    assert.equal(d.info.numLayers, 4);
  });

  it('external data past 2 GiB loads with the cache on another filesystem', { skip: !existsSync('/dev/shm') && 'no /dev/shm' }, async () => {
    const ref = loadReference().texts[1]!;
    const dir = farOffsetCopy(tinyModelDir, join(work, 'far'), 2 ** 31 + 4096 * 3);
    assert.ok(statSync(join(dir, 'big.onnx_data')).size > 2 ** 31);
    const shmCache = mkdtempSync('/dev/shm/babelscope-cache-');
    process.env['BABELSCOPE_CACHE'] = shmCache;
    try {
      const m = await Model.open(dir, { device: 'cpu' });
      const r = await m.forward({ inputIds: [ref.input_ids] });
      await m.dispose();
      assert.ok(maxAbsDiff(r.logits!.data, decode(ref.logits)) <= 1e-4);
    } finally {
      process.env['BABELSCOPE_CACHE'] = cache;
      rmSync(shmCache, { recursive: true, force: true });
    }
  });
});
