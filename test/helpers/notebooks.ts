/** A notebook folder that exercises every bullet of the kernel section of issue 7, for the Jupyter and `babelscope run` tests. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PNG_1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** Cell sources by name, in order. */
export const FEATURE_CELLS = {
  declare: 'const x: number = 1',
  rerun: 'const x: number = 1',
  redeclare: 'const x = "redeclared"\nx',
  types: 'interface Pair<T> { a: T; b: T }\nfunction swap<T>(p: Pair<T>): Pair<T> { return { a: p.b, b: p.a } }\nconst s = swap<number>({ a: await Promise.resolve(1), b: 2 })\ns.a * 10 + s.b',
  imports:
    'import { join } from "node:path"\nimport esm, { twice } from "esm-only"\nimport { add } from "cjs-pkg"\nimport * as babelscope from "babelscope"\n[join("a", "b"), esm, twice(add(1, 2)), Object.keys(babelscope).length > 0]',
  streams: 'console.log("out 1")\nconsole.error("err 1")\nconsole.log("out 2")',
  display: [
    'display({ [Symbol.for("Jupyter.display")]() { return { "text/markdown": "**own bundle**" } } })',
    'display.html("<i>html</i>")',
    'display.svg(\'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>\')',
    `display.png(Buffer.from("${PNG_1x1}", "base64"))`,
    'display([{ lang: "eng", share: 0.5 }, { lang: "rus", share: 0.25 }])',
    'display({ data: [{ type: "bar", x: ["eng", "rus"], y: [0.5, 0.25] }], layout: { title: { text: "share" }, width: 400, height: 300 } })',
  ].join('\n'),
  throws: 'const ok = 1\n\nthrow new TypeError("bad input " + ok)',
  syntax: 'const broken: number = ;',
  after: 'x + " still here"',
} as const;

export type FeatureCell = keyof typeof FEATURE_CELLS;
export const FEATURE_NAMES = Object.keys(FEATURE_CELLS) as FeatureCell[];

/** npm packages in a notebook's folder: `esm-only` (exports with an import condition) and `cjs-pkg` (CommonJS main). */
export function writeNotebookPackages(dir: string): void {
  mkdirSync(join(dir, 'node_modules', 'esm-only'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'esm-only', 'package.json'), JSON.stringify({ name: 'esm-only', type: 'module', exports: { '.': { import: './index.js' } } }));
  writeFileSync(join(dir, 'node_modules', 'esm-only', 'index.js'), 'export const twice = (x) => 2 * x; export default "esm default";');
  mkdirSync(join(dir, 'node_modules', 'cjs-pkg'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'cjs-pkg', 'package.json'), JSON.stringify({ name: 'cjs-pkg', main: 'main.js' }));
  writeFileSync(join(dir, 'node_modules', 'cjs-pkg', 'main.js'), 'exports.add = (a, b) => a + b;');
}

/** Writes the notebook (cell ids = names) and its folder's npm packages; returns the notebook path. */
export function writeFeatureNotebook(): string {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-features-'));
  writeNotebookPackages(dir);
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'babelscope', display_name: 'TypeScript (Babelscope)', language: 'typescript' } },
    cells: FEATURE_NAMES.map((id) => ({ cell_type: 'code', id, metadata: {}, execution_count: null, outputs: [], source: FEATURE_CELLS[id] })),
  };
  const path = join(dir, 'features.ipynb');
  writeFileSync(path, JSON.stringify(nb, null, 1));
  return path;
}

type Output = { output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown>; ename?: string; evalue?: string; traceback?: string[] };
const joined = (v: unknown) => (Array.isArray(v) ? v.join('') : String(v));

