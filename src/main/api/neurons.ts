/** Language-specific neurons: LAPE selection from a capture, and their ablation. */
import { UserError } from '../../shared/errors.js';
import type { RunStatus } from '../../shared/result-kinds.js';
import type { AblationMatrix } from '../analysis/ablation-matrix.js';
import { ablationOverCorpus } from '../pipelines/ablation-run.js';
import { lape as lapeOf, type LapeResult, type NeuronRef, type NeuronSelection } from '../analysis/lape.js';
import type { LapeThresholds, SelectivityThresholds } from '../../shared/result-types.js';
import { selectivity as selectivityOf, type SelectivityResult, type SelectiveNeuron } from '../analysis/selectivity.js';
import { meanNllByLanguage, tokenizeCorpus } from '../pipelines/corpus-nll.js';
import { languageNeuronInterventions } from '../pipelines/language-interventions.js';
import { describeSelection, lapeSelection, lapeStatsOf, partialRunWarning, requireCaptureRun, selectivityStatsOf, withLearnedCheck } from '../pipelines/stored-runs.js';
import { engineOf, type Model } from './model.js';
import type { NeuronIntervention } from '../model/types.js';
import { limitsOf } from './capture.js';
import { corpusLabel, loadCorpus, type CorpusLimitOptions, type CorpusSource } from './corpus.js';
import { longOperation, progressWithAbort, throwIfAborted, type LongRunningOptions } from './progress.js';
import { OPTION_DEFAULTS } from './defaults.js';
import { withStore, withStoreSync, type ProjectStore } from './store.js';

export type { LapeResult, NeuronRef, AblationMatrix, NeuronSelection, SelectivityResult, SelectiveNeuron };

/**
 * Options of `lape`: the store and run, the method, and its thresholds (LAPE's `topRate`, `filterRate`,
 * `activationBarRatio`; selectivity's `minEffect`, `fdr`, `fdrProcedure`).
 */
export interface LapeOptions extends Omit<LapeThresholds, 'activationBarOver'>, SelectivityThresholds {
  /** A store or its path, holding a finished (or partial) capture. */
  store: ProjectStore | string;
  /** The capture run to read; default `capture`. */
  run?: string;
  /** 'lape' (default, the reference method) or 'selectivity' (no quota: effect size + FDR; analysis/selectivity.ts). */
  method?: 'lape' | 'selectivity';
  /** Store the result in the file (default true; false for a read-only store). */
  save?: boolean;
}

/** The capture run a LAPE result was computed from. */
export interface LapeRun {
  id: number;
  name: string;
  /** `done`, or `interrupted`/`running` when the capture had not finished: then the result is partial. */
  status: RunStatus;
}

/** A LAPE (or selectivity) result, the id it was stored under (null when not saved), its capture run and warnings (e.g. the run had not finished). */
export type LapeOutput = (LapeResult | SelectivityResult) & { resultId: number | null; run: LapeRun; warnings: string[] };

/**
 * Language-specific neurons by LAPE (Tang et al. 2024) from a capture's per-language activation
 * counts; stored in the file as a `lape` result.
 */
