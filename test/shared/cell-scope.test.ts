/**
 * Cells scoped like a notebook in the TypeScript worker: Monaco's own worker class and TypeScript
 * (the very modules the browser loads), with our scope mixed in, over in-memory cell models, the real
 * `babelscope` declarations (dist/babelscope.d.ts, dist/babelscope-plots.d.ts, as the backend serves them) and Node's as the backend serves them (`node.types`).
 * The Chromium side is in test/e2e/cell-scope.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CELL_COMPILER_OPTIONS,
  CELL_ORDER_LIB,
  CELL_URI_PREFIX,
  KERNEL_GLOBALS,
  KERNEL_GLOBALS_PATH,
  NODE_GLOBALS_FALLBACK,
  NODE_GLOBALS_FALLBACK_PATH,
  cellOrderLib,
  topLevelDeclarations,
  type TsApi,
} from '../../src/shared/cell-scope.js';
import { cellScopedWorker, type DisplayPart, type MonacoTsWorker, type WorkerClass, type WorkerDiagnostic } from '../../src/shared/cell-scope-worker.js';
import { apiTypes } from '../../src/main/server/api-types.js';
import { nodeTypes } from '../../src/main/server/node-types.js';

// Specifiers in variables: Monaco ships these modules without declarations.
const TS_SERVICES = 'monaco-editor/languages/features/typescript/lib/typescriptServices.js';
const TS_WORKER = 'monaco-editor/languages/features/typescript/tsWorker.js';
const { typescript } = (await import(TS_SERVICES)) as { typescript: TsApi };
const { TypeScriptWorker } = (await import(TS_WORKER)) as { TypeScriptWorker: WorkerClass };
const CellWorker = cellScopedWorker(TypeScriptWorker, typescript);
const apiLibs = Object.fromEntries((await apiTypes()).files.map((f) => [f.path, { content: f.text, version: 1 }]));
const nodeLibs = Object.fromEntries((await nodeTypes()).files.map((f) => [f.path, { content: f.text, version: 1 }]));

interface MirrorModel {
  uri: { path: string; toString(): string };
  version: number;
  text: string;
  getValue(): string;
}

/** A notebook's code cells as the worker sees them: mirror models plus the order lib, as the page keeps them. */
class Cells {
  private readonly models = new Map<string, MirrorModel>();
  private readonly libs: Record<string, { content: string; version: number }> = {
    [KERNEL_GLOBALS_PATH]: { content: KERNEL_GLOBALS, version: 1 },
    ...apiLibs,
  };
  readonly worker: MonacoTsWorker & { updateExtraLibs(libs: unknown): Promise<void> };

  /** `node`: Node's declarations as the page adds them, or the fallback it adds when the backend has none. */
  constructor(cells: [id: string, text: string][], node: 'types' | 'fallback' = 'types') {
    Object.assign(this.libs, node === 'types' ? nodeLibs : { [NODE_GLOBALS_FALLBACK_PATH]: { content: NODE_GLOBALS_FALLBACK, version: 1 } });
    const ctx = { getMirrorModels: () => [...this.models.values()] };
    this.worker = new CellWorker(ctx, { compilerOptions: CELL_COMPILER_OPTIONS, extraLibs: this.libs, inlayHintsOptions: {} }) as unknown as Cells['worker'];
    this.set(cells);
  }

  /** Sets the cells (in this order) and their texts; a changed text is a new version, as in Monaco. */
  set(cells: [id: string, text: string][]): void {
    for (const [id, text] of cells) {
      const file = Cells.file(id);
      const old = this.models.get(file);
      if (old && old.text === text) continue;
      this.models.set(file, { uri: { path: `/cells/${id}.ts`, toString: () => file }, version: (old?.version ?? 0) + 1, text, getValue: () => text });
    }
    const content = cellOrderLib(cells.map(([id]) => Cells.file(id)));
    const old = this.libs[CELL_ORDER_LIB];
    if (old?.content !== content) this.libs[CELL_ORDER_LIB] = { content, version: (old?.version ?? 0) + 1 };
    void this.worker.updateExtraLibs({ ...this.libs });
  }

  static file(id: string): string {
    return `${CELL_URI_PREFIX}${id}.ts`;
  }

  text(id: string): string {
    return this.models.get(Cells.file(id))!.text;
  }

