/**
 * A text of ~5,000 tokens on the command line used to kill the process with SIGSEGV: onnxruntime
 * matches a recursive regex over /proc/self/cmdline when it starts, which overflowed the engine
 * worker's stack. Long texts must get the ordinary over-long-text error, through the CLI and the API.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { repoRoot, tinyModelDir } from '../../helpers/paths.js';
import { engineStackMb } from '../../../src/main/model/worker-stack.js';

const sentence = 'Everyone has the right to life, liberty and security of person. ';
const longText = sentence.repeat(Math.ceil(20_000 / sentence.length)); // ~5,300 tokens, 20 KB

describe('long command lines', () => {
  it('the CLI gives the context error for a 5,000-token --text instead of crashing', async () => {
    const r = await runCli(['lens', tinyModelDir, '--device', 'cpu', '--top', '1', '--text', longText]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /text is \d{4} tokens, longer than the model's context of 256/);
  });

  it('a script using the model API with a ~700 KB command line opens the model and runs it', async () => {
    const modelUrl = new URL(`file://${join(repoRoot, 'dist', 'src', 'main', 'model', 'model.js')}`).href;
    const script = `
      const { Model } = await import(${JSON.stringify(modelUrl)});
      const m = await Model.open(${JSON.stringify(tinyModelDir)}, { device: 'cpu' });
      const long = await m.tokenizer.encode(process.argv[2]);
      let message = '';
      try { await m.lens({ inputIds: [long.ids], topK: 1 }); } catch (e) { message = e.message; }
      const short = await m.tokenizer.encode('Everyone has the right');
      const r = await m.lens({ inputIds: [short.ids], topK: 1 });
      await m.dispose();
      console.log(JSON.stringify({ message, layers: r.texts[0].topIds.length }));`;
    const dir = mkdtempSync(join(tmpdir(), 'babelscope-argv-'));
    const scriptPath = join(dir, 'script.mjs');
    writeFileSync(scriptPath, script);
    const args = [longText, ...Array.from({ length: 6 }, (_, i) => String(i).repeat(120_000))];
    const out = await new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [scriptPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(out.signal, null, out.stderr);
    assert.equal(out.code, 0, out.stderr);
    const j = JSON.parse(out.stdout) as { message: string; layers: number };
    assert.match(j.message, /longer than the model's context/);
    assert.equal(j.layers, 4);
  });

  it('the worker stack grows with the command line', () => {
    assert.ok(engineStackMb(0) >= 4);
    assert.ok(engineStackMb(2 ** 21) >= (2 ** 21 * 270) / 2 ** 20, 'a 2 MB command line needs over 540 MB at 270 B of stack per byte');
  });
});
