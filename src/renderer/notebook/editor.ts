/**
 * Monaco for notebook cells. Every code cell is a TypeScript model in one program, so a later cell sees
 * the variables, functions and types of earlier ones (as the kernel's persistent scope does); the
 * diagnostics that notebook semantics make wrong (re-declaring `const x` in another cell, top-level
 * await outside a module) are silenced. The `babelscope` API's declarations come from the backend.
 */
import * as monaco from 'monaco-editor/editor/editor.api.js';
import { typescriptDefaults, ScriptTarget, ModuleKind, ModuleResolutionKind } from 'monaco-editor/languages/features/typescript/register.js';
// The whole editor: its contributions (suggest, hover, find…) and languages, each loaded on first use.
import 'monaco-editor/editor/editor.main.js';
import EditorWorker from 'monaco-editor/editor/editor.worker.js?worker';
import TsWorker from 'monaco-editor/language/typescript/ts.worker.js?worker';

export { monaco };

(self as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
  getWorker: (_id: string, label: string) => (label === 'typescript' || label === 'javascript' ? new TsWorker() : new EditorWorker()),
};

/** What the kernel defines in every cell's scope (src/main/kernel). */
const KERNEL_GLOBALS = `
/** Shows a value as rich output: a Plotly figure, an HTML table of records, PNG bytes, text. */
declare const display: ((value: unknown) => void) & {
  text(s: string): void;
  html(s: string): void;
  markdown(s: string): void;
  svg(s: string): void;
  png(bytes: Uint8Array | string): void;
  json(v: unknown): void;
  table(rows: Record<string, unknown>[]): void;
  plotly(figure: { data: object[]; layout?: object }): void;
  /** Any MIME bundle, e.g. display.mime({ "text/latex": "$x^2$" }). */
  mime(bundle: Record<string, unknown>): void;
};
/**
 * A progress bar under the cell for your own loops, stopped by Interrupt (its signal is aborted):
 *   const bar = progress('tokenize', texts.length);
 *   for (const t of texts) { bar.signal.throwIfAborted(); work(t); bar.tick(); }
 * Spread it into an API call to show that call's progress in it: await capture({ …, ...bar }).
 * Long API calls without onProgress show their own bar anyway. The bar ends with the cell.
 */
declare function progress(label?: string, total?: number): {
  /** Aborted when the cell is interrupted; throwIfAborted() throws a CancellationError. */
  readonly signal: AbortSignal;
  /** Shows an API call's reports (a babelscope Progress) in this bar. */
  onProgress(p: { stage: string; done: number; total: number; detail?: string }): void;
  /** Sets the count (and the total, and a detail text such as "1834 tokens"). */
  update(done: number, total?: number, detail?: string): void;
  /** Adds n (default 1) to the count. */
  tick(n?: number, detail?: string): void;
  /** Ends the bar: done (default), cancelled or error. */
  end(state?: 'done' | 'cancelled' | 'error'): void;
};
declare const console: { log(...a: unknown[]): void; error(...a: unknown[]): void; warn(...a: unknown[]): void; info(...a: unknown[]): void; table(data: unknown): void };
declare const process: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean }; env: Record<string, string | undefined>; cwd(): string };
declare function setTimeout(f: () => void, ms?: number): unknown;
declare function clearTimeout(t: unknown): void;
declare function setInterval(f: () => void, ms?: number): unknown;
declare function clearInterval(t: unknown): void;
`;

const IGNORED_DIAGNOSTICS = [
  2451, // Cannot redeclare block-scoped variable (re-running or redefining in another cell)
  2300, // Duplicate identifier
  2393, // Duplicate function implementation
  1375, // 'await' at the top level only in modules
  1378, // top-level await target
  2448, // used before its declaration (cells run in any order)
  2454, // used before being assigned
  1208, // cannot be compiled under --isolatedModules
];

let configured = false;
export function configureTypeScript(): void {
  if (configured) return;
  configured = true;
  typescriptDefaults.setCompilerOptions({
    target: ScriptTarget.ESNext,
    module: ModuleKind.ESNext,
    moduleResolution: ModuleResolutionKind.NodeJs,
    allowNonTsExtensions: true,
    strict: true,
    noEmit: true,
    esModuleInterop: true,
    lib: ['esnext'],
  });
  typescriptDefaults.setDiagnosticsOptions({ noSemanticValidation: false, noSyntaxValidation: false, diagnosticCodesToIgnore: IGNORED_DIAGNOSTICS });
  typescriptDefaults.setEagerModelSync(true);
  typescriptDefaults.addExtraLib(KERNEL_GLOBALS, 'file:///babelscope/kernel-globals.d.ts');
}

