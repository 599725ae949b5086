/**
 * Progress bars in the workbench end to end (`startServer`, its kernel, headless Chromium): a capture
 * on the bundled model shows a bar that advances in place, finished bars say so, Cancel stops a long
 * capture (the cell ends with its CancellationError and a cancelled bar), the next cell still has the
 * earlier state and the texts the capture stored, and the saved notebook keeps one output per bar.
 * Screenshots (light and dark) go to dist/test-output/progress-e2e/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ServerHandle } from '../../src/main/server/server.js';
import { PROGRESS_MIME } from '../../src/shared/progress-display.js';
import { repoRoot, tinyModelDir } from '../helpers/paths.js';
import { openPage, startWorkbench, type Workbench } from './workbench-fixture.js';

const SHOTS = join(repoRoot, 'dist', 'test-output', 'progress-e2e');

const CELLS = [
  // 8 languages × 58 UDHR paragraphs, repeated under new ids: 4640 texts, a capture long enough to cancel.
  `import { openModel, capture, loadCorpus, openStore } from 'babelscope'
const model = await openModel(${JSON.stringify(tinyModelDir)}, { device: 'cpu' })
const udhr = await loadCorpus('udhr:eng,deu,rus,cmn,arb,fra,spa,hin')
const many = Array.from({ length: 10 }, (_, k) => udhr.map((t) => ({ ...t, id: t.id + '#' + k }))).flat()
many.length`,
  `const small = await capture({ model, store: 'small.db', corpus: 'udhr:eng,rus', maxTextsPerLang: 30, batch: 1 })
small.texts`,
  `await capture({ model, store: 'long.db', corpus: many, batch: 1 })`,
];

type El = { textContent: string | null; dataset: Record<string, string>; querySelector(s: string): El | null; querySelectorAll(s: string): ArrayLike<El> };
type Doc = { querySelectorAll(s: string): ArrayLike<El> };
// Page functions are sent to the page as source: each must stand alone.
const outputsMatch = ([i, src]: readonly [number, string]) =>
  new RegExp(src).test((globalThis as unknown as { document: Doc }).document.querySelectorAll('.cell')[i]?.querySelector('.outputs')?.textContent ?? '');
/** The bar of cell `i` is in `state` with at least `min` done. */
const barIs = ([i, state, min]: readonly [number, string, number]) => {
  const bar = (globalThis as unknown as { document: Doc }).document.querySelectorAll('.cell')[i]?.querySelector('.progress-output');
  return bar?.dataset['state'] === state && Number((bar.querySelector('.progress-count')?.textContent ?? '').split('/')[0]) >= min;
};

