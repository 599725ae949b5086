/**
 * What each notebook cell sees in Monaco's TypeScript worker: the kernel's globals, the `babelscope` API,
 * and the top-level declarations of the code cells above it, in the notebook's current order, as the
 * concatenated document up to the cell does in VS Code's notebooks. A cell's own declarations shadow
 * earlier ones, so declaring `const x` again in a later cell is no error (the kernel allows it).
 *
 * How: each cell is a module (its declarations stay its own) whose text, as the worker sees it, is the
 * cell followed by a *tail*: `import { x } from "./<cell above>"` for every name it inherits (imports are
 * hoisted, so a tail after the cell's text scopes it as well as a prefix would) and `export { … }` of its
 * own names for the cells below. Because the tail comes after the cell's text, every offset the language
 * service reports for the cell is an offset in the editor's text; results that fall in the tail are
 * dropped. No Node, no DOM: the TypeScript compiler (the worker's own) is passed in.
 */

/** Cell models live at `file:///cells/<cell id>.ts` (markdown ones at `.md`, outside the TS program). */
export const CELL_URI_PREFIX = 'file:///cells/';

/**
 * Compiler options of the cells' program (numbers are TypeScript's enums: ESNext, ESNext, Node10
 * resolution). `strict` stays (null checks and wrong types are real advice, and `noImplicitAny` gives
 * `const rows = []` its evolving type); the implicit-any errors themselves are dropped by the worker
 * (IMPLICIT_ANY_CODES), as the kernel (esbuild) runs untyped parameters as they are.
 */
export const CELL_COMPILER_OPTIONS = {
  target: 99,
  module: 99,
  moduleResolution: 2,
  allowNonTsExtensions: true,
  strict: true,
  noEmit: true,
  esModuleInterop: true,
  lib: ['esnext'],
};

/**
 * "… implicitly has an 'any' type" and its kin: the kernel runs such code, so the editor does not
 * mark it (7005 variable, 7006 parameter, 7008 member, 7010/7011 return, 7018 object literal, 7019
 * rest parameter, 7022/7023/7024 self-referencing, 7031 binding element, 7034 variable in some locations).
 */
export const IMPLICIT_ANY_CODES: ReadonlySet<number> = new Set([7005, 7006, 7008, 7010, 7011, 7018, 7019, 7022, 7023, 7024, 7031, 7034]);

/**
 * Where the `babelscope` package's declarations are put (the backend's `api.types`): one file per entry
 * point of its package.json `exports`, where the cells' module resolution (Node10) looks for it:
 * `babelscope` → index.d.ts (through the package.json below), `babelscope/plots` → plots.d.ts.
 */
export function apiTypesPath(subpath: string): string {
  return `file:///node_modules/babelscope/${subpath === '.' ? 'index' : subpath.replace(/^\.\//, '')}.d.ts`;
}

/** The declarations of `import … from "babelscope"`. */
export const API_TYPES_PATH = apiTypesPath('.');

/** The package.json beside them, whose `types` names index.d.ts for the bare `babelscope`. */
export const API_PACKAGE_JSON = { path: 'file:///node_modules/babelscope/package.json', text: '{"name":"babelscope","types":"index.d.ts"}' };

/**
 * What the kernel defines in every cell's scope (src/main/kernel) beyond Node's globals, as declarations,
 * generated from the `CellGlobals` interface (cell-globals.ts) that the kernel's implementation is typed by.
 * Node's own (console, process, fetch, Buffer, AbortSignal…) come from @types/node (`node.types`).
 */
export { KERNEL_GLOBALS } from './kernel-globals.generated.js';
export const KERNEL_GLOBALS_PATH = 'file:///babelscope/kernel-globals.d.ts';

/**
 * Where packages' declarations are put for the editor, as npm lays them out: the backend's `node.types`
 * (Node's own, @types/node and undici-types) under `@types/node/` and `undici-types/`.
 */
export const NODE_MODULES_URI = 'file:///node_modules/';

/**
 * The little of Node the cells use most, so that `console.log` is no error before Node's declarations
 * (the backend's `node.types`) are in, or when the backend cannot serve them (@types/node missing from an
 * installation). Never together with Node's own, whose declarations of the same names differ.
 */
