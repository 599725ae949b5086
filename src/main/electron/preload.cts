/** Preload (sandboxed, CommonJS): exposes only what a browser cannot do — saving a file through a native dialog. */
const { contextBridge, ipcRenderer } = require('electron') as typeof import('electron');

contextBridge.exposeInMainWorld('babelscopeShell', {
  saveFile: (name: string, data: string): Promise<string | null> => ipcRenderer.invoke('babelscope:save-file', name, data),
});
