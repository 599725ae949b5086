/**
 * ARCHITECTURE.md's layers, enforced: one table says which folders (or files) each layer of src/ may
 * import, and every import of every source file is checked against it. Imports are read by TypeScript's
 * own scanner (helpers/imports.ts).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { it } from 'node:test';
import { importsOf, resolveSpecifier } from './helpers/imports.js';
import { repoRoot } from './helpers/paths.js';

/** The public API's doors (package.json `exports`): the files of src/main/api that callers (CLI, server, kernel, notebook) may import. */
const PUBLIC_API = 'src/main/api/index.ts';
const PUBLIC_PLOTS = 'src/main/api/plots.ts';
const SHARED = 'src/shared/';
const FS = 'src/main/fs/';

/**
 * Who may import whom. Keys are layers (folders of src/); values are what, besides itself, a layer may
 * import: a folder (ending in /) or one file. ARCHITECTURE.md states the same table.
 */
const LAYERS: Readonly<Record<string, readonly string[]>> = {
  'src/shared/': [],
  'src/renderer/': [SHARED],
  'src/main/fs/': [SHARED],
  'src/main/analysis/': [SHARED],
  'src/main/corpus/': [SHARED],
  'src/main/model/': [SHARED, FS],
  'src/main/store/': [SHARED, FS],
  'src/main/pipelines/': [SHARED, FS, 'src/main/model/', 'src/main/store/', 'src/main/analysis/', 'src/main/corpus/'],
  'src/main/api/': [SHARED, FS, 'src/main/model/', 'src/main/store/', 'src/main/analysis/', 'src/main/corpus/', 'src/main/pipelines/'],
  // The callers: the engine only through the public API; each other as they start one another.
  'src/main/cli/': [SHARED, FS, PUBLIC_API, PUBLIC_PLOTS, 'src/main/server/', 'src/main/kernel/', 'src/main/notebook/', 'src/main/electron/'],
  'src/main/server/': [SHARED, FS, PUBLIC_API, PUBLIC_PLOTS, 'src/main/kernel/', 'src/main/notebook/'],
  'src/main/kernel/': [SHARED, FS, PUBLIC_API, PUBLIC_PLOTS, 'src/main/notebook/'],
  'src/main/notebook/': [SHARED, FS, PUBLIC_API, PUBLIC_PLOTS, 'src/main/kernel/', 'src/main/electron/'],
  'src/main/electron/': [SHARED, FS, 'electron.config.ts'],
};

/** Packages with native code, each only in its folder. */
const NATIVE: Readonly<Record<string, string>> = {
  'onnxruntime-node': 'src/main/model/',
  'better-sqlite3': 'src/main/store/',
  '@duckdb/node-api': 'src/main/store/',
  electron: 'src/main/electron/',
};

/** Browser packages the renderer may bundle (Vite); anything else would be a Node or app module. */
const BROWSER_PACKAGES = /^(monaco-editor\/|marked$|dompurify$)/;

interface SourceFile {
  /** Relative to the repository root, with / separators. */
  path: string;
  text: string;
}

const layerOf = (path: string): string | undefined =>
  Object.keys(LAYERS)
    .filter((l) => path.startsWith(l))
    .sort((a, b) => b.length - a.length)[0];

const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
const reaches = (target: string, allowed: string) => (allowed.endsWith('/') ? target.startsWith(allowed) : target === allowed);

/** One line per import that breaks the table or the package rules. */
function layerViolations(files: readonly SourceFile[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const layer = layerOf(file.path);
    if (!layer) {
      out.push(`${file.path} is in no layer: add its folder to LAYERS (and to ARCHITECTURE.md)`);
      continue;
    }
    for (const spec of importsOf(file.text)) {
      const bad = (why: string) => out.push(`${file.path} imports ${spec}: ${why}`);
      if (spec.startsWith('.')) {
        const target = resolveSpecifier(file.path, spec);
        const allowed = [layer, ...LAYERS[layer]!];
        if (!allowed.some((a) => reaches(target, a))) bad(`${layer} may import only ${allowed.join(', ')}`);
        continue;
      }
      const pkg = packageOf(spec);
      if (NATIVE[pkg] !== undefined && !file.path.startsWith(NATIVE[pkg])) bad(`${pkg} is imported only under ${NATIVE[pkg]}`);
      if (layer === SHARED) bad('src/shared imports no Node module and no package (it runs in the page and in Node)');
      if (layer === 'src/renderer/' && !BROWSER_PACKAGES.test(spec)) bad('the renderer imports only browser packages (no Node, no app modules)');
      if (layer === FS && !spec.startsWith('node:')) bad('src/main/fs imports only Node built-ins, so every Node layer may use it');
    }
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.[cm]?ts$/.test(p) && !p.endsWith('.d.ts') ? [p] : [];
  });
}

