/** The kernel process driven through the Node client: state, imports, outputs, errors, interrupt, death, restart. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CellOutput, KernelDeath } from '../../../src/shared/kernel-types.js';
import { KernelClient } from '../../../src/main/kernel/client.js';
import { writeNotebookPackages } from '../../helpers/notebooks.js';

const text = (outs: readonly CellOutput[], name = 'stdout') => outs.filter((o) => o.output_type === 'stream' && o.name === name).map((o) => (o as { text: string }).text).join('');
const result = (outs: readonly CellOutput[]) => outs.find((o) => o.output_type === 'execute_result') as { data: Record<string, unknown> } | undefined;

describe('kernel through the Node client', () => {
  let kernel: KernelClient;
  let dir: string;
  before(async () => {
    // A notebook folder with its own npm packages: one ESM-only, one CommonJS.
    dir = mkdtempSync(join(tmpdir(), 'babelscope-nb-'));
    writeNotebookPackages(dir);
    writeFileSync(join(dir, 'helper.js'), 'export const fromFolder = "next to the notebook";');
    kernel = await KernelClient.start({ cwd: dir });
  });
  after(() => kernel.shutdown());

  const run = async (code: string) => {
    const h = kernel.execute(code);
    const outcome = await h.done;
    return { outcome, outputs: h.outputs };
  };

  it('keeps state, and re-running or redeclaring const works', async () => {
    assert.equal((await run('const x: number = 1')).outcome.status, 'ok');
    assert.equal((await run('const x: number = 1')).outcome.status, 'ok');
    const r = await run('const x = "now a string"; let y = x.length; y');
    assert.equal(r.outcome.status, 'ok');
    assert.equal(result(r.outputs)?.data['text/plain'], '12');
  });

  it('runs type annotations, interfaces and generics, and top-level await', async () => {
    const r = await run('interface P { a: number }\nfunction id<T>(t: T): T { return t }\nconst p: P = id<P>({ a: await Promise.resolve(7) })\np.a * 6');
    assert.equal(result(r.outputs)?.data['text/plain'], '42');
    assert.equal(result((await run('id(3) + p.a')).outputs)?.data['text/plain'], '10', 'functions and values persist');
  });

  it('imports node built-ins, ESM and CommonJS packages and files from the notebook folder', async () => {
    const r = await run(
      'import { join } from "node:path";\nimport os from "os";\nimport esm, { twice } from "esm-only";\nimport { add } from "cjs-pkg";\nimport { fromFolder } from "./helper.js";\n[join("a", "b"), typeof os.cpus, esm, twice(add(1, 2)), fromFolder]',
    );
    assert.equal(r.outcome.status, 'ok', JSON.stringify(r.outputs));
    assert.equal(result(r.outputs)?.data['text/plain'], "[ 'a/b', 'function', 'esm default', 6, 'next to the notebook' ]");
    assert.equal(result((await run('twice(5)')).outputs)?.data['text/plain'], '10', 'imports persist to later cells');
    assert.equal(result((await run('require("cjs-pkg").add(2, 3)')).outputs)?.data['text/plain'], '5', 'require() resolves from the notebook folder');
  });

  it('streams console.log while the cell runs, console.error as stderr', async () => {
    const h = kernel.execute('console.log("first"); console.error("oops"); await new Promise((r) => setTimeout(r, 400)); console.log("second")');
    const firstAt = await new Promise<number>((resolve) => h.onOutput((o) => o.output_type === 'stream' && o.text.includes('first') && resolve(Date.now())));
    const outcome = await h.done;
    const doneAt = Date.now();
    assert.equal(outcome.status, 'ok');
    assert.ok(doneAt - firstAt >= 300, `first line arrived ${doneAt - firstAt} ms before the end`);
    assert.equal(text(h.outputs), 'first\nsecond\n');
    assert.equal(text(h.outputs, 'stderr'), 'oops\n');
  });

  it('reports errors at the TypeScript line and column of the cell', async () => {
    const r = await run('type T = { a: number }\nconst t: T = { a: 1 }\n\nfunction f(): never {\n  throw new RangeError("bad " + t.a)\n}\nf()');
    assert.equal(r.outcome.status, 'error');
    assert.equal(r.outcome.error?.ename, 'RangeError');
    assert.equal(r.outcome.error?.evalue, 'bad 1');
    assert.match(r.outcome.error!.traceback.join('\n'), /line 5, column 9/);
    const s = await run('const ok = 1\nconst broken: number = ;');
    assert.equal(s.outcome.error?.ename, 'SyntaxError');
    assert.match(s.outcome.error!.evalue, /line 2, column 24/);
  });

  it('displays rich outputs', async () => {
    const r = await run(
      'display({ [Symbol.for("Jupyter.display")]() { return { "text/markdown": "# hi" } } });\ndisplay.html("<b>b</b>");\ndisplay({ data: [{ type: "bar", x: [1], y: [2] }], layout: { title: "t" } });\n[{ lang: "eng", n: 1 }, { lang: "rus", n: 2 }]',
    );
    const displays = r.outputs.filter((o) => o.output_type === 'display_data') as { data: Record<string, unknown> }[];
    assert.equal(displays[0]!.data['text/markdown'], '# hi');
    assert.equal(displays[1]!.data['text/html'], '<b>b</b>');
    assert.deepEqual((displays[2]!.data['application/vnd.plotly.v1+json'] as { layout: unknown }).layout, { title: 't' });
    assert.match(String(result(r.outputs)?.data['text/html']), /<th>lang<\/th><th>n<\/th>.*<td>rus<\/td><td>2<\/td>/);
  });

  it('completes, inspects and checks completeness', async () => {
    await run('const babelWords = ["a"]');
    assert.ok((await kernel.complete('babelW')).matches.includes('babelWords'));
    assert.ok((await kernel.complete('babelWords.pu')).matches.includes('push'));
    assert.equal((await kernel.inspect('babelWords')).found, true);
    assert.equal((await kernel.isComplete('for (let i = 0; i < 3; i++) {')).status, 'incomplete');
    assert.equal((await kernel.isComplete('1 + 1')).status, 'complete');
  });

  it('interrupts a synchronous infinite loop, an async one and one in a timer callback, keeping earlier state', async () => {
    await run('const kept = "still here"');
    const loops = [
      'let spins = 0; while (true) { spins++ }',
      'while (true) { await new Promise((r) => setTimeout(r, 10)) }',
      'setTimeout(() => { while (true) {} }, 10); await new Promise((r) => setTimeout(r, 60_000))',
    ];
    for (const loop of loops) {
      const h = kernel.execute(loop);
      setTimeout(() => void kernel.interrupt(), 300);
      const outcome = await h.done;
      assert.equal(outcome.status, 'error');
      assert.equal(outcome.error?.ename, 'Interrupted');
      assert.equal(result((await run('kept')).outputs)?.data['text/plain'], "'still here'");
    }
  });

  it('reports a kernel that dies and restarts a fresh one', async () => {
    const died = new Promise<KernelDeath>((resolve) => kernel.onDied(resolve));
    const r = await run('process.exit(3)');
    assert.equal(r.outcome.status, 'died');
    assert.equal((await died).exitCode, 3);
    assert.match((await died).message, /exit code 3/);
    assert.equal(kernel.status, 'dead');
    await kernel.restart();
    assert.equal(result((await run('typeof kept')).outputs)?.data['text/plain'], "'undefined'");
  });
});

it('reports a kernel that runs out of memory as such', async () => {
  const kernel = await KernelClient.start({ nodeArgs: ['--max-old-space-size=48'] });
  try {
    const died = new Promise<KernelDeath>((resolve) => kernel.onDied(resolve));
    const outcome = await kernel.execute('const hog: number[][] = []\nwhile (true) hog.push(new Array(1e6).fill(1))').done;
    assert.equal(outcome.status, 'died');
    assert.match((await died).message, /ran out of memory/);
    assert.match(outcome.error!.evalue, /ran out of memory/);
  } finally {
    await kernel.shutdown();
  }
});
