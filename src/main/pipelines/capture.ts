/**
 * Capture: stream a corpus through the model and record, per language, MLP neuron statistics for
 * every layer, pooled residuals per layer per text, and next-token NLL. Resumable: each flush writes
 * the statistics together with the done marks of the texts they came from, in one transaction, so
 * a kill at any moment leaves a file that a second run continues without double counting.
 */
import { CancellationError, UserError } from '../../shared/errors.js';
import type { CorpusText } from '../../shared/corpus-text.js';
import type { Model } from '../model/model.js';
import type { PooledSums } from '../model/onnx-engine.js';
import type { NllTotals } from '../../shared/result-kinds.js';
import { encodePooled, NeuronStatsAccumulator, TextGroupAccumulator, type EncodedPooled, type SavedActivation, type Store } from '../store/index.js';
import { budgetBatches, type BatchBudget, type TokenizedText } from './batches.js';
import { DEFAULT_POOLING, LEGACY_POOLING, LEGACY_POOLING_PARAM, pooledLayerSet, storedLayerOf, type PoolingChoice } from './pooling.js';
import { inShard, type Shard } from './shard.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

export interface CaptureOptions {
  /** Run name in the store; a second capture with the same name resumes it. */
  runName: string;
  /** The corpus source as the user wrote it (recorded with the run). */
  corpusSpec: string;
  /** Texts per forward pass at most (default 64). */
  batchSize?: number;
  /** Padded tokens (texts × longest) per forward pass at most (default 2048): bounds the activations' memory. */
  maxBatchTokens?: number;
  /** Tokens per text beyond this are cut (default: the model's context). */
  maxTokensPerText?: number;
  /** What to pool and keep per text (default: mean and last, every layer, float16). */
  pooling?: PoolingChoice;
  /** Capture only this deterministic part of the texts (see shard.ts); `babelscope merge` adds the parts. */
  shard?: Shard;
  /**
   * Write to the store at least this often (ms; default 10 s; ≤ 0: after every batch), and when pending
   * pooled vectors exceed flushBytes; but not sooner than FLUSH_SPACING × the last write's duration
   * after it (see flushDue).
   */
  flushIntervalMs?: number;
  flushBytes?: number;
  /** Also keep the raw activations (every tap point, [pos, width]) of the first N texts of each language. */
  keepActivationsPerLang?: number;
  onProgress?: (p: { done: number; total: number; tokens: number }) => void;
  /**
   * Aborting stops the capture between batches: what was done is written, the run is marked
   * `interrupted` (the same capture resumes it), then a CancellationError is thrown.
   */
  signal?: AbortSignal;
  /**
   * Queue the next batch in the model worker while this thread records the last one (default on:
   * recording is cheap, and even on two cores, where onnxruntime's pool has both, the whole capture was
   * 3 % faster with it than without, measured side by side on the compute-bound bench model).
   */
  overlap?: boolean;
  /**
   * Per-text activation counts for text-level tests: each language's texts are dealt into this many
   * groups (text i of the language, in corpus order, into group i mod N), default 16 (see TEXT_GROUPS).
   */
  textGroups?: number;
  /** For tests: stop after this many batches as if killed (nothing after the last flush is kept). */
  stopAfterBatches?: number;
}

/** What one capture call did. */
export interface CaptureSummary {
  runId: number;
  runName: string;
  resumed: boolean;
  texts: number;
  skippedAlreadyDone: number;
  tokens: number;
  languages: string[];
  meanNll: Record<string, number>;
  /** The part captured, when sharded: `texts` + `skippedAlreadyDone` of `shardTexts` texts, out of `corpusTexts` in the whole corpus. */
  shard?: Shard & { shardTexts: number; corpusTexts: number };
}

export const DEFAULT_MAX_BATCH_TOKENS = 2048;
export const DEFAULT_MAX_BATCH_SIZE = 64;
/**
 * A flush writes every (layer, language) statistic and text group touched since the last, whatever the
 * texts: for a 7B model and 20 languages that is hundreds of MB, seconds of writing. Waiting this many
 * times a write's duration before the next bounds the writes to ~5 % of a capture's time (a kill then
 * loses at most that much more work than the interval says).
 */
export const FLUSH_SPACING = 20;

/**
 * Whether the pending results are due for a write: the interval has passed, and so has FLUSH_SPACING ×
 * the last write's duration. An interval ≤ 0 asks for a write after every batch, whatever it costs.
 */
export function flushDue(sinceLastMs: number, lastFlushMs: number, intervalMs: number): boolean {
  return intervalMs <= 0 || sinceLastMs > Math.max(intervalMs, FLUSH_SPACING * lastFlushMs);
}