const repoSources = (): SourceFile[] => sources(join(repoRoot, 'src')).map((p) => ({ path: relative(repoRoot, p).split(sep).join('/'), text: readFileSync(p, 'utf8') }));

it('every import in src/ follows the layer table', () => {
  assert.deepEqual(layerViolations(repoSources()), []);
});

it('every folder of src/main is a layer of the table', () => {
  const folders = readdirSync(join(repoRoot, 'src', 'main')).filter((f) => statSync(join(repoRoot, 'src', 'main', f)).isDirectory());
  assert.deepEqual(folders.filter((f) => !(`src/main/${f}/` in LAYERS)), []);
});

it('the checker catches planted violations in every import form and quote style, and nothing in strings or comments', () => {
  const planted: SourceFile[] = [
    { path: 'src/main/cli/commands/x.ts', text: `import type { Store } from "../../store/index.js";\nexport { capture } from '../../pipelines/capture.js';\nconst m = await import("../../model/model.js");\nimport { lape } from '../../api/neurons.js';\nimport { ok } from '../../api/index.js';` },
    { path: 'src/main/store/y.ts', text: `import { ablationMatrix } from '../analysis/ablation-matrix.js';\nimport type { Tensor } from '../../shared/model-types.js';` },
    { path: 'src/main/model/z.ts', text: `export type { RunRecord } from "../store/types.js";` },
    { path: 'src/main/pipelines/p.ts', text: `import * as ort from 'onnxruntime-node';\nimport { Model } from '../model/model.js';` },
    { path: 'src/main/analysis/a.ts', text: `const Database = require('better-sqlite3');` },
    { path: 'src/shared/s.ts', text: `import { readFileSync } from 'node:fs';` },
    { path: 'src/renderer/r.ts', text: `import { join } from 'node:path';\nimport { x } from '../main/api/index.js';\nimport DOMPurify from 'dompurify';` },
    { path: 'src/main/fs/f.ts', text: `import { UserError } from '../../shared/errors.js';\nimport { z } from 'zod';` },
    { path: 'src/main/server/clean.ts', text: `// import { x } from '../model/model.js';\nconst s = "import { y } from '../store/index.js'";\nconst t = \`export * from '../pipelines/capture.js'\`;` },
    { path: 'src/main/newlayer/n.ts', text: '' },
  ];
  const found = layerViolations(planted);
  const expected = [
    ['src/main/cli/commands/x.ts', '../../store/index.js'],
    ['src/main/cli/commands/x.ts', '../../pipelines/capture.js'],
    ['src/main/cli/commands/x.ts', '../../model/model.js'],
    ['src/main/cli/commands/x.ts', '../../api/neurons.js'],
    ['src/main/store/y.ts', '../analysis/ablation-matrix.js'],
    ['src/main/model/z.ts', '../store/types.js'],
    ['src/main/pipelines/p.ts', 'onnxruntime-node'],
    ['src/main/analysis/a.ts', 'better-sqlite3'],
    ['src/shared/s.ts', 'node:fs'],
    ['src/renderer/r.ts', 'node:path'],
    ['src/renderer/r.ts', '../main/api/index.js'],
    ['src/main/fs/f.ts', 'zod'],
  ];
  for (const [file, spec] of expected) assert.ok(found.some((v) => v.startsWith(`${file} imports ${spec}:`)), `missed ${file} → ${spec}:\n${found.join('\n')}`);
  assert.ok(found.some((v) => v.startsWith('src/main/newlayer/n.ts is in no layer')), found.join('\n'));
  assert.equal(found.length, expected.length + 1, `only the planted violations:\n${found.join('\n')}`);
});

it('resolves specifiers the way the emitted files do', () => {
  assert.equal(resolveSpecifier('src/main/electron/main.ts', '../../../electron.config.js'), 'electron.config.ts');
  assert.equal(resolveSpecifier('src/main/electron/x.ts', './preload.cjs'), 'src/main/electron/preload.cts');
});
