/**
 * Jupyter's trust model in Chromium against the real server: the HTML output of a notebook that was
 * not run here runs no script (it cannot even create an RTCPeerConnection, which a CSP cannot stop),
 * is shown sanitized with a notice, and runs once the user trusts it; the trust is remembered (a
 * signature in the user's data folder), lost when an output changes on disk, and outputs produced by
 * running here are trusted and signed on save.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { openPage, startWorkbench, type Workbench } from './workbench-fixture.js';

/** An HTML output whose script reports (to the page) whether it ran and could create a peer connection. */
const PROBE = `<div id="probe">static text</div><img src="x.png" onerror="parent.postMessage({ probe: 'onerror' }, '*')"><script>
  var r = 'ran';
  try { var pc = new RTCPeerConnection({ iceServers: [{ urls: 'stun:127.0.0.1:3478' }] }); pc.createDataChannel('x'); r = 'rtc ' + pc.signalingState; pc.close(); } catch (e) { r = 'rtc threw ' + e.name; }
  parent.postMessage({ probe: r }, '*');
</script>`;

const notebook = (html: string, source = 'display.html(probe)') =>
  JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'babelscope', display_name: 'TypeScript (Babelscope)', language: 'typescript' } },
      cells: [{ id: 'c1', cell_type: 'code', metadata: {}, execution_count: 1, source, outputs: [{ output_type: 'display_data', metadata: {}, data: { 'text/html': html, 'text/plain': 'probe' } }] }],
    },
    null,
    1,
  );

/** Runs in the page before its scripts: collects what HTML outputs post to it. */
function collectProbes(): void {
  const w = globalThis as unknown as { probes: string[]; addEventListener(t: string, f: (e: { data: unknown }) => void): void };
  w.probes = [];
  w.addEventListener('message', (e) => {
    const d = e.data as { probe?: unknown } | null;
    if (d && typeof d.probe === 'string') w.probes.push(d.probe);
  });
}

const probes = (page: Page) => page.evaluate(() => (globalThis as unknown as { probes: string[] }).probes);

describe('HTML outputs follow Jupyter’s trust model (real server and Chromium)', () => {
  let wb: Workbench | undefined;

  before(async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'babelscope-trust-e2e-'));
    writeFileSync(join(workspace, 'foreign.ipynb'), notebook(PROBE));
    wb = await startWorkbench(workspace);
  });
  after(async () => {
    await wb?.close();
  });

  async function openNotebook(name: string): Promise<Page> {
    const { page } = await openPage(wb!.browser);
    await page.addInitScript(collectProbes);
    await page.goto(wb!.server.url);
    await page.locator(`#files-list button[data-path="${name}"]`).click();
    await page.locator('#nb-name', { hasText: name }).waitFor({ timeout: 30_000 });
    return page;
  }

  /** Waits until the untrusted frame has loaded its document (its scripts would have run by then). */
  async function untrustedFrameLoaded(page: Page): Promise<void> {
    const frame = page.frameLocator('iframe.html-output.untrusted');
    await frame.locator('#probe').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => {
      const f = (globalThis as unknown as { document: { querySelector(s: string): { contentDocument: { readyState: string } | null } | null } }).document.querySelector('iframe.html-output.untrusted');
      return f?.contentDocument?.readyState === 'complete';
    });
    // A round trip through the page's event loop, after which a posted message would have arrived.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
  }

  it('a notebook not run here: its HTML shows without scripts (no RTCPeerConnection, no handler), with a Trust notice', async () => {
    const page = await openNotebook('foreign.ipynb');
    const iframe = page.locator('iframe.html-output');
    await iframe.waitFor({ timeout: 30_000 });
    assert.equal(await iframe.getAttribute('sandbox'), 'allow-same-origin', 'no allow-scripts');
    await untrustedFrameLoaded(page);
    assert.equal(await page.frameLocator('iframe.html-output.untrusted').locator('#probe').innerText(), 'static text');
    assert.equal(await page.frameLocator('iframe.html-output.untrusted').locator('script').count(), 0, 'sanitized');
    assert.deepEqual(await probes(page), [], 'no script or handler ran');
    assert.match(await page.locator('#nb-banner').innerText(), /not run here.*without scripts/s);
    await page.context().close();
  });

  it('Trust runs its scripts, and the trust is remembered for the next visit', async () => {
    const page = await openNotebook('foreign.ipynb');
    await untrustedFrameLoaded(page);
    await page.locator('#nb-banner button', { hasText: 'Trust this notebook' }).click();
    await page.waitForFunction(() => (globalThis as unknown as { probes: string[] }).probes.some((p) => p.startsWith('rtc')), undefined, { timeout: 30_000 });
    assert.equal(await page.locator('iframe.html-output').getAttribute('sandbox'), 'allow-scripts');
    assert.match((await probes(page)).join(' '), /rtc (stable|have-local-offer|closed)/, 'a trusted output can use WebRTC, as in Jupyter');
    // The page renders the trusted outputs first, then asks the backend to remember the trust: wait for that write.
    const trustFile = join(wb!.dataDir, 'trusted-notebooks.json');
    for (let waited = 0; !existsSync(trustFile) && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(trustFile), 'the trust is written to the data folder');
    await page.context().close();

    const again = await openNotebook('foreign.ipynb');
    await again.waitForFunction(() => (globalThis as unknown as { probes: string[] }).probes.some((p) => p.startsWith('rtc')), undefined, { timeout: 30_000 });
    assert.equal(await again.locator('iframe.html-output.untrusted').count(), 0);
    await again.context().close();
  });

  it('an output changed on disk after trusting is untrusted again', async () => {
    const path = join(wb!.workspace, 'foreign.ipynb');
    writeFileSync(path, notebook(PROBE.replace('static text', 'changed text')));
    const page = await openNotebook('foreign.ipynb');
    await untrustedFrameLoaded(page);
    assert.equal(await page.frameLocator('iframe.html-output.untrusted').locator('#probe').innerText(), 'changed text');
    assert.deepEqual(await probes(page), []);
    await page.context().close();
  });

  it('outputs produced by running here are trusted, and saving signs them', async () => {
    writeFileSync(join(wb!.workspace, 'mine.ipynb'), notebook('<p>old output</p>', `display.html(${JSON.stringify(PROBE)})`));
    const page = await openNotebook('mine.ipynb');
    await page.locator('.cell.code .monaco-editor').first().waitFor({ timeout: 30_000 });
    await page.locator('.cell.code .monaco-editor').first().click();
    await page.keyboard.press('Shift+Enter');
    await page.waitForFunction(() => (globalThis as unknown as { probes: string[] }).probes.some((p) => p.startsWith('rtc')), undefined, { timeout: 60_000 });
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+s');
    await page.locator('#nb-dirty').waitFor({ state: 'hidden', timeout: 30_000 });
    assert.match(readFileSync(join(wb!.workspace, 'mine.ipynb'), 'utf8'), /RTCPeerConnection/);
    await page.context().close();

    const again = await openNotebook('mine.ipynb');
    await again.waitForFunction(() => (globalThis as unknown as { probes: string[] }).probes.some((p) => p.startsWith('rtc')), undefined, { timeout: 30_000 });
    await again.context().close();
  });
});
