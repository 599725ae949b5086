/**
 * Keeps the TypeScript worker's view of the notebook current: the order of the code cells (which cells
 * each one sees, shared/cell-scope.ts), and the markers of the cells below an edited one. Monaco
 * re-checks only the model that changed, but an edit to cell 2 can fix or break cells 3, 4, …
 */
import { getTypeScriptWorker, typescriptDefaults } from 'monaco-editor/languages/features/typescript/register.js';
import { CELL_ORDER_LIB, cellOrderLib } from '../../shared/cell-scope.js';
import type { WorkerDiagnostic } from '../../shared/cell-scope-worker.js';
import { monaco } from './editor.js';

/**
 * Tells the worker the code cells' models, top to bottom; when the order changed, Monaco re-checks every
 * cell. Said before the cells' models are made, a worker that starts with them starts with the order.
 */
export function setCellOrder(uris: readonly monaco.Uri[]): void {
  typescriptDefaults.addExtraLib(cellOrderLib(uris.map((u) => u.toString())), CELL_ORDER_LIB);
}

type MessageChain = string | { messageText: string; next?: MessageChain[] };
function flatten(m: MessageChain, indent = 0): string {
  if (typeof m === 'string') return m;
  return ['  '.repeat(indent) + m.messageText, ...(m.next ?? []).map((n) => flatten(n, indent + 1))].join('\n');
}

function toMarker(model: monaco.editor.ITextModel, d: WorkerDiagnostic & { category?: number; reportsUnnecessary?: unknown; reportsDeprecated?: unknown }): monaco.editor.IMarkerData {
  const start = model.getPositionAt(d.start ?? 0);
  const end = model.getPositionAt((d.start ?? 0) + (d.length || 1));
  const S = monaco.MarkerSeverity;
  const tags = [...(d.reportsUnnecessary ? [monaco.MarkerTag.Unnecessary] : []), ...(d.reportsDeprecated ? [monaco.MarkerTag.Deprecated] : [])];
  return {
    severity: d.category === 1 ? S.Error : d.category === 0 ? S.Warning : d.category === 2 ? S.Hint : S.Info,
    startLineNumber: start.lineNumber,
    startColumn: start.column,
    endLineNumber: end.lineNumber,
    endColumn: end.column,
    message: flatten(d.messageText as MessageChain),
    code: String(d.code),
    tags,
  };
}

/** Re-checks these cells and replaces their TypeScript markers (as Monaco's own diagnostics do, under the same owner). */
export async function recheckCells(models: readonly monaco.editor.ITextModel[]): Promise<void> {
  if (models.length === 0) return;
  const workerFor = await getTypeScriptWorker();
  const ignored = new Set(typescriptDefaults.getDiagnosticsOptions().diagnosticCodesToIgnore ?? []);
  for (const model of models) {
    if (model.isDisposed()) continue;
    const worker = await workerFor(model.uri);
    const file = model.uri.toString();
    const found = (await Promise.all([worker.getSyntacticDiagnostics(file), worker.getSemanticDiagnostics(file), worker.getSuggestionDiagnostics(file)])).flat();
    if (model.isDisposed()) continue;
    monaco.editor.setModelMarkers(model, 'typescript', found.filter((d) => !ignored.has(d.code)).map((d) => toMarker(model, d as WorkerDiagnostic)));
  }
}
