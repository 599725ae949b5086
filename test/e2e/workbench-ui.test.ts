/**
 * The workbench's frame, themes and keys as a researcher meets them, in Chromium against `startServer`
 * on a workspace with a notebook and a real store: a one-row header at any width, side panels that a
 * narrow window can still open, tables laid out as tables, readable dark theme (chips, HTML tables,
 * figures), no boxes on Cyrillic letters, and Jupyter's command-mode keys. Screenshots of each state go
 * to dist/test-output/workbench-ui-e2e/ (light, dark, 800 px).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { capture, openModel } from '../../src/main/api/index.js';
import type { ServerHandle } from '../../src/main/server/server.js';
import { repoRoot, tinyModelDir } from '../helpers/paths.js';
import { collectProblems } from './browser.js';
import { startWorkbench, type Workbench } from './workbench-fixture.js';

const SHOTS = join(repoRoot, 'dist', 'test-output', 'workbench-ui-e2e');

const code = (id: string, source: string) => ({ id, cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: [source] });
const NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    { id: 'intro', cell_type: 'markdown', metadata: {}, source: ['# Keys and themes'] },
    code('cyrillic', "const text = 'Все люди рождаются свободными'"),
    code('last', 'text.length'),
  ],
};

/** A figure in the paper style of src/shared/plots (white paper, black text and axis lines). */
const FIGURE = {
  data: [{ type: 'scatter', name: 'eng', y: [1, 3, 2] }],
  layout: { font: { color: '#000000' }, paper_bgcolor: '#FFFFFF', plot_bgcolor: '#FFFFFF', xaxis: { showline: true, linecolor: '#000000', title: { text: 'layer' } }, width: 500, height: 320 },
};
const UNDO_NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [code('one', "const first = 'один'"), code('two', "console.log('second cell ran')"), code('three', 'first.length')],
};
const THEME_NOTEBOOK = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [code('figure', `display(${JSON.stringify(FIGURE)})`)] };

/** The little of the DOM the page functions below touch (the Node-side tsconfig has no DOM types). */
interface Box {
  x: number;
  width: number;
  height: number;
}
type PageEl = { getBoundingClientRect(): Box; closest(s: string): PageEl | null; className: string };
type PageDoc = { activeElement: PageEl | null };

