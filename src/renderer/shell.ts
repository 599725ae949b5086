/**
 * Saving files: through the Electron shell's native dialog when the preload is there, otherwise as a
 * browser download.
 */

/** What the Electron shell's preload exposes (src/main/electron/preload.cts); absent in a browser. */
export interface ShellBridge {
  saveFile(name: string, data: string, base64?: boolean): Promise<string | null>;
  openNotebook(): Promise<{ path: string; text: string } | null>;
  printToPdf(name: string): Promise<string | null>;
}

export function shell(): ShellBridge | undefined {
  return (window as unknown as { babelscopeShell?: ShellBridge }).babelscopeShell;
}

/** Saves text or a data: URL's bytes under `name`. */
export async function saveFile(name: string, content: { text: string } | { dataUrl: string }): Promise<void> {
  const s = shell();
  if (s) {
    if ('text' in content) await s.saveFile(name, content.text);
    else await s.saveFile(name, content.dataUrl.slice(content.dataUrl.indexOf(',') + 1), true);
    return;
  }
  const href = 'text' in content ? URL.createObjectURL(new Blob([content.text], { type: 'application/octet-stream' })) : content.dataUrl;
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  if ('text' in content) setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