export const NODE_GLOBALS_FALLBACK = `
interface AbortSignal { readonly aborted: boolean; readonly reason: unknown; throwIfAborted(): void }
declare const console: { log(...a: unknown[]): void; error(...a: unknown[]): void; warn(...a: unknown[]): void; info(...a: unknown[]): void; table(data: unknown): void };
declare const process: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean }; env: Record<string, string | undefined>; cwd(): string };
declare function setTimeout(f: () => void, ms?: number): unknown;
declare function clearTimeout(t: unknown): void;
declare function setInterval(f: () => void, ms?: number): unknown;
declare function clearInterval(t: unknown): void;
`;
export const NODE_GLOBALS_FALLBACK_PATH = 'file:///babelscope/node-globals-fallback.d.ts';

/** The extra lib by which the page tells the worker the order of the notebook's code cells. */
export const CELL_ORDER_LIB = 'file:///babelscope/cell-order.d.ts';

const ORDER_MARK = '// cell order: ';

/** The order lib's text: a comment only, so it declares nothing in the program. */
export function cellOrderLib(cellFiles: readonly string[]): string {
  return `// The notebook's code cells, top to bottom (Babelscope's TypeScript worker reads this).\n${ORDER_MARK}${JSON.stringify(cellFiles)}\n`;
}

export function parseCellOrderLib(text: string | undefined): string[] {
  const line = text?.split('\n').find((l) => l.startsWith(ORDER_MARK));
  if (!line) return [];
  const files: unknown = JSON.parse(line.slice(ORDER_MARK.length));
  return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
}

export function isCellFile(fileName: string): boolean {
  return fileName.startsWith(CELL_URI_PREFIX) && fileName.endsWith('.ts');
}

/** The kind of a top-level declaration, in the TypeScript language service's words (ScriptElementKind). */
export type DeclarationKind = 'const' | 'let' | 'var' | 'function' | 'class' | 'interface' | 'type' | 'enum' | 'module' | 'alias';

export interface CellDeclaration {
  name: string;
  kind: DeclarationKind;
  /** Written with `export` by the user: already visible to other modules. */
  exported: boolean;
}

// ---- the little of the TypeScript compiler API this module reads (structural, version-independent) ----

interface TsNodeArray<T> extends ReadonlyArray<T> {}
export interface TsNode {
  kind: number;
  flags: number;
  // Present on the node kinds that have them; read only after checking `kind`.
  name?: TsNode;
  text?: string;
  modifiers?: TsNodeArray<TsNode>;
  declarationList?: TsNode & { declarations: TsNodeArray<TsNode> };
  elements?: TsNodeArray<TsNode>;
  importClause?: TsNode & { namedBindings?: TsNode };
  isTypeOnly?: boolean;
}
export interface TsApi {
  createSourceFile(fileName: string, text: string, languageVersion: number, setParentNodes?: boolean): { statements: TsNodeArray<TsNode> };
  ScriptTarget: { Latest: number };
  SyntaxKind: Record<string, number>;
  NodeFlags: Record<string, number>;
}

const SYNTAX_KINDS = [
  'Identifier',
  'ObjectBindingPattern',
  'ArrayBindingPattern',
  'BindingElement',
  'ExportKeyword',
  'DefaultKeyword',
  'VariableStatement',
  'FunctionDeclaration',
  'ClassDeclaration',
  'InterfaceDeclaration',
  'TypeAliasDeclaration',
  'EnumDeclaration',
  'ModuleDeclaration',
  'ImportDeclaration',
  'ImportEqualsDeclaration',
  'NamespaceImport',
] as const;
const NODE_FLAGS = ['Let', 'Const', 'BlockScoped', 'GlobalAugmentation'] as const;

function pick<const N extends string>(table: Record<string, number>, names: readonly N[]): Record<N, number> {
  const out = {} as Record<N, number>;
  for (const n of names) {
    const v = table[n];
    if (v === undefined) throw new Error(`this TypeScript has no ${n}`);
    out[n] = v;
  }
  return out;
}

