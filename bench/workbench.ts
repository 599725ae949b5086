/**
 * Workbench benchmark, in headless Chromium against `babelscope serve` (a real process):
 * - serve start → interactive notebook: from spawning `serve` to a notebook whose Monaco editor shows
 *   a typed character (the page, Monaco and the notebook loaded; no kernel needed to edit);
 * - keystroke → completion: from typing "." after a `babelscope` namespace to the suggestion list
 *   showing the API's functions (the TypeScript worker with the API's declarations); the first one (cold
 *   worker) and the median of the warm ones; then the same in the last cell of a 30-cell notebook, where
 *   each cell sees the declarations of the cells above it;
 * - Node's declarations (2.3 MB) go into the worker at the first pause in typing: keystroke → completion
 *   typed just as they go in (the worker parses them first), then again with them in the program.
 * Run standalone with `node dist/bench/workbench.js`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

/** performance.mark of src/renderer/notebook/editor.ts when Node's declarations go into the worker. */
const NODE_TYPES_MARK = 'babelscope:node-types-added';
const nodeTypesAddedAt = (page: Page) => page.evaluate((name) => performance.getEntriesByName(name)[0]?.startTime ?? null, NODE_TYPES_MARK);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cli = join(import.meta.dirname, '..', 'src', 'main', 'cli', 'index.js');
const codeCell = (id: string, source: string) => ({ id, cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: [source] });
const NOTEBOOK = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [codeCell('c1', 'const x = 1')] };
const LONG_CELLS = 30;
/** Cells that declare values, functions and types, and use earlier ones (as analysis notebooks do). */
const LONG_NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    codeCell('l0', "import * as bs from 'babelscope'\nconst langs = ['eng', 'rus', 'cmn']"),
    ...Array.from({ length: LONG_CELLS - 2 }, (_, i) =>
      codeCell(`l${i + 1}`, `interface Row${i} { lang: string; value: number }\nconst rows${i}: Row${i}[] = langs.map((lang, k) => ({ lang, value: k * ${i} }))\nfunction total${i}(rs: Row${i}[]) { return rs.reduce((a, r) => a + r.value, 0) }\nconst sum${i} = total${i}(rows${i})`),
    ),
    codeCell('last', 'sum0 + 1'),
  ],
};

/** Keystroke → completion list in the editor that has the focus: `runs` + 1 times (the first is reported apart). */
async function timeCompletions(page: Page, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k <= runs; k++) {
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(`import * as bs${k} from 'babelscope'\nbs${k}`);
    const c = performance.now();
    await page.keyboard.type('.');
    // The list opens at the top, where the API's classes are (Model among them).
    await page.locator('.suggest-widget .monaco-list-row', { hasText: /^Model/ }).first().waitFor({ timeout: 60_000 });
    times.push(performance.now() - c);
    await page.keyboard.press('Escape');
  }
  return times;
}

export async function benchWorkbench(starts = 3, completions = 10): Promise<Record<string, string>> {
  const workspace = mkdtempSync(join(tmpdir(), 'babelscope-bench-wb-'));
  writeFileSync(join(workspace, 'bench.ipynb'), JSON.stringify(NOTEBOOK));
  writeFileSync(join(workspace, 'long.ipynb'), JSON.stringify(LONG_NOTEBOOK));
  const browser = await chromium.launch({ executablePath: process.env['BABELSCOPE_CHROMIUM'] ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const startTimes: number[] = [];
  let completionTimes: number[] = [];
  let longTimes: number[] = [];
  let nodeTypesIn = 0;
  let nodeTypesAtCold = 'no';
  let withNodeTimes: number[] = [];
  try {
    for (let i = 0; i < starts; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const t = performance.now();
      const child = spawn(process.execPath, [cli, 'serve', workspace, '--json', '--no-open', '--device', 'cpu'], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const { url } = JSON.parse(await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve))) as { url: string };
        await page.goto(`${url}#notebook=bench.ipynb`);
        await page.locator('#nb-name', { hasText: 'bench.ipynb' }).waitFor({ timeout: 60_000 });
        await page.locator('.cell.code .monaco-editor').first().click({ timeout: 60_000 });
        await page.keyboard.press('End');
        await page.keyboard.type('2');
        await page.locator('.cell.code .view-lines', { hasText: '12' }).first().waitFor({ timeout: 60_000 });
        startTimes.push(performance.now() - t);

        if (i === starts - 1) {
          const coldAt = await page.evaluate(() => performance.now());
          completionTimes = await timeCompletions(page, completions);
          const addedAt = await nodeTypesAddedAt(page);
          if (addedAt !== null) nodeTypesAtCold = addedAt < coldAt ? 'yes' : `no, added during the warm runs`;
          // Stop typing until Node's declarations go in, then type at once: the first completion waits for the worker to parse them.
          await page.waitForFunction((name) => performance.getEntriesByName(name).length > 0, NODE_TYPES_MARK, { timeout: 60_000 });
          const [first, ...rest] = await timeCompletions(page, completions);
          nodeTypesIn = first!;
          withNodeTimes = rest;
          // A fresh page: the first one has unsaved edits (and would ask before leaving).
          const long = await context.newPage();
          await long.goto(`${url}#notebook=long.ipynb`);
          await long.locator('#nb-name', { hasText: 'long.ipynb' }).waitFor({ timeout: 60_000 });
          await long.locator('.cell.code .monaco-editor').nth(LONG_CELLS - 1).click({ timeout: 60_000 });
          longTimes = (await timeCompletions(long, completions)).slice(1);
        }
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('close', r));
        await context.close();
      }
    }
  } finally {
    await browser.close();
    rmSync(workspace, { recursive: true, force: true });
  }
  const [cold, ...warm] = completionTimes;
  return {
    'serve start → interactive (median)': `${median(startTimes).toFixed(0)} ms (${startTimes.map((x) => x.toFixed(0)).join(', ')})`,
    'keystroke → completion, cold': `${cold!.toFixed(0)} ms (TypeScript worker starting; Node types in: ${nodeTypesAtCold})`,
    'keystroke → completion, warm': `median ${median(warm).toFixed(0)} ms, max ${Math.max(...warm).toFixed(0)} ms (${warm.length} runs)`,
    'keystroke → completion, Node going in': `${nodeTypesIn.toFixed(0)} ms (typed as they went in: the worker parses them first)`,
    'keystroke → completion, Node in': `median ${median(withNodeTimes).toFixed(0)} ms, max ${Math.max(...withNodeTimes).toFixed(0)} ms (${withNodeTimes.length} runs)`,
    [`keystroke → completion, cell ${LONG_CELLS} of ${LONG_CELLS}`]: `median ${median(longTimes).toFixed(0)} ms, max ${Math.max(...longTimes).toFixed(0)} ms (${longTimes.length} runs)`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await benchWorkbench());
