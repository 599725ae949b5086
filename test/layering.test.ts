/** ARCHITECTURE.md layering: src/shared imports nothing from Node or the app; native modules stay in their folders. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { it } from 'node:test';
import { repoRoot } from './helpers/paths.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.c?ts$/.test(p) ? [p] : [];
  });
}

// Not inside a string: `=== 'import'` is no import.
const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?<!['"`\w])(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);

it('src/shared imports no Node module and nothing outside src/shared', () => {
  for (const file of sources(join(repoRoot, 'src', 'shared')))
    for (const spec of importsOf(file)) {
      assert.ok(!spec.startsWith('node:'), `${relative(repoRoot, file)} imports ${spec}`);
      assert.ok(spec.startsWith('./'), `${relative(repoRoot, file)} imports ${spec}`);
    }
});

it('onnxruntime-node and better-sqlite3 are imported only in src/main/model and src/main/store', () => {
  for (const file of sources(join(repoRoot, 'src'))) {
    const rel = relative(repoRoot, file);
    for (const spec of importsOf(file)) {
      if (spec === 'onnxruntime-node') assert.match(rel, /^src\/main\/model\//, rel);
      if (spec === 'better-sqlite3') assert.match(rel, /^src\/main\/store\//, rel);
    }
  }
});

/** Browser packages the renderer may bundle (Vite); anything else would be a Node or app module. */
const BROWSER_PACKAGES = /^(monaco-editor\/|marked$|dompurify$)/;

it('src/renderer imports only itself, src/shared and browser packages (no Node, no app modules)', () => {
  const allowed = [join(repoRoot, 'src', 'renderer'), join(repoRoot, 'src', 'shared')];
  for (const file of sources(join(repoRoot, 'src', 'renderer')))
    for (const spec of importsOf(file)) {
      const ok = spec.startsWith('.') ? allowed.some((dir) => resolve(dirname(file), spec).startsWith(dir + sep)) : BROWSER_PACKAGES.test(spec);
      assert.ok(ok, `${relative(repoRoot, file)} imports ${spec}`);
    }
});

it('electron is imported only by the shell in src/main/electron', () => {
  for (const file of sources(join(repoRoot, 'src'))) {
    const rel = relative(repoRoot, file);
    if (importsOf(file).includes('electron') || /require\('electron'\)/.test(readFileSync(file, 'utf8'))) assert.match(rel, /^src\/main\/electron\//, rel);
  }
});

it('src/main/fs (the atomic write) imports only Node built-ins and src/shared, so every Node layer may use it', () => {
  for (const file of sources(join(repoRoot, 'src', 'main', 'fs')))
    for (const spec of importsOf(file)) {
      const ok = spec.startsWith('node:') || (spec.startsWith('.') && (resolve(dirname(file), spec).startsWith(join(repoRoot, 'src', 'shared') + sep) || resolve(dirname(file), spec).startsWith(join(repoRoot, 'src', 'main', 'fs') + sep)));
      assert.ok(ok, `${relative(repoRoot, file)} imports ${spec}`);
    }
});
