/** The workbench as the end-to-end tests drive it: the real server on a workspace folder with the bundled model, and headless Chromium. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { ModelSlot } from '../../src/main/server/model-slot.js';
import { startServer, type ServerHandle } from '../../src/main/server/server.js';
import { tinyModelDir } from '../helpers/paths.js';
import { collectProblems, launchChromium } from './browser.js';

export interface Workbench {
  workspace: string;
  server: ServerHandle;
  models: ModelSlot;
  browser: Browser;
  /** The user data folder of this server (notebook-trust key and signatures): a temporary one. */
  dataDir: string;
  /** Closes the browser, the server and the model, and removes the workspace. */
  close(): Promise<void>;
}

/** Starts Chromium and `startServer` on `workspace` (removed again by `close`). */
export async function startWorkbench(workspace: string): Promise<Workbench> {
  const browser = await launchChromium();
  const models = new ModelSlot(tinyModelDir, 'cpu');
  const dataDir = mkdtempSync(join(tmpdir(), 'babelscope-data-'));
  let server: ServerHandle | undefined;
  const close = async () => {
    await browser.close();
    await server?.close();
    await models.dispose();
    rmSync(workspace, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    server = await startServer({ models, workspace, dataDir });
  } catch (e) {
    await close();
    throw e;
  }
  return { workspace, server, models, browser, dataDir, close };
}

/** A page in a context of its own (1280 × 900 unless told), with the problems it reports collected. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, ...options });
  const page = await context.newPage();
  return { page, problems: collectProblems(page) };
}
