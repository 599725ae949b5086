/** Language-specific neurons: LAPE selection from a capture, and their ablation. */
import { UserError } from '../../shared/errors.js';
import { ablationMatrix, type AblationMatrix } from '../analysis/ablation-matrix.js';
import { lape as lapeOf, LAPE_DEFAULTS, type LapeOptions as LapeAnalysisOptions, type LapeResult, type NeuronRef } from '../analysis/lape.js';
import { meanNllByLanguage, tokenizeCorpus } from '../capture/corpus-nll.js';
import { LAPE_RESULT, lapeStatsOf, latestLape, requireCaptureRun } from '../capture/stored-runs.js';
import type { Model } from '../model/model.js';
import type { NeuronIntervention } from '../model/types.js';
import { limitsOf } from './capture.js';
import { loadCorpus, type CorpusLimitOptions, type CorpusSource } from './corpus.js';
import { progressWithAbort, throwIfAborted, type LongRunningOptions } from './progress.js';
import { withStore, withStoreSync, type ProjectStore } from './store.js';

export { LAPE_DEFAULTS };
export type { LapeResult, NeuronRef, AblationMatrix };

export interface LapeOptions {
  /** A store or its path, holding a finished (or partial) capture. */
  store: ProjectStore | string;
  /** The capture run to read; default `capture`. */
  run?: string;
  /** Share of all neurons (all layers) to select; default 0.01. */
  topRate?: number;
  /** Quantile of all p that a neuron's largest p must exceed; default 0.95. */
  filterRate?: number;
  /** Quantile p must exceed for a selected neuron to be assigned to a language; default 0.95. */
  activationBarRatio?: number;
  /** Store the result in the file (default true; false for a read-only store). */
  save?: boolean;
}

/** A LAPE result and the id it was stored under (null when not saved). */
export interface LapeOutput extends LapeResult {
  resultId: number | null;
}

/**
 * Language-specific neurons by LAPE (Tang et al. 2024) from a capture's per-language activation
 * counts; stored in the file as a `lape` result.
 */
export function lape(options: LapeOptions): LapeOutput {
  const save = options.save ?? true;
  return withStoreSync(options.store, { readonly: !save, create: false }, (store) => {
    const run = requireCaptureRun(store, options.run ?? 'capture');
    const o: LapeAnalysisOptions = {
      topRate: options.topRate ?? LAPE_DEFAULTS.topRate,
      filterRate: options.filterRate ?? LAPE_DEFAULTS.filterRate,
      activationBarRatio: options.activationBarRatio ?? LAPE_DEFAULTS.activationBarRatio,
    };
    const result = lapeOf(lapeStatsOf(store, run), o);
    const resultId = save ? store.saveResult(run.id, LAPE_RESULT, result.options, result) : null;
    return { ...result, resultId };
  });
}

/** The newest stored LAPE result of a capture run. */
export function storedLape(options: { store: ProjectStore | string; run?: string }): LapeResult {
  return withStoreSync(options.store, { readonly: true, create: false }, (store) => latestLape(store, requireCaptureRun(store, options.run ?? 'capture')));
}

export interface MeanNllOptions extends LongRunningOptions, CorpusLimitOptions {
  model: Model;
  corpus: CorpusSource;
  /** Neurons to scale during the forward passes (0 ablates). */
  interventions?: NeuronIntervention[];
  /** Texts per forward pass; default 8. */
  batch?: number;
}

/** Mean next-token NLL (nats per token) per language, optionally with neurons scaled. */
export async function meanNll(options: MeanNllOptions): Promise<Record<string, number>> {
  const corpus = await tokenizeCorpus(options.model, await loadCorpus(options.corpus, { ...limitsOf(options), model: options.model }));
  throwIfAborted(options.signal, 'meanNll');
  return meanNllByLanguage(options.model, corpus, options.batch ?? 8, options.interventions ?? []);
}

export interface AblateOptions extends LongRunningOptions, CorpusLimitOptions {
  model: Model;
  /** Texts to evaluate the NLL on. */
  corpus: CorpusSource;
  /** The store with the LAPE result to use (its newest for `run`); the ablation matrix is saved there. */
  store?: ProjectStore | string;
  /** Capture run whose LAPE neurons to use; default `capture`. */
  run?: string;
  /** Instead of a store: the neurons of each language, e.g. `lapeResult.neurons` or random sets. */
  neurons?: Record<string, NeuronRef[]>;
  /** Multiply the neurons by this instead of 0. */
  scale?: number;
  /** Texts per forward pass; default 8. */
  batch?: number;
  /** The corpus as recorded with the saved result (default: the source string, or `array`). */
  corpusName?: string;
}

/** The deactivation matrix and the id it was stored under (null without a store). */
export interface AblationOutput extends AblationMatrix {
  resultId: number | null;
}

/**
 * LAPE validation: zero (or scale) each language's neurons in turn and measure the mean NLL per
 * evaluated language; a deactivated × evaluated matrix whose diagonal should rise most.
 */
export async function ablate(options: AblateOptions): Promise<AblationOutput> {
  if (!options.store && !options.neurons) throw new UserError('ablate needs a store with a LAPE result, or neurons', 'Pass { store: "run.db" } after lape(), or { neurons: { eng: [[layer, index], …] } }.');
  const scale = options.scale ?? 0;
  const run = async (neurons: Record<string, NeuronRef[]>): Promise<AblationMatrix> => {
    const model = options.model;
    const corpus = await tokenizeCorpus(model, await loadCorpus(options.corpus, { ...limitsOf(options), model }));
    const langs = Object.keys(neurons).filter((l) => (neurons[l]?.length ?? 0) > 0);
    const progress = progressWithAbort(options, 'ablate', 'ablation');
    const batch = options.batch ?? 8;
    progress(0, langs.length + 1, 'baseline');
    const baseline = await meanNllByLanguage(model, corpus, batch);
    const ablated: Record<string, Record<string, number>> = {};
    for (const [i, lang] of langs.entries()) {
      progress(i + 1, langs.length + 1, lang);
      ablated[lang] = await meanNllByLanguage(model, corpus, batch, neurons[lang]!.map(([layer, index]) => ({ layer, index, scale })));
    }
    progress(langs.length + 1, langs.length + 1);
    return ablationMatrix({ baseline, ablated });
  };
  if (options.neurons && !options.store) return { ...(await run(options.neurons)), resultId: null };
  return withStore(options.store!, {}, async (store) => {
    const capture = requireCaptureRun(store, options.run ?? 'capture');
    store.assertSameModel(capture, options.model.info);
    const neurons = options.neurons ?? latestLape(store, capture).neurons;
    const m = await run(neurons);
    const corpus = options.corpusName ?? (typeof options.corpus === 'string' ? options.corpus : 'array');
    const resultId = store.saveResult(capture.id, 'ablation', { corpus, scale }, m);
    return { ...m, resultId };
  });
}
