/** Capture: a corpus through the model into a store (neuron statistics, pooled residuals, NLL). */
import { capture as captureCorpus, type CaptureSummary } from '../pipelines/capture.js';
import type { PoolingChoice } from '../pipelines/pooling.js';
import type { Shard } from '../pipelines/shard.js';
import { engineOf, type Model } from './model.js';
import { corpusLabel, loadCorpus, type CorpusLimitOptions, type CorpusSource } from './corpus.js';
import { longOperation, throwIfAborted, type LongRunningOptions } from './progress.js';
import { withStore, type ProjectStore } from './store.js';

export type { CaptureSummary, PoolingChoice, Shard };
export { mergeShards, type MergeOptions, type MergeSummary, type MergedSourceSummary } from '../pipelines/merge-shards.js';
export type { PooledDtype } from '../store/index.js';
export type { PooledEnd } from '../pipelines/pooling.js';

/** Options of `capture`. */
export interface CaptureOptions extends LongRunningOptions, CorpusLimitOptions {
  model: Model;
  /** A store or the path of its file (created when missing). */
  store: ProjectStore | string;
  corpus: CorpusSource;
  /** Run name in the store; capturing again with the same name resumes it. Default `capture`. */
  run?: string;
  /** Texts per forward pass at most; default 64, as the CLI's `--batch` (both take the pipeline's default). */
  batch?: number;
  /** Padded tokens (texts × longest) per forward pass at most, which bounds memory; default 2048. */
  maxBatchTokens?: number;
  /** What to pool and keep per text: `{ vectors: ['wmean', 'mean', 'last'], layers: 'all', dtype: 'float16', ends: ['embedding', 'final_norm'] }` by default (wmean: MEXA's position-weighted mean). */
  pooling?: PoolingChoice;
  /** Capture only shard `index` of `count` (0-based, split by text id); merge the shards with `mergeShards`. */
  shard?: Shard;
  /** Cut texts longer than this many tokens (default: the model's context). */
  maxTokensPerText?: number;
  /** Also store raw activations (all tap points) of the first N texts per language. Default 0. */
  keepActivations?: number;
}

/**
 * Streams a corpus through the model and records, per language, MLP neuron statistics for every
 * layer, pooled residuals per layer per text, and next-token NLL. Resumable: each flush writes the
 * statistics with the done marks of their texts in one transaction; aborting `signal` writes what
 * was done and rejects with a CancellationError, and the same call again continues the run.
 *
 * @example
 *   const summary = await capture({ model, store: 'run.db', corpus: 'udhr:eng,rus', maxTextsPerLang: 20 });
 */
export async function capture(options: CaptureOptions): Promise<CaptureSummary> {
  return longOperation(options, 'capture', async (o) => {
    const model = engineOf(options.model);
    const texts = await loadCorpus(options.corpus, { ...limitsOf(options), model });
    throwIfAborted(o.signal, 'capture');
    return withStore(options.store, {}, (store) =>
      captureCorpus(model, store, texts, {
        runName: options.run ?? 'capture',
        corpusSpec: corpusLabel(options.corpus),
        ...(options.batch !== undefined ? { batchSize: options.batch } : {}),
        ...(options.maxBatchTokens !== undefined ? { maxBatchTokens: options.maxBatchTokens } : {}),
        ...(options.pooling ? { pooling: options.pooling } : {}),
        ...(options.shard ? { shard: options.shard } : {}),
        keepActivationsPerLang: options.keepActivations ?? 0,
        ...(options.maxTokensPerText !== undefined ? { maxTokensPerText: options.maxTokensPerText } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        onProgress: (p) => o.onProgress?.({ stage: 'capture', done: p.done, total: p.total, detail: `${p.tokens} tokens` }),
      }),
    );
  });
}

/** The corpus limit fields of an options object. */
export function limitsOf(o: CorpusLimitOptions): CorpusLimitOptions {
  return {
    ...(o.maxTextsPerLang !== undefined ? { maxTextsPerLang: o.maxTextsPerLang } : {}),
    ...(o.maxTokensPerLang !== undefined ? { maxTokensPerLang: o.maxTokensPerLang } : {}),
  };
}