/**
 * Texts tokenized (and batched by length) at a time. Batches never span two chunks, so small chunks pad
 * more: a first chunk of 64 then 1024 made 10 % more padded tokens than one chunk on 140 texts, 3 % on
 * 1160. The next chunk is tokenized while this one runs.
 */
const TOKENIZE_CHUNK = 4096;
/**
 * Default groups of texts per language for the text-level selectivity test: a language with more texts
 * gives 16 independent units (15 degrees of freedom per language in Welch's test, enough for its t
 * tail to be close to normal), while the store keeps 16 × layers × neurons uint32 per language, not
 * one vector per text (a 7B model: 32 × 11008 × 16 × 4 B = 22 MB per language).
 */
export const TEXT_GROUPS = 16;

/** The parameters a capture run records: everything that changes its stored numbers (batching does not). */
export interface CaptureParams {
  corpus: string;
  maxTokensPerText: number;
  pooling: PoolingChoice | typeof LEGACY_POOLING_PARAM;
  shard?: Shard;
  /** Groups of texts per language with their own activation counts; absent in runs made before they were kept. */
  textGroups?: number;
}

export async function capture(model: Model, store: Store, texts: CorpusText[], o: CaptureOptions): Promise<CaptureSummary> {
  if (texts.length === 0) throw new UserError('the corpus is empty', 'Pass a corpus with at least one text, e.g. --corpus udhr:eng,rus.');
  const info = model.info;
  const maxTokens = Math.min(o.maxTokensPerText ?? info.maxPositions, info.maxPositions);
  const { params, pooling } = captureParams(store, o, maxTokens);
  const keepLayers = pooledLayerSet(pooling, info.numLayers);
  const corpus = store.saveCorpus(o.corpusSpec, texts);
  const { run, resumed } = store.openRun({
    name: o.runName,
    kind: 'capture',
    model: { dir: info.dir, hash: info.hash, architecture: info.architecture, numLayers: info.numLayers, hiddenSize: info.hiddenSize, intermediateSize: info.intermediateSize, vocabSize: info.vocabSize },
    device: info.device,
    corpusId: corpus.corpusId,
    params,
  });
  const done = store.doneTextIds(run.id);
  const mine = o.shard ? corpus.texts.filter((t) => inShard(t.id, o.shard!)) : corpus.texts;
  const todo = mine.filter((t) => !done.has(t.textId));
  const alreadyDone = mine.length - todo.length;
  const languages = [...new Set(corpus.texts.map((t) => t.lang))].sort();
  const budget: BatchBudget = { maxBatchTokens: o.maxBatchTokens ?? DEFAULT_MAX_BATCH_TOKENS, maxBatchSize: o.batchSize ?? DEFAULT_MAX_BATCH_SIZE };
  // Token ids are made a chunk at a time (batched by length within it) so memory does not grow with the
  // corpus; the next chunk is tokenized while this one's batches run.
  const tokenize = (chunk: typeof todo) =>
    model.tokenizer.encodeBatchIds(chunk.map((t) => t.text)).then((ids) => chunk.map((t, i) => ({ item: t, ids: ids[i]!.slice(0, maxTokens) })));
  async function* batches(): AsyncGenerator<TokenizedText<(typeof todo)[number]>[]> {
    const bounds: [number, number][] = [];
    for (let c = 0; c < todo.length; ) {
      const end = Math.min(todo.length, c + TOKENIZE_CHUNK);
      bounds.push([c, end]);
      c = end;
    }
    let next = bounds.length ? tokenize(todo.slice(...bounds[0]!)) : null;
    for (let k = 0; next; k++) {
      const current = await next;
      next = k + 1 < bounds.length ? tokenize(todo.slice(...bounds[k + 1]!)) : null;
      next?.catch(() => {}); // awaited on the next turn; keeps an early stop from leaving it unhandled
      yield* budgetBatches(current, budget);
    }
  }
  const L = info.numLayers;
  const H = info.hiddenSize;
  const I = info.intermediateSize;
  const acc = new NeuronStatsAccumulator(L, I, languages);
  // Runs made before text groups were kept get none: nothing is added to this one, and it commits nothing.
  const groupAcc = new TextGroupAccumulator(I);
  const groups = params.textGroups ? groupAcc : null;
  const groupOf = textGroupsOf(corpus.texts, params.textGroups ?? 1);
  const flushBytes = o.flushBytes ?? 64 << 20;
  const flushInterval = o.flushIntervalMs ?? 10_000;
  const bytesPerPooledValue = pooling.dtype === 'float16' ? 2 : 4;
  let pooled: EncodedPooled[] = [];
  let kept: SavedActivation[] = [];
  const keepIds = textsToKeep(corpus.texts, o.keepActivationsPerLang ?? 0);
  let pendingDone: { textId: number; nTokens: number }[] = [];
  let nll = new Map<string, { sum: number; count: number }>();
  // Running NLL totals as stored (a resumed run starts from its own); replaced, not re-read, at each flush.
  let nllTotals: NllTotals = store.latestResult(run.id, 'nll')?.result ?? {};
  let lastFlush = Date.now();
  let lastFlushMs = 0;
  let tokens = 0;
  let processed = 0;

  /** Writes what is pending; with `finalStatus`, also ends the run, in the same transaction. */
  const flush = (finalStatus?: 'done' | 'interrupted' | 'failed') => {
    if (pendingDone.length === 0 && !finalStatus) return;
    const started = Date.now();
    const merged = { ...nllTotals };
    for (const [lang, v] of nll) merged[lang] = { sum: (merged[lang]?.sum ?? 0) + v.sum, count: (merged[lang]?.count ?? 0) + v.count };
    // The statistics leave the accumulators only once the transaction has committed: after a failed one
    // (a full disk) they are still pending, so a later flush writes them with their done marks, never the
    // marks without them.
    acc.commit((stats) =>
      groupAcc.commit((textGroups) =>
        store.transaction(() => {
          if (pendingDone.length) store.commitBatch(run.id, { stats, textGroups, pooled, activations: kept, done: pendingDone });
          if (finalStatus) store.finishRun(run.id, finalStatus);
          store.saveResult('nll', { runId: run.id, params: {}, result: merged, inputs: { run: run.id } });
        }),
      ),
    );
    nllTotals = merged;
    pooled = [];
    kept = [];
    pendingDone = [];
    nll = new Map();
    lastFlush = Date.now();
    lastFlushMs = lastFlush - started;
  };

  const keepWmean = pooling.vectors.includes('wmean');
  const keepMean = pooling.vectors.includes('mean');
  const keepLast = pooling.vectors.includes('last');
  const keepEnds = pooling.vectors.length ? (pooling.ends ?? []) : [];
  const kindsKept = pooling.vectors.length;
  /** One text's pooled vectors of one point, from the batch's in-graph sums, encoded for the store. */
  const pooledOf = (s: PooledSums, i: number, textId: number, layer: number, counted: number, weightSum: number): EncodedPooled => {
    const divided = (a: Float32Array, by: number) => {
      const v = new Float32Array(H);
      for (let h = 0, k = i * H; h < H; h++, k++) v[h] = a[k]! / by;
      return v;
    };
    const vectors = {
      textId,
      layer,
      wmean: keepWmean ? divided(s.residWeightedSum, weightSum) : null,
      mean: keepMean ? divided(s.residSum, counted) : null,
      last: keepLast ? s.residLast.slice(i * H, (i + 1) * H) : null,
    };
    return encodePooled(vectors, pooling.dtype);
  };
  const record = (batch: TokenizedText<(typeof todo)[number]>[], r: Awaited<ReturnType<Model['captureStats']>>) => {
    batch.forEach(({ item, ids }, i) => {
      const n = r.counted[i]!;
      for (let l = 0; l < L; l++) {
        const s = r.layers[l]!;
        const positive = s.positive.subarray(i * I, (i + 1) * I);
        acc.addReduced(l, item.lang, n, positive, s.sums.subarray(i * I, (i + 1) * I), s.sumSquares.subarray(i * I, (i + 1) * I));
        groups?.addText(l, item.lang, groupOf.get(item.textId)!, n, positive);
        if (keepLayers.has(l)) pooled.push(pooledOf(s, i, item.textId, l, n, r.weightSum[i]!));
      }
      for (const end of keepEnds) {
        const s = r.ends[end];
        if (s) pooled.push(pooledOf(s, i, item.textId, storedLayerOf(end, L), n, r.weightSum[i]!));
      }
      const cur = nll.get(item.lang) ?? { sum: 0, count: 0 };
      nll.set(item.lang, { sum: cur.sum + r.nllSum[i]!, count: cur.count + r.nllCount[i]! });
      pendingDone.push({ textId: item.textId, nTokens: ids.length });
      tokens += ids.length;
    });
  };

  // With overlap, one batch is always queued in the model's worker while this thread records the
  // previous one's results and writes the store, so inference never waits on tokenizing or SQLite.
  const overlap = o.overlap ?? true;
  const source = batches();
  const submit = async () => {
    const next = await source.next();
    if (next.done) return null;
    const result = model.captureStats(next.value.map((x) => x.ids));
    result.catch(() => {}); // awaited below; keeps an early stop from leaving it unhandled
    return { batch: next.value, result };
  };
  try {
    return await captureAll();
  } catch (e) {
    // Keep what the finished batches produced and mark the run failed (it stays resumable); if the
    // store itself is what failed, the original error says why.
    if (!(e instanceof CancellationError)) {
      try {
        flush('failed');
      } catch {}
    }
    throw e;
  }

  async function captureAll(): Promise<CaptureSummary> {
    o.onProgress?.({ done: alreadyDone, total: mine.length, tokens });
    let inflight = await submit();
    let b = 0;
    while (inflight) {
      if (o.stopAfterBatches !== undefined && b++ >= o.stopAfterBatches) return summary();
      if (o.signal?.aborted) {
        flush('interrupted');
        throw new CancellationError(
          `capture of run "${run.name}" was interrupted after ${alreadyDone + processed} of ${mine.length} texts; they are stored, and capturing again with the same run name resumes it`,
        );
      }
      const queued = overlap ? await submit() : null;
      record(inflight.batch, await inflight.result);
      for (const { item, ids } of inflight.batch.filter((x) => keepIds.has(x.item.textId))) {
        const taps = info.taps.map((t) => t.name);
        const r = await model.forward({ inputIds: [ids], taps, logits: false });
        for (const name of taps) kept.push({ textId: item.textId, point: name, tensor: { data: r.taps[name]!.data, dims: r.taps[name]!.dims.slice(1) } });
      }
      processed += inflight.batch.length;
      o.onProgress?.({ done: alreadyDone + processed, total: mine.length, tokens });
      if (flushDue(Date.now() - lastFlush, lastFlushMs, flushInterval) || pooled.length * kindsKept * H * bytesPerPooledValue > flushBytes) flush();
      inflight = overlap ? queued : await submit();
    }
    // A shard's run is done when its part is; the merged run when every text is.
    flush('done');
    return summary();
  }

  function textsToKeep(all: { textId: number; lang: string }[], perLang: number): Set<number> {
    const seen = new Map<string, number>();
    const keep = new Set<number>();
    for (const t of all) {
      const n = seen.get(t.lang) ?? 0;
      if (n < perLang) keep.add(t.textId);
      seen.set(t.lang, n + 1);
    }
    return keep;
  }

  function summary(): CaptureSummary {
    const totals = nllTotals;
    return {
      runId: run.id,
      runName: run.name,
      resumed,
      texts: processed,
      skippedAlreadyDone: alreadyDone,
      tokens,
      languages,
      meanNll: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v.count ? v.sum / v.count : NaN])),
      ...(o.shard ? { shard: { ...o.shard, shardTexts: mine.length, corpusTexts: texts.length } } : {}),
    };
  }
}

