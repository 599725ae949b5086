/**
 * `babelscope run`: the feature notebook headless, progress bars saved once each in their final state,
 * figure export in every format, and each kind of bad input.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import ajvDraft04 from 'ajv-draft-04';
import { cliPath, runCli } from '../../helpers/cli.js';
import { fixturesDir } from '../../helpers/paths.js';
import { checkFeatureOutputs, checkProgressOutputs, FEATURE_NAMES, writeFeatureNotebook, writeProgressNotebook } from '../../helpers/notebooks.js';

function notebook(cells: string[], metadata: object = { kernelspec: { name: 'babelscope', display_name: 'TypeScript (Babelscope)', language: 'typescript' } }): string {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-run-'));
  const path = join(dir, 'nb.ipynb');
  writeFileSync(path, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata, cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i + 1}`, metadata: {}, execution_count: null, outputs: [], source })) }));
  return path;
}

const FIGURE = 'display({ data: [{ type: "scatter", x: [1, 2, 3], y: [3, 1, 2] }], layout: { width: 400, height: 300 } })';

describe('babelscope run', () => {
  it('runs the feature notebook, stops at the failing cell, names it, and saves the outputs so far', async () => {
    const path = writeFeatureNotebook();
    const out = join(mkdtempSync(join(tmpdir(), 'babelscope-run-out-')), 'out.ipynb');
    const r = await runCli(['run', path, '--out', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\[1\/10\] cell 1 \(id declare\) ok/);
    assert.match(r.stderr, /error: cell 8 \(id throws\) failed: TypeError: bad input 1/);
    const nb = JSON.parse(readFileSync(out, 'utf8'));
    const failedAt = FEATURE_NAMES.indexOf('throws');
    checkFeatureOutputs(nb.cells, FEATURE_NAMES.slice(0, failedAt + 1), assert);
    for (const cell of nb.cells.slice(failedAt + 1)) assert.deepEqual(cell.outputs, [], `${cell.id} did not run`);
    // The figure got its SVG fallback for GitHub and plain Jupyter.
    const fig = nb.cells.find((c: { id: string }) => c.id === 'display').outputs.find((o: { data?: object }) => o.data && 'application/vnd.plotly.v1+json' in o.data);
    assert.match(fig.data['image/svg+xml'].join(''), /^<svg/);
  });

  it('saves one progress output per long operation (its updates replace it), in its final state', async () => {
    const path = writeProgressNotebook();
    const r = await runCli(['run', path]);
    assert.equal(r.code, 0, r.stderr);
    const nb = JSON.parse(readFileSync(path, 'utf8')) as { cells: { id: string; outputs: { output_type: string; data: Record<string, string[]> }[] }[] };
    checkProgressOutputs(nb.cells, assert);
    const validate = new ajvDraft04.default({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(fixturesDir, 'notebooks', 'nbformat.v4.5.schema.json'), 'utf8')));
    assert.ok(validate(nb), `valid nbformat 4.5: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    assert.equal(nb.cells.find((c) => c.id === 'capture')!.outputs.at(-1)!.data['text/plain']!.join(''), '232');
  });

  it('--allow-errors runs every cell (a syntax error is an error output) and exports figures as PDF', async () => {
    const path = writeFeatureNotebook();
    const figures = join(mkdtempSync(join(tmpdir(), 'babelscope-figs-')), 'figs');
    mkdirSync(figures);
    const r = await runCli(['run', path, '--allow-errors', '--figures', figures, '--format', 'pdf']);
    assert.equal(r.code, 1, 'a failing cell still fails the run');
    assert.match(r.stderr, /\[10\/10\] cell 10 \(id after\) ok/);
    checkFeatureOutputs(JSON.parse(readFileSync(path, 'utf8')).cells, FEATURE_NAMES, assert);
    assert.deepEqual(readdirSync(figures), ['features-cell7-1.pdf']);
    assert.equal(readFileSync(join(figures, 'features-cell7-1.pdf')).subarray(0, 5).toString(), '%PDF-');
  });

  it('exports PNG at twice the figure size, and SVG', async () => {
    const path = notebook([FIGURE]);
    const figures = mkdtempSync(join(tmpdir(), 'babelscope-figs-'));
    assert.equal((await runCli(['run', path, '--figures', figures, '--format', 'png'])).code, 0);
    const png = readFileSync(join(figures, 'nb-cell1-1.png'));
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [800, 600]);
    assert.equal((await runCli(['run', path, '--figures', figures])).code, 0);
    assert.match(readFileSync(join(figures, 'nb-cell1-1.svg'), 'utf8'), /^<svg[^>]*width="400"/);
  });

  it('interrupts a cell that runs past --timeout and keeps what ran', async () => {
    const path = notebook(['const a = 1\nconsole.log("before")', 'while (true) {}', 'a']);
    const r = await runCli(['run', path, '--timeout', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: cell 2 \(id c2\) failed: did not finish within 1 s/);
    const cells = JSON.parse(readFileSync(path, 'utf8')).cells;
    assert.deepEqual(cells[0].outputs, [{ output_type: 'stream', name: 'stdout', text: ['before\n'] }]);
    assert.equal(cells[1].outputs[0].ename, 'Timeout');
    assert.deepEqual(cells[2].outputs, []);
  });

  it('Ctrl-C interrupts the running cell and saves what ran', async () => {
    const path = notebook(['console.log("first")', 'while (true) {}', '1']);
    const child = spawn(process.execPath, [cliPath, 'run', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('[1/3]') && !child.killed) setTimeout(() => child.kill('SIGINT'), 300);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 1, stderr);
    assert.match(stderr, /error: cell 2 \(id c2\) failed: Interrupted/);
    const cells = JSON.parse(readFileSync(path, 'utf8')).cells;
    assert.deepEqual(cells[0].outputs, [{ output_type: 'stream', name: 'stdout', text: ['first\n'] }]);
    assert.equal(cells[1].outputs[0].ename, 'Interrupted');
    assert.deepEqual(cells[2].outputs, []);
  });

  it('reports a kernel that dies, naming the cell', async () => {
    const path = notebook(['console.log("alive")', 'process.exit(7)', '1']);
    const r = await runCli(['run', path]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: cell 2 \(id c2\) failed: the kernel died \(exit code 7\)/);
    const cells = JSON.parse(readFileSync(path, 'utf8')).cells;
    assert.equal(cells[1].outputs[0].ename, 'KernelDied');
  });

  it('refuses bad input with a one-line error and a hint, leaving the file untouched', async () => {
    const cases: [string, RegExp][] = [];
    const dir = mkdtempSync(join(tmpdir(), 'babelscope-bad-'));
    const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
    cases.push([write('broken.ipynb', '{"cells": ['), /broken.ipynb is not valid JSON/]);
    cases.push([write('v3.ipynb', JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [] })), /nbformat 3; Babelscope reads nbformat 4/]);
    cases.push([notebook(['1'], { kernelspec: { name: 'python3', language: 'python', display_name: 'Python 3' } }), /is a python notebook/]);
    for (const [path, message] of cases) {
      const before = readFileSync(path);
      const r = await runCli(['run', path]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 2, `one line and its hint: ${r.stderr}`);
      assert.deepEqual(readFileSync(path), before);
    }
    const path = notebook(['1']);
    const before = readFileSync(path);
    const r = await runCli(['run', path, '--figures', join(dir, 'no-such-folder')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the figures folder .*no-such-folder does not exist\n  Create it first/);
    assert.deepEqual(readFileSync(path), before);
    const missing = await runCli(['run', join(dir, 'missing.ipynb')]);
    assert.match(missing.stderr, /does not exist/);
  });
});
