import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes files into a fresh temp folder; `cleanup` removes it. */
export function tempFiles(): { write: (name: string, content: string | Uint8Array) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-corpus-'));
  const write = (name: string, content: string | Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  return {
    write,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