export function lape(options: LapeOptions): LapeOutput {
  const defaults = OPTION_DEFAULTS.lape;
  const save = options.save ?? defaults.save;
  return withStoreSync(options.store, { readonly: !save, create: false }, (store) => {
    const run = requireCaptureRun(store, options.run ?? defaults.run);
    const about = { run: { id: run.id, name: run.name, status: run.status }, warnings: warningsAbout(run) };
    if ((options.method ?? defaults.method) === 'selectivity') {
      const result = withLearnedCheck(store, run, selectivityOf(selectivityStatsOf(store, run), {
        minEffect: options.minEffect ?? defaults.minEffect,
        fdr: options.fdr ?? defaults.fdr,
        fdrProcedure: options.fdrProcedure ?? defaults.fdrProcedure,
      }));
      const params = { test: result.test!, ...result.options };
      const resultId = save ? store.saveResult('selectivity', { runId: run.id, params, result, inputs: { run: run.id } }) : null;
      return { ...result, resultId, ...about, warnings: [...about.warnings, ...unlearnedWarnings(result)] };
    }
    const stats = lapeStatsOf(store, run);
    const o: LapeThresholds = {
      topRate: options.topRate ?? defaults.topRate,
      filterRate: options.filterRate ?? defaults.filterRate,
      activationBarRatio: options.activationBarRatio ?? defaults.activationBarRatio,
    };
    const result = withLearnedCheck(store, run, lapeOf(stats, o));
    const resultId = save ? store.saveResult('lape', { runId: run.id, params: result.options, result, inputs: { run: run.id } }) : null;
    return { ...result, resultId, ...about, warnings: [...about.warnings, ...unlearnedWarnings(result)] };
  });
}

/** One warning per language the model has not learned that still got neurons. */
function unlearnedWarnings(r: NeuronSelection): string[] {
  const c = r.learnedCheck;
  if (!c) return [];
  return c.unlearned.map(
    (l) =>
      `the model has not learned ${l} (mean NLL ${c.meanNll[l]!.toFixed(2)} ≥ ln |V| = ${c.uniformNll.toFixed(2)} nats/token, a uniform guess): its ${r.neurons[l]?.length ?? 0} neurons are meaningless`,
  );
}

/** The run's partial-capture warning, if any, without its `warning: ` prefix. */
function warningsAbout(run: Parameters<typeof partialRunWarning>[0]): string[] {
  const w = partialRunWarning(run);
  return w ? [w.replace(/^warning: /, '')] : [];
}

/** A stored neuron selection (LAPE or selectivity): result `selection` (its id), else the newest of the capture run; with its id. */
export function storedLape(options: { store: ProjectStore | string; run?: string; selection?: number }): NeuronSelection & { resultId: number } {
  return withStoreSync(options.store, { readonly: true, create: false }, (store) => {
    const s = lapeSelection(store, options.run, options.selection);
    return { ...s.result, resultId: s.id };
  });
}

/** A stored LAPE selection described without its neurons: what `ablate` and `codeSwitch` say they use. */
export interface LapeSelectionInfo {
  /** The stored result's id. */
  resultId: number;
  /** The capture run it was made from. */
  run: LapeRun;
  /** True when it was made from a capture that had not finished. */
  partial: boolean;
  /** One line naming it, its method and settings and its neuron count. */
  description: string;
  /** Warnings, e.g. that its capture run has not finished. */
  warnings: string[];
}

/**
 * The stored LAPE selection that `ablate` and `codeSwitch` use for these options (`selection`, else the
 * newest of `run`), described; with `lang`, a UserError when it holds no neurons of that language. Reads
 * the store only, so a caller can say what it will use (or fail) before loading a model.
 */
export function describeLapeSelection(options: { store: ProjectStore | string; run?: string; selection?: number; lang?: string }): LapeSelectionInfo {
  return withStoreSync(options.store, { readonly: true, create: false }, (store) => {
    const s = lapeSelection(store, options.run, options.selection);
    if (options.lang !== undefined) languageNeuronInterventions(s.result, options.lang, 0);
    return { resultId: s.id, run: { id: s.run.id, name: s.run.name, status: s.run.status }, partial: s.partial, description: describeSelection(s, store.path), warnings: warningsAbout(s.run) };
  });
}

/** Options of `meanNll`. */
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
  return longOperation(options, 'meanNll', async (o) => {
    const corpus = await tokenizeCorpus(engineOf(options.model), await loadCorpus(options.corpus, { ...limitsOf(options), model: options.model }));
    throwIfAborted(o.signal, 'meanNll');
    const progress = progressWithAbort(o, 'meanNll', 'meanNll');
    progress(0, corpus.texts.length);
    return meanNllByLanguage(engineOf(options.model), corpus, options.batch ?? OPTION_DEFAULTS.meanNll.batch, options.interventions ?? [], (done) => progress(done, corpus.texts.length));
  });
}

