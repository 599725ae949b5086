/**
 * Completion and diagnostics scoped like a notebook, in Chromium against `startServer`: each cell sees
 * the cells above it (in the current order) and not those below, and a later cell may declare a name
 * again. Read from what the page shows: Monaco's suggestion list and its error squiggles.
 * Screenshots go to dist/test-output/cell-scope-e2e/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ServerHandle } from '../../src/main/server/server.js';
import { repoRoot } from '../helpers/paths.js';
import { openPage, startWorkbench, type Workbench } from './workbench-fixture.js';

const SHOTS = join(repoRoot, 'dist', 'test-output', 'cell-scope-e2e');

const code = (id: string, source: string) => ({ id, cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: [source] });
const CELLS = {
  first: 'const alphaOne = 41\nconst betaLocal = 0\nbetaTwo',
  second: 'const betaTwo = "b"\nalphaOne + 1',
  third: 'const alphaOne = "declared again"\nconst size: number = alphaOne.length\nconst wrong: number = alphaOne',
  // Cells run in Node: its globals and modules are known (the backend's `node.types`); line 8 is a real error.
  node: [
    "import { readFileSync } from 'node:fs'",
    "import { join } from 'node:path'",
    "import * as fs from 'node:fs'",
    "const page = await fetch(new URL('https://example.org/'))",
    'const started = performance.now()',
    "const hex = Buffer.from('Ω', 'utf8').toString('hex')",
    "const notes = readFileSync(join(process.cwd(), 'notes.txt'), 'utf8')",
    "const notANumber: number = 'x'",
  ].join('\n'),
};
const NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [code('first', CELLS.first), { id: 'note', cell_type: 'markdown', metadata: {}, source: ['Between the cells.'] }, code('second', CELLS.second), code('third', CELLS.third), code('node', CELLS.node)],
};

interface Overlay {
  style: { top: string; height: string };
}
type El = { querySelectorAll(s: string): ArrayLike<{ parentElement: Overlay | null }> };

/** Runs in the page: the 1-based lines of code cell `i` that carry an error squiggle, as JSON. */
const errorLines = (i: number) => {
  const cell = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<El> } }).document.querySelectorAll('.cell.code')[i];
  const lines = Array.from(cell?.querySelectorAll('.squiggly-error') ?? []).map((s) => {
    const line = s.parentElement!;
    return Math.round(parseFloat(line.style.top) / parseFloat(line.style.height)) + 1;
  });
  return JSON.stringify([...new Set(lines)].sort((a, b) => a - b));
};
/** Runs in the page: `errorLines(i)` is `want` (the same code, as a page function must stand alone). */
const errorLinesAre = ([i, want]: readonly [number, string]) => {
  const cell = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<El> } }).document.querySelectorAll('.cell.code')[i];
  const lines = Array.from(cell?.querySelectorAll('.squiggly-error') ?? []).map((s) => {
    const line = s.parentElement!;
    return Math.round(parseFloat(line.style.top) / parseFloat(line.style.height)) + 1;
  });
  return JSON.stringify([...new Set(lines)].sort((a, b) => a - b)) === want;
};

