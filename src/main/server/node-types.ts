/**
 * Node's own declarations (@types/node and the undici-types it imports for `fetch`), handed to the editor
 * so cells, which run in Node, are checked against Node: `fetch`, `Buffer`, `URL`, `process`, and
 * `import … from "node:fs"`. Resolved like an import (from the repository or from wherever npm put it
 * for an installed package; @types/node is a runtime dependency for this reason) and read once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { NODE_MODULES_URI } from '../../shared/cell-scope.js';

export interface TypeFile {
  path: string;
  text: string;
}

let cached: Promise<{ files: TypeFile[] }> | null = null;

export function nodeTypes(): Promise<{ files: TypeFile[] }> {
  cached ??= readNodeTypes().catch((e: unknown) => {
    cached = null;
    throw new UserError(`Node's type declarations could not be read (${(e as Error).message})`, 'Install the @types/node package beside babelscope; the editor then marks only the few Node globals it knows without it.');
  });
  return cached;
}

async function readNodeTypes(): Promise<{ files: TypeFile[] }> {
  const nodePackage = createRequire(import.meta.url).resolve('@types/node/package.json');
  // undici-types is @types/node's dependency: resolved from there, wherever npm nested it.
  const undiciPackage = createRequire(nodePackage).resolve('undici-types/package.json');
  const files = [...(await packageDeclarations(dirname(nodePackage), '@types/node')), ...(await packageDeclarations(dirname(undiciPackage), 'undici-types'))];
  if (!files.some((f) => f.path === `${NODE_MODULES_URI}@types/node/index.d.ts`)) throw new Error('@types/node has no index.d.ts');
  return { files };
}

/**
 * Every .d.ts of a package, at `file:///node_modules/<name>/…`, except the folders its `typesVersions`
 * send older TypeScript versions to (@types/node's ts5.6/): every extra lib is a root of the editor's
 * program, so those would declare Node's globals a second time (the editor's TypeScript is newer).
 */
async function packageDeclarations(dir: string, name: string): Promise<TypeFile[]> {
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { typesVersions?: Record<string, Record<string, string[]>> };
  const redirected = Object.values(manifest.typesVersions ?? {})
    .flatMap((paths) => Object.values(paths).flat())
    .map((target) => target.replace(/\*.*$/, ''))
    .filter((prefix) => prefix !== '' && prefix.endsWith('/'));
  const entries = await readdir(dir, { recursive: true });
  const out: TypeFile[] = [];
  for (const entry of entries.sort()) {
    const rel = relative(dir, join(dir, entry)).split(sep).join('/');
    if (!rel.endsWith('.d.ts') || rel.startsWith('node_modules/') || redirected.some((p) => rel.startsWith(p))) continue;
    out.push({ path: `${NODE_MODULES_URI}${name}/${rel}`, text: await readFile(join(dir, entry), 'utf8') });
  }
  return out;
}
