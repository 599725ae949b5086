/**
 * The store browser end to end: a real store written by a capture of the bundled model (plus a LAPE
 * result), `startServer` on a workspace holding it, headless Chromium. Lists the store, shows its runs,
 * results and tables, runs a GROUP BY and charts it with Plotly, shows SQLite's message for bad SQL,
 * refuses a write (the store is opened read-only) and caps long results. Screenshots go to
 * dist/test-output/store-e2e/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { capture, lape, openModel, openStore } from '../../src/main/api/index.js';
import type { ServerHandle } from '../../src/main/server/server.js';
import { repoRoot, tinyModelDir } from '../helpers/paths.js';
import { plotData } from './browser.js';
import { openPage, startWorkbench, type Workbench } from './workbench-fixture.js';

const SHOTS = join(repoRoot, 'dist', 'test-output', 'store-e2e');

describe('workbench store browser (real store, server and Chromium)', () => {
  let workspace: string;
  let wb: Workbench | undefined;
  let server: ServerHandle;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let counts: Record<string, number>;

  async function runQuery(sql: string): Promise<void> {
    await page.locator('#store-sql').fill(sql);
    await page.locator('#store-run').click();
    await page.waitForFunction(() => {
      const d = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null; hidden?: boolean } | null } }).document;
      return d.getElementById('store-status')?.textContent !== 'running…';
    });
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    workspace = mkdtempSync(join(tmpdir(), 'babelscope-store-e2e-'));
    mkdirSync(join(workspace, 'runs'));
    const db = join(workspace, 'runs', 'udhr.db');
    const model = await openModel(tinyModelDir, { device: 'cpu', log: () => {} });
    try {
      await capture({ model, store: db, corpus: 'udhr:eng,rus,cmn', maxTextsPerLang: 4, batch: 4 });
    } finally {
      await model.dispose();
    }
    lape({ store: db, topRate: 0.02 });
    // SQLite's sidecar files, as a live store has them: the file browser must not list them.
    writeFileSync(join(workspace, 'runs', 'scratch.db-wal'), '');
    writeFileSync(join(workspace, 'runs', 'scratch.db-shm'), '');
    writeFileSync(join(workspace, 'runs', 'notes.txt'), 'not a store');
    const store = openStore(db, { readonly: true });
    counts = Object.fromEntries(store.query<{ lang: string; n: number }>('SELECT lang, COUNT(*) AS n FROM texts GROUP BY lang').map((r) => [r.lang, r.n]));
    store.close();
    wb = await startWorkbench(workspace);
    ({ browser, server } = wb);
    ({ page, problems } = await openPage(browser, { viewport: { width: 1280, height: 1000 } }));
  });

  after(async () => {
    await wb?.close();
  });

  it('lists the workspace store and shows its runs, results and tables', async () => {
    await page.goto(`${server.url}#store`);
    await page.locator('#store-overview .runs tbody tr').first().waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#store-file').inputValue(), 'runs/udhr.db');
    const run = await page.locator('#store-overview .runs tbody tr').first().innerText();
    assert.match(run, /capture/);
    assert.match(run, /done/);
    assert.match(await page.locator('#store-overview .results tbody').innerText(), /lape/);
    assert.match(await page.locator('#store-overview .tables').innerText(), /texts\s+12/);
  });

  it('runs a GROUP BY, shows the rows as a table and charts them with Plotly', async () => {
    const before = statSync(join(workspace, 'runs', 'udhr.db')).mtimeMs;
    await runQuery('SELECT lang, COUNT(*) AS n FROM texts GROUP BY lang');
    const cells = await page.locator('#store-result tbody tr').evaluateAll((rows) => rows.map((r) => Array.from((r as unknown as { children: ArrayLike<{ textContent: string }> }).children, (c) => c.textContent)));
    assert.deepEqual(Object.fromEntries(cells.map(([lang, n]) => [lang, Number(n)])), counts);
    assert.deepEqual(Object.keys(counts).sort(), ['cmn', 'eng', 'rus']);
    assert.equal(await page.locator('#store-status').innerText(), '3 rows');
    await page.locator('#store-chart').click();
    await page.waitForFunction(() => ((globalThis as unknown as { document: { getElementById(id: string): { data?: unknown[] } | null } }).document.getElementById('store-plot')?.data?.length ?? 0) > 0, undefined, { timeout: 30_000 });
    const traces = await plotData(page, 'store-plot');
    assert.equal(traces?.[0]?.type, 'bar');
    assert.deepEqual(Object.fromEntries((traces![0]!.x as unknown as string[]).map((l, i) => [l, traces![0]!.y[i]])), counts);
    assert.equal(await page.locator('#store-plot .main-svg').first().isVisible(), true);
    await page.screenshot({ path: join(SHOTS, '01-query-chart.png'), fullPage: true });
    assert.equal(statSync(join(workspace, 'runs', 'udhr.db')).mtimeMs, before, 'browsing must not write the store');
  });

  it('the chart has a title naming the store, and exports as SVG', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.locator('#store-export').click()]);
    assert.equal(download.suggestedFilename(), 'udhr-query.svg');
    const file = join(SHOTS, 'udhr-query.svg');
    await download.saveAs(file);
    const svg = readFileSync(file, 'utf8');
    assert.match(svg, /^<svg[\s>]/);
    assert.ok(svg.includes('n by lang (runs/udhr.db)'), 'the title is in the exported SVG');
    assert.equal(await page.locator('#store-plot .gtitle').textContent(), 'n by lang (runs/udhr.db)');
  });

  it('the file browser opens a .db file in the store browser and does not list -wal/-shm files', async () => {
    await page.goto(`${server.url}#lens`);
    await page.locator('#files-list button[data-path="runs"]').click();
    const store = page.locator('#files-list button[data-path="runs/udhr.db"]');
    await store.waitFor({ timeout: 30_000 });
    const names = await page.locator('#files-list button').allTextContents();
    assert.ok(names.includes('udhr.db') && names.includes('notes.txt'), names.join(', '));
    assert.ok(!names.some((n) => /-(wal|shm)$/.test(n)), names.join(', '));
    assert.equal(await store.isEnabled(), true, 'a store is not greyed out');
    assert.equal(await page.locator('#files-list button[data-path="runs/notes.txt"]').isEnabled(), false);
    await store.click();
    await page.waitForURL(/#store$/);
    await page.locator('#store-overview .runs tbody tr').first().waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#store-file').inputValue(), 'runs/udhr.db');
    await page.screenshot({ path: join(SHOTS, '00-opened-from-files.png'), fullPage: true });
  });

  it('shows SQLite’s message for bad SQL and refuses writes', async () => {
    await runQuery('SELECT nope FROM texts');
    assert.match(await page.locator('#store-error').innerText(), /no such column: nope/);
    assert.equal(await page.locator('#store-plot').isHidden(), true, 'the chart of the previous result is gone');
    await runQuery("DELETE FROM texts WHERE lang = 'eng'");
    assert.match(await page.locator('#store-error').innerText(), /read-only|readonly/i);
    await page.screenshot({ path: join(SHOTS, '02-write-refused.png'), fullPage: true });
    // A write hidden behind a CTE reaches SQLite, which refuses it on the read-only connection.
    await runQuery("WITH x AS (SELECT 1) DELETE FROM texts WHERE lang = 'eng'");
    assert.match(await page.locator('#store-error').innerText(), /read-only|readonly/i);
    const copy = join(workspace, 'copy.db');
    await runQuery(`VACUUM INTO '${copy}'`);
    assert.match(await page.locator('#store-error').innerText(), /read-only/);
    assert.equal(existsSync(copy), false);
    await runQuery('SELECT lang, COUNT(*) AS n FROM texts GROUP BY lang');
    assert.equal(await page.locator('#store-error').isHidden(), true);
    assert.equal(await page.locator('#store-result tbody tr').count(), 3, 'the DELETE changed nothing');
  });

  it('caps long results and says so', async () => {
    await runQuery('WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000) SELECT i FROM c');
    assert.equal(await page.locator('#store-result tbody tr').count(), 1000);
    assert.match(await page.locator('#store-status').innerText(), /first 1000 rows/);
    assert.deepEqual(problems, []);
  });
});