/** Options of `ablate`. */
export interface AblateOptions extends LongRunningOptions, CorpusLimitOptions {
  model: Model;
  /** Texts to evaluate the NLL on. */
  corpus: CorpusSource;
  /** The store with the LAPE result to use (its newest for `run`); the ablation matrix is saved there. */
  store?: ProjectStore | string;
  /** Capture run whose newest LAPE selection to use; default `capture`. */
  run?: string;
  /** The LAPE selection (stored result id) to use instead of the run's newest; recorded with the matrix. */
  selection?: number;
  /**
   * Instead of a stored selection: this LAPE (or selectivity) result. One returned by `lape({ store })` carries its
   * `resultId`, which is recorded as the selection; one without an id is not saved.
   */
  lape?: NeuronSelection & { resultId?: number | null };
  /** Multiply the neurons by this instead of 0. */
  scale?: number;
  /** Chance level: per language, this many random neuron sets with as many neurons per layer as its own; default 20 (their 2.5–97.5 % spread is the band), 0 for none. */
  randomSets?: number;
  /** Seed of the random sets; default 0. */
  seed?: number;
  /** Texts per forward pass; default 8. */
  batch?: number;
}

/** The deactivation matrix, the id it was stored under (null when not saved) and the LAPE selection it used. */
export interface AblationOutput extends AblationMatrix {
  resultId: number | null;
  /** The stored LAPE selection whose neurons were scaled; null for a LAPE result that was never stored. */
  selection: number | null;
  /** True when computed from a capture that had not finished, or from a selection that was. */
  partial: boolean;
}

/**
 * LAPE validation: zero (or scale) each language's neurons in turn and measure the mean NLL per
 * evaluated language; a deactivated × evaluated matrix whose diagonal should rise most, with the
 * chance level of same-size random neuron sets.
 */
export async function ablate(options: AblateOptions): Promise<AblationOutput> {
  if (!options.store && !options.lape) throw new UserError('ablate needs a store with a LAPE result, or a LAPE result', 'Pass { store: "run.db" } after lape({ store }), or { lape: result }.');
  const defaults = OPTION_DEFAULTS.ablate;
  const scale = options.scale ?? defaults.scale;
  const randomSets = options.randomSets ?? defaults.randomSets;
  const seed = options.seed ?? defaults.seed;
  const run = (lapeResult: NeuronSelection): Promise<AblationMatrix> =>
    longOperation(options, 'ablate', async (o) => {
      const model = engineOf(options.model);
      const texts = await loadCorpus(options.corpus, { ...limitsOf(options), model });
      const progress = progressWithAbort(o, 'ablate', 'ablation');
      return ablationOverCorpus(model, lapeResult.neurons, texts, { scale, batchSize: options.batch ?? defaults.batch, randomSets, seed, onProgress: progress });
    });
  const unstored = options.lape && (options.lape.resultId ?? null) === null;
  if (!options.store || unstored) return { ...(await run(options.lape!)), resultId: null, selection: null, partial: false };
  return withStore(options.store, { create: false }, async (store) => {
    const selection = lapeSelection(store, options.run, options.selection ?? options.lape?.resultId ?? undefined);
    const capture = selection.run;
    store.assertSameModel(capture, options.model.info);
    const m = await run(selection.result);
    const resultId = store.saveResult('ablation', {
      runId: capture.id,
      params: { corpus: corpusLabel(options.corpus), ...limitsOf(options), scale, randomSets, seed },
      result: m,
      inputs: { run: capture.id, selection: selection.id },
    });
    return { ...m, resultId, selection: selection.id, partial: store.findResult(resultId)!.partial };
  });
}
