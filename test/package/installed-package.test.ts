/**
 * The package as users get it: `npm pack`, install the tarball in an empty folder, `npx babelscope serve`,
 * and the page works in Chromium: its scripts and styles load, and Plotly (resolved from the installed
 * node_modules, wherever npm put it) draws the logit lens. Catches a `files` list that leaves out the
 * built renderer and paths that only exist in the repository, and a dependency the backend needs at run
 * time left among the devDependencies (Node's declarations for the editor, @types/node).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { TOKEN_HEADER } from '../../src/shared/backend-contract.js';
import { repoRoot } from '../helpers/paths.js';
import { collectProblems, launchChromium } from '../e2e/browser.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000, env });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

describe('the installed package (npm pack → npm install → npx babelscope serve)', () => {
  const temp = mkdtempSync(join(tmpdir(), 'babelscope-pack-'));
  let browser: Browser;

  before(() => {
    // The tests run after `npm run build`, so dist/ is current; --ignore-scripts skips `prepare` (a second build).
    run(npm, ['pack', '--ignore-scripts', '--pack-destination', temp], repoRoot);
    const tarball = readdirSync(temp).find((f) => f.endsWith('.tgz'))!;
    const app = join(temp, 'app');
    run('mkdir', ['-p', app], temp);
    writeFileSync(join(app, 'package.json'), '{"name":"try-babelscope","private":true}');
    // Packages come from npm's cache when CI's `npm ci` put them there; scripts are not needed to serve.
    run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(temp, tarball)], app);
  });

  after(async () => {
    await browser?.close();
    rmSync(temp, { recursive: true, force: true });
  });

  it('installs globally into a fresh prefix: `babelscope` on PATH runs a notebook with a figure from another folder and exports it as a vector PDF', () => {
    const tarball = join(temp, readdirSync(temp).find((f) => f.endsWith('.tgz'))!);
    const prefix = join(temp, 'prefix');
    // Offline: onnxruntime-node's documented switch skips its CUDA download (scripts are skipped here as above anyway).
    const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', PATH: `${join(prefix, 'bin')}:${process.env['PATH'] ?? ''}` };
    run(npm, ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], temp, env);
    const elsewhere = join(temp, 'elsewhere');
    mkdirSync(join(elsewhere, 'figures'), { recursive: true });
    const cell = 'import { bundledModelDir } from "babelscope"\nimport { layerLanguageHeatmap } from "babelscope/plots"\nconsole.log(bundledModelDir.includes("prefix"))\ndisplay(layerLanguageHeatmap({ title: "Installed", languages: ["eng", "rus"], values: [[0.1, 0.9], [0.8, 0.2]], valueTitle: "share" }))';
    const nb = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ id: 'fig', cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: cell }] };
    writeFileSync(join(elsewhere, 'installed.ipynb'), JSON.stringify(nb, null, 1));
    const which = run('sh', ['-c', 'command -v babelscope'], elsewhere, env).trim();
    assert.equal(which, join(prefix, 'bin', 'babelscope'));
    run('babelscope', ['run', 'installed.ipynb', '--figures', 'figures', '--format', 'pdf', '--device', 'cpu'], elsewhere, env);
    assert.deepEqual(readdirSync(join(elsewhere, 'figures')), ['installed-cell1-1.pdf']);
    const pdf = readFileSync(join(elsewhere, 'figures', 'installed-cell1-1.pdf')).toString('latin1');
    assert.ok(pdf.startsWith('%PDF-'));
    assert.match(pdf, /\/Font/, 'a vector PDF carries its fonts (text, not a picture of it)');
    const saved = JSON.parse(readFileSync(join(elsewhere, 'installed.ipynb'), 'utf8')) as { cells: { outputs: { text?: string[]; data?: Record<string, unknown> }[] }[] };
    assert.equal(saved.cells[0]!.outputs[0]!.text?.join(''), 'true\n', 'the API inside the installed package finds its bundled model');
    assert.ok(saved.cells[0]!.outputs[1]!.data?.['image/svg+xml'], 'the saved figure carries its SVG fallback');
  });

  it('serves the page, its scripts, styles and Plotly; the logit lens draws', async () => {
    const app = join(temp, 'app');
    const child = spawn('npx', ['--no-install', 'babelscope', 'serve', '--no-open', '--json', '--device', 'cpu'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('close', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
      });
      const { url } = JSON.parse(line) as { url: string };
      browser = await launchChromium();
      const page = await browser.newPage();
      const problems = collectProblems(page);
      const loaded: string[] = [];
      page.on('response', (r) => loaded.push(`${r.status()} ${new URL(r.url()).pathname}`));
      await page.goto(`${url}#lens`);
      await page.fill('#lens-text', 'Hello world.');
      await page.click('#run');
      await page.locator('#lens-heatmap .main-svg').first().waitFor({ timeout: 30_000 });
      assert.ok(loaded.some((l) => /^200 \/assets\/.*\.js$/.test(l)), loaded.join('\n'));
      assert.ok(loaded.some((l) => /^200 \/assets\/.*\.css$/.test(l)), loaded.join('\n'));
      assert.ok(loaded.includes('200 /vendor/plotly.min.js'), loaded.join('\n'));
      assert.deepEqual(problems, []);

      // Node's declarations for the editor come from the installed @types/node (a runtime dependency).
      const token = new URL(url).searchParams.get('token')!;
      const reply = await fetch(new URL('/api/rpc', url), { method: 'POST', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token }, body: JSON.stringify({ method: 'node.types', params: {} }) });
      const { result } = (await reply.json()) as { result: { files: { path: string; text: string }[] } };
      const paths = result.files.map((f) => f.path);
      assert.ok(paths.includes('file:///node_modules/@types/node/index.d.ts'), paths.slice(0, 5).join('\n'));
      assert.ok(paths.includes('file:///node_modules/undici-types/index.d.ts'));
      assert.match(result.files.find((f) => f.path.endsWith('/@types/node/fs.d.ts'))!.text, /function readFileSync\(/);
    } finally {
      // npx runs babelscope as its child: stop the whole group.
      process.kill(-child.pid!, 'SIGTERM');
    }
  });
});
