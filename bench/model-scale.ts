/**
 * Benchmarks of one-session instrumentation at real sizes (issue 10), each comparison side by side:
 * - a forward with nothing switched on vs the model as exported in a bare onnxruntime session;
 * - opening (cold: hash once; warm) vs a bare `InferenceSession.create`;
 * - peak RSS of lens, capture and ablation over the weight bytes, each in a fresh process;
 * - moving weights out of, and instrumenting, a graph with ~1.7 GB of inline weights;
 * - ablation over L languages vs L + 1 captures of the same texts (issue 11).
 * The large model comes from scripts/make_large_model.py (bench/models/large-llama) when present.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { capture } from '../src/main/pipelines/capture.js';
import { ablationOverCorpus } from '../src/main/pipelines/ablation-run.js';
import { readCorpus } from '../src/main/corpus/index.js';
import { concatBytes, instrumentModel } from '../src/main/model/instrument.js';
import { describeModel } from '../src/main/model/model-description.js';
import { Model } from '../src/main/model/model.js';
import { OnnxEngine } from '../src/main/model/onnx-engine.js';
import { Tokenizer } from '../src/main/model/tokenizer.js';
import { openStore } from '../src/main/store/index.js';
import { mulberry32 } from '../src/shared/random.js';
import { bareFeeds } from './bare-feeds.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const here = fileURLToPath(import.meta.url);

function weightBytes(modelDir: string): number {
  const onnx = existsSync(join(modelDir, 'onnx', 'model.onnx')) ? join(modelDir, 'onnx') : modelDir;
  const data = join(onnx, 'model.onnx_data');
  return existsSync(data) ? statSync(data).size : statSync(join(onnx, 'model.onnx')).size;
}

async function withCache<T>(fn: (cache: string) => Promise<T>): Promise<T> {
  const previous = process.env['BABELSCOPE_CACHE'];
  const cache = mkdtempSync(join(tmpdir(), 'babelscope-bench-cache-'));
  process.env['BABELSCOPE_CACHE'] = cache;
  try {
    return await fn(cache);
  } finally {
    if (previous === undefined) delete process.env['BABELSCOPE_CACHE'];
    else process.env['BABELSCOPE_CACHE'] = previous;
    rmSync(cache, { recursive: true, force: true });
  }
}

async function texts(perLang: number, langs = 'udhr:eng,deu,rus,cmn,arb') {
  return readCorpus(langs, { maxTextsPerLang: perLang });
}

/** Open time (empty cache, then warm) vs a bare session; forward with nothing on vs the bare session. */
export async function benchOneSession(modelDir: string, rounds = 9): Promise<Record<string, number>> {
  return withCache(async () => {
    const d = await describeModel(modelDir, {}, 'inspect');
    let t0 = performance.now();
    const bare = await ort.InferenceSession.create(d.info.onnxPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
    const bareOpen = performance.now() - t0;
    // The engine in this thread, like the bare session: the comparison is of the graphs alone.
    t0 = performance.now();
    let model = await OnnxEngine.open(modelDir, { device: 'cpu' });
    const cold = performance.now() - t0;
    await model.dispose();
    t0 = performance.now();
    model = await OnnxEngine.open(modelDir, { device: 'cpu' });
    const warm = performance.now() - t0;
    try {
      const corpus = await texts(2);
      const tokenizer = Tokenizer.fromFile(join(d.info.dir, 'tokenizer.json'));
      const ids = (await tokenizer.encodeBatch(corpus.map((t) => t.text))).slice(0, 8).map((e) => e.ids.slice(0, 64));
      const tokens = ids.reduce((s, x) => s + x.length, 0);
      const feeds = bareFeeds(bare, ids, d.info.numKvHeads, d.info.headDim);
      const plain: number[] = [];
      const ours: number[] = [];
      await bare.run(feeds, ['logits']);
      await model.forward({ inputIds: ids });
      for (let r = 0; r < rounds; r++) {
        t0 = performance.now();
        await bare.run(feeds, ['logits']);
        plain.push(tokens / ((performance.now() - t0) / 1000));
        t0 = performance.now();
        await model.forward({ inputIds: ids });
        ours.push(tokens / ((performance.now() - t0) / 1000));
      }
      return {
        bare_open_ms: Math.round(bareOpen),
        open_cold_ms: Math.round(cold),
        open_warm_ms: Math.round(warm),
        ratio_warm_open_vs_bare: Number((warm / bareOpen).toFixed(2)),
        bare_forward_tokens_per_s: Math.round(median(plain)),
        nothing_on_tokens_per_s: Math.round(median(ours)),
        ratio_nothing_on_vs_bare: Number((median(ours) / median(plain)).toFixed(3)),
      };
    } finally {
      await model.dispose();
      await bare.release();
    }
  });
}

/** Peak RSS of one feature in a fresh process (this file run as a script), in MB. */
function peakRss(mode: string, modelDir: string, cache: string): number {
  const out = execFileSync(process.execPath, [here, mode, modelDir], { env: { ...process.env, BABELSCOPE_CACHE: cache }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return Number(JSON.parse(out.trim().split('\n').pop()!).max_rss_mb);
}

export async function benchMemory(modelDir: string): Promise<Record<string, number>> {
  return withCache(async (cache) => {
    peakRss('open', modelDir, cache); // hash once, outside the measurements
    const weights = weightBytes(modelDir) / 2 ** 20;
    const row: Record<string, number> = { weight_mb: Math.round(weights) };
    for (const mode of ['bare', 'open', 'lens', 'capture', 'ablation', 'all']) {
      const mb = peakRss(mode, modelDir, cache);
      row[`${mode}_peak_rss_mb`] = Math.round(mb);
      row[`${mode}_rss_over_weights`] = Number((mb / weights).toFixed(2));
    }
    return row;
  });
}

/** Child side of benchMemory: runs one feature on a few texts and prints its peak RSS. */
async function rssProbe(mode: string, modelDir: string): Promise<void> {
  const corpus = await texts(2);
  if (mode === 'bare') {
    const d = await describeModel(modelDir, {}, 'inspect');
    await ort.InferenceSession.create(d.info.onnxPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  } else {
    const model = await Model.open(modelDir, { device: 'cpu', log: () => {} });
    const ids = (await model.tokenizer.encodeBatch(corpus.map((t) => t.text))).map((e) => e.ids.slice(0, 64));
    const batches = [ids.slice(0, 5), ids.slice(5)];
    const I = model.info.intermediateSize;
    const ablated = [...Array(model.info.numLayers).keys()].flatMap((layer) => [...Array(Math.ceil(I / 100)).keys()].map((k) => ({ layer, index: k * 100, scale: 0 })));
    for (const b of batches) {
      if (mode === 'lens' || mode === 'all') await model.lens({ inputIds: b, topK: 5 });
      if (mode === 'capture' || mode === 'all') await model.captureStats(b);
      if (mode === 'ablation' || mode === 'all') await model.nll({ inputIds: b, interventions: ablated });
    }
    await model.dispose();
  }
  console.log(JSON.stringify({ max_rss_mb: process.resourceUsage().maxRSS / 1024 }));
}

/** A graph with its weights inline (made from the model, ~1.7 GB for the large one): move them out once, instrument. */
export async function benchInlineGraph(modelDir: string): Promise<Record<string, number>> {
  const { inlineCopy } = await import('../test/helpers/onnx-edit.js');
  const work = mkdtempSync(join(tmpdir(), 'babelscope-bench-inline-'));
  try {
    const dir = inlineCopy(modelDir, join(work, 'inline'));
    const graphMb = statSync(join(dir, 'model.onnx')).size / 2 ** 20;
    return await withCache(async () => {
      let t0 = performance.now();
      await describeModel(dir, {}, 'run'); // hashes and moves the weights out, once
      const firstMs = performance.now() - t0;
      t0 = performance.now();
      const again = await describeModel(dir, {}, 'run');
      const againMs = performance.now() - t0;
      t0 = performance.now();
      const spec = {
        floatType: 1,
        opset: 14,
        residuals: again.info.taps.filter((t) => t.kind === 'resid_post').map((t) => t.onnxName),
        activations: again.info.taps.filter((t) => t.kind === 'mlp_act').map((t) => t.onnxName),
        width: again.info.intermediateSize,
        vocabSize: again.info.vocabSize,
        extraTaps: [],
        logits: 'logits',
      };
      concatBytes(instrumentModel(again.graphBytes, spec).parts);
      const instrumentMs = performance.now() - t0;
      // Instrumenting the inline graph itself, without moving anything (the editing cost alone).
      const inlineBytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
      t0 = performance.now();
      instrumentModel(inlineBytes, spec);
      const inlineInstrumentMs = performance.now() - t0;
      return {
        inline_graph_mb: Math.round(graphMb),
        first_open_hash_and_move_ms: Math.round(firstMs),
        later_open_describe_ms: Math.round(againMs),
        instrument_moved_graph_ms: Math.round(instrumentMs),
        instrument_inline_graph_ms: Math.round(inlineInstrumentMs),
        heap_used_mb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
      };
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Ablation over L languages (one NLL pass per language + baseline) vs L + 1 captures of the same texts. */
export async function benchAblation(modelDir: string, perLang = 20): Promise<Record<string, number>> {
  const model = await Model.open(modelDir, { device: 'cpu' });
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-bench-ablate-'));
  try {
    const corpus = await texts(perLang);
    const languages = [...new Set(corpus.map((t) => t.lang))];
    const L = languages.length;
    const rand = mulberry32(7);
    const I = model.info.intermediateSize;
    const neurons = Object.fromEntries(languages.map((lang) => [lang, [...Array(model.info.numLayers).keys()].flatMap((layer) => [...Array(Math.ceil(I / 100)).keys()].map(() => [layer, Math.floor(rand() * I)] as [number, number]))]));
    const batchSize = 8;
    await capture(model, openStore(join(dir, 'warm.db')), corpus.slice(0, 8), { runName: 'warm', corpusSpec: 'bench', batchSize });
    let t0 = performance.now();
    const store = openStore(join(dir, 'run.db'));
    await capture(model, store, corpus, { runName: 'bench', corpusSpec: 'bench', batchSize });
    store.close();
    const captureMs = performance.now() - t0;
    t0 = performance.now();
    await ablationOverCorpus(model, neurons, corpus, { scale: 0, batchSize, randomSets: 0, seed: 1 });
    const ablationMs = performance.now() - t0;
    return {
      languages: L,
      texts: corpus.length,
      capture_ms: Math.round(captureMs),
      ablation_ms: Math.round(ablationMs),
      ablation_over_L_plus_1_captures: Number((ablationMs / ((L + 1) * captureMs)).toFixed(3)),
    };
  } finally {
    await model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === here && process.argv[2]) await rssProbe(process.argv[2], process.argv[3]!);
