/** Builds the renderer (src/renderer) into dist/renderer, which `babelscope serve` serves. */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const MONACO_TS_WORKER = /\/monaco-editor\/esm\/vs\/languages\/features\/typescript\/ts\.worker\.js$/;
const CELL_TS_WORKER = fileURLToPath(new URL('src/renderer/notebook/cell-ts.worker.ts', import.meta.url));

/**
 * Monaco's TypeScript worker entry becomes ours (cells scoped like a notebook): Monaco names that entry
 * itself (`new Worker(new URL('ts.worker.js', …))`), so this keeps one TypeScript worker in the build
 * instead of two of 7 MB each.
 */
function cellTypeScriptWorker(): Plugin {
  return {
    name: 'babelscope-cell-ts-worker',
    enforce: 'pre',
    load: (id) => (MONACO_TS_WORKER.test(id) ? `import ${JSON.stringify(CELL_TS_WORKER)};\n` : undefined),
  };
}

export default defineConfig({
  root: 'src/renderer',
  base: '/',
  logLevel: 'warn',
  plugins: [cellTypeScriptWorker()],
  build: {
    outDir: '../../dist/renderer',
    emptyOutDir: true,
    // No source maps in the package: Monaco's alone are tens of MB.
    sourcemap: false,
    target: 'es2022',
    // Monaco and its TypeScript worker are large by nature; they load once and are cached.
    chunkSizeWarningLimit: 8000,
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  worker: { format: 'es', plugins: () => [cellTypeScriptWorker()] },
});
