/**
 * The `babelscope` API's declarations (dist/babelscope.d.ts, rolled up by API Extractor at build time),
 * handed to the editor so cells get completion, hover docs and diagnostics for `import … from "babelscope"`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { packageRoot } from './static-files.js';

let cached: Promise<{ files: { path: string; text: string }[] }> | null = null;

export function apiTypes(): Promise<{ files: { path: string; text: string }[] }> {
  cached ??= readFile(join(packageRoot, 'dist', 'babelscope.d.ts'), 'utf8').then(
    (text) => ({ files: [{ path: 'file:///node_modules/babelscope/index.d.ts', text }] }),
    () => {
      cached = null;
      throw new UserError('the babelscope API declarations are missing (dist/babelscope.d.ts)', 'Run `npm run build`; the editor works without them, with no completion for the API.');
    },
  );
  return cached;
}
