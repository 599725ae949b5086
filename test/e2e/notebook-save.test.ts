/**
 * Saving changes nothing you did not change, in the workbench (real server, real Chromium): each demo
 * notebook and a Python notebook written by Jupyter's own writer, opened and saved unedited (Ctrl+S),
 * are the same bytes on disk; an edit to the Python notebook changes only its lines, and the page says
 * that it opens and saves but does not run there.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { fixturesDir, repoRoot } from '../helpers/paths.js';
import { openPage, startWorkbench, type Workbench } from './workbench-fixture.js';
import { changedLines } from '../helpers/changed-lines.js';

const demos = readdirSync(join(repoRoot, 'notebooks')).filter((f) => f.endsWith('.ipynb'));
const PYTHON = 'python-written.ipynb';

describe('workbench saves keep the file (real server and Chromium)', () => {
  let wb: Workbench | undefined;
  let page: Page;
  let problems: string[];

  before(async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'babelscope-save-e2e-'));
    for (const f of demos) copyFileSync(join(repoRoot, 'notebooks', f), join(workspace, f));
    copyFileSync(join(fixturesDir, 'notebooks', PYTHON), join(workspace, PYTHON));
    wb = await startWorkbench(workspace);
    ({ page, problems } = await openPage(wb.browser));
  });

  after(async () => {
    await wb?.close();
  });

  /** Opens `name` through the address, saves it with Ctrl+S and waits until the file was written. */
  async function openAndSave(name: string, edit?: () => Promise<void>): Promise<{ before: string; after: string }> {
    const path = join(wb!.workspace, name);
    const before = readFileSync(path, 'utf8');
    const mtime = statSync(path).mtimeMs;
    await page.goto(`${wb!.server.url}#notebook=${encodeURIComponent(name)}`);
    await page.locator('#nb-name', { hasText: name }).waitFor({ timeout: 90_000 });
    await page.locator('.cell').first().waitFor({ timeout: 90_000 });
    await edit?.();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+S');
    const deadline = Date.now() + 60_000;
    while (statSync(path).mtimeMs === mtime) {
      assert.ok(Date.now() < deadline, `${name} was not saved`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { before, after: readFileSync(path, 'utf8') };
  }

  for (const name of [...demos, PYTHON])
    it(`${name}: opened and saved unedited, the file is the same bytes`, async () => {
      const { before, after } = await openAndSave(name);
      assert.ok(after === before, `${name} changed: ${JSON.stringify(changedLines(before, after))} lines`);
    });

  it('a Python notebook: the page says it runs elsewhere; an edit saves only its own lines', async () => {
    const { before, after } = await openAndSave(PYTHON, async () => {
      await page.locator('#nb-banner', { hasText: 'is a python notebook' }).waitFor({ timeout: 10_000 });
      const cell = page.locator('.cell.code').first();
      // Running a cell here is refused before anything changes: its saved output stays.
      const outputs = await cell.locator('.outputs').innerHTML();
      await cell.locator('.monaco-editor').click();
      await page.keyboard.press('Shift+Enter');
      await page.locator('#nb-error', { hasText: 'runs only TypeScript notebooks' }).waitFor({ timeout: 10_000 });
      assert.equal(await cell.locator('.outputs').innerHTML(), outputs);
      await cell.locator('.monaco-editor').click();
      await page.keyboard.press('Control+End');
      await page.keyboard.insertText('\nprint("more")');
    });
    assert.deepEqual(changedLines(before, after), { removed: 1, added: 2 });
    assert.match(after, /"print\(f'\{x \/ 3:\.3f\}', 'naïve'\)\\n",\n    "print\(\\"more\\"\)"\n/);
    // Moving from notebook to notebook aborts the previous page's pending loads: not a problem.
    assert.deepEqual(problems.filter((p) => !/net::ERR_ABORTED/.test(p)), []);
  });
});