/** The names a cell declares at its top level (values, functions, classes, types, imports), in order. */
export function topLevelDeclarations(ts: TsApi, text: string): CellDeclaration[] {
  const K = pick(ts.SyntaxKind, SYNTAX_KINDS);
  const F = pick(ts.NodeFlags, NODE_FLAGS);
  const out: CellDeclaration[] = [];
  const add = (name: TsNode | undefined, kind: DeclarationKind, exported: boolean) => {
    if (name?.kind === K.Identifier && name.text) out.push({ name: name.text, kind, exported });
  };
  const addBinding = (name: TsNode | undefined, kind: DeclarationKind, exported: boolean): void => {
    if (!name) return;
    if (name.kind === K.ObjectBindingPattern || name.kind === K.ArrayBindingPattern) {
      for (const element of name.elements ?? []) if (element.kind === K.BindingElement) addBinding(element.name, kind, exported);
    } else add(name, kind, exported);
  };
  const source = ts.createSourceFile('cell.ts', text, ts.ScriptTarget.Latest, false);
  for (const s of source.statements) {
    const exported = (s.modifiers ?? []).some((m) => m.kind === K.ExportKeyword);
    if ((s.modifiers ?? []).some((m) => m.kind === K.DefaultKeyword)) continue;
    switch (s.kind) {
      case K.VariableStatement: {
        const list = s.declarationList!;
        const blockScoped = F.BlockScoped;
        const kind: DeclarationKind = (list.flags & blockScoped) === F.Let ? 'let' : list.flags & blockScoped ? 'const' : 'var';
        for (const d of list.declarations) addBinding(d.name, kind, exported);
        break;
      }
      case K.FunctionDeclaration:
        add(s.name, 'function', exported);
        break;
      case K.ClassDeclaration:
        add(s.name, 'class', exported);
        break;
      case K.InterfaceDeclaration:
        add(s.name, 'interface', exported);
        break;
      case K.TypeAliasDeclaration:
        add(s.name, 'type', exported);
        break;
      case K.EnumDeclaration:
        add(s.name, 'enum', exported);
        break;
      case K.ModuleDeclaration:
        // `namespace N {}`; not `declare module "x"` (a string name) nor `declare global`.
        if (!(s.flags & F.GlobalAugmentation)) add(s.name, 'module', exported);
        break;
      case K.ImportDeclaration: {
        const clause = s.importClause;
        if (!clause) break;
        add(clause.name, 'alias', exported);
        const bindings = clause.namedBindings;
        if (bindings?.kind === K.NamespaceImport) add(bindings.name, 'alias', exported);
        else for (const element of bindings?.elements ?? []) add(element.name, 'alias', exported);
        break;
      }
      case K.ImportEqualsDeclaration:
        add(s.name, 'alias', exported);
        break;
    }
  }
  return out;
}

export interface CellTail {
  /** Appended to the cell's text; starts on a line of its own after a `;` that ends any unfinished statement. */
  text: string;
  /** Each inherited name and the kind of its declaration in the cell it comes from. */
  inherited: Map<string, DeclarationKind>;
}

/**
 * The tail of a cell: imports of the names declared in the cells above it (the lowest declaration of a
 * name wins, and the cell's own declarations shadow them all) and the export of its own names.
 * `above` is ordered top to bottom; `specifier` is how this cell's module imports that cell's.
 */
export function cellTail(own: readonly CellDeclaration[], above: readonly { specifier: string; declarations: readonly CellDeclaration[] }[]): CellTail {
  const ownNames = new Set(own.map((d) => d.name));
  const inherited = new Map<string, DeclarationKind>();
  const bySpecifier = new Map<string, string[]>();
  for (let i = above.length - 1; i >= 0; i--) {
    const cell = above[i]!;
    for (const d of cell.declarations) {
      if (ownNames.has(d.name) || inherited.has(d.name)) continue;
      inherited.set(d.name, d.kind);
      const names = bySpecifier.get(cell.specifier) ?? [];
      names.push(d.name);
      bySpecifier.set(cell.specifier, names);
    }
  }
  const lines = ['', ';'];
  for (const [specifier, names] of bySpecifier) lines.push(`import { ${names.join(', ')} } from ${JSON.stringify(specifier)};`);
  const exports = [...new Set(own.filter((d) => !d.exported).map((d) => d.name))];
  lines.push(`export { ${exports.join(', ')} };`, '');
  return { text: lines.join('\n'), inherited };
}

/** How a cell file imports another cell file (both under CELL_URI_PREFIX). */
export function cellSpecifier(cellFile: string): string {
  return `./${cellFile.slice(CELL_URI_PREFIX.length, -'.ts'.length)}`;
}
