/** Working language per layer over a corpus (Babel Tower): shares of logit-lens top-1 tokens and language mass. */
import type { WorkingLanguageResult } from '../analysis/working-language.js';
import { UserError } from '../../shared/errors.js';
import { requireCaptureRun } from '../pipelines/stored-runs.js';
import type { TokenEvidence } from '../analysis/token-language.js';
import { workingLanguageOverCorpus } from '../pipelines/working-language-run.js';
import { engineOf, type Model } from './model.js';
import { limitsOf } from './capture.js';
import { corpusLabel, loadCorpus, type CorpusLimitOptions, type CorpusSource } from './corpus.js';
import { longOperation, progressWithAbort, throwIfAborted, type LongRunningOptions } from './progress.js';
import { OPTION_DEFAULTS } from './defaults.js';
import { withStore, type ProjectStore } from './store.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

export type { WorkingLanguageResult };

/** Options of `workingLanguage`. */
export interface WorkingLanguageOptions extends LongRunningOptions, CorpusLimitOptions {
  model: Model;
  corpus: CorpusSource;
  /** Texts per forward pass; default 8. */
  batch?: number;
  /** The token→language rule: share of a token's frequency (per token of each language's texts) a language needs to own it; default 0.8. */
  minShare?: number;
  /** Occurrences below which a token's language comes from its script alone; default 5. */
  minCount?: number;
  /** Extra evidence beside scripts (e.g. keyword lists of programming languages). */
  evidence?: readonly TokenEvidence[];
  /** Also store the result with this store's capture run (for `compareCheckpoints`). */
  store?: ProjectStore | string;
  /** The capture run to attach it to; default `capture`. */
  run?: string;
  /**
   * Random token sets per label for the size-matched chance level (`chanceMass`: the mass a random
   * vocabulary set of the label's size gets on the same positions); default 20, 0 for none. Each adds
   * a column of vocabulary size to the lens's token-set matrix.
   */
  chanceDraws?: number;
  /** Bootstrap resamples over texts for the 95 % intervals of shares and masses; default 1000, 0 for none. */
  resamples?: number;
  /** Seed of the random sets and the bootstrap; default 1. */
  seed?: number;
}

/** The working language per layer, the token counts per language label, and the stored id. */
export interface WorkingLanguageOutput extends WorkingLanguageResult {
  /** How many vocabulary tokens each language label owns (from the corpus statistics). */
  tokensPerLabel: Record<string, number>;
  /** The id of the stored result (null without a store). */
  resultId: number | null;
}

/**
 * Per layer, over a corpus: the share of each language among the logit-lens top-1 tokens, and the
 * mean probability mass on each language's tokens (token languages from the corpus's own statistics),
 * each with a 95 % bootstrap interval over texts, and beside each mass the size-matched chance level.
 * Babelscope's own measure; for Wendler et al.'s protocol see `latentLanguage`.
 */
export async function workingLanguage(options: WorkingLanguageOptions): Promise<WorkingLanguageOutput> {
  const model = engineOf(options.model);
  const defaults = OPTION_DEFAULTS.workingLanguage;
  const minShare = options.minShare ?? defaults.minShare;
  const minCount = options.minCount ?? defaults.minCount;
  for (const [name, v] of [['chanceDraws', options.chanceDraws], ['resamples', options.resamples]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new UserError(`${name} must be a non-negative integer, got ${v}`);
  }
  const uncertainty = { chanceDraws: options.chanceDraws ?? defaults.chanceDraws, resamples: options.resamples ?? defaults.resamples, seed: options.seed ?? defaults.seed };
  const compute = () =>
    longOperation(options, 'working-language', async (o) => {
      const texts = await loadCorpus(options.corpus, { ...limitsOf(options), model });
      throwIfAborted(o.signal, 'working language');
      const progress = progressWithAbort(o, 'working-language', 'working language');
      return workingLanguageOverCorpus(model, texts, { batchSize: options.batch ?? defaults.batch, minShare, minCount, ...uncertainty, ...withoutUndefined({ evidence: options.evidence }), onProgress: (d, t) => progress(d, t) });
    });
  if (!options.store) {
    const { tokens, result } = await compute();
    return { tokensPerLabel: tokens.tokensPerLabel, ...result, resultId: null };
  }
  return withStore(options.store, { create: false }, async (store) => {
    const run = requireCaptureRun(store, options.run ?? defaults.run);
    store.assertSameModel(run, model.info);
    const { tokens, result } = await compute();
    const resultId = store.saveResult('working-language', { runId: run.id, params: { corpus: corpusLabel(options.corpus), ...limitsOf(options), minShare, minCount, ...uncertainty }, result, inputs: {} });
    return { tokensPerLabel: tokens.tokensPerLabel, ...result, resultId };
  });
}