/** Adds the `babelscope` module's declarations (once). */
export function addApiTypes(files: { path: string; text: string }[]): void {
  for (const f of files) {
    typescriptDefaults.addExtraLib(f.text, f.path);
    // NodeJs resolution finds index.d.ts through a package.json with "types".
    if (f.path.endsWith('/index.d.ts')) typescriptDefaults.addExtraLib('{"name":"babelscope","types":"index.d.ts"}', f.path.replace(/index\.d\.ts$/, 'package.json'));
  }
}

export function setTheme(dark: boolean): void {
  monaco.editor.setTheme(dark ? 'vs-dark' : 'vs');
}

export interface CellEditorOptions {
  cellId: string;
  language: 'typescript' | 'markdown' | 'plaintext';
  value: string;
  onChange(value: string): void;
  onFocus(): void;
  onBlur(): void;
  /** Key handling before Monaco's own (Shift+Enter, Esc…); return true when handled. */
  onKey(e: monaco.IKeyboardEvent, editor: monaco.editor.IStandaloneCodeEditor): boolean;
}

/** A cell editor that grows with its content (no inner scrollbar), as in Jupyter. */
export function createCellEditor(host: HTMLElement, o: CellEditorOptions): monaco.editor.IStandaloneCodeEditor {
  const uri = monaco.Uri.parse(`file:///cells/${o.cellId}.${o.language === 'typescript' ? 'ts' : 'md'}`);
  monaco.editor.getModel(uri)?.dispose();
  const model = monaco.editor.createModel(o.value, o.language, uri);
  const editor = monaco.editor.create(host, {
    model,
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    lineNumbers: o.language === 'typescript' ? 'on' : 'off',
    lineNumbersMinChars: 3,
    glyphMargin: false,
    folding: false,
    renderLineHighlight: 'none',
    overviewRulerLanes: 0,
    hideCursorInOverviewRuler: true,
    scrollbar: { vertical: 'hidden', horizontal: 'auto', alwaysConsumeMouseWheel: false },
    wordWrap: o.language === 'markdown' ? 'on' : 'off',
    fontSize: 13,
    fontFamily: "'JetBrains Mono', 'SFMono-Regular', Menlo, Consolas, 'Noto Sans Mono', monospace",
    automaticLayout: true,
    fixedOverflowWidgets: true,
    tabSize: 2,
    quickSuggestions: { other: true, comments: false, strings: false },
    fontLigatures: false,
    padding: { top: 6, bottom: 6 },
  });
  const fit = () => {
    const height = Math.max(editor.getContentHeight(), 28);
    host.style.height = `${height}px`;
    editor.layout({ width: host.clientWidth, height });
  };
  editor.onDidContentSizeChange(fit);
  fit();
  editor.onDidChangeModelContent(() => o.onChange(editor.getValue()));
  editor.onDidFocusEditorText(() => o.onFocus());
  editor.onDidBlurEditorText(() => o.onBlur());
  editor.onKeyDown((e) => {
    // Let the suggestion widget take Enter/Escape when it is open.
    const suggesting = (editor as unknown as { _contextKeyService?: { getContextKeyValue(k: string): unknown } })._contextKeyService?.getContextKeyValue('suggestWidgetVisible') === true;
    if (suggesting && (e.keyCode === monaco.KeyCode.Escape || (e.keyCode === monaco.KeyCode.Enter && !e.shiftKey && !e.ctrlKey && !e.metaKey))) return;
    if (o.onKey(e, editor)) {
      e.preventDefault();
      e.stopPropagation();
    }
  });
  return editor;
}

/** Highlights a line of a cell's editor (an error's position); returns a function that clears it. */
export function highlightLine(editor: monaco.editor.IStandaloneCodeEditor, line: number): () => void {
  const decorations = editor.createDecorationsCollection([
    { range: new monaco.Range(line, 1, line, 1), options: { isWholeLine: true, className: 'error-line', linesDecorationsClassName: 'error-line-gutter' } },
  ]);
  return () => decorations.clear();
}
