/**
 * A notebook too large for one backend message (an output over 64 MiB) in Chromium against the real
 * server: its autosave and its save fail alone, with a message that says what to do, and the page's
 * connection (and the backend) keep working; before, the autosave killed the backend.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAX_MESSAGE_BYTES } from '../../src/shared/backend-contract.js';
import { openPage, startWorkbench, type Workbench } from './workbench-fixture.js';

const notebook = (cells: unknown[]) =>
  JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'babelscope', display_name: 'TypeScript (Babelscope)', language: 'typescript' } }, cells });

describe('a notebook over the message limit (real server and Chromium)', () => {
  let wb: Workbench | undefined;

  before(async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'babelscope-large-e2e-'));
    // The large part sits in a MIME type the page shows as its short text/plain, so only the file is large.
    const big = { output_type: 'display_data', metadata: {}, data: { 'text/plain': 'a large output', 'application/x-large': 'x'.repeat(MAX_MESSAGE_BYTES + (1 << 20)) } };
    writeFileSync(join(workspace, 'large.ipynb'), notebook([{ id: 'big', cell_type: 'code', metadata: {}, execution_count: 1, source: '1', outputs: [big] }]));
    writeFileSync(join(workspace, 'small.ipynb'), notebook([{ id: 's', cell_type: 'markdown', metadata: {}, source: '# Small one' }]));
    wb = await startWorkbench(workspace);
  });
  after(async () => {
    await wb?.close();
  });

  it('autosave and save say the notebook is too large; the connection and backend keep working', async () => {
    const { page } = await openPage(wb!.browser);
    page.on('dialog', (d) => void d.accept());
    await page.goto(wb!.server.url);
    await page.locator('#files-list button[data-path="large.ipynb"]').click();
    // 65 MiB through the socket and JSON.parse in the page: generous limits for a loaded CI machine.
    await page.locator('#nb-name', { hasText: 'large.ipynb' }).waitFor({ timeout: 240_000 });
    await page.locator('.cell.code .monaco-editor').first().click();
    await page.keyboard.insertText('+ 1');
    // The autosave (1.5 s after the edit) is refused by the page itself, with a message.
    await page.locator('#nb-error', { hasText: 'too large to send' }).waitFor({ timeout: 180_000 });
    assert.match(await page.locator('#nb-error').innerText(), /the notebook is too large to send to the backend \(6\d\.\d MiB; the limit is 64\.0 MiB\)/);
    await page.keyboard.press('Control+s');
    await page.locator('#nb-error', { hasText: 'too large to send' }).waitFor({ timeout: 180_000 });
    // The same connection still answers: another notebook opens.
    await page.locator('#files-list button[data-path="small.ipynb"]').click();
    await page.locator('.cell.markdown h1', { hasText: 'Small one' }).waitFor({ timeout: 60_000 });
    const info = await fetch(`${wb!.server.origin}/api/rpc`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-babelscope-token': wb!.server.token }, body: '{"method":"workspace.info","params":{}}' });
    assert.equal(info.status, 200);
    await page.context().close();
  });
});