describe('progress bars in the workbench (real server, kernel and Chromium)', () => {
  let workspace: string;
  let wb: Workbench | undefined;
  let server: ServerHandle;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const shot = (name: string, cell?: number) =>
    cell === undefined ? page.screenshot({ path: join(SHOTS, `${name}.png`) }) : page.locator('.cell').nth(cell).screenshot({ path: join(SHOTS, `${name}.png`) });
  const doneOf = async (cell: number) => Number((await page.locator('.cell').nth(cell).locator('.progress-count').innerText()).split('/')[0]);
  const setTheme = async (theme: 'light' | 'dark') => {
    if ((await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { dataset: Record<string, string> } } }).document.documentElement.dataset['theme'])) !== theme)
      await page.locator('#theme-toggle').click();
  };

  async function runCell(index: number, expect: RegExp, timeout = 60_000): Promise<void> {
    await page.locator('.cell').nth(index).locator('.cell-gutter').click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Enter');
    if (expect.source !== '$') await page.waitForFunction(outputsMatch, [index, expect.source] as const, { timeout });
  }

  before(async () => {
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    workspace = mkdtempSync(join(tmpdir(), 'babelscope-progress-e2e-'));
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'babelscope', display_name: 'TypeScript (Babelscope)', language: 'typescript' } },
      cells: CELLS.map((source, i) => ({ id: `c${i}`, cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source })),
    };
    writeFileSync(join(workspace, 'progress.ipynb'), JSON.stringify(nb, null, 1));
    wb = await startWorkbench(workspace);
    ({ browser, server } = wb);
    ({ page, problems } = await openPage(browser));
    await page.goto(server.url);
    await setTheme('light');
    await page.locator('#files-list button[data-path="progress.ipynb"]').click();
    await page.locator('.cell.code .monaco-editor').first().waitFor({ timeout: 30_000 });
  });

  after(async () => {
    await wb?.close();
  });

  it('a capture shows a bar that ends as done, with its count, detail and time', async () => {
    await runCell(0, /4640/);
    await runCell(1, /done in \d+:\d\d\s*60$/);
    await page.waitForFunction(barIs, [1, 'done', 60] as const, { timeout: 30_000 });
    const bar = page.locator('.cell').nth(1).locator('.progress-output');
    assert.equal(await bar.locator('.progress-title').innerText(), 'capture');
    assert.equal(await bar.locator('.progress-count').innerText(), '60/60');
    assert.equal(await bar.locator('.progress-pct').innerText(), '100%');
    assert.match(await bar.locator('.progress-detail').innerText(), /^\d+ tokens$/);
    assert.match(await bar.locator('.progress-time').innerText(), /^done in \d+:\d\d$/);
    assert.equal(await bar.locator('.progress-cancel').count(), 0, 'a finished bar has no Cancel');
    assert.equal(await page.locator('.cell').nth(1).locator('.progress-output').count(), 1, 'updates replace the bar');
    await shot('01-done-light', 1);
  });

  it('a long capture’s bar advances in place; Cancel stops it and the cell reports the CancellationError', async () => {
    await runCell(2, /$/);
    await page.waitForFunction(barIs, [2, 'running', 20] as const, { timeout: 60_000 });
    const first = await doneOf(2);
    await page.waitForFunction(barIs, [2, 'running', first + 50] as const, { timeout: 60_000 });
    assert.equal(await page.locator('.cell').nth(2).locator('.progress-output').count(), 1, 'one bar, updated in place');
    const bar = page.locator('.cell').nth(2).locator('.progress-output');
    assert.match(await bar.locator('.progress-time').innerText(), /^\d+:\d\d · \d+:\d\d left$/);
    await shot('02-running-light', 2);
    await setTheme('dark');
    await shot('03-running-dark', 2);
    await shot('04-running-dark-page');

    await bar.locator('.progress-cancel').click();
    await page.waitForFunction(barIs, [2, 'cancelled', 1] as const, { timeout: 30_000 });
    await page.waitForFunction(outputsMatch, [2, 'CancellationError: capture of run "capture" was interrupted after \\d+ of 4640 texts'] as const, { timeout: 30_000 });
    assert.match(await bar.locator('.progress-time').innerText(), /^cancelled after \d+:\d\d$/);
    assert.equal(await bar.locator('.progress-cancel').count(), 0);
    const stopped = await doneOf(2);
    assert.ok(stopped > first && stopped < 4640, `stopped at ${stopped}`);
    const said = /interrupted after (\d+) of 4640/.exec(await page.locator('.cell').nth(2).locator('.error-head').innerText());
    assert.equal(Number(said?.[1]), stopped, 'the bar shows where the capture stopped');
    await shot('05-cancelled-dark', 2);
    await setTheme('light');
    await shot('06-cancelled-light', 2);
  });

  it('the next cell still has the earlier state, and the store holds the texts the capture flushed', async () => {
    const stopped = await doneOf(2);
    await page.locator('.cell').nth(2).locator('.cell-gutter').click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    await page.locator('.cell').nth(3).locator('.monaco-editor').click();
    await page.keyboard.insertText(`const s = openStore('long.db');\n[many.length, small.texts, s.query('SELECT COUNT(*) AS n FROM capture_progress')[0].n, s.run('capture').status]`);
    await page.keyboard.press('Shift+Enter');
    await page.waitForFunction(outputsMatch, [3, `\\[ 4640, 60, ${stopped}, 'interrupted' \\]`] as const, { timeout: 30_000 });
    await shot('07-after-cancel-page');
  });

  it('saves the last state of each bar, once, with its text fallback', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+S');
    await page.locator('#nb-dirty').waitFor({ state: 'hidden', timeout: 10_000 });
    const saved = JSON.parse(readFileSync(join(workspace, 'progress.ipynb'), 'utf8')) as { cells: { outputs: { output_type: string; data?: Record<string, unknown>; ename?: string; transient?: unknown }[] }[] };
    const barsOf = (i: number) => saved.cells[i]!.outputs.filter((o) => o.data?.[PROGRESS_MIME]);
    assert.deepEqual(
      [1, 2].map((i) => barsOf(i).map((o) => (o.data![PROGRESS_MIME] as { state: string }).state)),
      [['done'], ['cancelled']],
    );
    assert.match((barsOf(2)[0]!.data!['text/plain'] as string[]).join(''), /^capture {2}\d+\/4640 \[=*>? *\] \d+% {2}\d+ tokens {2}cancelled after \d+:\d\d$/);
    assert.equal(saved.cells[2]!.outputs.at(-1)?.ename, 'CancellationError');
    assert.ok(saved.cells.every((c) => c.outputs.every((o) => o.transient === undefined)), 'no transient ids in the file');
  });

  it('logged no console errors or warnings and made no failed requests', () => {
    assert.deepEqual(problems, []);
  });
});
