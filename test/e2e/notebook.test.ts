/**
 * The workbench end to end: `startServer` on a temporary workspace, its kernel processes, headless
 * Chromium. Opens a demo notebook, edits and runs cells, asks Monaco for completion of the `babelscope`
 * API, draws and exports a Plotly figure, interrupts an endless loop and keeps the kernel's state,
 * restarts, saves and reloads, and checks that an HTML output can neither read the page's secrets nor
 * call the backend. Screenshots of each step go to dist/test-output/notebook-e2e/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ServerHandle } from '../../src/main/server/server.js';
import { repoRoot } from '../helpers/paths.js';
import { openPage, startWorkbench, type Workbench } from './workbench-fixture.js';

export const SHOTS = join(repoRoot, 'dist', 'test-output', 'notebook-e2e');

const DEMO = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'babelscope', display_name: 'TypeScript (Babelscope)', language: 'typescript' }, custom: { kept: true } },
  cells: [
    { id: 'intro', cell_type: 'markdown', metadata: {}, source: ['# Demo notebook\n', 'Cells are **TypeScript**.'] },
    { id: 'first', cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['const x: number = 41\n', 'x + 1'] },
  ],
};

/** The little of the page's DOM the predicates below touch (the Node-side tsconfig has no DOM types). */
type El = { textContent: string | null; dataset: Record<string, string>; hidden?: boolean; querySelector(s: string): El | null };
type Doc = { querySelectorAll(s: string): ArrayLike<El>; querySelector(s: string): El | null };
// Page functions are sent to the page as source: each must stand alone (no helpers from this module).

/** Runs in the page: the outputs of cell `i` match the regular expression `src`. */
const outputsMatch = ([i, src]: readonly [number, string]) =>
  new RegExp(src).test((globalThis as unknown as { document: Doc }).document.querySelectorAll('.cell')[i]?.querySelector('.outputs')?.textContent ?? '');
/** Runs in the page: the kernel indicator shows `state`. */
const kernelIs = (state: string) => (globalThis as unknown as { document: Doc }).document.querySelector('#kernel-status')?.dataset['state'] === state;
/** Runs in the page: cell `i` shows the execution count `label`. */
const countIs = ([i, label]: readonly [number, string]) => (globalThis as unknown as { document: Doc }).document.querySelectorAll('.exec-count')[i]?.textContent === label;
/** Runs in the page: the dirty marker is hidden. */
const clean = () => (globalThis as unknown as { document: Doc }).document.querySelector('#nb-dirty')?.hidden === true;

