/**
 * Monaco for notebook cells. Every code cell is a TypeScript model in one program, where each cell sees
 * the kernel's globals, the `babelscope` API (its declarations come from the backend) and the
 * declarations of the cells above it, in the notebook's current order (cell-scope.ts, served by our
 * own TypeScript worker, cell-ts.worker.ts); a later cell may declare a name again.
 */
import * as monaco from 'monaco-editor/editor/editor.api.js';
import { getTypeScriptWorker, typescriptDefaults } from 'monaco-editor/languages/features/typescript/register.js';
import { CELL_COMPILER_OPTIONS, CELL_URI_PREFIX, KERNEL_GLOBALS, KERNEL_GLOBALS_PATH, NODE_GLOBALS_FALLBACK, NODE_GLOBALS_FALLBACK_PATH } from '../../shared/cell-scope.js';
// The whole editor: its contributions (suggest, hover, find…) and languages, each loaded on first use.
import 'monaco-editor/editor/editor.main.js';
import EditorWorker from 'monaco-editor/editor/editor.worker.js?worker';
// Our worker: vite.config.ts puts cell-ts.worker.ts in place of Monaco's entry.
import CellTsWorker from 'monaco-editor/languages/features/typescript/ts.worker.js?worker';

export { monaco };

(self as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
  getWorker: (_id: string, label: string) => (label === 'typescript' || label === 'javascript' ? new CellTsWorker() : new EditorWorker()),
};

/**
 * Diagnostics that are wrong for notebook cells: none left since each cell is scoped like the notebook
 * up to it (cell-scope.ts); kept as a list for what the kernel allows and TypeScript does not.
 */
const IGNORED_DIAGNOSTICS: number[] = [];

let configured = false;
export function configureTypeScript(): void {
  if (configured) return;
  configured = true;
  typescriptDefaults.setCompilerOptions(CELL_COMPILER_OPTIONS);
  typescriptDefaults.setDiagnosticsOptions({ noSemanticValidation: false, noSyntaxValidation: false, diagnosticCodesToIgnore: IGNORED_DIAGNOSTICS });
  typescriptDefaults.setEagerModelSync(true);
  typescriptDefaults.addExtraLib(KERNEL_GLOBALS, KERNEL_GLOBALS_PATH);
  nodeGlobalsFallback = typescriptDefaults.addExtraLib(NODE_GLOBALS_FALLBACK, NODE_GLOBALS_FALLBACK_PATH);
}

/** Adds the declarations of `babelscope` and its subpaths (`babelscope/plots`), and their package.json (once). */
export function addApiTypes(files: { path: string; text: string }[]): void {
  for (const f of files) typescriptDefaults.addExtraLib(f.text, f.path);
}

/** A performance mark, for bench/workbench.ts: when the worker got Node's declarations. */
const NODE_TYPES_MARK = 'babelscope:node-types-added';

/** The few Node globals cells use most, until Node's own declarations are added (or for good, when the backend has none). */
let nodeGlobalsFallback: monaco.IDisposable | null = null;

/**
 * Adds Node's declarations (the backend's `node.types`) in place of the fallback: every file is an extra
 * lib, so a root of the cells' program, and Node's `declare module "node:fs"` make those imports resolve.
 * They are 2.3 MB: the worker takes most of a second to parse and bind them and answers nothing meanwhile
 * (bench/workbench.ts). So the worker first builds the program without them, and they go in at the
 * first pause in typing after that: the first completions after opening a notebook do not wait.
 */
export function addNodeTypesAtPause(files: { path: string; text: string }[], pauseMs = 800): void {
  let timer = 0;
  const add = () => {
    document.removeEventListener('keydown', wait, true);
    nodeGlobalsFallback?.dispose();
    nodeGlobalsFallback = null;
    for (const f of files) typescriptDefaults.addExtraLib(f.text, f.path);
    performance.mark(NODE_TYPES_MARK);
  };
  const wait = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(add, pauseMs);
  };
  const warm = getTypeScriptWorker()
    .then((worker) => worker())
    // Builds the program and its checker (parses and binds every file), checks no cell.
    .then((w) => w.getCompilerOptionsDiagnostics(KERNEL_GLOBALS_PATH));
  void warm.catch(() => undefined).then(() => {
    document.addEventListener('keydown', wait, true);
    wait();
  });
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

/** The model of a cell: TypeScript cells at `file:///cells/<id>.ts`, where the TypeScript worker looks for them. */
export function cellModelUri(cellId: string, typescript: boolean): monaco.Uri {
  return monaco.Uri.parse(`${CELL_URI_PREFIX}${cellId}.${typescript ? 'ts' : 'md'}`);
}

/** A cell editor that grows with its content (no inner scrollbar), as in Jupyter. */
export function createCellEditor(host: HTMLElement, o: CellEditorOptions): monaco.editor.IStandaloneCodeEditor {
  const uri = cellModelUri(o.cellId, o.language === 'typescript');
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
    // Cells hold text in many scripts: Cyrillic "В" is not a confusable Latin "B" here.
    unicodeHighlight: { ambiguousCharacters: false, invisibleCharacters: true, nonBasicASCII: false },
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
