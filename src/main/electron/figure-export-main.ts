/**
 * Electron main script for headless figure export (src/main/notebook/figures.ts): one hidden, sandboxed
 * window that playwright drives. Kept as text because it runs in Electron, not in this process.
 */
export const FIGURE_EXPORT_ELECTRON_MAIN = `const { app, BrowserWindow } = require('electron');
app.whenReady().then(() => new BrowserWindow({ show: false, webPreferences: { sandbox: true } }).loadURL('about:blank'));
`;