/**
 * The run parameters for these options. A run resumed without a pooling asked for keeps its own (a run
 * made before pooling was a choice: float32, all layers; before the weighted mean: mean and last, no
 * embedding or final norm); a pooling asked for that differs is refused as usual.
 */
function captureParams(store: Store, o: CaptureOptions, maxTokensPerText: number): { params: CaptureParams; pooling: PoolingChoice } {
  const existing = store.findRun(o.runName)?.params as Partial<CaptureParams> | undefined;
  const own = o.pooling === undefined ? existing?.pooling : undefined;
  const pooling = own === LEGACY_POOLING_PARAM ? LEGACY_POOLING : (own ?? o.pooling ?? DEFAULT_POOLING);
  // A run made before text groups were kept is resumed without them (its earlier texts have none).
  const textGroups = existing && existing.textGroups === undefined ? undefined : (o.textGroups ?? TEXT_GROUPS);
  if (textGroups !== undefined && !(Number.isInteger(textGroups) && textGroups >= 1)) throw new UserError(`textGroups must be a positive integer, got ${textGroups}`);
  const params: CaptureParams = {
    corpus: o.corpusSpec,
    maxTokensPerText,
    pooling: own ?? pooling,
    ...withoutUndefined({ shard: o.shard, textGroups }),
  };
  return { params, pooling };
}

/** Text id → its group: text i of its language (in corpus order, the same in every shard) goes to group i mod `count`. */
export function textGroupsOf(texts: readonly { textId: number; lang: string }[], count: number): Map<number, number> {
  const seen = new Map<string, number>();
  const group = new Map<number, number>();
  for (const t of texts) {
    const i = seen.get(t.lang) ?? 0;
    group.set(t.textId, i % count);
    seen.set(t.lang, i + 1);
  }
  return group;
}

