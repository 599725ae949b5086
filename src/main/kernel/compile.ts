/**
 * Turns a TypeScript cell into JavaScript that runs with state shared across cells:
 * esbuild strips the types, then the top-level statements are rewritten so that
 * - `const`/`let`/`var`/`class`/`function` declarations become properties of the global object
 *   (re-running a cell that declares `const x`, or redeclaring `x` in a later cell, just reassigns it);
 * - static `import`s become `await __babelscope.import(spec)` resolved from the notebook's folder;
 * - the body runs inside an async function (top-level await) that returns the last expression's value.
 * Edits are recorded so a position in the generated code maps back to the cell's TypeScript.
 */
import { SourceMap } from 'node:module';
import { parse, type Node as AcornNode } from 'acorn';
import { recursive as walkRecursive, simple as walkSimple } from 'acorn-walk';
import { transformSync, type TransformFailure } from 'esbuild';

/** The kernel's helper object, visible to cells as a global. */
export const HELPER = '__babelscope';

export interface SourcePosition {
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

export class CellSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: SourcePosition | undefined,
    readonly lineText: string | undefined,
  ) {
    super(message);
    this.name = 'SyntaxError';
  }
}

export interface CompiledCell {
  code: string;
  /** Generated 1-based line/column → the cell's TypeScript line/column (undefined inside kernel-inserted code). */
  originalPosition(line: number, column: number): SourcePosition | undefined;
}

interface Edit {
  start: number;
  end: number;
  text: string;
  /** Among edits at the same position: lower goes first (the wrapper's opening before everything). */
  order?: number;
}

type N = AcornNode & Record<string, any>;

/** `cellId` tags the cell's top-level awaits, so an interrupted cell stops when one resumes. */
export function compileCell(source: string, filename: string, cellId = 0): CompiledCell {
  let js: string;
  let map: SourceMap;
  try {
    const out = transformSync(source, {
      loader: 'ts',
      target: 'es2022',
      sourcemap: 'external',
      sourcefile: filename,
      // Keep every import (a cell may import something it only uses in a later cell); `import type` still goes.
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
    });
    js = out.code;
    map = new SourceMap(JSON.parse(out.map));
  } catch (e) {
    const first = (e as TransformFailure).errors?.[0];
    if (!first) throw e;
    const loc = first.location;
    throw new CellSyntaxError(first.text, loc ? { line: loc.line, column: loc.column + 1 } : undefined, loc?.lineText);
  }

  let ast: N;
  try {
    ast = parse(js, { ecmaVersion: 'latest', sourceType: 'module', allowAwaitOutsideFunction: true }) as N;
  } catch (e) {
    // esbuild accepted it, so this is rare (e.g. syntax acorn does not know yet): report at the cell level.
    throw new CellSyntaxError((e as Error).message, undefined, undefined);
  }

  const edits: Edit[] = [];
  const names = new Set<string>();
  const hoisted: string[] = [];
  const body = ast['body'] as N[];

  for (const stmt of body) rewriteTopLevel(stmt, js, edits, names, hoisted);
  walkSimple(ast, {
    ImportExpression(node) {
      edits.push({ start: node.start, end: node.start + 'import'.length, text: `${HELPER}.import` });
    },
    MetaProperty(node) {
      const n = node as N;
      if (n['meta'].name === 'import') edits.push({ start: n.start, end: n.end, text: `${HELPER}.importMeta` });
    },
  });

  // Awaits outside any function run only for this execution: after an interrupt they throw on resuming.
  const skipFunction = () => undefined;
  walkRecursive(ast, null, {
    FunctionDeclaration: skipFunction,
    FunctionExpression: skipFunction,
    ArrowFunctionExpression: skipFunction,
    AwaitExpression(node, state, c) {
      edits.push({ start: node.start, end: node.start, text: `${HELPER}.resume(${cellId}, ` });
      // Before a replacement starting here (the `);` that ends a rewritten declaration).
      edits.push({ start: node.end, end: node.end, text: ')', order: -0.25 });
      c((node as N)['argument'], state);
    },
  });

  const last = [...body].reverse().find((s) => s.type !== 'EmptyStatement');
  if (last?.type === 'ExpressionStatement' && !last['directive']) {
    // The statement, not its expression: `({ a })` starts with a parenthesis the expression node excludes.
    // Before any other insertion at the same place (e.g. the resume( of an await that starts the expression).
    const end = js[last.end - 1] === ';' ? last.end - 1 : last.end;
    edits.push({ start: last.start, end: last.start, text: 'return (', order: -0.5 });
    edits.push({ start: end, end, text: ')', order: 1 });
  }

  const declared = [...names].filter((n) => !hoisted.includes(n));
  const prologue =
    `(async () => { ${HELPER}.declare(${JSON.stringify(declared)}); ` + hoisted.map((n) => `globalThis[${JSON.stringify(n)}] = ${n}; `).join('');
  edits.push({ start: 0, end: 0, text: prologue, order: -1 });
  edits.push({ start: js.length, end: js.length, text: '\n})()', order: 1 });
  return assemble(js, edits, map);
}

