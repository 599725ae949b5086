/** Modules of monaco-editor that our TypeScript worker (notebook/cell-ts.worker.ts) builds on; Monaco ships them without declarations. */
declare module 'monaco-editor/languages/features/typescript/tsWorker.js' {
  /** Monaco's TypeScript language-service worker (typed where it is used: shared/cell-scope-worker.ts). */
  export const TypeScriptWorker: abstract new (...args: never[]) => unknown;
}
declare module 'monaco-editor/languages/features/typescript/lib/typescriptServices.js' {
  /** The TypeScript compiler bundled with Monaco. */
  export const typescript: unknown;
}
declare module 'monaco-editor/internal/common/initialize.js' {
  /** Starts a Monaco worker: `create(ctx, createData)` makes the object whose methods the page calls. */
  export function initialize(create: (ctx: unknown, createData: unknown) => unknown): void;
}
