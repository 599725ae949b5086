/**
 * The logit lens page end to end: the bundled model, the real server, headless Chromium.
 * What the page plots must be what the backend's `lens` returns; the token, the Host check and the
 * CSP must hold; nothing may go wrong in the page's console.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { TOKEN_HEADER, type BackendMethod, type BackendMethods, type LensView, type ModelSummary } from '../../src/shared/backend-contract.js';
import { startServer, type ServerHandle } from '../../src/main/server/server.js';
import { ModelSlot } from '../../src/main/server/model-slot.js';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Model } from '../../src/main/model/model.js';
import { tinyModelDir } from '../helpers/paths.js';

/** The header's tooltip starts by saying whose model it is (src/renderer/lens-panel.ts PANELS_MODEL_NOTE). */
const PANELS_MODEL_NOTE = 'The Logit lens view and the Model panel use this model. A notebook uses the model its cells open (openModel(MODEL_DIR)), whatever is shown here.';
import { collectProblems, heatmapShows, launchChromium, massChartShows, plotData, rawRequest, type PlottedTrace } from './browser.js';

const SCREENSHOT = '/tmp/babelscope-lens.png';
const SVG_EXPORT = '/tmp/babelscope-lens.svg';
const GERMAN = 'Alle Menschen sind frei und gleich an Würde und Rechten geboren.';
/** Issue 18: labelled only eng/rus/cmn, this read as 0.76–0.81 English mass per layer. */
const JEDER = 'Jeder hat das Recht auf Bildung.';
const RUSSIAN = 'Все люди рождаются свободными и равными в своем достоинстве и правах.';

/** The page's rule for drawing a token (▁ as ␣, pseudo-HTML escaped), restated as the spec. */
const shown = (t: string) => t.replaceAll('\u2581', '\u2423').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** The heatmap holds the backend's top-1 token, probability and entropy in every cell. */
function assertSameCells(heat: PlottedTrace, expected: LensView): void {
  assert.equal(heat.z!.length, expected.cells.length);
  expected.cells.forEach((row, l) =>
    row.forEach((c, p) => {
      const where = `layer ${l} position ${p}`;
      assert.ok(Math.abs(heat.z![l]![p]! - c.prob) < 1e-6, `prob at ${where}: ${heat.z![l]![p]} vs ${c.prob}`);
      const [top, entropy, , input] = heat.customdata![l]![p]!;
      assert.equal(top, shown(c.token), `top token at ${where}`);
      assert.ok(Math.abs(entropy - c.entropy) < 1e-5, `entropy at ${where}`);
      assert.equal(input, shown(expected.tokens[p]!));
      // The cell label is the token, or its start and an ellipsis when the cell is narrow.
      const label = heat.text![l]![p]!;
      assert.ok(label === top || (label.endsWith('\u2026') && top.startsWith(label.slice(0, -1))), `label ${label} for ${top} at ${where}`);
    }),
  );
}

