/** Capture: a corpus through the model into a store (neuron statistics, pooled residuals, NLL). */
import { capture as captureCorpus, type CaptureSummary } from '../pipelines/capture.js';
import { mergeShards as mergeShardsInto, type MergeOptions, type MergeSummary } from '../pipelines/merge-shards.js';
import type { PoolingChoice } from '../pipelines/pooling.js';
import type { Shard } from '../pipelines/shard.js';
import { engineOf, type Model } from './model.js';
import { corpusLabel, loadCorpus, type CorpusLimitOptions, type CorpusSource } from './corpus.js';
import { longOperation, throwIfAborted, type LongRunningOptions } from './progress.js';
import { OPTION_DEFAULTS } from './defaults.js';
import { withStore, type ProjectStore } from './store.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

export type { CaptureSummary, PoolingChoice, Shard, MergeOptions, MergeSummary };
export type { MergedSourceSummary } from '../pipelines/merge-shards.js';
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
  /** Texts per forward pass at most; default 64. */
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
        runName: options.run ?? OPTION_DEFAULTS.capture.run,
        corpusSpec: corpusLabel(options.corpus),
        batchSize: options.batch ?? OPTION_DEFAULTS.capture.batch,
        maxBatchTokens: options.maxBatchTokens ?? OPTION_DEFAULTS.capture.maxBatchTokens,
        keepActivationsPerLang: options.keepActivations ?? OPTION_DEFAULTS.capture.keepActivations,
        ...withoutUndefined({ pooling: options.pooling, shard: options.shard, maxTokensPerText: options.maxTokensPerText, signal: o.signal }),
        onProgress: (p) => o.onProgress?.({ stage: 'capture', done: p.done, total: p.total, detail: `${p.tokens} tokens` }),
      }),
    );
  });
}

/**
 * Adds the capture runs of `sourcePaths` (shards made by `capture --shard I/N`) into the run of the same
 * name in `outPath`, creating it when missing. Refuses other models, corpora or settings, unfinished
 * shards and texts counted twice; each source is added in one transaction, and one merged before is skipped.
 *
 * @example
 *   mergeShards('all.db', ['shard-0.db', 'shard-1.db']);
 */
export function mergeShards(outPath: string, sourcePaths: readonly string[], options: MergeOptions = {}): MergeSummary {
  return mergeShardsInto(outPath, sourcePaths, { run: options.run ?? OPTION_DEFAULTS.mergeShards.run });
}

/** The corpus limit fields of an options object. */
export function limitsOf(o: CorpusLimitOptions): CorpusLimitOptions {
  return withoutUndefined({ maxTextsPerLang: o.maxTextsPerLang, maxTokensPerLang: o.maxTokensPerLang });
}

