/**
 * The kernel under real Jupyter clients: `jupyter nbconvert --execute` on the feature notebook, and
 * jupyter_client for interrupt, completion and a dying kernel. The kernelspec comes from `babelscope kernel install --prefix`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { checkFeatureOutputs, checkProgressOutputs, FEATURE_NAMES, writeFeatureNotebook, writeProgressNotebook } from '../../helpers/notebooks.js';
import { repoRoot } from '../../helpers/paths.js';

describe('kernel under Jupyter clients', () => {
  let jupyterPath: string;
  before(async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'babelscope-prefix-'));
    const r = await runCli(['kernel', 'install', '--prefix', prefix]);
    assert.equal(r.code, 0, r.stderr);
    jupyterPath = join(prefix, 'share', 'jupyter');
    const spec = JSON.parse(readFileSync(join(jupyterPath, 'kernels', 'babelscope', 'kernel.json'), 'utf8'));
    assert.equal(spec.display_name, 'TypeScript (Babelscope)');
    assert.equal(spec.language, 'typescript');
  });

  it('jupyter nbconvert --execute runs the feature notebook', () => {
    const path = writeFeatureNotebook();
    const out = join(mkdtempSync(join(tmpdir(), 'babelscope-nbconvert-')), 'executed.ipynb');
    execFileSync('/usr/bin/jupyter-nbconvert', ['--execute', '--to', 'notebook', '--allow-errors', '--output', out, path], {
      env: { ...process.env, JUPYTER_PATH: jupyterPath },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    const nb = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(nb.metadata.language_info.name, 'typescript');
    checkFeatureOutputs(nb.cells, FEATURE_NAMES, assert);
  });

  it('jupyter nbconvert --execute saves Plotly figures with SVG and PNG fallbacks (the kernel draws them)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'babelscope-nbconvert-fig-'));
    const path = join(dir, 'figures.ipynb');
    const figure = '{ data: [{ type: "bar", x: ["eng", "rus"], y: [0.5, 0.25] }], layout: { title: { text: "Fallback share" }, width: 400, height: 300 } }';
    const cells = [`display(${figure})\nconsole.log("after the figure")`, `import { layerLines } from "babelscope/plots"\nlayerLines({ series: [{ name: "eng", values: [0.1, 0.5, 0.9] }], yTitle: "mass", title: "Lines" })`];
    const nb = { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'babelscope', display_name: 'TypeScript (Babelscope)', language: 'typescript' } }, cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })) };
    writeFileSync(path, JSON.stringify(nb, null, 1));
    const out = join(dir, 'executed.ipynb');
    execFileSync('/usr/bin/jupyter-nbconvert', ['--execute', '--to', 'notebook', '--output', out, path], {
      env: { ...process.env, JUPYTER_PATH: jupyterPath },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 180_000,
    });
    const executed = JSON.parse(readFileSync(out, 'utf8')) as { cells: { outputs: { output_type: string; data?: Record<string, unknown>; text?: string[] }[] }[] };
    const [shown, stream] = executed.cells[0]!.outputs;
    const result = executed.cells[1]!.outputs.find((o) => o.output_type === 'execute_result');
    assert.equal(stream?.output_type, 'stream', 'outputs keep their order');
    for (const o of [shown, result]) {
      const data = o?.data ?? {};
      assert.ok(data['application/vnd.plotly.v1+json'], JSON.stringify(o).slice(0, 300));
      const svg = Array.isArray(data['image/svg+xml']) ? (data['image/svg+xml'] as string[]).join('') : String(data['image/svg+xml']);
      assert.match(svg, /^<svg[\s\S]*<\/svg>$/, 'an SVG fallback');
      assert.match(svg, /Fallback share|Lines/, 'drawn from this figure');
      assert.equal(Buffer.from(String(data['image/png']), 'base64').subarray(1, 4).toString('latin1'), 'PNG', 'a PNG fallback');
    }
  });

  it('jupyter nbconvert --execute keeps one progress output per long operation, in its final state', () => {
    const path = writeProgressNotebook();
    const out = join(mkdtempSync(join(tmpdir(), 'babelscope-nbconvert-')), 'executed.ipynb');
    execFileSync('/usr/bin/jupyter-nbconvert', ['--execute', '--to', 'notebook', '--output', out, path], {
      env: { ...process.env, JUPYTER_PATH: jupyterPath },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    checkProgressOutputs(JSON.parse(readFileSync(out, 'utf8')).cells, assert);
  });

  it('jupyter_client interrupts a synchronous loop, completes, restarts, and sees the kernel die', () => {
    const stdout = execFileSync('/usr/bin/python3', [join(repoRoot, 'test', 'helpers', 'jupyter_client_check.py')], {
      env: { ...process.env, JUPYTER_PATH: jupyterPath },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    const r = JSON.parse(stdout.trim().split('\n').pop()!);
    assert.equal(r.kernel_info, 'typescript');
    assert.equal(r.interrupt_mode, 'message');
    assert.deepEqual(r.interrupted, { status: 'error', ename: 'Interrupted' });
    assert.deepEqual(r.after_interrupt, ["'kept after interrupt'"]);
    assert.ok(r.complete.includes('kept'));
    assert.equal(r.inspect_found, true);
    assert.equal(r.is_complete, 'incomplete');
    assert.deepEqual(r.after_restart, ["'undefined'"]);
    assert.equal(r.alive_after_exit, false);
  });
});
