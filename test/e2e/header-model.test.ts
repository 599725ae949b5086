/**
 * Which model each view uses, end to end (real server, bundled models, Chromium): the header names its
 * model as the lens's and Model panel's (in the notebook view it says cells open their own); the model
 * picker browses the workspace's folders; with the code model loaded the lens labels the code languages.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { codeModelDir, repoRoot } from '../helpers/paths.js';
import { massChartShows } from './browser.js';
import { openPage, startWorkbench, type Workbench } from './workbench-fixture.js';

const SHOTS = join(repoRoot, 'dist', 'test-output', 'header-e2e');
const CODE_LANGUAGES = ['python', 'go', 'php', 'cpp', 'rust'];

describe('header model and model picker (real server, models and Chromium)', () => {
  let wb: Workbench | undefined;
  let page: Page;
  let problems: string[];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const workspace = mkdtempSync(join(tmpdir(), 'babelscope-header-e2e-'));
    mkdirSync(join(workspace, 'models'));
    // A copy (4 MB): the workspace refuses symlinks that lead out of it.
    cpSync(codeModelDir, join(workspace, 'models', 'tiny-babel-code'), { recursive: true });
    wb = await startWorkbench(workspace);
    ({ page, problems } = await openPage(wb.browser, { viewport: { width: 1500, height: 900 } }));
  });
  after(async () => {
    await wb?.close();
  });

  it('the header says its model is the lens\'s and the Model panel\'s; in the notebook view, that cells open their own', async () => {
    await page.goto(`${wb!.server.url}#notebook`);
    const header = page.locator('#model-summary');
    await header.locator('[data-fact=layers]').waitFor({ timeout: 30_000 });
    assert.equal(await header.locator('.model-role').innerText(), 'Lens model:');
    await header.locator('.notebook-model-note').waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await header.locator('.notebook-model-note').innerText(), /cells use their own MODEL_DIR/);
    assert.match((await header.getAttribute('title')) ?? '', /^The Logit lens view and the Model panel use this model\. A notebook uses the model its cells open/);
    await page.screenshot({ path: join(SHOTS, '01-notebook-header.png') });
    await page.goto(`${wb!.server.url}#lens`);
    await header.locator('.notebook-model-note').waitFor({ state: 'hidden', timeout: 30_000 }); // the lens view uses the header's model
    await header.locator('.model-role').waitFor({ state: 'visible', timeout: 30_000 });
  });

  it('the picker browses workspace folders; with the code model the lens offers and labels the code languages', async () => {
    await page.locator('.tabs [data-panel=model-panel]').click();
    await page.locator('#model-browse').click();
    await page.locator('#model-browser-list button[data-path="models"]').click();
    await page.locator('#model-browser-list button[data-path="models/tiny-babel-code"]').click();
    const use = page.locator('#model-browser-list .use-folder');
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('#model-browser-list .use-folder')?.textContent === 'Use this model folder', undefined, { timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, '02-folder-browser.png') });
    await use.click();
    assert.equal(await page.locator('#model-dir').inputValue(), join(wb!.workspace, 'models', 'tiny-babel-code'));
    assert.equal(await page.locator('#model-browser').isVisible(), false);
    await page.locator('#model-open').click();
    await page.locator('#languages input[value=python]').waitFor({ timeout: 60_000 });
    const offered = await page.locator('#languages input').evaluateAll((els) => els.map((e) => (e as unknown as { value: string; checked: boolean }).value));
    assert.deepEqual([...offered].sort(), [...CODE_LANGUAGES].sort());
    assert.match(await page.locator('#model-facts').innerText(), /lens labels\s+.*python.*heldout\.jsonl in the model folder/s);
    assert.match(await page.locator('#model-summary .model-name').innerText(), /tiny-babel-code/);

    await page.fill('#lens-text', 'def add(a, b):\n    return a + b');
    await page.click('#run');
    await page.waitForFunction(massChartShows, CODE_LANGUAGES.length + 2, { timeout: 60_000 });
    const names = await page.evaluate(`document.getElementById('language-mass').data.map((t) => t.name)`);
    assert.deepEqual([...(names as string[])].sort(), [...CODE_LANGUAGES, 'shared', 'unknown'].sort());
    assert.equal(await page.locator('#lens-warning').isVisible(), false, 'no natural-language warning for code labels');
    await page.screenshot({ path: join(SHOTS, '03-code-lens.png'), fullPage: true });
    // The first test leaves the notebook view while Monaco may still be fetching its TypeScript worker; that
    // fetch, cancelled by the page itself, is not a problem of this test's subject.
    const real = problems.filter((p) => !/\/assets\/ts\.worker-[\w-]+\.js net::ERR_ABORTED$/.test(p));
    assert.deepEqual(real, [], real.join('\n'));
  });
});