describe('logit lens page (real model, server and Chromium)', () => {
  let model: Model;
  let server: ServerHandle;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  /** The backend called directly, as a second client would. */
  async function rpc<M extends BackendMethod>(method: M, params: Parameters<BackendMethods[M]>[0]): Promise<ReturnType<BackendMethods[M]>> {
    const res = await fetch(`${server.origin}/api/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: server.token },
      body: JSON.stringify({ method, params }),
    });
    const reply = (await res.json()) as { result?: ReturnType<BackendMethods[M]>; error?: { message: string } };
    if (reply.error) throw new Error(reply.error.message);
    return reply.result!;
  }

  /** Waits until the heatmap shows `positions` input tokens (a function, not a string: the page's CSP forbids eval). */
  const heatmapWith = (positions: number) => page.waitForFunction(heatmapShows, positions, { timeout: 30_000 });

  before(async () => {
    [model, browser] = await Promise.all([Model.open(tinyModelDir, { device: 'cpu' }), launchChromium()]);
    server = await startServer({ models: ModelSlot.of(model) });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, acceptDownloads: true });
    page = await context.newPage();
    problems = collectProblems(page);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await model?.dispose();
  });

  it('takes the token out of the address bar and shows the model in the header', async () => {
    await page.goto(`${server.url}#lens`);
    const summary = (await rpc('model', {})) as ModelSummary;
    const header = page.locator('#model-summary');
    await header.locator('[data-fact=layers]').waitFor();
    assert.ok(!page.url().includes('token'), page.url());
    assert.equal(page.url(), `${server.origin}/#lens`);
    // Every fact is in the header (and its tooltip); a narrower window shows fewer of them, on one row.
    const text = (await header.textContent()) ?? '';
    assert.equal(await header.getAttribute('title'), `${PANELS_MODEL_NOTE}\n${summary.dir}\n${[summary.architecture, `${summary.numLayers} layers`, `d_model ${summary.hiddenSize}`, `d_mlp ${summary.intermediateSize}`, `vocab ${summary.vocabSize.toLocaleString('en-US')}`, summary.device].join(' · ')}`);
    for (const fact of [summary.architecture, `${summary.numLayers} layers`, `d_model ${summary.hiddenSize}`, `d_mlp ${summary.intermediateSize}`, `vocab ${summary.vocabSize.toLocaleString('en-US')}`, summary.device])
      assert.ok(text.includes(fact), `header "${text}" lacks "${fact}"`);
    assert.ok(text.includes('4 layers'));
    // Every language the labeller knows is checked: a text's own language left out reads as another one.
    const checked = await page.locator('#languages input:checked').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
    assert.deepEqual(checked, summary.labels.languages);
    assert.deepEqual(checked, ['eng', 'deu', 'fra', 'spa', 'rus', 'ell', 'arb', 'hin', 'kor', 'cmn', 'jpn', 'tur', 'ukr']);
  });

  it('plots exactly what the backend returns: top-1 tokens, probabilities, language mass per layer', async () => {
    await page.fill('#lens-text', GERMAN);
    for (const l of ['fra', 'spa', 'ell', 'arb', 'hin', 'kor', 'jpn', 'tur', 'ukr']) await page.uncheck(`#languages input[value=${l}]`);
    await page.click('#run');
    // The first run also computes token languages from the UDHR and loads Plotly.
    await page.locator('#lens-heatmap .main-svg').first().waitFor({ timeout: 120_000 });
    const expected = (await rpc('lens', { text: GERMAN, languages: ['eng', 'deu', 'rus', 'cmn'] })) as LensView;
    await heatmapWith(expected.tokens.length);

    const [heat] = (await plotData(page, 'lens-heatmap'))!;
    assert.equal(heat!.type, 'heatmap');
    assert.deepEqual(heat!.x, expected.tokens.map((_, p) => p));
    assert.deepEqual(heat!.y, expected.cells.map((_, l) => l), 'layer 0 first (at the bottom)');
    assert.equal(heat!.z!.length, 4);
    assertSameCells(heat!, expected);
    // The axis shows every input token, ▁ as ␣ and <s> escaped so Plotly does not read it as a tag.
    const ticks = await page.locator('#lens-heatmap .xtick text').allTextContents();
    assert.equal(ticks.length, expected.tokens.length);
    assert.ok(ticks[0]!.startsWith('<s>'), ticks[0]);
    // Cell text is drawn, one label per cell.
    const labels = await page.locator('#lens-heatmap .heatmap-label').allTextContents();
    assert.equal(labels.length, expected.tokens.length * expected.cells.length);
    assert.ok(labels.includes(heat!.text![3]![1]!.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')), 'top token drawn in its cell');

    const mass = (await plotData(page, 'language-mass'))!;
    assert.deepEqual(
      mass.map((t) => t.name),
      expected.languages,
    );
    assert.ok(expected.languages.includes('rus') && expected.languages.includes('deu'));
    for (const trace of mass) {
      const label = trace.name!;
      assert.deepEqual(trace.x, [0, 1, 2, 3]);
      trace.y.forEach((y, l) => {
        const positions = expected.tokens.map((_, p) => p).slice(1);
        const mean = positions.reduce((s, p) => s + expected.cells[l]![p]!.languageMass![label]!, 0) / positions.length;
        assert.ok(Math.abs(y - mean) < 1e-9, `${label} at layer ${l}: ${y} vs ${mean}`);
      });
    }
    assert.equal(await page.locator('#error').isVisible(), false);
    assert.equal(await page.locator('#lens-warning').isVisible(), false, 'deu is among the labels');
  });

  it('labels "Jeder hat das Recht auf Bildung." against every language by default: German mass, not English; a warning when deu is left out', async () => {
    const text = JEDER;
    await page.reload();
    await page.locator('#languages input[value=ukr]').waitFor();
    await page.fill('#lens-text', text);
    await page.click('#run');
    const expected = (await rpc('lens', { text })) as LensView;
    assert.equal(expected.languages.length, 15, '13 languages, shared and unknown');
    await page.waitForFunction(massChartShows, 15, { timeout: 30_000 });
    const mass = (await plotData(page, 'language-mass'))!;
    const byName = new Map(mass.map((t) => [t.name!, t]));
    assert.deepEqual([...byName.keys()], expected.languages);
    const deu = byName.get('deu')!;
    const eng = byName.get('eng')!;
    for (let l = 1; l < deu.y.length; l++) assert.ok(deu.y[l]! > 0.4 && eng.y[l]! < 0.1, `layer ${l}: deu ${deu.y[l]} eng ${eng.y[l]}`);
    assert.notEqual(deu.visible, 'legendonly');
    assert.equal(byName.get('hin')!.visible, 'legendonly', 'a language with no mass starts hidden');
    assert.equal(await page.locator('#lens-warning').isVisible(), false);
    await page.screenshot({ path: '/tmp/babelscope-lens-german.png', fullPage: true });

    // Leave German out (the old default eng, rus, cmn): English takes the mass, and the page says why.
    for (const l of ['deu', 'fra', 'spa', 'ell', 'arb', 'hin', 'kor', 'jpn', 'tur', 'ukr']) await page.uncheck(`#languages input[value=${l}]`);
    await page.click('#run');
    const warning = page.locator('#lens-warning');
    await warning.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await warning.innerText(), /looks like deu .* not among the labels \(cmn, eng, rus\)/);
    await page.screenshot({ path: '/tmp/babelscope-lens-warning.png', fullPage: true });
    for (const box of await page.locator('#languages input').all()) await box.check();
  });

  it('exports the heatmap as SVG', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('button[data-export=lens-heatmap]')]);
    assert.equal(download.suggestedFilename(), 'logit-lens.svg');
    await download.saveAs(SVG_EXPORT);
    const svg = readFileSync(SVG_EXPORT, 'utf8');
    assert.match(svg, /^<svg[\s>]/);
    assert.ok(svg.includes('layer'), 'the axis title is in the SVG');
    // A title says what, which model and which text; every token is whole (a file has no hover).
    assert.match(svg, /Logit lens: top-1 token per layer and position · tiny-babel · “Jeder hat das Recht auf Bildung\.”/);
    const view = (await rpc('lens', { text: JEDER, languages: [] })) as LensView;
    // Plotly writes < > & as numeric references; the page's rule (shown) as named ones.
    const texts = svg.replaceAll('&#60;', '&lt;').replaceAll('&#62;', '&gt;').replaceAll('&#38;', '&amp;');
    for (const t of [...view.tokens, ...view.cells.flat().map((c) => c.token)]) assert.ok(texts.includes(`>${shown(t)}<`), `token ${t} whole in the SVG`);
    assert.ok(!svg.includes('\u2026'), 'no label cut short');
  });

  it('in the desktop shell, Export SVG hands the SVG to the preload\'s native save instead of downloading', async () => {
    // The preload (src/main/electron/preload.cts) exposes window.babelscopeShell; here a stand-in records the call.
    const shellPage = await page.context().newPage();
    const shellProblems = collectProblems(shellPage);
    await shellPage.addInitScript(() => {
      const w = globalThis as unknown as { babelscopeShell: unknown; savedFiles: [string, string][] };
      w.savedFiles = [];
      w.babelscopeShell = { saveFile: async (name: string, data: string) => (w.savedFiles.push([name, data]), `/saved/${name}`) };
    });
    await shellPage.goto(`${server.url}#lens`);
    await shellPage.fill('#lens-text', 'Hello world.');
    const expected = (await rpc('lens', { text: 'Hello world.' })) as LensView;
    await shellPage.click('#run');
    await shellPage.waitForFunction(heatmapShows, expected.tokens.length, { timeout: 30_000 });
    await shellPage.click('button[data-export=lens-heatmap]');
    await shellPage.waitForFunction(() => (globalThis as unknown as { savedFiles: unknown[] }).savedFiles.length > 0, undefined, { timeout: 30_000 });
    const saved = await shellPage.evaluate(() => (globalThis as unknown as { savedFiles: [string, string][] }).savedFiles);
    assert.equal(saved[0]![0], 'logit-lens.svg');
    assert.match(saved[0]![1], /^<svg[\s>]/);
    assert.deepEqual(shellProblems, []);
    await shellPage.close();
  });

  it('runs again on Ctrl+Enter (Russian UDHR) and the page reads well (screenshot)', async () => {
    await page.fill('#lens-text', RUSSIAN);
    const expected = (await rpc('lens', { text: RUSSIAN, languages: ['eng', 'deu', 'rus', 'cmn'] })) as LensView;
    await page.focus('#lens-text');
    await page.keyboard.press('Control+Enter');
    await heatmapWith(expected.tokens.length);
    const [heat] = (await plotData(page, 'lens-heatmap'))!;
    assertSameCells(heat!, expected);
    assert.match(await page.locator('#status').innerText(), new RegExp(`^${expected.tokens.length} tokens · 4 layers`));
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('shows the server’s message and hint for an empty text, and keeps working', async () => {
    await page.fill('#lens-text', '   ');
    await page.click('#run');
    const error = page.locator('#error');
    await error.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await error.innerText(), /the text is empty/);
    assert.match(await error.locator('.hint').innerText(), /Type a sentence/);
    assert.equal(await page.locator('#run').isEnabled(), true, 'not left busy');
    // The page still works, and a good run clears the error.
    await page.fill('#lens-text', 'Hello world.');
    const expected = (await rpc('lens', { text: 'Hello world.', languages: ['eng'] })) as LensView;
    await page.click('#run');
    await heatmapWith(expected.tokens.length);
    assert.equal(await error.isVisible(), false);
  });

  it('a reload (the token is gone from the address bar) still works: the tab keeps the token, no cookie does', async () => {
    await page.reload();
    assert.equal(page.url(), `${server.origin}/#lens`);
    // The header comes from the `model` call, made with the token this tab kept in sessionStorage.
    type Doc = { getElementById(id: string): { textContent: string | null } | null };
    await page.waitForFunction(() => /\d+ layers/.test((globalThis as unknown as { document: Doc }).document.getElementById('model-summary')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await page.fill('#lens-text', 'Hello world.');
    const expected = (await rpc('lens', { text: 'Hello world.', languages: ['eng', 'rus', 'cmn'] })) as LensView;
    await page.click('#run');
    await heatmapWith(expected.tokens.length);
    assert.equal(await page.locator('#error').isVisible(), false);
    assert.deepEqual(await page.context().cookies(), [], 'no cookie at all');
  });

  it('another web server on 127.0.0.1 (another port) receives no Babelscope token from this browser', async () => {
    // Cookies are not scoped by port: a token cookie would be sent here too. This is what broke before.
    const seen: string[] = [];
    const other = createHttpServer((req, res) => {
      seen.push(`${req.headers.cookie ?? ''} ${req.url ?? ''}`);
      res.end('<!doctype html><title>other</title>');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    const otherPage = await page.context().newPage();
    await otherPage.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
    await otherPage.close();
    await new Promise<void>((r) => other.close(() => r()));
    assert.ok(seen.length > 0);
    for (const s of seen) assert.ok(!s.includes(server.token), `the other server saw the token: ${s}`);
  });

  it('refuses calls without the token or with a foreign Host; serves the page with a CSP and no inline script', async () => {
    const noHeader = await fetch(`${server.origin}/api/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'model', params: {} }) });
    assert.equal(noHeader.status, 403);
    const wrongHeader = await fetch(`${server.origin}/api/rpc`, { method: 'POST', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: 'nope' }, body: JSON.stringify({ method: 'model', params: {} }) });
    assert.equal(wrongHeader.status, 403);
    // A form post from another site cannot send JSON; the RPC refuses anything else.
    const formPost = await fetch(`${server.origin}/api/rpc`, { method: 'POST', headers: { 'content-type': 'text/plain', [TOKEN_HEADER]: server.token }, body: '{}' });
    assert.equal(formPost.status, 415);
    const port = new URL(server.origin).port;
    const rebound = await rawRequest(server.url, { headers: { host: `evil.example:${port}` } });
    assert.equal(rebound.status, 403);
    const reboundRpc = await rawRequest(`${server.origin}/api/rpc`, {
      method: 'POST',
      headers: { host: 'evil.example', 'content-type': 'application/json', [TOKEN_HEADER]: server.token },
      body: JSON.stringify({ method: 'model', params: {} }),
    });
    assert.equal(reboundRpc.status, 403);

    const html = await fetch(server.url);
    assert.equal(html.status, 200);
    assert.equal(html.headers.get('set-cookie'), null);
    const csp = html.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self'/);
    const body = await html.text();
    assert.doesNotMatch(body, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script (the CSP forbids it)');
    assert.doesNotMatch(body, /\son[a-z]+=/i, 'no inline event handlers');
  });

  it('logged no console errors or warnings and made no failed requests', () => {
    assert.deepEqual(problems, []);
  });
});
