/**
 * Monaco's TypeScript worker, scoped like a notebook (see cell-scope.ts): the language service reads
 * each cell as its text plus a tail that imports what the cells above it declare, and every answer is
 * cut back to the cell's own text (diagnostics, references, edits in the tail are dropped; an inherited
 * name is shown as what it is, a `const` or a `function`, not as the import the tail makes of it).
 * A mixin over the worker class, so the same code runs in the browser's worker and in Node's tests.
 */
import {
  CELL_ORDER_LIB,
  IMPLICIT_ANY_CODES,
  cellSpecifier,
  cellTail,
  isCellFile,
  parseCellOrderLib,
  topLevelDeclarations,
  type CellDeclaration,
  type CellTail,
  type DeclarationKind,
  type TsApi,
} from './cell-scope.js';

export interface TextSpan {
  start: number;
  length: number;
}
export interface DisplayPart {
  text: string;
  kind: string;
}
export interface WorkerDiagnostic {
  code: number;
  start?: number | undefined;
  length?: number | undefined;
  messageText: string | { messageText: string };
  file?: { fileName: string } | undefined;
  relatedInformation?: WorkerDiagnostic[];
}
interface FileSpan {
  fileName: string;
  textSpan: TextSpan;
}
interface NavigationTree {
  spans: TextSpan[];
  childItems?: NavigationTree[];
}
interface TextChange {
  span: TextSpan;
}
interface CodeFix {
  fixName: string;
  changes: { fileName: string; textChanges: TextChange[] }[];
}

/** What the scope needs of Monaco's TypeScriptWorker (monaco-editor/languages/features/typescript/tsWorker.js). */
export interface MonacoTsWorker {
  getScriptVersion(fileName: string): string;
  getScriptSnapshot(fileName: string): { getText(start: number, end: number): string; getLength(): number } | undefined;
  getExtraLibs(): Record<string, { content: string; version: number }>;
  getSyntacticDiagnostics(fileName: string): Promise<WorkerDiagnostic[]>;
  getSemanticDiagnostics(fileName: string): Promise<WorkerDiagnostic[]>;
  getSuggestionDiagnostics(fileName: string): Promise<WorkerDiagnostic[]>;
  getCompletionsAtPosition(fileName: string, position: number): Promise<{ entries: { name: string; kind: string }[] } | undefined>;
  getCompletionEntryDetails(fileName: string, position: number, entry: string): Promise<{ name: string; kind: string; displayParts: DisplayPart[] } | undefined>;
  getQuickInfoAtPosition(fileName: string, position: number): Promise<{ kind: string; textSpan: TextSpan; displayParts?: DisplayPart[] } | undefined>;
  getDefinitionAtPosition(fileName: string, position: number): Promise<readonly FileSpan[] | undefined>;
  getReferencesAtPosition(fileName: string, position: number): Promise<FileSpan[] | undefined>;
  getDocumentHighlights(fileName: string, position: number, filesToSearch: string[]): Promise<readonly { fileName: string; highlightSpans: { textSpan: TextSpan }[] }[] | undefined>;
  findRenameLocations(fileName: string, position: number, findInStrings: boolean, findInComments: boolean, prefixAndSuffix: boolean): Promise<readonly FileSpan[] | undefined>;
  getNavigationTree(fileName: string): Promise<NavigationTree | undefined>;
  getFormattingEditsForDocument(fileName: string, options: unknown): Promise<TextChange[]>;
  getFormattingEditsForRange(fileName: string, start: number, end: number, options: unknown): Promise<TextChange[]>;
  getFormattingEditsAfterKeystroke(fileName: string, position: number, ch: string, options: unknown): Promise<TextChange[]>;
  getCodeFixesAtPosition(fileName: string, start: number, end: number, errorCodes: number[], formatOptions: unknown): Promise<readonly CodeFix[]>;
  provideInlayHints(fileName: string, start: number, end: number): Promise<readonly { position: number }[]>;
}

// A mixin's base must be constructible with any arguments (TypeScript's rule for mixins).
export type WorkerClass = new (...args: any[]) => MonacoTsWorker;

/**
 * Assigning to an inherited name: TypeScript says "because it is an import" (the tail's); say what the
 * name is in the cell that declares it, or nothing for a `let`/`var` (the kernel keeps it assignable).
 */
