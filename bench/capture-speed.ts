/**
 * Capture's throughput against a bare onnxruntime forward over the same batches (issue 22): per batch,
 * over all batches in one process (the whole capture against tokenizing, batching and running the bare
 * forward), and as whole processes the way a user runs them (start-up, corpus,
 * tokenizing and the store included), on the bench corpus and on a corpus of a real run's size (the
 * whole UDHR in 20 languages), where the fixed start-up is spread over more work. The time split:
 * start-up (session create vs model open, and each process's own start-up), tokenizing, the forward,
 * the in-graph reductions (capture's run minus the instrumented graph with nothing on), the worker hop
 * (the same batches through the model's worker) and what the whole capture adds on top (recording the
 * results, store writes). Rounds alternate so a loaded machine hits all alike.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { budgetBatches, type BatchBudget } from '../src/main/pipelines/batches.js';
import { capture, DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BATCH_TOKENS } from '../src/main/pipelines/capture.js';
import { readCorpus } from '../src/main/corpus/index.js';
import { Model } from '../src/main/model/model.js';
import { OnnxEngine } from '../src/main/model/onnx-engine.js';
import { openStore } from '../src/main/store/index.js';
import { bareFeeds } from './bare-feeds.js';
import { bareForwardOver } from './capture-speed-child.js';

/** The child process: one whole bare forward or capture (its own module, so the bare side loads none of capture's). */
const childScript = fileURLToPath(new URL('./capture-speed-child.js', import.meta.url));
const BUDGET: BatchBudget = { maxBatchTokens: DEFAULT_MAX_BATCH_TOKENS, maxBatchSize: DEFAULT_MAX_BATCH_SIZE };
const CORPUS = 'udhr:eng,deu,rus,cmn,arb,hin,spa';
/** A real run's size: every UDHR paragraph in 20 languages (1160 texts). */
const RUN_CORPUS = 'udhr:eng,deu,fra,spa,rus,ell,arb,hin,kor,cmn,jpn,tur,ukr,por_PT,ita,vie,ind,pol,nld,swe';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => Math.round(x);
const ratio = (x: number) => Number(x.toFixed(3));

async function time(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}


/** What a child process reports: its own start-up (process start → ready to run) and the whole run after it. */
interface ChildTimes {
  startupMs: number;
  runMs: number;
}

