/** A folder holding several ONNX files of one model: `inspect` lists them, --variant / --file choose one. */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, runCliJson } from '../../helpers/cli.js';
import { inlineCopy } from '../../helpers/onnx-edit.js';
import { tinyModelDir } from '../../helpers/paths.js';

describe('model variants', () => {
  let dir: string;
  let cache: string;
  before(() => {
    const work = mkdtempSync(join(tmpdir(), 'babelscope-variants-'));
    dir = join(work, 'model');
    cache = join(work, 'cache');
    cpSync(tinyModelDir, dir, { recursive: true });
    inlineCopy(tinyModelDir, join(work, 'inline'));
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    renameSync(join(work, 'inline', 'model.onnx'), join(dir, 'onnx', 'model_inline.onnx'));
  });
  after(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('inspect lists the variants and marks the one in use', async () => {
    const j = await runCliJson(['inspect', dir], { BABELSCOPE_CACHE: cache });
    assert.deepEqual(
      j.variants.map((v: { name: string; file: string; current: boolean }) => [v.name, v.file, v.current]),
      [['default', 'onnx/model.onnx', true], ['inline', 'onnx/model_inline.onnx', false]],
    );
    const k = await runCliJson(['inspect', dir, '--variant', 'inline'], { BABELSCOPE_CACHE: cache });
    assert.match(k.onnxPath, /model_inline\.onnx$/);
  });

  it('--variant and --file run the chosen file, with the same numbers for the same weights', async () => {
    const args = ['lens', dir, '--text', 'Everyone has the right', '--top', '3', '--device', 'cpu'];
    const plain = await runCliJson(args, { BABELSCOPE_CACHE: cache });
    const variant = await runCliJson([...args, '--variant', 'inline'], { BABELSCOPE_CACHE: cache });
    const file = await runCliJson([...args, '--file', 'onnx/model_inline.onnx'], { BABELSCOPE_CACHE: cache });
    assert.deepEqual(variant.layers, plain.layers);
    assert.deepEqual(file.layers, plain.layers);
  });

  it('an unknown variant or file is a one-line error listing what exists', async () => {
    const r = await runCli(['lens', dir, '--text', 'x', '--variant', 'q4f16'], { BABELSCOPE_CACHE: cache });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no "q4f16" variant .*\n.*default \(onnx\/model\.onnx\), inline \(onnx\/model_inline\.onnx\)/);
    const f = await runCli(['lens', dir, '--text', 'x', '--file', 'onnx/nope.onnx'], { BABELSCOPE_CACHE: cache });
    assert.equal(f.code, 1);
    assert.match(f.stderr, /--file onnx\/nope\.onnx: no such file/);
  });

  it('a folder without a default file opens its only variant, and names the variants when there are several', async () => {
    const only = join(dir, '..', 'only-variant');
    cpSync(dir, only, { recursive: true });
    rmSync(join(only, 'onnx', 'model.onnx'));
    rmSync(join(only, 'onnx', 'model.onnx_data'), { force: true });
    const k = await runCliJson(['inspect', only], { BABELSCOPE_CACHE: cache });
    assert.match(k.onnxPath, /model_inline\.onnx$/);
    cpSync(join(only, 'onnx', 'model_inline.onnx'), join(only, 'onnx', 'model_copy.onnx'));
    const r = await runCli(['inspect', only], { BABELSCOPE_CACHE: cache });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /several ONNX variants and no default model\.onnx\n.*--variant NAME.*copy \(onnx\/model_copy\.onnx\), inline \(onnx\/model_inline\.onnx\)/);
  });
});