  /** Every diagnostic of a cell: syntax, semantics, suggestions. */
  async diagnostics(id: string): Promise<WorkerDiagnostic[]> {
    const f = Cells.file(id);
    return [...(await this.worker.getSyntacticDiagnostics(f)), ...(await this.worker.getSemanticDiagnostics(f)), ...(await this.worker.getSuggestionDiagnostics(f))];
  }

  async errors(id: string): Promise<string[]> {
    return (await this.worker.getSyntacticDiagnostics(Cells.file(id))).concat(await this.worker.getSemanticDiagnostics(Cells.file(id))).map((d) => `${d.code} ${message(d)}`);
  }

  /** Completion entries at the first `|` of `probe` written into the cell (the cell's text is replaced). */
  async completions(id: string, probe: string, cells: [string, string][]): Promise<Map<string, string>> {
    const at = probe.indexOf('|');
    this.set(cells.map(([i, t]) => [i, i === id ? probe.replace('|', '') : t]));
    const info = await this.worker.getCompletionsAtPosition(Cells.file(id), at);
    return new Map((info?.entries ?? []).map((e) => [e.name, e.kind]));
  }

  async hover(id: string, word: string): Promise<string> {
    const info = await this.worker.getQuickInfoAtPosition(Cells.file(id), this.text(id).lastIndexOf(word));
    return (info?.displayParts ?? []).map((p: DisplayPart) => p.text).join('');
  }
}

const message = (d: WorkerDiagnostic) => (typeof d.messageText === 'string' ? d.messageText : d.messageText.messageText);

