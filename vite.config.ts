/** Builds the renderer (src/renderer) into dist/renderer, which `babelscope serve` serves. */
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src/renderer',
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: '../../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    // Monaco and its TypeScript worker are large by nature; they load once and are cached.
    chunkSizeWarningLimit: 8000,
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  worker: { format: 'es' },
});
