/** Cell compilation: persistent top-level declarations, imports, the last expression, and positions back to TypeScript. */
import assert from 'node:assert/strict';
import { Script } from 'node:vm';
import { it } from 'node:test';
import { CellSyntaxError, compileCell, HELPER } from '../../../src/main/kernel/compile.js';

const g = globalThis as Record<string, unknown>;
g[HELPER] = {
  import: (s: string) => import(s),
  resume: <T>(_id: number, v: T) => v,
  declare: (names: string[]) => names.forEach((n) => (n in g ? undefined : (g[n] = undefined))),
};
const run = (src: string, id = 1) => new Script(compileCell(src, `c${id}.ts`, id).code).runInThisContext() as Promise<unknown>;

it('top-level declarations persist and can be declared again', async () => {
  assert.equal(await run('const cA: number = 1, { cB, cC: [cD] } = { cB: 2, cC: [3] }\ncA + cB + cD'), 6);
  assert.equal(await run('const cA = "again"; let cE; cA'), 'again');
  assert.equal(g['cE'], undefined);
  assert.equal(await run('enum Colour { Red, Green }\nclass Box<T> { constructor(readonly v: T) {} }\nfunction unbox<T>(b: Box<T>): T { return b.v }\nunbox(new Box(Colour.Green))'), 1);
  assert.equal(await run('unbox(new Box("x"))'), 'x');
});

it('returns the last expression, including one that starts with await, and not a declaration', async () => {
  assert.equal(await run('await Promise.resolve(41) + 1'), 42);
  assert.equal(await run('const cF = 1'), undefined);
  assert.deepEqual(await run('const cG = await Promise.resolve({ cH: 2 });\nconst { cH } = cG;\n({ cH, twice: cH * 2 })'), { cH: 2, twice: 4 });
  assert.deepEqual(await run('const cI = [await Promise.resolve(1), await Promise.resolve(2)], cJ = await Promise.resolve(3);\n[...cI, cJ]'), [1, 2, 3]);
  assert.equal(await run('import { join } from "node:path"\nimport * as cPath from "node:path"\ncPath.basename(join("a", "b.ts"))'), 'b.ts');
});

it('maps generated positions to the TypeScript line and column', () => {
  const src = 'interface P { a: number }\nconst p: P = { a: 1 }\n\nthrow new Error("x" + p.a)';
  const c = compileCell(src, 'c.ts');
  const lines = c.code.split('\n');
  const line = lines.findIndex((l) => l.includes('throw new Error')) + 1;
  const column = lines[line - 1]!.indexOf('new Error') + 1;
  assert.deepEqual(c.originalPosition(line, column), { line: 4, column: 7 });
});

it('reports TypeScript syntax errors with their position', () => {
  assert.throws(
    () => compileCell('const ok = 1\nconst bad: number = ;', 'c.ts'),
    (e: unknown) => e instanceof CellSyntaxError && e.position?.line === 2 && e.position.column === 21 && e.lineText === 'const bad: number = ;',
  );
});
