/** Modules Vite provides at build time (the renderer's tsconfig has no other ambient types). */
declare module '*.css';
declare module '*?worker' {
  const WorkerConstructor: new (options?: { name?: string }) => Worker;
  export default WorkerConstructor;
}
declare module 'monaco-editor/language/typescript/monaco.contribution.js';
