/**
 * The package as users get it: `npm pack`, the tarball unpacked into a temporary project's
 * node_modules, and a plain .mjs script there doing `import … from "babelscope"` and
 * `"babelscope/plots"` to capture, run LAPE on the bundled model and draw it; a .ts consumer
 * type-checks against the bundled declarations of both entry points.
 * The tarball's dependencies are linked from this checkout's node_modules (installs stay offline and
 * the native modules built here are reused); everything of babelscope itself comes from the tarball.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../../helpers/paths.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('npm pack → install → import "babelscope"', () => {
  let tmp: string;
  let app: string;
  let installed: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-pack-'));
    app = join(tmp, 'app');
    execFileSync(npm, ['run', 'build:types', '--silent'], { cwd: repoRoot, stdio: 'pipe' });
    const packed = JSON.parse(execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { filename: string }[];
    execFileSync('tar', ['xzf', join(tmp, packed[0]!.filename), '-C', tmp]);
    installed = join(app, 'node_modules', 'babelscope');
    mkdirSync(dirname(installed), { recursive: true });
    renameSync(join(tmp, 'package'), installed);
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // @types/node: a dependency (the editor's Node types), and what the .ts consumer below type-checks with.
    for (const dep of new Set([...Object.keys(pkg.dependencies), '@types/node'])) {
      const link = join(app, 'node_modules', dep);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(repoRoot, 'node_modules', dep), link, 'dir');
    }
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module', dependencies: { babelscope: '*' } }));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('ships the built module, the bundled declarations and the bundled model, and no sources or tests', () => {
    for (const f of ['dist/src/main/api/index.js', 'dist/src/main/api/plots.js', 'dist/babelscope.d.ts', 'dist/babelscope-plots.d.ts', 'dist/src/main/cli/index.js', 'assets/tiny-babel/config.json', 'assets/tiny-babel/tokenizer.json', 'ARCHITECTURE.md'])
      assert.ok(existsSync(join(installed, f)), `${f} is in the tarball`);
    for (const f of ['src', 'test', 'dist/test', 'node_modules']) assert.ok(!existsSync(join(installed, f)), `${f} is not in the tarball`);
  });

  it('a plain .mjs script imports babelscope and babelscope/plots and runs a capture and LAPE on the bundled model', () => {
    writeFileSync(
      join(app, 'script.mjs'),
      `import { openModel, capture, lape, openStore, bundledModelDir } from 'babelscope';
import { neuronCountsChart } from 'babelscope/plots';
const model = await openModel(bundledModelDir, { device: 'cpu', log: () => {} });
const progress = [];
const summary = await capture({ model, store: 'run.db', corpus: 'udhr:eng,rus,cmn', maxTextsPerLang: 6, onProgress: (p) => progress.push(p.done) });
await model.dispose();
const neurons = lape({ store: 'run.db', topRate: 0.02 });
const store = openStore('run.db', { readonly: true });
const texts = store.query('SELECT COUNT(*) AS n FROM capture_progress')[0].n;
store.close();
const figure = neuronCountsChart({ perLayer: neurons.perLayer });
console.log(JSON.stringify({ bundledModelDir, texts, summaryTexts: summary.texts, progress: progress.at(-1), languages: neurons.languages, selected: neurons.selected.length, traces: figure.data.length }));
`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ['script.mjs'], { cwd: app, encoding: 'utf8' }).trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.ok(String(out['bundledModelDir']).startsWith(installed), 'the bundled model is the installed package\'s');
    assert.equal(out['texts'], 18);
    assert.equal(out['summaryTexts'], 18);
    assert.equal(out['progress'], 18);
    assert.deepEqual(out['languages'], ['cmn', 'eng', 'rus']);
    assert.ok((out['selected'] as number) > 0);
    assert.equal(out['traces'], 3);
  });

  it('only the public doors are open: deep imports are refused by "exports"', () => {
    for (const deep of ['babelscope/dist/src/main/store/index.js', 'babelscope/dist/src/shared/plots/index.js', 'babelscope/model']) {
      const r = execFileSync(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(deep)}).then(() => console.log('open'), (e) => console.log(e.code))`], { cwd: app, encoding: 'utf8' });
      assert.equal(r.trim(), 'ERR_PACKAGE_PATH_NOT_EXPORTED', deep);
    }
  });

  it('each entry point has its own names: plot builders only in babelscope/plots, no engine internals at the root', () => {
    const r = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "const [a, p] = await Promise.all([import('babelscope'), import('babelscope/plots')]); console.log(JSON.stringify({ api: Object.keys(a), plots: Object.keys(p) }))"],
      { cwd: app, encoding: 'utf8' },
    );
    const { api, plots } = JSON.parse(r) as { api: string[]; plots: string[] };
    for (const name of ['openModel', 'capture', 'lape', 'lens', 'generate', 'SHARED_TOKEN_LABEL']) assert.ok(api.includes(name), `babelscope exports ${name}`);
    for (const name of ['layerLines', 'neuronCountsChart', 'alignmentLines', 'FONT', 'SIZE']) assert.ok(plots.includes(name), `babelscope/plots exports ${name}`);
    assert.deepEqual(api.filter((n) => plots.includes(n) || ['SHARED', 'UNKNOWN', 'Model'].includes(n)), []);
  });

  it('a TypeScript consumer type-checks against the bundled .d.ts, and wrong options are type errors', () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { openModel, capture, lape, type CaptureSummary, type LapeOutput } from 'babelscope';
import { layerLanguageHeatmap, type PlotFigure } from 'babelscope/plots';
export async function run(): Promise<[CaptureSummary, LapeOutput, PlotFigure]> {
  const model = await openModel(undefined, { device: 'cpu' });
  const s = await capture({ model, store: 'run.db', corpus: [{ lang: 'eng', id: '1', text: 'Hello' }], signal: new AbortController().signal });
  const l = lape({ store: 'run.db' });
  // @ts-expect-error store must be a path or a ProjectStore
  capture({ model, store: 42, corpus: 'udhr:eng' });
  // @ts-expect-error device is auto | cpu | cuda
  await openModel(undefined, { device: 'tpu' });
  // @ts-expect-error the engine's own calls are not part of the API (lens() is)
  await model.forward({ inputIds: [[1]] });
  return [s, l, layerLanguageHeatmap({ languages: ['eng'], values: [[l.perLayer['eng']![0]!]], valueTitle: 'neurons (count)' })];
}
`,
    );
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'], skipLibCheck: false }, files: ['consumer.ts'] }));
    execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app, encoding: 'utf8' });
  });

  it('the declarations stand alone (no imports, DOM lib only), as Monaco loads an extra lib', () => {
    for (const file of ['babelscope.d.ts', 'babelscope-plots.d.ts']) {
      const dts = readFileSync(join(installed, 'dist', file), 'utf8');
      assert.doesNotMatch(dts, /^import |^export .* from '|\/\/\/ <reference/m, file);
      const dir = join(tmp, `monaco-${file}`);
      mkdirSync(dir);
      writeFileSync(join(dir, file), dts);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, lib: ['es2023', 'dom'], types: [], skipLibCheck: false }, files: [file] }));
      execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
      // Every export carries a doc comment (editors show it on hover and completion).
      const undocumented = [...dts.matchAll(/(\*\/\s*)?export declare (?:function|interface|class|const|type|enum) (\w+)/g)].filter((m) => !m[1]).map((m) => m[2]);
      assert.deepEqual(undocumented, [], file);
    }
  });
});
