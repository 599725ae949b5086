/** The CLI contract: JSON on stdout, one-line errors with a hint, exit codes. */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { loadReference, testModelDir } from '../../helpers/fixtures.js';

describe('babelscope CLI on the bundled model', () => {
  it('--help lists the commands', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['inspect', 'lens', 'activations', 'generate']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
  });

  it('inspect --json gives shape and tap points with ONNX names', async () => {
    const r = await runCli(['inspect', testModelDir, '--json', '--device', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.modelType, 'llama');
    assert.equal(j.taps.length, 2 * j.numLayers + 1);
    assert.equal(j.taps[0].name, 'resid_post.0');
    assert.equal(j.taps[0].onnxName, '/model/layers.0/Add_1_output_0');
    assert.equal(j.taps[1].onnxName, '/model/layers.0/mlp/act_fn/Mul_output_0');
    assert.ok(j.inputs.includes('past_key_values.0.key'));
  });

  it('lens --json: top-K per layer and position, top-1 matches the reference', async () => {
    const ref = loadReference().texts[0]!;
    const r = await runCli(['lens', testModelDir, '--text', ref.text, '--top', '3', '--json', '--device', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.tokens, ref.tokens);
    assert.equal(j.layers.length, ref.lens.length);
    for (const [l, layer] of j.layers.entries()) {
      assert.equal(layer.positions.length, ref.tokens.length);
      for (const [p, pos] of layer.positions.entries()) {
        assert.equal(pos.top.length, 3);
        assert.equal(pos.top[0].id, ref.lens[l]![p]!.ids[0]);
      }
    }
  });

  it('lens --languages adds the probability mass per language, summing to 1 at each position', async () => {
    const r = await runCli(['lens', testModelDir, '--text', 'Все люди рождаются свободными', '--top', '1', '--languages', 'udhr:eng,rus', '--json', '--device', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    for (const layer of j.layers)
      for (const pos of layer.positions) {
        const total = Object.values(pos.languageMass as Record<string, number>).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(total - 1) < 1e-4, `mass sums to ${total}`);
        assert.deepEqual(Object.keys(pos.languageMass), ['eng', 'rus', 'shared', 'unknown']);
      }
    // The last layer of a Russian sentence puts most mass on Russian tokens.
    const last = j.layers[j.layers.length - 1];
    const rus = last.positions.slice(1).map((p: { languageMass: Record<string, number> }) => p.languageMass['rus']!);
    assert.ok(rus.reduce((a: number, b: number) => a + b, 0) / rus.length > 0.5);
  });

  it('activations --json: tokens, shape and values', async () => {
    const r = await runCli(['activations', testModelDir, '--text', 'Всё хорошо', '--point', 'mlp', '--layer', '1', '--json', '--device', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.shape[0], j.tokens.length);
    assert.equal(j.values.length, j.tokens.length);
    assert.equal(j.values[0].length, j.shape[1]);
  });

  it('generate --json is greedy by default and matches the reference', async () => {
    const g = loadReference().greedy;
    const r = await runCli(['generate', testModelDir, '--prompt', g.prompt, '--max-new-tokens', '4', '--json', '--device', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.stoppedBy, 'length');
    assert.deepEqual(j.ids, g.generated_ids.slice(0, 4), 'four greedy tokens, equal to the torch reference');
    // The continuation keeps the first token's space ("the right to", not "the rightto").
    assert.equal(j.text, ' ' + g.generated_text.split(' ').slice(0, 4).join(' '));
  });

  it('--device auto falls back to CPU with one message when CUDA is missing', async () => {
    // inspect reads the graph only, so a command that runs the model shows the device choice.
    const r = await runCli(['lens', testModelDir, '--text', 'Hello', '--top', '1', '--json'], { BABELSCOPE_FORCE_NO_CUDA: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).layers.length > 0);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /CUDA not available.*running on CPU/);
  });

  it('--device cuda without CUDA is a clear error', async () => {
    const r = await runCli(['lens', testModelDir, '--text', 'Hello', '--device', 'cuda'], { BABELSCOPE_FORCE_NO_CUDA: '1' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: CUDA was requested but is not usable/);
  });
});

describe('bad input gives a one-line error, a hint, no stack, exit ≠ 0', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-bad-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const expectUserError = async (args: string[], pattern: RegExp) => {
    const r = await runCli(args);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^error: /);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(r.stderr.trim().split('\n').length <= 2, r.stderr);
    assert.equal(r.stdout, '');
  };

  const copyModel = (name: string): string => {
    const dir = join(tmp, name);
    cpSync(testModelDir, dir, { recursive: true });
    return dir;
  };

  it('missing folder', () => expectUserError(['inspect', join(tmp, 'nope')], /model folder not found/));
  it('folder without model.onnx', () => {
    const dir = join(tmp, 'empty');
    mkdirSync(dir);
    return expectUserError(['inspect', dir], /no model\.onnx/);
  });
  it('corrupt ONNX', () => {
    const dir = copyModel('corrupt');
    const onnx = join(dir, 'onnx', 'model.onnx');
    writeFileSync(onnx, readFileSync(onnx).subarray(0, 5000));
    return expectUserError(['inspect', dir, '--device', 'cpu'], /not a valid ONNX model/);
  });
  it('unknown architecture names what was found and how to pass --tap', () => {
    const dir = copyModel('unknown-arch');
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'mystery' }));
    return expectUserError(['inspect', dir], /unknown architecture "mystery"[\s\S]*--tap/);
  });
  for (const [key, value, what] of [
    ['num_hidden_layers', 2, /config\.json gives 2 as the layers, but the ONNX graph has 4 \(from past_key_values/],
    ['hidden_size', 64, /config\.json gives 64 as the hidden size, but the ONNX graph has \d+ \(from token embedding/],
    ['vocab_size', 1000, /config\.json gives 1000 as the vocabulary size, but the ONNX graph has \d+/],
  ] as const) {
    it(`a config.json whose ${key} disagrees with the graph names both values`, () => {
      const dir = copyModel(`mismatch-${key}`);
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, [key]: value }));
      return expectUserError(['lens', dir, '--text', 'Hello', '--device', 'cpu'], what);
    });
  }
  it('--arch with an unknown name names it', () => expectUserError(['lens', testModelDir, '--text', 'Hello', '--arch', 'bogus', '--device', 'cpu'], /"bogus"/));
  it('an empty --arch means not given: the model\'s own architecture', async () => {
    const r = await runCli(['inspect', testModelDir, '--arch', '', '--json', '--device', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).modelType, 'llama');
  });
  it('--arch makes an unknown architecture usable', async () => {
    const dir = copyModel('arch-override');
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'mystery' }));
    const r = await runCli(['inspect', dir, '--arch', 'llama', '--json', '--device', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
  });
  it('inspect --tensors lists a layer\'s tensors even for an unknown architecture', async () => {
    const dir = copyModel('unknown-arch-tensors');
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'mystery' }));
    const r = await runCli(['inspect', dir, '--tensors', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.ok(j.tensors.some((t: { name: string; op: string }) => t.name === '/model/layers.2/mlp/act_fn/Mul_output_0' && t.op === 'Mul'));
    assert.ok(j.tensors.every((t: { name: string }) => !t.name.includes('layers.1/')));
  });
  it('a --tap naming a missing tensor', () => expectUserError(['inspect', testModelDir, '--device', 'cpu', '--tap', 'mlp_act=/no/such/{i}'], /no tensor named "\/no\/such\/0"/));
  it('text longer than the context', () => expectUserError(['lens', testModelDir, '--device', 'cpu', '--text', 'word '.repeat(2000)], /longer than the model's context/));
  it('empty text', () => expectUserError(['lens', testModelDir, '--text', '   '], /--text is empty/));
  it('layer out of range', () => expectUserError(['activations', testModelDir, '--device', 'cpu', '--text', 'hi', '--point', 'mlp', '--layer', '99'], /--layer 99 does not exist/));
});
