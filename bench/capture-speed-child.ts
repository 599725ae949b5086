/**
 * One whole process of capture-speed's comparison (issue 22), as a user runs it: a bare onnxruntime
 * forward over a corpus, or a capture through the public API (openModel, then capture into a store
 * file). Its own module so that each side loads only what it uses: the bare side none of capture's.
 * Prints `{ startupMs, runMs }`: process start → ready to run, and the run after it.
 *
 *   node capture-speed-child.js bare|capture MODEL_DIR CORPUS TEXTS_PER_LANG MAX_BATCH_TOKENS MAX_BATCH_SIZE
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { CorpusText } from '../src/shared/corpus-text.js';
import type { ModelInfo } from '../src/shared/model-types.js';
import { readCorpus } from '../src/main/corpus/index.js';
import { budgetBatches, type BatchBudget } from '../src/main/pipelines/batches.js';
import type { Tokenizer } from '../src/main/model/tokenizer.js';
import { bareFeeds } from './bare-feeds.js';

/** The bare forward over a corpus as capture takes it: ids only, cut to the context, batched by length. */
export async function bareForwardOver(session: ort.InferenceSession, tokenizer: Tokenizer, texts: CorpusText[], info: Pick<ModelInfo, 'maxPositions' | 'numKvHeads' | 'headDim'>, budget: BatchBudget): Promise<void> {
  const ids = await tokenizer.encodeBatchIds(texts.map((t) => t.text));
  const items = texts.map((item, i) => ({ item, ids: ids[i]!.slice(0, info.maxPositions) }));
  for (const batch of budgetBatches(items, budget)) await session.run(bareFeeds(session, batch.map((x) => x.ids), info.numKvHeads, info.headDim), ['logits']);
}

async function child(mode: 'bare' | 'capture', modelDir: string, corpus: string, textsPerLang: number, budget: BatchBudget): Promise<void> {
  const limits = textsPerLang > 0 ? { maxTextsPerLang: textsPerLang } : {};
  if (mode === 'capture') {
    const api = await import('../src/main/api/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'babelscope-bench-capspeed-'));
    const model = await api.openModel(modelDir, { device: 'cpu' });
    const startupMs = performance.now(); // since this process started
    const t0 = performance.now();
    await api.capture({ model, store: join(dir, 'run.db'), corpus, ...limits, maxBatchTokens: budget.maxBatchTokens, batch: budget.maxBatchSize });
    const runMs = performance.now() - t0;
    await model.dispose();
    rmSync(dir, { recursive: true, force: true });
    console.log(JSON.stringify({ startupMs, runMs }));
    return;
  }
  const { describeModel } = await import('../src/main/model/model-description.js');
  const { Tokenizer } = await import('../src/main/model/tokenizer.js');
  const d = await describeModel(modelDir, {}, 'inspect');
  const session = await ort.InferenceSession.create(d.info.onnxPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const tokenizer = Tokenizer.fromFile(join(d.info.dir, 'tokenizer.json'));
  const startupMs = performance.now();
  const t0 = performance.now();
  await bareForwardOver(session, tokenizer, await readCorpus(corpus, limits), d.info, budget);
  const runMs = performance.now() - t0;
  await session.release();
  console.log(JSON.stringify({ startupMs, runMs }));
}

const [, script, mode, modelDir, corpus, textsPerLang, maxBatchTokens, maxBatchSize] = process.argv;
if (script === fileURLToPath(import.meta.url) && (mode === 'bare' || mode === 'capture'))
  await child(mode, modelDir!, corpus!, Number(textsPerLang), { maxBatchTokens: Number(maxBatchTokens), maxBatchSize: Number(maxBatchSize) });