/** One child process: its wall time (node start-up, loading, tokenizing, the whole run) and its own split. */
function processRun(mode: 'bare' | 'capture', modelDir: string, corpus: string, textsPerLang: number): ChildTimes & { wallMs: number } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [childScript, mode, modelDir, corpus, String(textsPerLang), String(BUDGET.maxBatchTokens), String(BUDGET.maxBatchSize)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode} process failed: ${r.stderr}`);
  const wallMs = performance.now() - t;
  return { ...(JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildTimes), wallMs };
}

/** Whole processes, bare and capture alternating: the medians and their ratio. */
function processPairs(modelDir: string, corpus: string, textsPerLang: number, pairs: number) {
  const bare: ReturnType<typeof processRun>[] = [];
  const cap: ReturnType<typeof processRun>[] = [];
  for (let r = 0; r < pairs; r++) {
    bare.push(processRun('bare', modelDir, corpus, textsPerLang));
    cap.push(processRun('capture', modelDir, corpus, textsPerLang));
  }
  const m = (xs: ReturnType<typeof processRun>[], k: keyof ReturnType<typeof processRun>) => median(xs.map((x) => x[k]));
  return {
    ratio: m(bare, 'wallMs') / m(cap, 'wallMs'),
    bareMs: m(bare, 'wallMs'),
    captureMs: m(cap, 'wallMs'),
    bareStartupMs: m(bare, 'startupMs'),
    captureStartupMs: m(cap, 'startupMs'),
    bareRunMs: m(bare, 'runMs'),
    captureRunMs: m(cap, 'runMs'),
  };
}

export async function benchCaptureSpeed(modelDir: string, rounds = 5, textsPerLang = 20): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-bench-capspeed-'));
  let t0 = performance.now();
  const model = await Model.open(modelDir, { device: 'cpu' });
  const modelOpen = performance.now() - t0;
  t0 = performance.now();
  const engine = await OnnxEngine.open(modelDir, { device: 'cpu' });
  const engineOpen = performance.now() - t0;
  t0 = performance.now();
  const bare = await ort.InferenceSession.create(model.info.onnxPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const bareOpen = performance.now() - t0;
  try {
    const texts = await readCorpus(CORPUS, { maxTextsPerLang: textsPerLang });
    t0 = performance.now();
    const enc = await model.tokenizer.encodeBatchIds(texts.map((t) => t.text));
    const tokenizeMs = performance.now() - t0;
    const items = texts.map((item, i) => ({ item, ids: enc[i]!.slice(0, model.info.maxPositions) }));
    const tokens = items.reduce((s, x) => s + x.ids.length, 0);
    const batches = budgetBatches(items, BUDGET).map((b) => b.map((x) => x.ids));
    const feeds = batches.map((ids) => bareFeeds(bare, ids, model.info.numKvHeads, model.info.headDim));
    const bareMs: number[] = [];
    /** The bare side of the whole-capture comparison does what capture does besides recording: tokenize, batch, feed, run. */
    const bareWholeMs: number[] = [];
    const bareWhole = () => bareForwardOver(bare, model.tokenizer, texts, model.info, BUDGET);
    const nothingOnMs: number[] = [];
    const statsMs: number[] = [];
    const workerMs: number[] = [];
    const captureMs: number[] = [];
    const bareBatchMs: number[] = [];
    const statsBatchMs: number[] = [];
    // One of each first: onnxruntime plans memory on first sight of a shape.
    for (let i = 0; i < batches.length; i++) {
      await bare.run(feeds[i]!, ['logits']);
      await engine.captureStats(batches[i]!);
      await model.captureStats(batches[i]!);
    }
    for (let r = 0; r < rounds; r++) {
      bareMs.push(await time(async () => { for (const f of feeds) bareBatchMs.push(await time(() => bare.run(f, ['logits']))); }));
      nothingOnMs.push(await time(async () => { for (const ids of batches) await engine.forward({ inputIds: ids }); }));
      statsMs.push(await time(async () => { for (const ids of batches) statsBatchMs.push(await time(() => engine.captureStats(ids))); }));
      workerMs.push(await time(async () => { for (const ids of batches) await model.captureStats(ids); }));
      bareWholeMs.push(await time(bareWhole));
      const store = openStore(join(dir, `run-${r}.db`));
      captureMs.push(await time(() => capture(model, store, texts, { runName: 'bench', corpusSpec: 'bench' })));
      store.close();
    }
    // Whole processes vary by several % from run to run here: three pairs, alternating, and their medians.
    const pairs = 3;
    const proc = processPairs(modelDir, CORPUS, textsPerLang, pairs);
    const runProc = processPairs(modelDir, RUN_CORPUS, 0, pairs);
    const runTexts = (await readCorpus(RUN_CORPUS, {})).length;
    const b = median(bareMs);
    const s = median(statsMs);
    const wk = median(workerMs);
    const c = median(captureMs);
    const ratios = { perBatch: median(bareBatchMs) / median(statsBatchMs), whole: median(bareWholeMs) / c, process: proc.ratio, runProcess: runProc.ratio };
    return {
      texts: texts.length,
      tokens,
      batches: batches.length,
      bare_forward_tokens_per_s: Math.round(tokens / (b / 1000)),
      capture_stats_tokens_per_s: Math.round(tokens / (s / 1000)),
      capture_whole_tokens_per_s: Math.round(tokens / (c / 1000)),
      ratio_capture_stats_vs_bare: ratio(b / s),
      ratio_capture_stats_vs_bare_per_batch_median: ratio(ratios.perBatch),
      ratio_capture_whole_vs_bare: ratio(ratios.whole),
      ratio_capture_process_vs_bare_process: ratio(ratios.process),
      [`ratio_process_run_size_${runTexts}_texts`]: ratio(ratios.runProcess),
      split_startup_bare_open_ms: ms(bareOpen),
      split_startup_engine_open_ms: ms(engineOpen),
      split_startup_model_open_ms: ms(modelOpen),
      split_tokenize_ms: ms(tokenizeMs),
      split_forward_bare_ms: ms(b),
      split_forward_nothing_on_ms: ms(median(nothingOnMs)),
      split_in_graph_reductions_ms: ms(s - median(nothingOnMs)),
      split_worker_hop_ms: ms(wk - s),
      split_record_and_store_writes_ms: ms(c - wk),
      bare_whole_ms: ms(median(bareWholeMs)),
      capture_whole_ms: ms(c),
      bare_process_ms: ms(proc.bareMs),
      capture_process_ms: ms(proc.captureMs),
      process_startup_bare_ms: ms(proc.bareStartupMs),
      process_startup_capture_ms: ms(proc.captureStartupMs),
      process_run_bare_ms: ms(proc.bareRunMs),
      process_run_capture_ms: ms(proc.captureRunMs),
      run_size_bare_process_ms: ms(runProc.bareMs),
      run_size_capture_process_ms: ms(runProc.captureMs),
      run_size_process_startup_bare_ms: ms(runProc.bareStartupMs),
      run_size_process_startup_capture_ms: ms(runProc.captureStartupMs),
      goals: `capture ≥ 0.95× bare, per batch / whole / process (bench corpus) / process (${runTexts} texts): ${Object.values(ratios).map((x) => (x >= 0.95 ? 'met' : 'NOT met')).join(' / ')}`,
    };
  } finally {
    await bare.release();
    await engine.dispose();
    await model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
