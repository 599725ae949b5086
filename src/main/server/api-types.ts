/**
 * The `babelscope` API's declarations, one rolled-up file per entry point of package.json `exports`
 * (`babelscope` → dist/babelscope.d.ts, `babelscope/plots` → dist/babelscope-plots.d.ts; API Extractor at
 * build time), handed to the editor so cells get completion, hover docs and diagnostics for both imports.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { API_PACKAGE_JSON, apiTypesPath } from '../../shared/cell-scope.js';
import { UserError } from '../../shared/errors.js';
import { packageRoot } from '../fs/package-root.js';

type Files = { files: { path: string; text: string }[] };
let cached: Promise<Files> | null = null;

export function apiTypes(): Promise<Files> {
  cached ??= readApiTypes().catch((e: unknown) => {
    cached = null;
    throw new UserError(`the babelscope API declarations are missing (${(e as Error).message})`, 'Run `npm run build`; the editor works without them, with no completion for the API.');
  });
  return cached;
}

async function readApiTypes(): Promise<Files> {
  const pkg = JSON.parse(await readFile(join(packageRoot, 'package.json'), 'utf8')) as { exports: Record<string, string | { types?: string }> };
  const entries = Object.entries(pkg.exports).flatMap(([subpath, target]) => (typeof target === 'object' && target.types ? [[subpath, target.types] as const] : []));
  const files = await Promise.all(
    entries.map(async ([subpath, types]) => ({ path: apiTypesPath(subpath), text: await readFile(join(packageRoot, types), 'utf8').catch(() => Promise.reject(new Error(types.replace(/^\.\//, '')))) })),
  );
  return { files: [...files, API_PACKAGE_JSON] };
}
