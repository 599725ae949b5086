/**
 * Capture: stream a corpus through the model and record, per language, MLP neuron statistics for
 * every layer, pooled residuals per layer per text, and next-token NLL. Resumable: each flush writes
 * the statistics together with the done marks of the texts they came from, in one transaction, so
 * a kill at any moment leaves a file that a second run continues without double counting.
 */
import { CancellationError, UserError } from '../../shared/errors.js';
import type { CorpusText } from '../corpus/index.js';
import type { Model } from '../model/model.js';
import { NeuronStatsAccumulator, type PooledVectors, type SavedActivation, type Store } from '../store/index.js';
import { lengthSortedBatches } from './batches.js';

export interface CaptureOptions {
  /** Run name in the store; a second capture with the same name resumes it. */
  runName: string;
  /** The corpus source as the user wrote it (recorded with the run). */
  corpusSpec: string;
  batchSize: number;
  /** Tokens per text beyond this are cut (default: the model's context). */
  maxTokensPerText?: number;
  /** Write to the store at least this often (ms), and when pending pooled vectors exceed flushBytes. */
  flushIntervalMs?: number;
  flushBytes?: number;
  /** Also keep the raw activations (every tap point, [pos, width]) of the first N texts of each language. */
  keepActivationsPerLang?: number;
  onProgress?: (p: { done: number; total: number; tokens: number }) => void;
  /** Aborting stops the capture between batches: what was done is written, then a CancellationError is thrown. */
  signal?: AbortSignal;
  /** For tests: stop after this many batches as if killed (nothing after the last flush is kept). */
  stopAfterBatches?: number;
}

export interface CaptureSummary {
  runId: number;
  runName: string;
  resumed: boolean;
  texts: number;
  skippedAlreadyDone: number;
  tokens: number;
  languages: string[];
  meanNll: Record<string, number>;
}

export const NLL_RESULT = 'nll';
const TOKENIZE_CHUNK = 1024;

export async function capture(model: Model, store: Store, texts: CorpusText[], o: CaptureOptions): Promise<CaptureSummary> {
  if (texts.length === 0) throw new UserError('the corpus is empty', 'Pass a corpus with at least one text, e.g. --corpus udhr:eng,rus.');
  const info = model.info;
  const maxTokens = Math.min(o.maxTokensPerText ?? info.maxPositions, info.maxPositions);
  const corpus = store.saveCorpus(o.corpusSpec, texts);
  const { run, resumed } = store.openRun({
    name: o.runName,
    kind: 'capture',
    model: { dir: info.dir, hash: info.hash, architecture: info.architecture, numLayers: info.numLayers, hiddenSize: info.hiddenSize, intermediateSize: info.intermediateSize },
    device: info.device,
    corpusId: corpus.corpusId,
    params: { corpus: o.corpusSpec, maxTokensPerText: maxTokens, pooling: 'mean and last over tokens after <bos>' },
  });
  const done = store.doneTextIds(run.id);
  const todo = corpus.texts.filter((t) => !done.has(t.textId));
  const languages = [...new Set(corpus.texts.map((t) => t.lang))].sort();
  // Token ids are made a chunk at a time (sorted by length within it) so memory does not grow with the corpus.
  async function* batches() {
    for (let c = 0; c < todo.length; c += TOKENIZE_CHUNK) {
      const chunk = todo.slice(c, c + TOKENIZE_CHUNK);
      const encoded = await model.tokenizer.encodeBatch(chunk.map((t) => t.text));
      yield* lengthSortedBatches(
        chunk.map((t, i) => ({ item: t, ids: encoded[i]!.ids.slice(0, maxTokens) })),
        o.batchSize,
      );
    }
  }
  const L = info.numLayers;
  const H = info.hiddenSize;
  const I = info.intermediateSize;
  const acc = new NeuronStatsAccumulator(L, I, languages);
  const flushBytes = o.flushBytes ?? 64 << 20;
  const flushInterval = o.flushIntervalMs ?? 10_000;
  let pooled: PooledVectors[] = [];
  let kept: SavedActivation[] = [];
  const keepIds = textsToKeep(corpus.texts, o.keepActivationsPerLang ?? 0);
  let pendingDone: { textId: number; nTokens: number }[] = [];
  let nll = new Map<string, { sum: number; count: number }>();
  // Running NLL totals as stored (a resumed run starts from its own); replaced, not re-read, at each flush.
  let nllTotals = store.latestResult<Record<string, { sum: number; count: number }>>(run.id, NLL_RESULT)?.result ?? {};
  let lastFlush = Date.now();
  let tokens = 0;
  let processed = 0;

  const flush = () => {
    if (pendingDone.length === 0) return;
    const merged = { ...nllTotals };
    for (const [lang, v] of nll) merged[lang] = { sum: (merged[lang]?.sum ?? 0) + v.sum, count: (merged[lang]?.count ?? 0) + v.count };
    store.transaction(() => {
      store.commitBatch(run.id, { stats: acc.flush(), pooled, activations: kept, done: pendingDone });
      store.replaceResult(run.id, NLL_RESULT, {}, merged);
    });
    nllTotals = merged;
    pooled = [];
    kept = [];
    pendingDone = [];
    nll = new Map();
    lastFlush = Date.now();
  };

  let b = 0;
  for await (const batch of batches()) {
    if (o.stopAfterBatches !== undefined && b++ >= o.stopAfterBatches) return summary();
    if (o.signal?.aborted) {
      flush();
      throw new CancellationError(`capture of run "${run.name}" was stopped after ${done.size + processed} of ${corpus.texts.length} texts; they are stored, and capturing again with the same run name resumes it`);
    }
    const r = await model.captureStats(batch.map((x) => x.ids));
    batch.forEach(({ item, ids }, i) => {
      const n = r.counted[i]!;
      for (let l = 0; l < L; l++) {
        const s = r.layers[l]!;
        acc.addReduced(l, item.lang, n, s.positive.subarray(i * I, (i + 1) * I), s.sums.subarray(i * I, (i + 1) * I), s.sumSquares.subarray(i * I, (i + 1) * I));
        const mean = s.residSum.slice(i * H, (i + 1) * H);
        for (let h = 0; h < H; h++) mean[h]! /= n;
        pooled.push({ textId: item.textId, layer: l, mean, last: s.residLast.slice(i * H, (i + 1) * H) });
      }
      const cur = nll.get(item.lang) ?? { sum: 0, count: 0 };
      nll.set(item.lang, { sum: cur.sum + r.nllSum[i]!, count: cur.count + r.nllCount[i]! });
      pendingDone.push({ textId: item.textId, nTokens: ids.length });
      tokens += ids.length;
    });
    for (const { item, ids } of batch.filter((x) => keepIds.has(x.item.textId))) {
      const taps = info.taps.map((t) => t.name);
      const r = await model.forward({ inputIds: [ids], taps, logits: false });
      for (const name of taps) kept.push({ textId: item.textId, point: name, tensor: { data: r.taps[name]!.data, dims: r.taps[name]!.dims.slice(1) } });
    }
    processed += batch.length;
    o.onProgress?.({ done: done.size + processed, total: corpus.texts.length, tokens });
    if (Date.now() - lastFlush > flushInterval || pooled.length * 2 * H * 4 > flushBytes) flush();
  }
  flush();
  store.finishRun(run.id, 'done');
  return summary();

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
      skippedAlreadyDone: done.size,
      tokens,
      languages,
      meanNll: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v.count ? v.sum / v.count : NaN])),
    };
  }
}
