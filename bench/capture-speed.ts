/**
 * Capture's throughput against a bare onnxruntime forward over the same batches (issue 22), with the
 * time split: start-up (session create vs engine open), tokenizing, the forward, the in-graph
 * reductions (capture's run minus the instrumented graph with nothing on) and what the whole capture
 * adds (store writes, the worker hop). Rounds alternate so a loaded machine hits all alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { budgetBatches } from '../src/main/pipelines/batches.js';
import { capture, DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BATCH_TOKENS } from '../src/main/pipelines/capture.js';
import { readCorpus } from '../src/main/corpus/index.js';
import { Model } from '../src/main/model/model.js';
import { OnnxEngine } from '../src/main/model/onnx-engine.js';
import { openStore } from '../src/main/store/index.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => Math.round(x);

export async function benchCaptureSpeed(modelDir: string, rounds = 5, textsPerLang = 20): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-bench-capspeed-'));
  const model = await Model.open(modelDir, { device: 'cpu' });
  let t0 = performance.now();
  const engine = await OnnxEngine.open(modelDir, { device: 'cpu' });
  const engineOpen = performance.now() - t0;
  t0 = performance.now();
  const bare = await ort.InferenceSession.create(model.info.onnxPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const bareOpen = performance.now() - t0;
  try {
    const texts = await readCorpus('udhr:eng,deu,rus,cmn,arb,hin,spa', { maxTextsPerLang: textsPerLang });
    t0 = performance.now();
    const enc = await model.tokenizer.encodeBatch(texts.map((t) => t.text));
    const tokenizeMs = performance.now() - t0;
    const items = texts.map((item, i) => ({ item, ids: enc[i]!.ids.slice(0, model.info.maxPositions) }));
    const tokens = items.reduce((s, x) => s + x.ids.length, 0);
    const batches = budgetBatches(items, { maxBatchTokens: DEFAULT_MAX_BATCH_TOKENS, maxBatchSize: DEFAULT_MAX_BATCH_SIZE }).map((b) => b.map((x) => x.ids));
    const { numKvHeads, headDim } = model.info;
    const bareFeeds = batches.map((ids) => {
      const B = ids.length;
      const T = Math.max(...ids.map((x) => x.length));
      const grid = (f: (row: number[], t: number) => bigint) => BigInt64Array.from(ids.flatMap((x) => [...Array(T).keys()].map((t) => f(x, t))));
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', grid((x, t) => BigInt(x[t] ?? 0)), [B, T]),
        attention_mask: new ort.Tensor('int64', grid((x, t) => (t < x.length ? 1n : 0n)), [B, T]),
        position_ids: new ort.Tensor('int64', grid((_, t) => BigInt(t)), [B, T]),
      };
      for (const name of bare.inputNames.filter((n) => n.startsWith('past_key_values'))) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [B, numKvHeads, 0, headDim]);
      return feeds;
    });
    const time = async (f: () => Promise<unknown>) => {
      const t = performance.now();
      await f();
      return performance.now() - t;
    };
    const bareMs: number[] = [];
    const nothingOnMs: number[] = [];
    const statsMs: number[] = [];
    const captureMs: number[] = [];
    const bareBatchMs: number[] = [];
    const statsBatchMs: number[] = [];
    // One of each first: onnxruntime plans memory on first sight of a shape.
    for (let i = 0; i < batches.length; i++) {
      await bare.run(bareFeeds[i]!, ['logits']);
      await engine.captureStats(batches[i]!);
    }
    for (let r = 0; r < rounds; r++) {
      bareMs.push(
        await time(async () => {
          for (const f of bareFeeds) bareBatchMs.push(await time(() => bare.run(f, ['logits'])));
        }),
      );
      nothingOnMs.push(await time(async () => { for (const ids of batches) await engine.forward({ inputIds: ids }); }));
      statsMs.push(
        await time(async () => {
          for (const ids of batches) statsBatchMs.push(await time(() => engine.captureStats(ids)));
        }),
      );
      const store = openStore(join(dir, `run-${r}.db`));
      captureMs.push(await time(() => capture(model, store, texts, { runName: 'bench', corpusSpec: 'bench' })));
      store.close();
    }
    const b = median(bareMs);
    const s = median(statsMs);
    const c = median(captureMs);
    return {
      texts: texts.length,
      tokens,
      batches: batches.length,
      bare_forward_tokens_per_s: Math.round(tokens / (b / 1000)),
      capture_stats_tokens_per_s: Math.round(tokens / (s / 1000)),
      capture_whole_tokens_per_s: Math.round(tokens / (c / 1000)),
      ratio_capture_stats_vs_bare: Number((b / s).toFixed(3)),
      ratio_capture_stats_vs_bare_per_batch_median: Number((median(bareBatchMs) / median(statsBatchMs)).toFixed(3)),
      ratio_capture_whole_vs_bare: Number((b / c).toFixed(3)),
      split_startup_bare_open_ms: ms(bareOpen),
      split_startup_engine_open_ms: ms(engineOpen),
      split_tokenize_ms: ms(tokenizeMs),
      split_forward_nothing_on_ms: ms(median(nothingOnMs)),
      split_in_graph_reductions_ms: ms(s - median(nothingOnMs)),
      split_store_writes_and_worker_ms: ms(c - s - tokenizeMs),
      bare_forward_ms: ms(b),
      capture_whole_ms: ms(c),
    };
  } finally {
    await bare.release();
    await engine.dispose();
    await model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
