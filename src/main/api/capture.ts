/** Capture: a corpus through the model into a store (neuron statistics, pooled residuals, NLL). */
import { capture as captureCorpus, type CaptureSummary } from '../capture/capture.js';
import type { Model } from '../model/model.js';
import { corpusLabel, loadCorpus, type CorpusLimitOptions, type CorpusSource } from './corpus.js';
import type { LongRunningOptions } from './progress.js';
import { withStore, type ProjectStore } from './store.js';

export type { CaptureSummary };

export interface CaptureOptions extends LongRunningOptions, CorpusLimitOptions {
  model: Model;
  /** A store or the path of its file (created when missing). */
  store: ProjectStore | string;
  corpus: CorpusSource;
  /** Run name in the store; capturing again with the same name resumes it. Default `capture`. */
  run?: string;
  /** Texts per forward pass; default 8. */
  batch?: number;
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
  const { model } = options;
  const texts = await loadCorpus(options.corpus, { ...limitsOf(options), model });
  return withStore(options.store, {}, (store) =>
    captureCorpus(model, store, texts, {
      runName: options.run ?? 'capture',
      corpusSpec: corpusLabel(options.corpus),
      batchSize: options.batch ?? 8,
      keepActivationsPerLang: options.keepActivations ?? 0,
      ...(options.maxTokensPerText !== undefined ? { maxTokensPerText: options.maxTokensPerText } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (p) => options.onProgress?.({ stage: 'capture', done: p.done, total: p.total, detail: `${p.tokens} tokens` }),
    }),
  );
}

/** The corpus limit fields of an options object. */
export function limitsOf(o: CorpusLimitOptions): CorpusLimitOptions {
  return {
    ...(o.maxTextsPerLang !== undefined ? { maxTextsPerLang: o.maxTextsPerLang } : {}),
    ...(o.maxTokensPerLang !== undefined ? { maxTokensPerLang: o.maxTokensPerLang } : {}),
  };
}

export type { Model };
