/**
 * Electron main process: starts the backend (`babelscope serve`) as a child with the system Node, so
 * native modules need no rebuild for Electron's ABI, and shows its URL in a locked-down window.
 * The rules (window options, navigation, IPC senders, save arguments) live in policy.ts and are unit-tested.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, session, type IpcMainInvokeEvent } from 'electron';
import { electronConfig } from '../../../electron.config.js';
import { EXIT_WITH_PARENT_ENV, stopChild } from './backend-process.js';
import { backendArgs, navigationAllowed, OPEN_FILTERS, parseSaveRequest, SAVE_KINDS, secureWebPreferences, senderAllowed } from './policy.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'cli', 'index.js');
let backend: ChildProcess | undefined;

function startBackend(): Promise<{ url: string; origin: string }> {
  const node = process.env['BABELSCOPE_NODE'] ?? 'node';
  const env = (k: string) => process.env[k] || undefined;
  const child = spawn(node, backendArgs(cli, env('BABELSCOPE_WORKSPACE'), env('BABELSCOPE_MODEL'), env('BABELSCOPE_DEVICE')), {
    stdio: ['ignore', 'pipe', 'inherit'],
    // If this process dies without quitting (a crash, SIGKILL), the backend notices and stops itself.
    env: { ...process.env, [EXIT_WITH_PARENT_ENV]: '1' },
  });
  backend = child;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the backend did not start in time')), electronConfig.backendStartTimeoutMs);
    child.once('exit', (code) => reject(new Error(`the backend exited (code ${code}); see the messages above`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as { url: string; origin: string });
    });
  });
}

async function main(): Promise<void> {
  await app.whenReady();
  try {
    const { url, origin } = await startBackend();
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    app.on('web-contents-created', (_e, contents) => {
      contents.on('will-navigate', (event, target) => {
        if (!navigationAllowed(target, origin)) event.preventDefault();
      });
      contents.on('will-attach-webview', (event) => event.preventDefault());
      contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    });

    const guard = (event: IpcMainInvokeEvent) => {
      const f = event.senderFrame;
      if (!senderAllowed(f ? { url: f.url, isMainFrame: f.parent === null } : null, origin)) throw new Error('refused: not the Babelscope page');
    };
    ipcMain.handle('babelscope:save-file', async (event, name: unknown, data: unknown, base64: unknown) => {
      guard(event);
      const req = parseSaveRequest(name, data, base64, electronConfig.maxSaveBytes);
      if (typeof req === 'string') throw new Error(`refused: ${req}`);
      const { canceled, filePath } = await dialog.showSaveDialog({ defaultPath: req.name, filters: [SAVE_KINDS[extname(req.name).toLowerCase()]!] });
      if (canceled || !filePath) return null;
      await writeFile(filePath, req.base64 ? Buffer.from(req.data, 'base64') : req.data);
      return filePath;
    });
    ipcMain.handle('babelscope:open-notebook', async (event) => {
      guard(event);
      const { canceled, filePaths } = await dialog.showOpenDialog({ properties: ['openFile'], filters: OPEN_FILTERS });
      if (canceled || !filePaths[0]) return null;
      return { path: filePaths[0], text: await readFile(filePaths[0], 'utf8') };
    });
    ipcMain.handle('babelscope:print-pdf', async (event, name: unknown) => {
      guard(event);
      const req = parseSaveRequest(name, '', false, electronConfig.maxSaveBytes);
      if (typeof req === 'string' || extname(req.name) !== '.pdf') throw new Error('refused: the PDF needs a name ending in .pdf');
      const pdf = await event.sender.printToPDF({ printBackground: true });
      const { canceled, filePath } = await dialog.showSaveDialog({ defaultPath: req.name, filters: [SAVE_KINDS['.pdf']!] });
      if (canceled || !filePath) return null;
      await writeFile(filePath, pdf);
      return filePath;
    });

    const win = new BrowserWindow({ ...electronConfig.window, title: electronConfig.productName, webPreferences: secureWebPreferences(join(here, 'preload.cjs')) });
    await win.loadURL(url);
  } catch (e) {
    dialog.showErrorBox('Babelscope could not start', (e as Error).message);
    app.quit();
  }
}

app.on('window-all-closed', () => app.quit());
// Quitting waits for the backend to stop (SIGTERM, then SIGKILL after the grace period), so no hung
// backend is left behind; 'exit' is the last resort when the app ends some other way.
let backendStopped = false;
app.on('before-quit', (event) => {
  if (backendStopped || !backend) return;
  event.preventDefault();
  void stopChild(backend, electronConfig.backendStopTimeoutMs).finally(() => {
    backendStopped = true;
    app.quit();
  });
});
process.on('exit', () => {
  if (backend && backend.exitCode === null && backend.signalCode === null) backend.kill('SIGKILL');
});
void main();
