/**
 * `npm run bench`: every benchmark, each comparison measured side by side in this one run.
 * Pass a model folder as the first argument to measure another model than the bundled one.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchAlignment } from './alignment.js';
import { benchBatchMemory } from './batch-memory.js';
import { benchCapture } from './capture.js';
import { benchEngine, benchOpen } from './engine.js';
import { benchPooledStore } from './pooled-store.js';
import { benchStore } from './store.js';

const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');
const modelDir = process.argv[2] ?? join(repoRoot, 'assets', 'tiny-babel');

function section(title: string, rows: Record<string, number | string>): void {
  console.log(`\n## ${title}`);
  for (const [k, v] of Object.entries(rows)) console.log(`${k.padEnd(32)} ${v}`);
}

section(`engine (${modelDir}, CPU)`, { ...(await benchOpen(modelDir)), ...(await benchEngine(modelDir)) });
section(`capture (${modelDir}, CPU; includes tokenizing and SQLite writes)`, await benchCapture(modelDir));
section('store at 7B scale (32 layers × 11008 neurons × 10 languages)', await benchStore());
section(`capture memory on context-long texts (${modelDir}, CPU; one process each)`, await benchBatchMemory(modelDir));
section('pooled residuals at 8B scale (float32 vs float16)', await benchPooledStore());
section('alignment (MEXA): float64 JS before, blocked float32 JS, onnxruntime Gemm', await benchAlignment());
