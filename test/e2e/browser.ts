/** Headless Chromium for the end-to-end tests, plus small helpers that keep DOM types out of Node code. */
import { request } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.BABELSCOPE_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Collects what the page reports as going wrong: console errors and warnings, uncaught exceptions. */
export function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

/** A Plotly trace as read back from the page (only what the tests look at). */
export interface PlottedTrace {
  type: string;
  name?: string;
  visible?: boolean | 'legendonly';
  x: number[];
  y: number[];
  z?: number[][];
  text?: string[][];
  /** [top-1 token, entropy, top languages, input token] per cell */
  customdata?: [string, number, string, string][][];
}

/** The traces Plotly holds on an element (`el.data`). */
export function plotData(page: Page, id: string): Promise<PlottedTrace[] | undefined> {
  return page.evaluate<PlottedTrace[] | undefined>(`document.getElementById(${JSON.stringify(id)})?.data`);
}

/** The little of the page's DOM the predicates below touch (the Node-side tsconfig has no DOM types). */
interface PageGlobals {
  document: { getElementById(id: string): { data?: PlottedTrace[] } | null; body: { classList: { contains(c: string): boolean } } };
}

/** Runs in the page: the lens heatmap shows `positions` input tokens and no run is in flight. */
export function heatmapShows(positions: number): boolean {
  const { document } = globalThis as unknown as PageGlobals;
  return document.getElementById('lens-heatmap')?.data?.[0]?.x?.length === positions && !document.body.classList.contains('busy');
}

/** Runs in the page: the language-mass chart has `traces` lines and no run is in flight. */
export function massChartShows(traces: number): boolean {
  const { document } = globalThis as unknown as PageGlobals;
  return document.getElementById('language-mass')?.data?.length === traces && !document.body.classList.contains('busy');
}

/** A GET or POST with headers `fetch` would not let us set (Host). */
export function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