const ASSIGN_TO_IMPORT = 2632;
const ASSIGNMENT_ERRORS: Partial<Record<DeclarationKind, [number, string] | null>> = {
  let: null,
  var: null,
  const: [2588, 'a constant'],
  function: [2630, 'a function'],
  class: [2629, 'a class'],
  enum: [2628, 'an enum'],
  module: [2631, 'a namespace'],
};

/**
 * The quick-info parts of an inherited name without the tail's import: "(alias) const x: number\nimport x"
 * → "const x: number"; "(alias) f(s: string): string" → "function f(s: string): string".
 */
function withoutAlias(parts: DisplayPart[], kind: DeclarationKind): DisplayPart[] {
  let out = parts;
  if (out[1]?.text === 'alias' && out[0]?.text === '(' && out[2]?.text === ')') out = out.slice(out[3]?.kind === 'space' ? 4 : 3);
  const importLine = out.findIndex((p, i) => p.kind === 'lineBreak' && out[i + 1]?.text === 'import');
  if (importLine >= 0) out = out.slice(0, importLine);
  if (kind === 'function' && out[0]?.text !== 'function') out = [{ text: 'function', kind: 'keyword' }, { text: ' ', kind: 'space' }, ...out];
  return out;
}

export function cellScopedWorker<B extends WorkerClass>(Base: B, ts: TsApi) {
  return class CellScopedWorker extends Base {
    #order: { version: number; files: string[] } = { version: -1, files: [] };
    readonly #declarations = new Map<string, { version: string; declarations: CellDeclaration[] }>();
    readonly #tails = new Map<string, { key: string; tail: CellTail }>();

    /** The code cells in notebook order, as the page last told (CELL_ORDER_LIB). */
    #cellOrder(): string[] {
      const lib = this.getExtraLibs()[CELL_ORDER_LIB];
      if (!lib) return [];
      if (lib.version !== this.#order.version) this.#order = { version: lib.version, files: parseCellOrderLib(lib.content) };
      return this.#order.files;
    }

    /**
     * Monaco's worker finds a model by scanning all of them and formatting URIs, and joins its lines for
     * its text; the tails ask for every cell's version once per cell. One language-service call is
     * synchronous (models change only between messages), so what is read is kept until the next microtask.
     */
    #memo: { versions: Map<string, string>; texts: Map<string, string | undefined> } | null = null;

    #read(): { versions: Map<string, string>; texts: Map<string, string | undefined> } {
      if (!this.#memo) {
        this.#memo = { versions: new Map(), texts: new Map() };
        queueMicrotask(() => (this.#memo = null));
      }
      return this.#memo;
    }

    #baseVersion(fileName: string): string {
      const versions = this.#read().versions;
      let version = versions.get(fileName);
      if (version === undefined) versions.set(fileName, (version = super.getScriptVersion(fileName)));
      return version;
    }

    #ownText(fileName: string): string | undefined {
      const texts = this.#read().texts;
      if (texts.has(fileName)) return texts.get(fileName);
      const snapshot = super.getScriptSnapshot(fileName);
      const text = snapshot?.getText(0, snapshot.getLength());
      texts.set(fileName, text);
      return text;
    }

    #ownLength(fileName: string): number {
      return isCellFile(fileName) ? (this.#ownText(fileName)?.length ?? Infinity) : Infinity;
    }

    #declarationsOf(fileName: string): CellDeclaration[] {
      const version = this.#baseVersion(fileName);
      const cached = this.#declarations.get(fileName);
      if (cached?.version === version) return cached.declarations;
      const text = this.#ownText(fileName);
      const declarations = text === undefined ? [] : topLevelDeclarations(ts, text);
      this.#declarations.set(fileName, { version, declarations });
      return declarations;
    }

    #tail(fileName: string): CellTail {
      const order = this.#cellOrder();
      const index = order.indexOf(fileName);
      // Cells the worker has no text for yet (not synced) are left out rather than imported unresolved.
      const above = (index < 0 ? [] : order.slice(0, index)).filter((f) => this.#baseVersion(f) !== '');
      const key = [fileName, ...above].map((f) => `${f}@${this.#baseVersion(f)}`).join('|');
      const cached = this.#tails.get(fileName);
      if (cached?.key === key) return cached.tail;
      const tail = cellTail(
        this.#declarationsOf(fileName),
        above.map((f) => ({ specifier: cellSpecifier(f), declarations: this.#declarationsOf(f) })),
      );
      this.#tails.set(fileName, { key, tail });
      return tail;
    }

    #inTail(fileName: string, span: TextSpan | undefined): boolean {
      return span !== undefined && span.start + span.length > this.#ownLength(fileName);
    }

    // ---- the language service host: a cell is its text plus its tail ----

    override getScriptVersion(fileName: string): string {
      const version = this.#baseVersion(fileName);
      return isCellFile(fileName) && version !== '' ? `${version}\n${this.#tail(fileName).text}` : version;
    }

    override getScriptSnapshot(fileName: string) {
      const text = this.#ownText(fileName);
      if (!isCellFile(fileName) || text === undefined) return super.getScriptSnapshot(fileName);
      const full = text + this.#tail(fileName).text;
      return { getText: (start: number, end: number) => full.substring(start, end), getLength: () => full.length, getChangeRange: () => undefined };
    }

    // ---- answers, cut back to the cell's own text ----

    #ownDiagnostics(fileName: string, diagnostics: WorkerDiagnostic[], syntactic = false): WorkerDiagnostic[] {
      if (!isCellFile(fileName)) return diagnostics;
      const text = this.#ownText(fileName) ?? '';
      const inherited = this.#tail(fileName).inherited;
      const out: WorkerDiagnostic[] = [];
      // A statement left unfinished at the end of the cell ("Expression expected", "'}' expected") is
      // reported where the tail begins: the last such syntax error is shown at the end of the cell.
      const unfinished = syntactic ? diagnostics.filter((d) => d.start !== undefined && d.start >= text.length).at(-1) : undefined;
      if (unfinished) out.push({ ...unfinished, start: text.length, length: 0 });
      for (const d of diagnostics) {
        if (d.start !== undefined && d.start >= text.length) continue;
        if (IMPLICIT_ANY_CODES.has(d.code)) continue;
        const related = d.relatedInformation?.filter((r) => !(r.file && this.#inTail(r.file.fileName, r.start === undefined ? undefined : { start: r.start, length: r.length ?? 0 })));
        let diagnostic = related ? { ...d, relatedInformation: related } : d;
        if (d.code === ASSIGN_TO_IMPORT && d.start !== undefined && d.length !== undefined) {
          const name = text.slice(d.start, d.start + d.length);
          const kind = inherited.get(name);
          const replacement = kind === undefined ? undefined : ASSIGNMENT_ERRORS[kind];
          if (replacement === null) continue;
          if (replacement) diagnostic = { ...diagnostic, code: replacement[0], messageText: `Cannot assign to '${name}' because it is ${replacement[1]}.` };
        }
        out.push(diagnostic);
      }
      return out;
    }

    override async getSyntacticDiagnostics(fileName: string) {
      return this.#ownDiagnostics(fileName, await super.getSyntacticDiagnostics(fileName), true);
    }

    override async getSemanticDiagnostics(fileName: string) {
      return this.#ownDiagnostics(fileName, await super.getSemanticDiagnostics(fileName));
    }

    override async getSuggestionDiagnostics(fileName: string) {
      return this.#ownDiagnostics(fileName, await super.getSuggestionDiagnostics(fileName));
    }

    override async getCompletionsAtPosition(fileName: string, position: number) {
      const info = await super.getCompletionsAtPosition(fileName, position);
      if (!info || !isCellFile(fileName)) return info;
      const inherited = this.#tail(fileName).inherited;
      const kindOf = (e: { name: string; kind: string }) => {
        const kind = e.kind === 'alias' ? (inherited.get(e.name) ?? e.kind) : e.kind;
        // Monaco gives its variable icon to "var" only (a const would get the property's wrench).
        return kind === 'const' || kind === 'let' ? 'var' : kind;
      };
      return { ...info, entries: info.entries.map((e) => ({ ...e, kind: kindOf(e) })) };
    }

    override async getCompletionEntryDetails(fileName: string, position: number, entry: string) {
      const details = await super.getCompletionEntryDetails(fileName, position, entry);
      const kind = isCellFile(fileName) ? this.#tail(fileName).inherited.get(entry) : undefined;
      if (!details || kind === undefined || details.kind !== 'alias') return details;
      return { ...details, kind, displayParts: withoutAlias(details.displayParts, kind) };
    }

    override async getQuickInfoAtPosition(fileName: string, position: number) {
      const info = await super.getQuickInfoAtPosition(fileName, position);
      if (!info || !isCellFile(fileName) || info.kind !== 'alias') return info;
      const name = (this.#ownText(fileName) ?? '').slice(info.textSpan.start, info.textSpan.start + info.textSpan.length);
      const kind = this.#tail(fileName).inherited.get(name);
      if (kind === undefined) return info;
      return info.displayParts ? { ...info, kind, displayParts: withoutAlias(info.displayParts, kind) } : { ...info, kind };
    }

    override async getDefinitionAtPosition(fileName: string, position: number) {
      const definitions = await super.getDefinitionAtPosition(fileName, position);
      if (!definitions) return definitions;
      const out: FileSpan[] = [];
      for (const d of definitions) {
        // The tail's import of the name: go on to the cell that declares it.
        if (this.#inTail(d.fileName, d.textSpan)) out.push(...((await super.getDefinitionAtPosition(d.fileName, d.textSpan.start)) ?? []).filter((e) => !this.#inTail(e.fileName, e.textSpan)));
        else out.push(d);
      }
      return out;
    }

    override async getReferencesAtPosition(fileName: string, position: number) {
      return (await super.getReferencesAtPosition(fileName, position))?.filter((r) => !this.#inTail(r.fileName, r.textSpan));
    }

    override async findRenameLocations(fileName: string, position: number, findInStrings: boolean, findInComments: boolean, prefixAndSuffix: boolean) {
      return (await super.findRenameLocations(fileName, position, findInStrings, findInComments, prefixAndSuffix))?.filter((r) => !this.#inTail(r.fileName, r.textSpan));
    }

    override async getDocumentHighlights(fileName: string, position: number, filesToSearch: string[]) {
      return (await super.getDocumentHighlights(fileName, position, filesToSearch))?.map((h) => ({ ...h, highlightSpans: h.highlightSpans.filter((s) => !this.#inTail(h.fileName, s.textSpan)) }));
    }

    override async getNavigationTree(fileName: string) {
      const tree = await super.getNavigationTree(fileName);
      const prune = (node: NavigationTree): NavigationTree => ({
        ...node,
        ...(node.childItems && { childItems: node.childItems.filter((c) => c.spans.some((s) => !this.#inTail(fileName, s))).map(prune) }),
      });
      return tree && isCellFile(fileName) ? prune(tree) : tree;
    }

    override async getFormattingEditsForDocument(fileName: string, options: unknown) {
      return (await super.getFormattingEditsForDocument(fileName, options)).filter((c) => !this.#inTail(fileName, c.span));
    }

    override async getFormattingEditsForRange(fileName: string, start: number, end: number, options: unknown) {
      return (await super.getFormattingEditsForRange(fileName, start, end, options)).filter((c) => !this.#inTail(fileName, c.span));
    }

    override async getFormattingEditsAfterKeystroke(fileName: string, position: number, ch: string, options: unknown) {
      return (await super.getFormattingEditsAfterKeystroke(fileName, position, ch, options)).filter((c) => !this.#inTail(fileName, c.span));
    }

    override async getCodeFixesAtPosition(fileName: string, start: number, end: number, errorCodes: number[], formatOptions: unknown) {
      const fixes = await super.getCodeFixesAtPosition(fileName, start, end, errorCodes, formatOptions);
      // A fix that imports from another cell or edits another cell (or a tail) does not fit a notebook.
      return fixes.filter((f) => f.changes.every((c) => c.fileName === fileName && c.textChanges.every((t) => !this.#inTail(fileName, t.span))) && !(isCellFile(fileName) && f.fixName === 'import'));
    }

    override async provideInlayHints(fileName: string, start: number, end: number) {
      const length = this.#ownLength(fileName);
      return (await super.provideInlayHints(fileName, start, end)).filter((h) => h.position <= length);
    }
  };
}
