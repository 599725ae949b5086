/**
 * Exported figures show every legend entry: the SVG that `run --figures` and the workbench export
 * write (FigureRenderer: Plotly in headless Chromium), measured back in Chromium. A static export has
 * no legend scrollbar, so an entry below the legend's box is cut off.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { FigureRenderer } from '../../../src/main/notebook/figures.js';
import { categoryBars, layerLines, type PlotFigure } from '../../../src/shared/plots/index.js';
import { launchChromium } from '../../e2e/browser.js';

let renderer: FigureRenderer;
let browser: Browser;
let page: Page;

before(async () => {
  [renderer, browser] = await Promise.all([FigureRenderer.open(), launchChromium()]);
  page = await browser.newPage();
});
after(async () => {
  await renderer?.close();
  await browser?.close();
});

/** Legend entries in the exported SVG, and how many of them lie inside the legend's box and the image. */
async function legendOf(figure: PlotFigure): Promise<{ entries: number; shown: number }> {
  const svg = (await renderer.render(figure as never, 'svg')) as string;
  await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
  return page.evaluate(`(() => {
    const height = document.querySelector('svg').getBoundingClientRect().height;
    const box = document.querySelector('.legend .bg').getBoundingClientRect();
    const items = [...document.querySelectorAll('.legend .traces')].map((e) => e.getBoundingClientRect());
    return { entries: items.length, shown: items.filter((r) => r.bottom <= box.bottom + 1 && r.bottom <= height).length };
  })()`);
}

const names = (n: number) => [...Array(n).keys()].map((i) => `language ${i}`);

it('16 lines (13 languages, shared, unknown, chance): all 16 legend entries are in the export', async () => {
  const fig = layerLines({ series: names(15).map((name, i) => ({ name, values: [i / 20, i / 15, i / 10] })), yTitle: 'probability mass', title: 'sixteen traces', chance: { value: 0.1 } });
  assert.deepEqual(await legendOf(fig), { entries: 16, shown: 16 });
});

it('24 bar series: all in the export; 3 series keep the house size', async () => {
  const fig = categoryBars({ categories: ['eng', 'rus'], series: names(24).map((name, i) => ({ name, values: [i, i + 1] })), yTitle: 'count' });
  assert.deepEqual(await legendOf(fig), { entries: 24, shown: 24 });
  const few = layerLines({ series: names(3).map((name) => ({ name, values: [1, 2] })), yTitle: 'y' });
  assert.equal(few.layout['height'], 400);
  assert.deepEqual(await legendOf(few), { entries: 3, shown: 3 });
});
