/**
 * Workbench benchmark, in headless Chromium against `babelscope serve` (a real process):
 * - serve start → interactive notebook: from spawning `serve` to a notebook whose Monaco editor shows
 *   a typed character (the page, Monaco and the notebook loaded; no kernel needed to edit);
 * - keystroke → completion: from typing "." after a `babelscope` namespace to the suggestion list
 *   showing the API's functions (the TypeScript worker with the API's declarations); the first one (cold
 *   worker) and the median of the warm ones.
 * Run standalone with `node dist/bench/workbench.js`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cli = join(import.meta.dirname, '..', 'src', 'main', 'cli', 'index.js');
const NOTEBOOK = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ id: 'c1', cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['const x = 1'] }] };

export async function benchWorkbench(starts = 3, completions = 10): Promise<Record<string, string>> {
  const workspace = mkdtempSync(join(tmpdir(), 'babelscope-bench-wb-'));
  writeFileSync(join(workspace, 'bench.ipynb'), JSON.stringify(NOTEBOOK));
  const browser = await chromium.launch({ executablePath: process.env['BABELSCOPE_CHROMIUM'] ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const startTimes: number[] = [];
  const completionTimes: number[] = [];
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
          for (let k = 0; k <= completions; k++) {
            await page.keyboard.press('Control+A');
            await page.keyboard.insertText(`import * as bs${k} from 'babelscope'\nbs${k}`);
            const c = performance.now();
            await page.keyboard.type('.');
            // The list opens at the top, where the API's classes are (Model among them).
            await page.locator('.suggest-widget .monaco-list-row', { hasText: /^Model/ }).first().waitFor({ timeout: 60_000 });
            completionTimes.push(performance.now() - c);
            await page.keyboard.press('Escape');
          }
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
    'keystroke → completion, cold': `${cold!.toFixed(0)} ms (TypeScript worker starting)`,
    'keystroke → completion, warm': `median ${median(warm).toFixed(0)} ms, max ${Math.max(...warm).toFixed(0)} ms (${warm.length} runs)`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await benchWorkbench());
