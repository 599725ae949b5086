/**
 * `npm run bench`: every benchmark, each comparison measured side by side in this one run.
 * Pass a model folder as the first argument to measure another model than the bundled one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchAlignment } from './alignment.js';
import { benchBatchMemory } from './batch-memory.js';
import { benchCapture } from './capture.js';
import { benchCaptureMemory, benchLargeVocabulary } from './capture-memory.js';
import { benchCaptureSpeed } from './capture-speed.js';
import { benchEngine, benchOpen } from './engine.js';
import { benchKernel } from './kernel.js';
import { benchWorkbench } from './workbench.js';
import { benchPooledStore } from './pooled-store.js';
import { benchStore } from './store.js';
import { benchAblation, benchInlineGraph, benchMemory, benchOneSession } from './model-scale.js';

const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');
const modelDir = process.argv[2] ?? join(repoRoot, 'assets', 'tiny-babel');
/** Built by scripts/make_large_model.py (≥ 1.5 GB fp32 Llama, external data); benches that need real size use it when present. */
const largeDir = join(repoRoot, 'bench', 'models', 'large-llama');
const hasLarge = existsSync(join(largeDir, 'onnx', 'model.onnx'));
/** scripts/make_large_model.py --preset medium / --preset compute (issue 22: capture against a bare forward). */
const mediumDir = join(repoRoot, 'bench', 'models', 'medium-llama');
const computeDir = join(repoRoot, 'bench', 'models', 'compute-llama');
/** scripts/make_large_model.py --preset wide-vocab: a 128k vocabulary (capture's memory, the lens in chunks). */
const wideVocabDir = join(repoRoot, 'bench', 'models', 'wide-vocab-llama');
const built = (dir: string) => existsSync(join(dir, 'onnx', 'model.onnx'));

function section(title: string, rows: Record<string, number | string>): void {
  console.log(`\n## ${title}`);
  for (const [k, v] of Object.entries(rows)) console.log(`${k.padEnd(32)} ${v}`);
}

section(`engine (${modelDir}, CPU)`, { ...(await benchOpen(modelDir)), ...(await benchEngine(modelDir)) });
section(`capture (${modelDir}, CPU; includes tokenizing and SQLite writes)`, await benchCapture(modelDir));
if (built(mediumDir)) section(`capture vs bare forward, peak RSS, same batches, one process each (${mediumDir}, CPU)`, await benchCaptureMemory(mediumDir));
else console.log('\n(capture memory vs bare forward: skipped, build the model with /usr/bin/python3 scripts/make_large_model.py --preset medium)');
if (built(wideVocabDir)) section(`a 128k vocabulary: capture vs bare forward and the lens in chunks, peak RSS (${wideVocabDir}, CPU)`, await benchLargeVocabulary(wideVocabDir));
else console.log('\n(large vocabulary: skipped, build the model with /usr/bin/python3 scripts/make_large_model.py --preset wide-vocab)');
if (built(computeDir)) section(`capture vs bare forward, speed, compute-bound (${computeDir}, CPU; shared machine)`, await benchCaptureSpeed(computeDir));
else console.log('\n(capture speed vs bare forward: skipped, build the model with /usr/bin/python3 scripts/make_large_model.py --preset compute)');
section(`one session (${modelDir}, CPU)`, await benchOneSession(modelDir));
section(`ablation over L languages vs L + 1 captures (${modelDir}, CPU)`, await benchAblation(modelDir));
const big = hasLarge ? largeDir : modelDir;
if (!hasLarge) console.log('\n(no large model: build one with /usr/bin/python3 scripts/make_large_model.py for the size benchmarks)');
section(`one session at size (${big}, CPU)`, hasLarge ? await benchOneSession(big, 3) : {});
if (hasLarge) section(`capture vs plain forward at size (${big}, CPU)`, await benchCapture(big, 2, 4));
section(`peak RSS per feature, fresh process each (${big}, CPU)`, await benchMemory(big));
section(`graph with inline weights (${big})`, await benchInlineGraph(big));
section('store at 7B scale (32 layers × 11008 neurons × 10 languages)', await benchStore());
section(`capture memory on context-long texts (${modelDir}, CPU; one process each)`, await benchBatchMemory(modelDir));
section('pooled residuals at 8B scale (float32 vs float16)', await benchPooledStore());
section('alignment (MEXA): float64 JS before, blocked float32 JS, onnxruntime Gemm', await benchAlignment());
section('notebook kernel (Node client over ZeroMQ, this machine)', await benchKernel());
section('workbench in Chromium (serve → interactive notebook, keystroke → completion)', await benchWorkbench());