function rewriteTopLevel(stmt: N, js: string, edits: Edit[], names: Set<string>, hoisted: string[]): void {
  switch (stmt.type) {
    case 'ImportDeclaration':
      edits.push({ start: stmt.start, end: stmt.end, text: importToAssignment(stmt, names) });
      return;
    case 'ExportNamedDeclaration':
      if (stmt['declaration']) {
        edits.push({ start: stmt.start, end: stmt['declaration'].start, text: '' });
        rewriteTopLevel(stmt['declaration'], js, edits, names, hoisted);
      } else edits.push({ start: stmt.start, end: stmt.end, text: '' });
      return;
    case 'ExportAllDeclaration':
      edits.push({ start: stmt.start, end: stmt.end, text: '' });
      return;
    case 'ExportDefaultDeclaration': {
      const d = stmt['declaration'] as N;
      edits.push({ start: stmt.start, end: d.start, text: '' });
      if ((d.type === 'FunctionDeclaration' || d.type === 'ClassDeclaration') && d['id']) rewriteTopLevel(d, js, edits, names, hoisted);
      return;
    }
    case 'VariableDeclaration': {
      const decls = stmt['declarations'] as N[];
      // `const a = 1, {b} = o;`  →  `(a = 1), ({b} = o);`
      edits.push({ start: stmt.start, end: decls[0]!.start, text: '(' });
      decls.forEach((d, i) => {
        collectPatternNames(d['id'], names);
        if (!d['init']) edits.push({ start: d.end, end: d.end, text: ' = undefined' });
        const next = decls[i + 1];
        if (next) edits.push({ start: d.end, end: next.start, text: '), (' });
      });
      edits.push({ start: decls[decls.length - 1]!.end, end: stmt.end, text: ');' });
      return;
    }
    case 'FunctionDeclaration':
      // Stays a declaration (hoisted inside the cell), and is published as a global at the cell's start.
      names.add(stmt['id'].name);
      hoisted.push(stmt['id'].name);
      return;
    case 'ClassDeclaration':
      names.add(stmt['id'].name);
      edits.push({ start: stmt.start, end: stmt.start, text: `${stmt['id'].name} = ` });
      edits.push({ start: stmt.end, end: stmt.end, text: ';' });
      return;
    default:
      return;
  }
}

function importToAssignment(stmt: N, names: Set<string>): string {
  const spec = JSON.stringify(stmt['source'].value);
  const load = `await ${HELPER}.import(${spec})`;
  const specifiers = stmt['specifiers'] as N[];
  if (specifiers.length === 0) return `${load};`;
  const parts: string[] = [];
  const fields: string[] = [];
  for (const s of specifiers) {
    const local = s['local'].name as string;
    names.add(local);
    if (s.type === 'ImportNamespaceSpecifier') parts.push(`${local} = __m`);
    else if (s.type === 'ImportDefaultSpecifier') fields.push(`default: ${local}`);
    else {
      const imported = s['imported'];
      const key = imported.type === 'Literal' ? JSON.stringify(imported.value) : imported.name;
      fields.push(`${key}: ${local}`);
    }
  }
  if (fields.length) parts.push(`({ ${fields.join(', ')} } = __m)`);
  return `{ const __m = ${load}; ${parts.join('; ')}; }`;
}

function collectPatternNames(p: N | null, names: Set<string>): void {
  if (!p) return;
  switch (p.type) {
    case 'Identifier':
      names.add(p['name']);
      return;
    case 'ObjectPattern':
      for (const prop of p['properties'] as N[]) collectPatternNames(prop.type === 'RestElement' ? prop['argument'] : prop['value'], names);
      return;
    case 'ArrayPattern':
      for (const el of p['elements'] as (N | null)[]) collectPatternNames(el, names);
      return;
    case 'RestElement':
      collectPatternNames(p['argument'], names);
      return;
    case 'AssignmentPattern':
      collectPatternNames(p['left'], names);
      return;
  }
}

/** Applies the edits and keeps segments so generated offsets map back to esbuild's JS, then to TypeScript. */
function assemble(js: string, edits: Edit[], map: SourceMap): CompiledCell {
  edits.sort((a, b) => a.start - b.start || (a.order ?? 0) - (b.order ?? 0) || a.end - b.end);
  // [generated start, original start, length, copied?]
  const segments: [number, number, number, boolean][] = [];
  let out = '';
  let pos = 0;
  const copy = (to: number) => {
    if (to > pos) {
      segments.push([out.length, pos, to - pos, true]);
      out += js.slice(pos, to);
      pos = to;
    }
  };
  for (const e of edits) {
    copy(e.start);
    if (e.text) segments.push([out.length, e.start, e.text.length, false]);
    out += e.text;
    pos = Math.max(pos, e.end);
  }
  copy(js.length);

  const genLineStarts = lineStarts(out);
  const jsLineStarts = lineStarts(js);
  return {
    code: out,
    originalPosition(line, column) {
      const offset = (genLineStarts[line - 1] ?? NaN) + column - 1;
      if (!Number.isFinite(offset)) return undefined;
      const seg = segments.find(([g, , len]) => offset >= g && offset < g + len);
      if (!seg || !seg[3]) return undefined;
      const jsOffset = seg[1] + (offset - seg[0]);
      let jsLine = 0;
      while (jsLine + 1 < jsLineStarts.length && jsLineStarts[jsLine + 1]! <= jsOffset) jsLine++;
      const entry = map.findEntry(jsLine, jsOffset - jsLineStarts[jsLine]!) as { originalLine?: number; originalColumn?: number };
      if (entry.originalLine === undefined || entry.originalColumn === undefined) return undefined;
      return { line: entry.originalLine + 1, column: entry.originalColumn + 1 };
    },
  };
}

function lineStarts(s: string): number[] {
  const starts = [0];
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}
