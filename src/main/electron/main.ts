/**
 * Electron main process: starts the backend (`babelscope serve`) with the system Node, so native
 * modules need no rebuild for Electron's ABI, and shows its URL in a locked-down window.
 * Security: contextIsolation, sandbox, no nodeIntegration; navigation off the backend's origin, new
 * windows and permission requests are refused; IPC answers only the backend's own pages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, session } from 'electron';
import { electronConfig } from '../../../electron.config.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'cli', 'index.js');
let backend: ChildProcess | undefined;

function startBackend(modelDir: string | undefined): Promise<{ url: string; origin: string }> {
  const node = process.env['BABELSCOPE_NODE'] ?? 'node';
  const child = spawn(node, [cli, 'serve', ...(modelDir ? [modelDir] : []), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
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
  let origin = '';
  try {
    const started = await startBackend(process.argv[2]);
    origin = started.origin;
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    app.on('web-contents-created', (_e, contents) => {
      contents.on('will-navigate', (event, url) => {
        if (new URL(url).origin !== origin) event.preventDefault();
      });
      contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    });
    ipcMain.handle('babelscope:save-file', async (event, name: unknown, data: unknown) => {
      if (!event.senderFrame || new URL(event.senderFrame.url).origin !== origin) throw new Error('refused: not the Babelscope page');
      if (typeof name !== 'string' || typeof data !== 'string' || data.length > electronConfig.maxSaveBytes) throw new Error('refused: bad arguments');
      const { canceled, filePath } = await dialog.showSaveDialog({ defaultPath: basename(name) });
      if (canceled || !filePath) return null;
      await writeFile(filePath, data);
      return filePath;
    });
    const win = new BrowserWindow({
      ...electronConfig.window,
      title: electronConfig.productName,
      webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, preload: join(here, 'preload.cjs') },
    });
    await win.loadURL(started.url);
  } catch (e) {
    dialog.showErrorBox('Babelscope could not start', (e as Error).message);
    app.quit();
  }
}

app.on('window-all-closed', () => app.quit());
app.on('quit', () => backend?.kill());
void main();
