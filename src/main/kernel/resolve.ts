/**
 * Resolves `import` specifiers of cells the way Node resolves them for an ES module living in the
 * notebook's folder (`import` conditions of package `exports`, then `main`), with one addition:
 * `babelscope` (and `babelscope/…`) always resolves to this package, wherever the notebook is.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../../shared/errors.js';
import { packageRoot } from '../fs/package-root.js';

const CONDITIONS = ['import', 'node', 'module-sync', 'default'];

interface PackageJson {
  name?: string;
  main?: string;
  exports?: unknown;
  type?: string;
}

/** A specifier → the URL (or builtin name) to hand to `import()`. */
export function resolveSpecifier(spec: string, fromDir: string): string {
  if (spec.startsWith('node:') || builtinModules.includes(spec)) return spec;
  if (/^[a-z][a-z0-9+.-]*:/i.test(spec) && !/^[a-z]:[\\/]/i.test(spec)) return spec;
  if (spec.startsWith('.') || spec.startsWith('/') || /^[a-z]:[\\/]/i.test(spec)) return pathToFileURL(resolveFile(resolvePath(fromDir, spec), spec)).href;

  const { name, subpath } = splitBare(spec);
  const pkgDir = name === 'babelscope' ? packageRoot : findPackage(name, fromDir) ?? findPackage(name, packageRoot);
  if (!pkgDir)
    throw new UserError(`Cannot find package "${name}" from ${fromDir}`, `Install it in the notebook's folder (npm install ${name}) or a folder above it.`);
  return pathToFileURL(resolveInPackage(pkgDir, name, subpath)).href;
}

function splitBare(spec: string): { name: string; subpath: string } {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  return { name: parts.slice(0, n).join('/'), subpath: ['.', ...parts.slice(n)].join('/') };
}

function findPackage(name: string, fromDir: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export function resolveInPackage(pkgDir: string, name: string, subpath: string): string {
  const pj = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as PackageJson;
  if (pj.exports !== undefined) {
    const target = exportsTarget(pj.exports, subpath);
    if (target === undefined)
      throw new UserError(`Package "${name}" does not export "${subpath}"`, `Import one of the paths its package.json "exports" lists.`);
    return join(pkgDir, target);
  }
  if (subpath !== '.') return resolveFile(join(pkgDir, subpath), `${name}/${subpath.slice(2)}`);
  if (pj.main) return resolveFile(join(pkgDir, pj.main), name);
  // No exports and no main: CommonJS would look for index.js.
  try {
    return createRequire(join(pkgDir, 'package.json')).resolve(pkgDir);
  } catch {
    throw new UserError(`Package "${name}" has no entry point ("exports" or "main")`, `Check its package.json, or import a file inside it by path.`);
  }
}

/** Node's exports resolution for "." and "./sub/path" (with one "*" pattern), import conditions first. */
function exportsTarget(exports: unknown, subpath: string): string | undefined {
  const isSubpathMap = exports !== null && typeof exports === 'object' && !Array.isArray(exports) && Object.keys(exports).some((k) => k.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? conditionTarget(exports) : undefined;
  const map = exports as Record<string, unknown>;
  if (subpath in map) return conditionTarget(map[subpath]);
  for (const [key, value] of Object.entries(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [pre, post] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(pre) && subpath.endsWith(post) && subpath.length >= key.length - 1) {
      const t = conditionTarget(value);
      return t?.replaceAll('*', subpath.slice(pre.length, subpath.length - post.length));
    }
  }
  return undefined;
}

function conditionTarget(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    for (const item of v) {
      const t = conditionTarget(item);
      if (t) return t;
    }
    return undefined;
  }
  if (v && typeof v === 'object') {
    for (const [cond, target] of Object.entries(v)) if (CONDITIONS.includes(cond)) {
      const t = conditionTarget(target);
      if (t) return t;
    }
  }
  return undefined;
}

function resolveFile(path: string, spec: string): string {
  for (const candidate of [path, `${path}.js`, `${path}.mjs`, `${path}.cjs`, `${path}.json`, join(path, 'index.js')])
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  throw new UserError(`Cannot find module "${spec}" (looked for ${path})`, 'Check the path; relative imports resolve from the notebook\'s folder.');
}
