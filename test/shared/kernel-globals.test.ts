/**
 * The kernel's cell globals are declared once (CellGlobals, src/shared/cell-globals.ts): the editor's
 * declarations (KERNEL_GLOBALS) are generated from it and must be up to date; the kernel's implementation
 * is typed by it (a compile error otherwise, see src/main/kernel/executor.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, it } from 'node:test';
import ts from 'typescript';
import type { CellGlobals } from '../../src/shared/cell-globals.js';
import { KERNEL_GLOBALS } from '../../src/shared/cell-scope.js';
import { repoRoot } from '../helpers/paths.js';

interface Generator {
  SOURCE: string;
  TARGET: string;
  kernelGlobalsDeclarations(source: string): string;
  kernelGlobalsModule(source: string): string;
}
const gen = (await import(pathToFileURL(join(repoRoot, 'scripts', 'gen-kernel-globals.mjs')).href)) as Generator;
const source = readFileSync(join(repoRoot, gen.SOURCE), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'kernel-globals-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The names a declaration text declares at its top level, with `const` or `function`. */
function declared(text: string): string[] {
  const sf = ts.createSourceFile('globals.d.ts', text, ts.ScriptTarget.Latest, true);
  return sf.statements.flatMap((s) => {
    if (ts.isVariableStatement(s)) return s.declarationList.declarations.map((d) => `const ${d.name.getText(sf)}`);
    if (ts.isFunctionDeclaration(s) && s.name) return [`function ${s.name.text}`];
    return [`other ${ts.SyntaxKind[s.kind]}`];
  });
}

it('the generated declarations are up to date (node scripts/gen-kernel-globals.mjs)', () => {
  assert.equal(readFileSync(join(repoRoot, gen.TARGET), 'utf8'), gen.kernelGlobalsModule(source), `${gen.TARGET} is out of date: run node scripts/gen-kernel-globals.mjs`);
  assert.equal(KERNEL_GLOBALS, gen.kernelGlobalsDeclarations(source));
});

it('declares each member of CellGlobals and nothing else, with its doc comment', () => {
  // A new member of CellGlobals without an entry here fails to compile.
  const members: Record<keyof CellGlobals, string> = { display: 'const display', progress: 'function progress' };
  assert.deepEqual(declared(KERNEL_GLOBALS).sort(), Object.values(members).sort());
  assert.match(KERNEL_GLOBALS, /\/\*\* Shows a value as rich output[^]*\*\/\ndeclare const display: \(\(value: unknown\) => void\) & \{\n  text\(s: string\): void;/);
  assert.match(KERNEL_GLOBALS, /\n \* A progress bar under the cell[^]*\*\/\ndeclare function progress\(label\?: string, total\?: number\): \{\n  \/\*\* Aborted/);
  const check = ts.transpileModule(KERNEL_GLOBALS, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022 } });
  assert.deepEqual(check.diagnostics?.map((d) => d.messageText), [], 'the declarations parse');
});

it('the generator keeps backticks and ${ in doc comments, and refuses members it cannot declare', async () => {
  const odd = 'export interface CellGlobals {\n  /** Shows `x` and ${y} and a \\ backslash. */\n  shout(s: string): string;\n  level: number;\n}\n';
  const file = join(tmp, 'odd.mjs');
  writeFileSync(file, gen.kernelGlobalsModule(odd));
  const { KERNEL_GLOBALS: text } = (await import(pathToFileURL(file).href)) as { KERNEL_GLOBALS: string };
  assert.equal(text, '\n/** Shows `x` and ${y} and a \\ backslash. */\ndeclare function shout(s: string): string;\ndeclare const level: number;\n');
  assert.throws(() => gen.kernelGlobalsDeclarations('export interface CellGlobals {\n  maybe?: number;\n}\n'), /CellGlobals\.maybe must be a required property/);
  assert.throws(() => gen.kernelGlobalsDeclarations('export interface Other {}\n'), /declares no interface CellGlobals/);
});