describe('workbench notebook (real server, kernel and Chromium)', () => {
  let workspace: string;
  let wb: Workbench | undefined;
  let server: ServerHandle;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let shot = 0;
  const screenshot = async (name: string) => page.screenshot({ path: join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: false });

  /** Selects cell `index`, enters edit mode and replaces its text (insertText: no auto-closing brackets). */
  async function setCell(index: number, text: string): Promise<void> {
    await page.locator('.cell').nth(index).locator('.monaco-editor').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(text);
  }

  /** Adds a code cell at the end with `text` and runs it (Shift+Enter); waits until `expect` is in its outputs. */
  async function runNewCell(text: string, expect: RegExp, timeout = 30_000): Promise<number> {
    const index = await page.locator('.cell').count();
    await page.locator('.cell').last().click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    await page.locator('.cell').nth(index).waitFor();
    await setCell(index, text);
    await page.keyboard.press('Shift+Enter');
    await page.waitForFunction(outputsMatch, [index, expect.source] as const, { timeout });
    return index;
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    workspace = mkdtempSync(join(tmpdir(), 'babelscope-nb-e2e-'));
    writeFileSync(join(workspace, 'demo.ipynb'), JSON.stringify(DEMO, null, 1));
    wb = await startWorkbench(workspace);
    ({ browser, server } = wb);
    ({ page, problems } = await openPage(browser, { acceptDownloads: true }));
  });

  after(async () => {
    await wb?.close();
  });

  it('opens the demo notebook from the file browser: Markdown rendered, code in Monaco', async () => {
    await page.goto(server.url);
    await page.locator('#files-list button[data-path="demo.ipynb"]').click();
    await page.locator('.cell.markdown h1').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.cell.markdown h1').innerText(), 'Demo notebook');
    await page.locator('.cell.code .monaco-editor').first().waitFor();
    assert.match((await page.locator('.cell.code .view-lines').first().innerText()).replaceAll('\u00a0', ' '), /const x: number = 41/);
    assert.equal(await page.locator('#nb-name').innerText(), 'demo.ipynb');
    assert.equal(await page.locator('#nb-dirty').isHidden(), true);
    await screenshot('opened');
  });

  it('edits and runs a cell: stdout and the result appear, the execution count is set, the notebook is dirty', async () => {
    await setCell(1, 'const x: number = 41\nconsole.log("from stdout")\nx + 1');
    await page.keyboard.press('Shift+Enter');
    await page.waitForFunction(outputsMatch, [1, '42'] as const, { timeout: 60_000 });
    assert.match(await page.locator('.cell').nth(1).locator('.outputs').innerText(), /from stdout\s+42/);
    await page.waitForFunction(countIs, [1, '[1]:'] as const, { timeout: 10_000 });
    assert.equal(await page.locator('#nb-dirty').isVisible(), true);
    await screenshot('ran-cell');
  });

  it('completion offers the babelscope API’s functions, and babelscope/plots’ figures', async () => {
    const index = await page.locator('.cell').count();
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    await page.locator('.cell').nth(index).waitFor();
    await setCell(index, "import * as bs from 'babelscope'\nbs.open");
    await page.keyboard.press('Control+Space');
    const row = page.locator('.suggest-widget .monaco-list-row', { hasText: 'openModel' });
    await row.first().waitFor({ timeout: 30_000 });
    await screenshot('completion');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText("import * as plots from 'babelscope/plots'\nplots.layerLi");
    await page.keyboard.press('Control+Space');
    await page.locator('.suggest-widget .monaco-list-row', { hasText: 'layerLines' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Escape');
    // Variables of earlier cells are known too.
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('x.toFix');
    await page.keyboard.press('Control+Space');
    await page.locator('.suggest-widget .monaco-list-row', { hasText: 'toFixed' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('// completion checked');
  });

  it('draws an interactive Plotly figure and exports it as SVG', async () => {
    // The kernel starts its figure browser on this first figure: allow for it on a busy machine.
    const index = await runNewCell("display({ data: [{ type: 'bar', x: ['eng', 'rus', 'cmn'], y: [3, 1, 2] }], layout: { title: { text: 'Languages' }, width: 600, height: 360 } })", /SVG/, 90_000);
    const cell = page.locator('.cell').nth(index);
    await cell.locator('.plot .main-svg').first().waitFor({ timeout: 30_000 });
    assert.equal(await cell.locator('.plot .bars .point').count(), 3);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), cell.locator('button.export[data-format=svg]').click()]);
    // Named as `babelscope run` names it: the cell's number, then the figure's within the cell.
    assert.equal(download.suggestedFilename(), `demo-cell${index + 1}-1.svg`);
    const file = join(SHOTS, 'figure.svg');
    await download.saveAs(file);
    const svg = readFileSync(file, 'utf8');
    assert.match(svg, /^<svg[\s>]/);
    assert.ok(svg.includes('Languages'), 'the title is in the SVG');
    // The PDF comes from the same export path as `run --format pdf`: vectors and text, not a picture.
    const [pdfDownload] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), cell.locator('button.export[data-format=pdf]').click()]);
    assert.equal(pdfDownload.suggestedFilename(), `demo-cell${index + 1}-1.pdf`);
    const pdfFile = join(SHOTS, 'figure.pdf');
    await pdfDownload.saveAs(pdfFile);
    const pdf = readFileSync(pdfFile).toString('latin1');
    assert.ok(pdf.startsWith('%PDF-'));
    assert.match(pdf, /\/Font/, 'the PDF carries fonts: its text is text');
    assert.doesNotMatch(pdf, /\/DCTDecode|\/Subtype\s*\/Image/, 'no picture of the figure inside');
    await screenshot('plotly');
  });

  it('interrupts `while (true) {}` and the next cell still sees earlier state', async () => {
    const index = await page.locator('.cell').count();
    await page.locator('.cell').last().click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    await setCell(index, 'while (true) {}');
    await page.keyboard.press('Shift+Enter');
    await page.waitForFunction(kernelIs, 'busy', { timeout: 30_000 });
    await page.waitForTimeout(500);
    await screenshot('busy');
    await page.locator('.toolbar button[data-act=interrupt]').click();
    await page.waitForFunction(outputsMatch, [index, 'Interrupt'] as const, { timeout: 30_000 });
    await runNewCell('x * 2', /82/);
    await screenshot('interrupted');
  });

  it('restart clears the kernel’s state', async () => {
    await page.locator('.toolbar button[data-act=restart]').click();
    await page.waitForFunction(kernelIs, 'idle', { timeout: 30_000 });
    await runNewCell('typeof x', /undefined/);
    await screenshot('restarted');
  });

  it('an HTML output can neither read the page’s secrets nor call the backend', async () => {
    const probe = `
      const r = {};
      try { r.cookie = document.cookie; } catch (e) { r.cookie = 'threw ' + e.name; }
      try { r.storage = sessionStorage.getItem('babelscope.token'); } catch (e) { r.storage = 'threw ' + e.name; }
      try { r.parent = String(parent.location.href); } catch (e) { r.parent = 'threw ' + e.name; }
      try { r.parentStorage = parent.sessionStorage.getItem('babelscope.token'); } catch (e) { r.parentStorage = 'threw ' + e.name; }
      r.origin = String(self.origin);
      fetch('${server.origin}/api/rpc', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"method":"model","params":{}}' })
        .then((res) => 'status ' + res.status, (e) => 'failed ' + e.name)
        .then((f) => { r.fetch = f; document.getElementById('out').textContent = JSON.stringify(r); });`;
    const html = `<div id="out">probing</div><script>${probe}</script>`;
    // The output is an iframe (no text in the page), so any output state will do here.
    const index = await runNewCell(`display.html(${JSON.stringify(html)})`, /$/, 30_000);
    const cell = page.locator('.cell').nth(index);
    await cell.locator('iframe.html-output').waitFor({ timeout: 30_000 });
    assert.equal(await cell.locator('iframe.html-output').getAttribute('sandbox'), 'allow-scripts');
    const frame = page.frameLocator(`.cell >> nth=${index} >> iframe.html-output`);
    await frame.locator('#out').filter({ hasText: '{' }).waitFor({ timeout: 30_000 });
    const r = JSON.parse(await frame.locator('#out').innerText()) as Record<string, string>;
    assert.equal(r['origin'], 'null', 'an opaque origin');
    assert.ok(r['cookie'] === '' || r['cookie']!.startsWith('threw'), `cookie: ${r['cookie']}`);
    assert.match(r['storage']!, /^threw/);
    assert.match(r['parent']!, /^threw/);
    assert.match(r['parentStorage']!, /^threw/);
    assert.match(r['fetch']!, /^failed/, 'the frame’s CSP allows no request');
    assert.ok(!JSON.stringify(r).includes(server.token));
    await screenshot('html-output');
  });

  it('saves (Ctrl+S), and a reload finds the notebook as saved; unknown metadata is kept', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+S');
    await page.waitForFunction(clean, undefined, { timeout: 10_000 });
    const saved = JSON.parse(readFileSync(join(workspace, 'demo.ipynb'), 'utf8')) as { metadata: { custom?: unknown }; cells: { id: string; cell_type: string; source: string[]; outputs?: { output_type: string; text?: string[]; data?: Record<string, unknown> }[]; execution_count?: number | null }[] };
    assert.deepEqual(saved.metadata.custom, { kept: true });
    assert.equal(saved.cells[0]!.id, 'intro');
    assert.equal(saved.cells[1]!.source.join(''), 'const x: number = 41\nconsole.log("from stdout")\nx + 1');
    assert.equal(saved.cells[1]!.execution_count, 1);
    assert.deepEqual(saved.cells[1]!.outputs!.map((o) => o.output_type), ['stream', 'execute_result']);
    const figure = saved.cells.flatMap((c) => c.outputs ?? []).find((o) => o.data?.['application/vnd.plotly.v1+json']);
    assert.ok(figure, 'the figure is saved');
    // With the image fallbacks the kernel drew, so GitHub and plain viewers show it.
    assert.match([figure.data!['image/svg+xml']].flat().join(''), /^<svg[\s\S]*Languages[\s\S]*<\/svg>$/);
    assert.equal(typeof figure.data!['image/png'], 'string');
    const count = saved.cells.length;

    await page.reload();
    await page.locator('#files-list button[data-path="demo.ipynb"]').click();
    await page.locator('.cell.markdown h1').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.cell').count(), count);
    assert.match(await page.locator('.cell').nth(1).locator('.outputs').innerText(), /from stdout\s+42/);
    await page.locator('.cell .plot .main-svg').first().waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#nb-dirty').isHidden(), true);
    await screenshot('reloaded');
  });

  it('notices a change made on disk by another program and reloads the (unmodified) notebook', async () => {
    const file = join(workspace, 'demo.ipynb');
    const nb = JSON.parse(readFileSync(file, 'utf8')) as { cells: { source: string[] }[] };
    nb.cells[0]!.source = ['# Edited elsewhere\n'];
    writeFileSync(file, JSON.stringify(nb, null, 1));
    await page.locator('#nb-banner', { hasText: 'changed on disk' }).waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('.cell.markdown h1').first().innerText(), 'Edited elsewhere');
    assert.equal(await page.locator('#nb-dirty').isHidden(), true);
    await screenshot('changed-on-disk');
  });

  it('logged no console errors or warnings and made no failed requests', () => {
    // Chromium reports the HTML output's refused request (its CSP at work, tested above) as console errors.
    const refusedByFrame = (p: string) => /connect-src 'none'|Refused to connect because it violates the document's Content Security Policy/.test(p) && p.includes('/api/rpc');
    assert.deepEqual(problems.filter((p) => !refusedByFrame(p)), []);
  });
});