/** sRGB relative luminance contrast of two CSS colours `rgb(r, g, b)`. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('workbench frame, themes and keys (real server and Chromium)', () => {
  let workspace: string;
  let wb: Workbench | undefined;
  let server: ServerHandle;
  let browser: Browser;
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];
  const pageProblems = new Map<Page, string[]>();

  /** A page of the workbench in a window `width` wide, in the given theme, on `hash`. */
  async function open(width: number, theme: 'light' | 'dark', hash: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 860 }, deviceScaleFactor: 1, colorScheme: theme });
    contexts.push(context);
    // The theme is the user's choice, kept in localStorage; the system's preference is the default.
    await context.addInitScript((t) => {
      // Not in the sandboxed frames of HTML outputs, which have no storage.
      if (globalThis === (globalThis as unknown as { top: unknown }).top) (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('babelscope.theme', t);
    }, theme);
    const page = await context.newPage();
    pageProblems.set(page, collectProblems(page));
    await page.goto(`${server.url}${hash}`);
    return page;
  }

  /** Closes a page, keeping what it reported until then (closing aborts its pending requests). */
  async function close(page: Page): Promise<void> {
    problems.push(...(pageProblems.get(page) ?? []));
    pageProblems.set(page, []);
    await page.context().close();
  }

  async function openNotebook(page: Page): Promise<void> {
    await page.locator('#nb-name', { hasText: 'ui.ipynb' }).waitFor({ timeout: 30_000 });
    await page.locator('.cell.code .monaco-editor').nth(1).waitFor({ timeout: 30_000 });
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    workspace = mkdtempSync(join(tmpdir(), 'babelscope-ui-e2e-'));
    writeFileSync(join(workspace, 'ui.ipynb'), JSON.stringify(NOTEBOOK, null, 1));
    writeFileSync(join(workspace, 'theme.ipynb'), JSON.stringify(THEME_NOTEBOOK, null, 1));
    writeFileSync(join(workspace, 'undo.ipynb'), JSON.stringify(UNDO_NOTEBOOK, null, 1));
    mkdirSync(join(workspace, 'runs'));
    const model = await openModel(tinyModelDir, { device: 'cpu', log: () => {} });
    try {
      await capture({ model, store: join(workspace, 'runs', 'udhr.db'), corpus: 'udhr:eng,rus', maxTextsPerLang: 2, batch: 4 });
    } finally {
      await model.dispose();
    }
    wb = await startWorkbench(workspace);
    ({ browser, server } = wb);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await wb?.close();
  });

  it('keeps the header on one row, wide and narrow', async () => {
    for (const width of [1280, 800]) {
      const page = await open(width, 'light', '#notebook=ui.ipynb');
      await openNotebook(page);
      await page.locator('#model-summary .model-name').waitFor({ timeout: 30_000 });
      const header = await page.locator('.app-header').boundingBox();
      assert.ok(header && header.height < 50, `header ${header?.height} px high at ${width} px`);
      const toggle = await page.locator('#theme-toggle').boundingBox();
      assert.ok(toggle && toggle.x + toggle.width <= width, `the theme toggle is inside the window at ${width} px`);
      await page.screenshot({ path: join(SHOTS, `header-${width}.png`) });
      await close(page);
    }
  });

  it('a narrow window hides the side panels and the ☰ button lays them over the notebook', async () => {
    const page = await open(800, 'light', '#notebook');
    assert.equal(await page.locator('#sidebar').isVisible(), false);
    await page.locator('#sidebar-toggle').click();
    assert.equal(await page.locator('#sidebar').isVisible(), true);
    assert.equal(await page.locator('#sidebar-toggle').getAttribute('aria-expanded'), 'true');
    await page.locator('.tabs [data-panel=model-panel]').click();
    await page.locator('#model-facts dd').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'narrow-model-panel.png') });
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#sidebar').isVisible(), false, 'Escape closes the panels');
    // Opening a notebook from the file list closes them too.
    await page.locator('#sidebar-toggle').click();
    await page.locator('.tabs [data-panel=files-panel]').click();
    await page.locator('#files-list button[data-path="ui.ipynb"]').click();
    await openNotebook(page);
    assert.equal(await page.locator('#sidebar').isVisible(), false);
    assert.equal(await page.locator('#sidebar-toggle').getAttribute('aria-expanded'), 'false');
    await page.screenshot({ path: join(SHOTS, 'narrow-notebook.png') });
    await close(page);
  });

  it('a wide window hides and shows the side panels with the same button', async () => {
    const page = await open(1280, 'light', '#notebook');
    assert.equal(await page.locator('#sidebar').isVisible(), true);
    const before = (await page.locator('#cells').boundingBox())!.width;
    await page.locator('#sidebar-toggle').click();
    assert.equal(await page.locator('#sidebar').isVisible(), false);
    assert.ok((await page.locator('#cells').boundingBox())!.width > before, 'the notebook takes the room');
    await page.locator('#sidebar-toggle').click();
    assert.equal(await page.locator('#sidebar').isVisible(), true);
    await close(page);
  });

  it('lays out the store’s results as a table: each header above its column', async () => {
    const page = await open(1280, 'light', '#store');
    const results = page.locator('#store-overview table.results');
    await results.locator('tbody tr').first().waitFor({ timeout: 30_000 });
    const heads = await results.locator('thead th').evaluateAll((ths) => ths.map((t) => (t as unknown as PageEl).getBoundingClientRect().x));
    const cells = await results.locator('tbody tr').first().locator('td').evaluateAll((tds) => tds.map((t) => (t as unknown as PageEl).getBoundingClientRect().x));
    assert.deepEqual(heads, cells);
    await page.screenshot({ path: join(SHOTS, 'store-light.png') });
    await close(page);
  });

  it('dark theme: readable language chips, a dark store chart, HTML tables and figure legends on the dark paper', async () => {
    const page = await open(1280, 'dark', '#lens');
    const chip = page.locator('.lang:has(input:checked)').first();
    await chip.waitFor({ timeout: 30_000 });
    const [fg, bg] = await chip.evaluate((l) => {
      const s = (globalThis as unknown as { getComputedStyle(e: unknown): { color: string; backgroundColor: string } }).getComputedStyle(l);
      return [s.color, s.backgroundColor];
    });
    assert.ok(contrast(fg, bg) >= 4.5, `chip text ${fg} on ${bg}: contrast ${contrast(fg, bg).toFixed(1)}`);
    await page.screenshot({ path: join(SHOTS, 'lens-dark.png') });
    await close(page);

    const store = await open(1280, 'dark', '#store');
    await store.locator('#store-overview tbody tr').first().waitFor({ timeout: 30_000 });
    await store.locator('#store-sql').fill('SELECT lang, COUNT(*) AS n FROM texts GROUP BY lang');
    await store.locator('#store-run').click();
    await store.locator('#store-result tbody tr').first().waitFor({ timeout: 30_000 });
    await store.locator('#store-chart').click();
    await store.locator('#store-plot .main-svg').first().waitFor({ timeout: 30_000 });
    assert.equal(await store.evaluate('document.getElementById("store-plot").layout.paper_bgcolor'), '#1e1f24');
    await store.screenshot({ path: join(SHOTS, 'store-dark.png'), fullPage: true });
    await close(store);

    const notebook = await open(1280, 'dark', '#notebook=ui.ipynb');
    await openNotebook(notebook);
    await notebook.locator('.cell.code').last().locator('.monaco-editor').click();
    await notebook.keyboard.press('Control+A');
    const columns = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`token ${i}`, `слово ${i}`]));
    await notebook.keyboard.insertText(
      `display([${JSON.stringify({ layer: 0, ...columns })}, ${JSON.stringify({ layer: 1, ...columns })}])\n` +
        "display({ data: [{ type: 'scatter', name: 'eng', y: [1, 2] }, { type: 'scatter', name: 'rus', y: [2, 1] }], layout: { showlegend: true, legend: { bgcolor: '#ffffff' } } })",
    );
    await notebook.keyboard.press('Control+Enter');
    const cell = notebook.locator('.cell.code').last();
    await cell.locator('iframe.html-output').waitFor({ timeout: 60_000 });
    const frame = notebook.frameLocator('.cell.code >> nth=-1 >> iframe.html-output');
    await frame.locator('td').first().waitFor({ timeout: 30_000 });
    const style = await frame.locator('body').evaluate((b) => {
      const w = globalThis as unknown as { getComputedStyle(e: unknown): { color: string; backgroundColor: string; whiteSpace: string }; document: { querySelector(s: string): unknown } };
      const body = w.getComputedStyle(b);
      return { body: { color: body.color, backgroundColor: body.backgroundColor }, td: w.getComputedStyle(w.document.querySelector('td')).whiteSpace };
    });
    assert.ok(contrast(style.body.color, style.body.backgroundColor) >= 7, `table text ${style.body.color} on ${style.body.backgroundColor}`);
    assert.ok(contrast(style.body.backgroundColor, 'rgb(0, 0, 0)') < 2, `a dark table background: ${style.body.backgroundColor}`);
    assert.equal(style.td, 'nowrap', 'a row keeps one line; a wide table scrolls');
    // Two rows of one line each, plus the header and a scrollbar: far less than wrapped cells would take.
    const frameBox = await cell.locator('iframe.html-output').boundingBox();
    assert.ok(frameBox && frameBox.height < 130, `the table's frame is ${frameBox?.height} px high`);
    await cell.locator('.plot .legend rect.bg').first().waitFor({ timeout: 30_000 });
    const legend = await cell.locator('.plot .legend rect.bg').first().evaluate((r) => {
      const style = (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string; fillOpacity: string } }).getComputedStyle(r);
      return { fill: style.fill, opacity: style.fillOpacity };
    });
    assert.ok(/rgba\(0, 0, 0, 0\)|transparent|none/.test(legend.fill) || Number(legend.opacity) === 0, `legend box ${JSON.stringify(legend)}`);
    // A figure whose layout names no height gets Plotly's default, not the empty output's height.
    const plotBox = await cell.locator('.plot .main-svg').first().boundingBox();
    assert.ok(plotBox && plotBox.height >= 400, `the figure is ${plotBox?.height} px high`);
    await cell.scrollIntoViewIfNeeded();
    await notebook.screenshot({ path: join(SHOTS, 'notebook-dark.png') });
    await close(notebook);
  });

  it('a drawn figure follows the theme; the saved notebook and the exports keep the light paper', async () => {
    const page = await open(1280, 'light', '#notebook=theme.ipynb');
    await page.locator('#nb-name', { hasText: 'theme.ipynb' }).waitFor({ timeout: 30_000 });
    await page.locator('.cell.code .monaco-editor').first().click();
    await page.keyboard.press('Control+Enter');
    const plot = page.locator('.cell.code .plot');
    await plot.locator('.main-svg').first().waitFor({ timeout: 60_000 });
    /** The paper's colour and a tick label's, as Chromium draws them. */
    const colours = () =>
      plot.evaluate((p) => {
        const el = p as unknown as { querySelector(s: string): unknown };
        const css = (e: unknown) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string; fill: string } }).getComputedStyle(e);
        return { paper: css(el.querySelector('.main-svg')).backgroundColor, text: css(el.querySelector('.xtick text')).fill };
      });
    const light = await colours();
    assert.deepEqual(light, { paper: 'rgb(255, 255, 255)', text: 'rgb(0, 0, 0)' });

    await page.locator('#theme-toggle').click();
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { style: { background: string } } | null } }).document.querySelector('.cell.code .plot .main-svg')?.style.background.includes('30, 31, 36') === true, undefined, { timeout: 10_000 });
    const dark = await colours();
    assert.equal(dark.paper, 'rgb(30, 31, 36)');
    assert.ok(contrast(dark.text, dark.paper) >= 7, `tick labels ${dark.text} on ${dark.paper}`);
    await page.screenshot({ path: join(SHOTS, 'figure-dark-after-switch.png') });

    // Exported in the dark theme: still the light paper with black text.
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), plot.locator('xpath=..').locator('button.export[data-format=svg]').click()]);
    const svgFile = join(SHOTS, 'figure-exported-in-dark.svg');
    await download.saveAs(svgFile);
    const svg = readFileSync(svgFile, 'utf8');
    assert.match(svg, /^<svg[^>]*><rect [^>]*style="fill: rgb\(255, 255, 255\)/, 'a white paper');
    assert.match(svg, /class="xtick"><text [^>]*fill: rgb\(0, 0, 0\)/, 'black tick labels');
    assert.doesNotMatch(svg, /30, 31, 36|1e1f24|228, 230, 235|e4e6eb/i, 'no dark-theme colour in the export');

    // Saved in the dark theme: the figure as the cell gave it.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+S');
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { hidden: boolean } | null } }).document.querySelector('#nb-dirty')?.hidden === true, undefined, { timeout: 10_000 });
    const saved = JSON.parse(readFileSync(join(workspace, 'theme.ipynb'), 'utf8')) as { cells: { outputs: { data?: Record<string, unknown> }[] }[] };
    const figure = saved.cells[0]!.outputs.map((o) => o.data?.['application/vnd.plotly.v1+json']).find(Boolean);
    assert.deepEqual(figure, FIGURE);

    await page.locator('#theme-toggle').click();
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { style: { background: string } } | null } }).document.querySelector('.cell.code .plot .main-svg')?.style.background.includes('255, 255, 255') === true, undefined, { timeout: 10_000 });
    assert.deepEqual(await colours(), light, 'back to the figure’s own colours');
    await close(page);
  });

  it('draws no confusable-character boxes on Cyrillic text', async () => {
    const page = await open(1280, 'light', '#notebook=ui.ipynb');
    await openNotebook(page);
    await page.locator('.cell.code').first().locator('.view-lines', { hasText: 'Все' }).waitFor();
    await page.waitForTimeout(500);
    assert.equal(await page.locator('.cell.code').first().locator('.unicode-highlight').count(), 0);
    await close(page);
  });

  it('Jupyter’s keys: A and B stay in command mode, Enter edits, Shift+Enter renders Markdown and leaves its edit mode', async () => {
    const page = await open(1280, 'light', '#notebook=ui.ipynb');
    await openNotebook(page);
    const inEditor = () => page.evaluate(() => Boolean((globalThis as unknown as { document: PageDoc }).document.activeElement?.closest('.monaco-editor')));
    await page.locator('.cell.code').last().click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    await page.keyboard.press('b');
    assert.equal(await page.locator('.cell').count(), 5, 'B, B: two new cells');
    assert.equal(await inEditor(), false, 'still in command mode');
    await page.keyboard.press('a');
    assert.equal(await page.locator('.cell').count(), 6);
    assert.match((await page.locator('.cell').nth(4).getAttribute('class'))!, /\bselected\b/, 'A: a cell above the selected one, selected');
    assert.equal(await inEditor(), false);
    await page.keyboard.press('d');
    await page.keyboard.press('d');
    assert.equal(await page.locator('.cell').count(), 5, 'D, D deletes it');
    await page.keyboard.press('m');
    await page.keyboard.press('Enter');
    assert.equal(await inEditor(), true, 'Enter: edit mode');
    await page.keyboard.insertText('## Rendered');
    await page.keyboard.press('Shift+Enter');
    const md = page.locator('.cell.markdown', { hasText: 'Rendered' });
    await md.locator('h2').waitFor();
    assert.doesNotMatch((await md.getAttribute('class'))!, /editing/);
    assert.equal(await page.locator('.cell.editing').count(), 1, 'only the cell being edited is marked so');
    await page.screenshot({ path: join(SHOTS, 'keys.png') });
    await close(page);
  });

  it('Z undoes cell deletions, latest first: each cell back where it was, with its outputs', async () => {
    const page = await open(1280, 'light', '#notebook=undo.ipynb');
    await page.locator('#nb-name', { hasText: 'undo.ipynb' }).waitFor({ timeout: 30_000 });
    const ids = () => page.locator('.cell').evaluateAll((cells) => cells.map((c) => (c as unknown as { dataset: Record<string, string> }).dataset['id']));
    const second = page.locator('.cell[data-id=two]');
    await second.locator('.monaco-editor').click();
    await page.keyboard.press('Control+Enter');
    await second.locator('.outputs', { hasText: 'second cell ran' }).waitFor({ timeout: 60_000 });
    await page.keyboard.press('Escape');
    await page.keyboard.press('d');
    await page.keyboard.press('d');
    assert.deepEqual(await ids(), ['one', 'three']);
    await page.locator('.cell[data-id=one]').click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('d');
    await page.keyboard.press('d');
    assert.deepEqual(await ids(), ['three']);

    await page.keyboard.press('z');
    assert.deepEqual(await ids(), ['one', 'three'], 'Z: the last deleted cell, at its place');
    assert.match((await page.locator('.cell[data-id=one]').getAttribute('class'))!, /\bselected\b/);
    await page.keyboard.press('z');
    assert.deepEqual(await ids(), ['one', 'two', 'three'], 'Z again: the one deleted before it');
    assert.match(await second.locator('.outputs').innerText(), /second cell ran/, 'with its output');
    assert.match(await second.locator('.exec-count').innerText(), /\[1\]/, 'and its execution count');
    // Monaco shows spaces as no-break spaces.
    assert.equal((await second.locator('.view-lines').innerText()).replace(/\s/g, ' '), "console.log('second cell ran')", 'and its source in the editor');
    await page.keyboard.press('z');
    assert.deepEqual(await ids(), ['one', 'two', 'three'], 'nothing more to undo');
    await page.screenshot({ path: join(SHOTS, 'undo-delete.png') });
    await close(page);
  });

  it('splits a cell at the cursor (Ctrl+Shift+-) and merges it back (Shift+M); Y makes a Markdown cell code again', async () => {
    const page = await open(1280, 'light', '#notebook=ui.ipynb');
    await openNotebook(page);
    const count = await page.locator('.cell').count();
    await page.locator('.cell.code').first().locator('.monaco-editor').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('const first = 1\nconst second = 2');
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Control+Shift+Minus');
    assert.equal(await page.locator('.cell').count(), count + 1);
    const text = (i: number) => page.locator('.cell').nth(i).locator('.view-lines').innerText().then((t) => t.replaceAll('\u00a0', ' ').trim());
    assert.equal(await text(1), 'const first = 1');
    assert.equal(await text(2), 'const second = 2');
    await page.keyboard.press('Escape');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Shift+M');
    assert.equal(await page.locator('.cell').count(), count);
    assert.match(await text(1), /const first = 1\s+const second = 2/);
    await page.keyboard.press('m');
    assert.match((await page.locator('.cell').nth(1).getAttribute('class'))!, /markdown/);
    await page.keyboard.press('y');
    assert.match((await page.locator('.cell').nth(1).getAttribute('class'))!, /\bcode\b/);
    await close(page);
  });

  it('an error output highlights the line of the cell that threw, until the cell is edited', async () => {
    const page = await open(1280, 'light', '#notebook=ui.ipynb');
    await openNotebook(page);
    const cell = page.locator('.cell.code').last();
    await cell.locator('.monaco-editor').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('const a = 1\nconst b = a + 1\nthrow new Error("boom on line 3")\nconst c = 3');
    await page.keyboard.press('Control+Enter');
    await cell.locator('.error-output', { hasText: 'boom on line 3' }).waitFor({ timeout: 60_000 });
    const line = cell.locator('.view-overlays .error-line');
    await line.waitFor();
    const top = await line.evaluate((e) => {
      const row = (e as unknown as { parentElement: { style: { top: string; height: string } } }).parentElement;
      return Math.round(parseFloat(row.style.top) / parseFloat(row.style.height)) + 1;
    });
    assert.equal(top, 3);
    await page.screenshot({ path: join(SHOTS, 'error-line.png') });
    await page.keyboard.press('End');
    await page.keyboard.type(' ');
    // Editing the cell clears the highlight (Monaco draws decorations on its next frame).
    await cell.locator('.error-line').waitFor({ state: 'detached', timeout: 10_000 });
    await close(page);
  });

  it('keeps unsaved edits when the page goes away and offers them back when the notebook opens again', async () => {
    const page = await open(1280, 'light', '#notebook=ui.ipynb');
    await openNotebook(page);
    await page.locator('.cell.code').first().locator('.monaco-editor').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('const recovered = "typed before the crash"');
    // Autosave runs 1.5 s after the last change; then the page dies without saving.
    await page.waitForTimeout(2500);
    problems.push(...(pageProblems.get(page) ?? []));
    pageProblems.set(page, []);
    await page.context().close({ reason: 'crash' });
    const again = await open(1280, 'light', '#notebook=ui.ipynb');
    await openNotebook(again);
    const banner = again.locator('#nb-banner', { hasText: 'Unsaved changes from' });
    await banner.waitFor({ timeout: 30_000 });
    await again.screenshot({ path: join(SHOTS, 'recovery-offered.png') });
    await banner.locator('button', { hasText: 'Recover them' }).click();
    await again.locator('.cell.code').first().locator('.view-lines', { hasText: 'typed before the crash' }).waitFor();
    assert.equal(await again.locator('#nb-dirty').isVisible(), true, 'recovered edits are unsaved edits');
    await close(again);
  });

  it('logged no console errors or warnings and made no failed requests', () => {
    assert.deepEqual(problems, []);
  });
});