describe('cells scoped like a notebook (real server and Chromium)', () => {
  let workspace: string;
  let wb: Workbench | undefined;
  let server: ServerHandle;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let shot = 0;
  const screenshot = async (name: string) => page.screenshot({ path: join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`) });

  /** Waits until code cell `i` shows error squiggles on exactly `lines`. */
  async function waitErrors(i: number, lines: number[]): Promise<void> {
    try {
      await page.waitForFunction(errorLinesAre, [i, JSON.stringify(lines)] as const, { timeout: 30_000 });
    } catch {
      assert.deepEqual(JSON.parse(await page.evaluate(errorLines, i)), lines, `error lines of code cell ${i}`);
    }
  }

  async function setCode(i: number, text: string): Promise<void> {
    await page.locator('.cell.code').nth(i).locator('.monaco-editor').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(text);
  }

  /**
   * The suggestions Monaco offers at the end of code cell `i` after typing `typed` on a new line, once
   * `expected` is among them (a name the cell certainly sees, so the list is complete); the cell's
   * text is put back afterwards.
   */
  async function suggestions(i: number, typed: string, expected: string): Promise<string[]> {
    const editor = page.locator('.cell.code').nth(i).locator('.monaco-editor');
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.insertText(`\n${typed}`);
    await page.keyboard.press('Control+Space');
    await page.locator('.suggest-widget .monaco-list-row', { hasText: expected }).first().waitFor({ timeout: 30_000 });
    const labels = await page.locator('.suggest-widget .monaco-list-row .label-name').allInnerTexts();
    await screenshot(`suggest-cell${i}-${typed}`);
    await page.keyboard.press('Escape');
    // Take the typed line back out.
    await page.keyboard.press('Shift+Home');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    return labels;
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    workspace = mkdtempSync(join(tmpdir(), 'babelscope-scope-e2e-'));
    writeFileSync(join(workspace, 'scope.ipynb'), JSON.stringify(NOTEBOOK, null, 1));
    wb = await startWorkbench(workspace);
    ({ browser, server } = wb);
    ({ page, problems } = await openPage(browser));
    await page.goto(`${server.url}#notebook=scope.ipynb`);
    await page.locator('#nb-name', { hasText: 'scope.ipynb' }).waitFor({ timeout: 30_000 });
    await page.locator('.cell.code .monaco-editor').nth(3).waitFor({ timeout: 30_000 });
  });

  after(async () => {
    await wb?.close();
  });

  it('a name from a cell below is an error and not offered; a name from a cell above is offered', async () => {
    // First cell: `betaTwo` (declared in the second) is unknown; the second uses the first's alphaOne.
    await waitErrors(0, [3]);
    await waitErrors(1, []);
    await screenshot('opened');
    const inFirst = await suggestions(0, 'beta', 'betaLocal');
    assert.ok(!inFirst.includes('betaTwo'), `the first cell is offered ${inFirst.join(', ')}`);
    const inSecond = await suggestions(1, 'alpha', 'alphaOne');
    assert.ok(inSecond.includes('alphaOne'));
  });

  it('a cell is checked against Node: fetch, URL, Buffer, node: imports are no error, a real type error is', async () => {
    await waitErrors(3, [8]);
    await screenshot('node');
    const members = await suggestions(3, 'fs.readFileS', 'readFileSync');
    assert.ok(members.includes('readFileSync'), `fs. offers ${members.join(', ')}`);
    const names = await suggestions(3, 'readFileS', 'readFileSync');
    assert.ok(names.includes('readFileSync'));
    await waitErrors(3, [8]);
  });

  it('declaring a name again in a later cell is no error; its new type is the one seen below', async () => {
    // Only the deliberate error (a string where a number is wanted) on line 3: the redeclaration is fine.
    await waitErrors(2, [3]);
    // The squiggle lies under the editor's text layer: force the hover onto its place.
    await page.locator('.cell.code').nth(2).locator('.squiggly-error').first().hover({ force: true });
    await page.locator('.monaco-hover', { hasText: "Type 'string' is not assignable to type 'number'" }).first().waitFor({ timeout: 30_000 });
    await screenshot('redeclared');
    await page.mouse.move(0, 0);
  });

  it('moving the second cell above the first flips what each sees', async () => {
    await page.locator('.cell.code').nth(1).click();
    await page.keyboard.press('Escape');
    // Up past the Markdown cell, then past the first code cell.
    await page.locator('.toolbar button[data-act=move-up]').click();
    await page.locator('.toolbar button[data-act=move-up]').click();
    assert.deepEqual(await page.locator('.cell').evaluateAll((cells) => cells.map((c) => (c as unknown as { dataset: Record<string, string> }).dataset['id'])), ['second', 'first', 'note', 'third', 'node']);
    await waitErrors(0, [2]); // second: alphaOne is now declared below it
    await waitErrors(1, []); // first: betaTwo is now declared above it
    await screenshot('moved');
    const inFirst = await suggestions(1, 'beta', 'betaLocal');
    assert.ok(inFirst.includes('betaTwo'), `the first cell is offered ${inFirst.join(', ')}`);
  });

  it('an edit in a cell re-checks the cells below it; a new cell sees those above it', async () => {
    // Rename betaTwo in the top cell: the cell below now uses an unknown name.
    await setCode(0, 'const betaRenamed = "b"\nalphaOne + 1');
    await waitErrors(1, [3]);
    await setCode(0, CELLS.second);
    await waitErrors(1, []);
    // A new cell at the end sees every cell above it, the last alphaOne being a string.
    await page.keyboard.press('Escape');
    await page.locator('.cell.code').nth(2).click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    await page.locator('.cell.code').nth(3).waitFor();
    await setCode(3, 'const n: number = alphaOne\nbetaTwo.length');
    await waitErrors(3, [1]);
    await screenshot('new-cell');
    // Deleting the third cell (the string alphaOne) leaves the number from the first.
    await page.locator('.cell.code').nth(2).click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('d');
    await page.keyboard.press('d');
    await waitErrors(2, []);
  });

  it('logged no console errors or warnings and made no failed requests', () => {
    assert.deepEqual(problems, []);
  });
});
