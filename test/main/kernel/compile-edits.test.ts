/** Cell rewriting where edits meet: `const x = await f();` and a parenthesized last expression. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compileCell } from '../../../src/main/kernel/compile.js';

/** Runs a compiled cell with a stand-in helper; returns its value and the globals it set. */
async function run(source: string): Promise<{ value: unknown; globals: Record<string, unknown> }> {
  const names: string[] = [];
  const helper = { declare: (n: string[]) => names.push(...n), resume: (_id: number, v: unknown) => v, import: async () => ({}) };
  const g = globalThis as Record<string, unknown>;
  g['__babelscope'] = helper;
  g['f'] = async (x: number) => x * 2;
  try {
    const value = await (0, eval)(compileCell(source, 'cell.ts', 1).code);
    return { value, globals: Object.fromEntries(names.map((n) => [n, g[n]])) };
  } finally {
    for (const n of ['__babelscope', 'f', ...names]) delete g[n];
  }
}

it('a declaration initialised by await ends after the await wrapper', async () => {
  assert.deepEqual((await run('const a = await f(2);')).globals, { a: 4 });
  assert.deepEqual((await run('const { length } = String(await f(5));')).globals, { length: 2 });
  assert.deepEqual((await run('const a = 1, b = await f(a);\nb')).value, 2);
});

it('a parenthesized last expression is the cell value', async () => {
  assert.deepEqual((await run('const a = await f(1);\n({ a, b: 3 })')).value, { a: 2, b: 3 });
  assert.equal((await run('(await f(4))')).value, 8);
});
