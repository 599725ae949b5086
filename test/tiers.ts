/**
 * Which tier each test file runs in (`npm run test:unit`, `test:integration`, `test:e2e`; `npm test` runs
 * all three). A new file is a unit test unless its folder or the list below says otherwise, and
 * test/tiers.test.ts fails when a unit test reaches a subprocess, the CLI, the kernel or Chromium:
 * - e2e: Chromium, or the packed and installed package: everything under test/e2e/ and test/package/.
 * - integration: CLI subprocesses, the kernel, notebook re-runs, child processes, Slurm, fault injection,
 *   the built renderer or the bundled declarations: the folders and files below.
 * - unit: everything else: pure functions, analyses, the store on temp files, the API in process.
 * Paths are relative to the repository root, with .ts names (the runner maps them to dist/…/.js).
 */
export type Tier = 'unit' | 'integration' | 'e2e';
export const TIERS: readonly Tier[] = ['unit', 'integration', 'e2e'];

export const E2E_FOLDERS = ['test/e2e/', 'test/package/'];
export const INTEGRATION_FOLDERS = ['test/faults/', 'test/notebooks/', 'test/main/slurm/', 'test/main/cli/'];
/** Integration tests outside those folders, each with what makes it one. */
export const INTEGRATION_FILES: Record<string, string> = {
  'test/main/analysis/lcb.test.ts': 'CLI subprocess',
  'test/main/api/export.test.ts': 'CLI subprocess',
  'test/main/api/latent-language.test.ts': 'CLI subprocess',
  'test/main/api/package.test.ts': 'npm pack and a type-check of the packed declarations',
  'test/main/api/working-language-chance.test.ts': 'CLI subprocess',
  'test/main/pipelines/pipeline.test.ts': 'CLI subprocesses',
  'test/main/pipelines/planted-lape.test.ts': 'CLI subprocess',
  'test/main/pipelines/pooling.test.ts': 'CLI subprocess',
  'test/main/pipelines/selectivity-null.test.ts': 'CLI subprocesses',
  'test/main/pipelines/shards.test.ts': 'CLI subprocesses',
  'test/main/pipelines/token-languages.test.ts': 'CLI subprocess',
  'test/main/pipelines/unlearned.test.ts': 'CLI subprocesses',
  'test/main/codemodel/notebook.test.ts': 'CLI subprocess',
  'test/main/codemodel/tiny-babel-code.test.ts': 'CLI subprocess',
  'test/main/electron/backend-process.test.ts': 'the backend as a child process',
  'test/main/kernel/client.test.ts': 'the kernel process',
  'test/main/kernel/device-note.test.ts': 'the kernel process',
  'test/main/kernel/figure-fallback.test.ts': 'the kernel process and Chromium',
  'test/main/kernel/jupyter.test.ts': 'the kernel under a real Jupyter client',
  'test/main/kernel/progress.test.ts': 'the kernel process',
  'test/main/model/bfloat16.test.ts': 'CLI subprocess',
  'test/main/model/genai-gemma.test.ts': 'CLI subprocess',
  'test/main/model/genai.test.ts': 'CLI subprocess',
  'test/main/model/long-command-line.test.ts': 'child process',
  'test/main/model/model-cache.test.ts': 'CLI subprocess',
  'test/main/model/variants.test.ts': 'CLI subprocess',
  'test/main/notebook/roundtrip.test.ts': 'notebook re-run in the kernel',
  'test/main/notebook/legend-export.test.ts': 'Chromium measures the exported SVG',
  'test/main/server/security.test.ts': 'serves the built renderer',
  'test/main/server/start.test.ts': 'CLI subprocess',
  'test/main/store/errors.test.ts': 'child processes writing the store',
  'test/main/store/resume.test.ts': 'child processes writing the store',
  'test/shared/cell-scope.test.ts': 'reads the bundled declarations (npm run build:types)',
};

/** The tier of a test file (a path relative to the repository root, ending in .test.ts). */
export function tierOf(file: string): Tier {
  if (E2E_FOLDERS.some((f) => file.startsWith(f))) return 'e2e';
  if (INTEGRATION_FOLDERS.some((f) => file.startsWith(f)) || file in INTEGRATION_FILES) return 'integration';
  return 'unit';
}
