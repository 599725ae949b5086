/**
 * The TypeScript worker of the notebook's cells: Monaco's own (ts.worker.js), with each cell scoped to
 * the cells above it (shared/cell-scope-worker.ts).
 */
import { initialize } from 'monaco-editor/internal/common/initialize.js';
import { typescript } from 'monaco-editor/languages/features/typescript/lib/typescriptServices.js';
import { TypeScriptWorker } from 'monaco-editor/languages/features/typescript/tsWorker.js';
import type { TsApi } from '../../shared/cell-scope.js';
import { cellScopedWorker, type WorkerClass } from '../../shared/cell-scope-worker.js';

const CellWorker = cellScopedWorker(TypeScriptWorker as unknown as WorkerClass, typescript as TsApi);

self.onmessage = () => {
  initialize((ctx, createData) => new CellWorker(ctx, createData));
};