/** Checks the outputs of the feature notebook's cells (however the notebook was run); `ran` names the cells expected to have run. */
export function checkFeatureOutputs(cells: { id?: string; outputs?: Output[] }[], ran: readonly FeatureCell[], assert: typeof import('node:assert/strict')): void {
  const byId = new Map(cells.map((c) => [c.id, c.outputs ?? []]));
  const out = (id: FeatureCell) => byId.get(id) ?? [];
  const result = (id: FeatureCell) => joined(out(id).find((o) => o.output_type === 'execute_result')?.data?.['text/plain']);
  const has = (id: FeatureCell) => ran.includes(id);
  if (has('redeclare')) assert.equal(result('redeclare'), "'redeclared'");
  if (has('rerun')) assert.deepEqual(out('rerun'), []);
  if (has('types')) assert.equal(result('types'), '21');
  if (has('imports')) assert.equal(result('imports'), "[ 'a/b', 'esm default', 6, true ]");
  if (has('streams')) {
    const text = (name: string) => out('streams').filter((o) => o.name === name).map((o) => joined(o.text)).join('');
    assert.equal(text('stdout'), 'out 1\nout 2\n');
    assert.equal(text('stderr'), 'err 1\n');
  }
  if (has('display')) {
    const d = out('display').filter((o) => o.output_type === 'display_data').map((o) => o.data!);
    assert.equal(d.length, 6);
    assert.equal(joined(d[0]!['text/markdown']), '**own bundle**');
    assert.equal(joined(d[1]!['text/html']), '<i>html</i>');
    assert.match(joined(d[2]!['image/svg+xml']), /^<svg/);
    assert.equal(joined(d[3]!['image/png']).trim(), PNG_1x1);
    assert.match(joined(d[4]!['text/html']), /<th>lang<\/th><th>share<\/th>.*<td>rus<\/td><td>0.25<\/td>/);
    assert.match(joined(d[4]!['text/plain']), /lang\s+share/);
    assert.deepEqual((d[5]!['application/vnd.plotly.v1+json'] as { data: unknown }).data, [{ type: 'bar', x: ['eng', 'rus'], y: [0.5, 0.25] }]);
  }
  if (has('throws')) {
    const e = out('throws').find((o) => o.output_type === 'error')!;
    assert.equal(e.ename, 'TypeError');
    assert.equal(e.evalue, 'bad input 1');
    assert.match(e.traceback!.join("\n"), /line 3, column 7/); // the `new TypeError(...)` expression
  }
  if (has('syntax')) {
    const e = out('syntax').find((o) => o.output_type === 'error')!;
    assert.equal(e.ename, 'SyntaxError');
    assert.match(e.evalue!, /line 1, column 24/);
  }
  if (has('after')) assert.equal(result('after'), "'redeclared still here'");
}

/** Cells with long API calls and a `progress()` loop, by id, with how many progress bars each shows. */
export const PROGRESS_CELLS = {
  setup: ['import { openModel, capture, meanNll, workingLanguage, bundledModelDir } from "babelscope"', 'const model = await openModel(bundledModelDir, { device: "cpu" })'].join('\n'),
  capture: 'const summary = await capture({ model, store: "run.db", corpus: "udhr:eng,deu,rus,cmn", batch: 1 })\nsummary.texts',
  two: [
    'const nll = await meanNll({ model, corpus: "udhr:eng,rus", maxTextsPerLang: 20, batch: 1 })',
    'const wl = await workingLanguage({ model, corpus: "udhr:eng,rus", maxTextsPerLang: 20, batch: 1 })',
    'Object.keys(nll).length',
  ].join('\n'),
  loop: 'const bar = progress("loop", 40)\nfor (let i = 0; i < 40; i++) { await new Promise((r) => setTimeout(r, 10)); bar.tick() }',
} as const;
export const PROGRESS_BARS: Record<keyof typeof PROGRESS_CELLS, { label: string; total: number }[]> = {
  setup: [],
  capture: [{ label: 'capture', total: 232 }],
  two: [
    { label: 'meanNll', total: 40 },
    { label: 'working-language', total: 40 },
  ],
  loop: [{ label: 'loop', total: 40 }],
};

export function writeProgressNotebook(): string {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-progress-nb-'));
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'babelscope', display_name: 'TypeScript (Babelscope)', language: 'typescript' } },
    cells: Object.entries(PROGRESS_CELLS).map(([id, source]) => ({ cell_type: 'code', id, metadata: {}, execution_count: null, outputs: [], source })),
  };
  const path = join(dir, 'progress.ipynb');
  writeFileSync(path, JSON.stringify(nb, null, 1));
  return path;
}

/** A saved notebook keeps one output per progress bar (updates replaced it), in its final state, with its text and HTML fallbacks. */
export function checkProgressOutputs(cells: { id?: string; outputs?: Output[] }[], assert: typeof import('node:assert/strict')): void {
  for (const [id, expected] of Object.entries(PROGRESS_BARS)) {
    const outputs = cells.find((c) => c.id === id)?.outputs ?? [];
    assert.ok(!outputs.some((o) => o.output_type === 'error'), `cell ${id} ran: ${JSON.stringify(outputs).slice(0, 500)}`);
    const shown = outputs.filter((o) => o.data?.['application/vnd.babelscope.progress+json']);
    assert.deepEqual(
      shown.map((o) => {
        const p = o.data!['application/vnd.babelscope.progress+json'] as { label: string; total: number; done: number; state: string };
        return { label: p.label, total: p.total, done: p.done, state: p.state };
      }),
      expected.map((e) => ({ ...e, done: e.total, state: 'done' })),
      `cell ${id}`,
    );
    for (const o of shown) {
      assert.match(joined(o.data!['text/plain']), /\d+\/\d+ \[=+\] 100%.*done in \d+:\d\d$/);
      assert.match(joined(o.data!['text/html']), /^<div class="babelscope-progress" data-state="done"><progress value="(\d+)" max="\1"/);
      assert.equal((o as { transient?: unknown }).transient, undefined, 'nbformat has no transient field');
    }
  }
}