describe('cells scoped like a notebook (Monaco’s TypeScript worker)', () => {
  it('finds the names a cell declares at its top level, with their kinds', () => {
    const decls = topLevelDeclarations(
      typescript,
      [
        "import * as bs from 'babelscope'",
        "import def, { a as b, type T } from './x'",
        'const x = 1, { y, z: [w] } = { y: 2, z: [3] }',
        'let l = 0; var v = 0',
        'function f() {}',
        'class C {}',
        'interface I {}',
        'type U = number',
        'enum E { A }',
        'namespace N {}',
        'export const e = 1',
        'export default function d() {}',
        'declare global { const g: number }',
        "declare module 'm' {}",
        'for (const inner of []) {}',
        'x + 1',
      ].join('\n'),
    );
    assert.deepEqual(
      decls.map((d) => `${d.name}:${d.kind}${d.exported ? ':exported' : ''}`),
      ['bs:alias', 'def:alias', 'b:alias', 'T:alias', 'x:const', 'y:const', 'w:const', 'l:let', 'v:var', 'f:function', 'C:class', 'I:interface', 'U:type', 'E:enum', 'N:module', 'e:const:exported'],
    );
  });

  it('a cell sees the cells above it and not those below; moving a cell flips it', async () => {
    const cells: [string, string][] = [
      ['one', 'const x: number = 41\nlater'],
      ['two', 'const later = "b"\nx + 1'],
    ];
    const nb = new Cells(cells);
    assert.deepEqual(await nb.errors('one'), ["2304 Cannot find name 'later'."]);
    assert.deepEqual(await nb.errors('two'), []);
    assert.ok(!(await nb.completions('one', 'const x: number = 41\nla|', cells)).has('later'), 'a name from the cell below is not offered');
    assert.equal((await nb.completions('two', 'const later = "b"\nx|', cells)).get('x'), 'var', 'a name from the cell above is offered as a variable');
    nb.set(cells);
    assert.equal(await nb.hover('two', 'x'), 'const x: number');

    // Cell two above cell one: now `later` is known in one, and `x` unknown in two.
    nb.set([cells[1]!, cells[0]!]);
    assert.deepEqual(await nb.errors('one'), []);
    assert.deepEqual(await nb.errors('two'), ["2304 Cannot find name 'x'."]);
    assert.equal((await nb.completions('one', 'const x: number = 41\nla|', [cells[1]!, cells[0]!])).get('later'), 'var');
  });

  it('an edit to a cell changes what the cells below it see', async () => {
    const nb = new Cells([
      ['top', 'const beta = "b"'],
      ['below', 'beta.length'],
    ]);
    assert.deepEqual(await nb.errors('below'), []);
    nb.set([
      ['top', 'const renamed = "b"'],
      ['below', 'beta.length'],
    ]);
    assert.deepEqual(await nb.errors('below'), ["2304 Cannot find name 'beta'."]);
  });

  it('declaring a name again in a later cell is no error, and the later declaration wins', async () => {
    const nb = new Cells([
      ['a', 'const x = 1\nlet n = 0\nfunction f(a: number) { return a * 2 }'],
      ['b', 'const x = "now a string"\nn = 5\nn++\nfunction f(s: string) { return s }'],
      ['c', 'x.toUpperCase()\nf("s").length'],
      ['d', 'x = "again"\nf = () => ""'],
    ]);
    for (const id of ['a', 'b', 'c']) assert.deepEqual(await nb.diagnostics(id), [], `cell ${id}`);
    assert.equal(await nb.hover('c', 'x'), 'const x: "now a string"');
    assert.equal(await nb.hover('c', 'f'), 'function f(s: string): string');
    const details = await nb.worker.getCompletionEntryDetails(Cells.file('c'), nb.text('c').lastIndexOf('f'), 'f');
    assert.equal(details?.displayParts.map((p) => p.text).join(''), 'function f(s: string): string');
    // Assigning to an inherited const or function is an error, said as TypeScript says it in one file.
    assert.deepEqual(await nb.errors('d'), ["2588 Cannot assign to 'x' because it is a constant.", "2630 Cannot assign to 'f' because it is a function."]);
  });

  it('knows the babelscope API, the kernel globals and top-level await, and what an earlier cell imported', async () => {
    const nb = new Cells([
      ['imp', "import * as bs from 'babelscope'\nconst langs = ['eng', 'rus']"],
      ['use', 'const m = await bs.openModel("folder")\ndisplay(langs.length)\nconsole.log(m)\nprocess.stdout.write("x")\nconst bar = progress("texts", 2)\nbar.signal.throwIfAborted()\nbar.tick()'],
    ]);
    assert.deepEqual(await nb.errors('imp'), []);
    assert.deepEqual(await nb.errors('use'), []);
    assert.equal(await nb.hover('use', 'm)'), 'const m: bs.Model');
    const entries = await nb.completions('use', 'bs.open|', [['imp', nb.text('imp')], ['use', '']]);
    assert.equal(entries.get('openModel'), 'function');
  });

  it('knows babelscope/plots, and the root has no plot builders or engine internals', async () => {
    const nb = new Cells([
      ['imp', "import { openModel } from 'babelscope'\nimport { layerLines, FONT } from 'babelscope/plots'"],
      ['use', 'const fig = layerLines({ series: [{ name: "eng", values: [0.1] }], yTitle: "mass" })\nconst size: number = FONT.size\nconsole.log(fig.data.length, size, openModel)'],
      ['root', "import { layerLines, ForwardRequest } from 'babelscope'"],
    ]);
    assert.deepEqual(await nb.errors('imp'), []);
    assert.deepEqual(await nb.errors('use'), []);
    const root = await nb.errors('root');
    assert.equal(root.length, 2, root.join('\n'));
    assert.ok(root.every((e) => e.startsWith('2305 ')), root.join('\n'));
  });

  it('cells run in Node: its globals and node: modules are known, real type errors still marked', async () => {
    const cells: [string, string][] = [
      [
        'node',
        [
          "import { readFileSync } from 'node:fs'",
          "import { join } from 'node:path'",
          "import * as os from 'node:os'",
          'const res = await fetch(new URL("https://example.org/data.json"))',
          'const body: unknown = await res.json()',
          'const t0 = performance.now()',
          'const bytes = Buffer.from("Привет", "utf8").toString("hex")',
          'const encoded: Uint8Array = new TextEncoder().encode("x")',
          'const copy = structuredClone({ a: [1] })',
          'const ac = new AbortController()',
          'ac.signal.throwIfAborted()',
          'const text: string = readFileSync(join(os.homedir(), "notes.txt"), "utf8")',
          'console.log(text.length, bytes, copy.a, encoded.length, body, performance.now() - t0, process.memoryUsage().rss)',
          'setTimeout(() => clearInterval(setInterval(() => {}, 10)), 5)',
        ].join('\n'),
      ],
      ['later', 'readFileSync(join("a", "b"), "utf8").trim()\nconst n: number = "x"'],
    ];
    const nb = new Cells(cells);
    assert.deepEqual(await nb.errors('node'), []);
    assert.deepEqual(await nb.errors('later'), ["2322 Type 'string' is not assignable to type 'number'."]);
    assert.match(await nb.hover('node', 'readFileSync('), /^\(alias\) readFileSync\(path: PathOrFileDescriptor, [^]*\): string \(\+2 overloads\)/);
    assert.equal((await nb.completions('later', "import { readFileS| } from 'node:fs'", cells)).get('readFileSync'), 'function');
    assert.equal((await nb.completions('later', "import * as fs from 'node:fs/promises'\nfs.readF|", cells)).get('readFile'), 'function');
    // What the kernel runs is no error: untyped parameters, as in the demo notebooks (`(r) => r.step`).
    nb.set([['untyped', 'const mean = (a) => a.reduce((x, y) => x + (y ?? 0), 0) / a.length\nconst rows = []\nfor (const r of [1, 2]) rows.push({ r })\nfunction f(x, y) { return x + y }\nmean([f(1, 2)])']]);
    assert.deepEqual(await nb.errors('untyped'), []);
    // The kernel's own globals still sit beside Node's (progress's signal is Node's AbortSignal).
    nb.set([['k', 'const bar = progress("x", 1)\nbar.signal.throwIfAborted()\nconst r: unknown = bar.signal.reason\ndisplay(r)']]);
    assert.deepEqual(await nb.errors('k'), []);
  });

  it('Node’s declarations and the kernel’s compile together without errors', async () => {
    const nb = new Cells([['empty', '']]);
    const libs = [KERNEL_GLOBALS_PATH, ...Object.keys(nodeLibs)];
    for (const lib of libs) assert.deepEqual((await nb.worker.getSemanticDiagnostics(lib)).map(message), [], lib);
    assert.ok(libs.some((l) => l.endsWith('/undici-types/fetch.d.ts')), 'undici-types is served (Node’s fetch types import it)');
    assert.ok(!libs.some((l) => l.includes('/ts5.6/')), 'not the declarations for older TypeScript versions');
  });

  it('without Node’s declarations (the backend could not serve them) the fallback knows the common globals', async () => {
    const nb = new Cells([['c', 'console.log(process.env["HOME"])\nsetTimeout(() => {}, 1)\nprogress().signal.throwIfAborted()\nBuffer.from("x")']], 'fallback');
    assert.deepEqual(await nb.errors('c'), ["2580 Cannot find name 'Buffer'. Do you need to install type definitions for node? Try `npm i --save-dev @types/node`."]);
  });

  it('types flow from one cell to the next (interfaces, classes, inferred values)', async () => {
    const nb = new Cells([
      ['t', 'interface Row { lang: string; n: number }\nclass Box { constructor(readonly v: number) {} }'],
      ['v', 'const rows: Row[] = [{ lang: "eng", n: 1 }]\nconst box = new Box(3)'],
      ['w', 'rows[0]!.lang.toUpperCase() + box.v.toFixed(1)\nconst bad: Row = { lang: 1, n: 2 }'],
    ]);
    assert.deepEqual(await nb.errors('w'), ["2322 Type 'number' is not assignable to type 'string'."]);
  });

  it('an unfinished statement at the end of a cell is reported at its end; members still complete there', async () => {
    const cells: [string, string][] = [
      ['p', 'const point = { x: 1, y: 2 }'],
      ['q', 'const total = '],
    ];
    const nb = new Cells(cells);
    const [d] = await nb.worker.getSyntacticDiagnostics(Cells.file('q'));
    assert.equal(d?.start, nb.text('q').length);
    assert.equal(message(d!), 'Expression expected.');
    const entries = await nb.completions('q', 'point.|', cells);
    assert.deepEqual([...entries.keys()].sort(), ['x', 'y']);
  });

  it('go to definition, references and highlights stay in the cells’ own text', async () => {
    const nb = new Cells([
      ['def', 'function area(r: number) { return 3.14 * r * r }'],
      ['use', 'area(2) + area(3)'],
    ]);
    const defs = await nb.worker.getDefinitionAtPosition(Cells.file('use'), 1);
    assert.deepEqual(
      defs?.map((d) => [d.fileName, nb.text('def').slice(d.textSpan.start, d.textSpan.start + d.textSpan.length)]),
      [[Cells.file('def'), 'area']],
    );
    const refs = (await nb.worker.getReferencesAtPosition(Cells.file('def'), 'function a'.length)) ?? [];
    const ownLength = (f: string) => nb.text(f.slice(CELL_URI_PREFIX.length, -3)).length;
    assert.ok(refs.length >= 3, `the declaration and both uses: ${refs.length}`);
    for (const r of refs) assert.ok(r.textSpan.start + r.textSpan.length <= ownLength(r.fileName), `${r.fileName} ${r.textSpan.start}`);
    const outline = await nb.worker.getNavigationTree(Cells.file('use'));
    assert.deepEqual(outline?.childItems ?? [], [], 'the tail’s import is not in the outline');
  });
});
