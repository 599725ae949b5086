/**
 * Preload (sandboxed, CommonJS): exposes only what a browser cannot do: native open and save dialogs
 * and printing to PDF. The main process checks the sender and the arguments of every call.
 */
const { contextBridge, ipcRenderer } = require('electron') as typeof import('electron');

contextBridge.exposeInMainWorld('babelscopeShell', {
  saveFile: (name: string, data: string, base64 = false): Promise<string | null> => ipcRenderer.invoke('babelscope:save-file', name, data, base64),
  openNotebook: (): Promise<{ path: string; text: string } | null> => ipcRenderer.invoke('babelscope:open-notebook'),
  printToPdf: (name: string): Promise<string | null> => ipcRenderer.invoke('babelscope:print-pdf', name),
});
