/**
 * The shapes of the analysis results Babelscope stores (see result-kinds.ts) and returns. They live in
 * src/shared so the store, the public API, the plot specs and the renderer all name the same types; the
 * analyses in src/main/analysis compute them. Keys are camelCase, in memory, in the store's JSON and in
 * every `--json` output.
 */
import type { Interval } from './intervals.js';

// LAPE (src/main/analysis/lape.ts)

/** LAPE thresholds (Tang et al. 2024). */
export interface LapeThresholds {
  /** Share of all neurons (all layers together) to select; default 0.01. */
  topRate?: number;
  /** Quantile of all p below which (inclusive) a neuron's largest p drops it; default 0.95. */
  filterRate?: number;
  /** Quantile that p must exceed for a selected neuron to be assigned to a language; default 0.95. */
  activationBarRatio?: number;
  /** Values the activation-bar quantile is taken over: all p (reference code, default) or selected. */
  activationBarOver?: 'all' | 'selected';
}

/**
 * A pooled vector of a text (what a capture keeps and alignment compares): `wmean`, MEXA's
 * position-weighted mean (weights 1..n over all tokens, <bos> included, as embed_extractor.py); `mean`,
 * the uniform mean after <bos>; `last`, the last token.
 */
export type PoolingKind = 'wmean' | 'mean' | 'last';

/** A neuron as `[layer, index]`. */
export type NeuronRef = [layer: number, index: number];

/** Whether a model has learned each language: its mean NLL against a uniform guess over the vocabulary (analysis/unlearned.ts). */
export interface LearnedCheck {
  vocabSize: number;
  /** ln |V|: nats per token of a uniform guess. */
  uniformNll: number;
  /** language → mean next-token NLL (nats per token) on the capture's texts. */
  meanNll: Record<string, number>;
  /** Languages whose NLL is no better than the uniform guess: not learned, their neurons meaningless. */
  unlearned: string[];
}

/** What every neuron-selection method gives (LAPE, selectivity): what ablation and comparisons read. */
export interface NeuronSelection {
  /** 'selectivity' for that method; absent or 'lape' for LAPE. */
  method?: 'lape' | 'selectivity';
  languages: string[];
  /** language → its neurons, sorted by layer then index. */
  neurons: Record<string, NeuronRef[]>;
  /** language → [layers] number of its neurons per layer. */
  perLayer: Record<string, number[]>;
  /** All selected neurons (some may belong to no language). */
  selected: NeuronRef[];
  /** [layers] neurons per layer. */
  neuronsPerLayer: number[];
  /**
   * Languages the model has not learned (mean NLL ≥ ln |V|): their neurons are meaningless; with the
   * NLLs that decided it. Absent when the capture kept no NLL or the vocabulary size is unknown.
   */
  unlearned?: string[];
  learnedCheck?: LearnedCheck;
}

/** Language-specific neurons selected by LAPE. */
export interface LapeResult extends NeuronSelection {
  method?: 'lape';
  /** The options used, defaults filled in. */
  options: Required<LapeThresholds>;
  /** The quantile values used: τ_f (filter) and τ_a (activation bar; null when nothing was selected). */
  thresholds: { filter: number; activationBar: number | null };
}

// Selectivity (src/main/analysis/selectivity.ts)

/** Thresholds of the selectivity method (no quota): an effect-size floor inside the null and a false-discovery rate. */
export interface SelectivityThresholds {
  /** The margin h₀ of the null H0: h ≤ h₀, where h is the text-level Cohen's h over the closest other language; default 0.8 ("large"). */
  minEffect?: number;
  /** False-discovery rate over all neurons × languages; default 0.05. */
  fdr?: number;
  /** 'BY' (Benjamini–Yekutieli, valid under any dependence; default) or 'BH' (Benjamini–Hochberg, needs positive dependence). */
  fdrProcedure?: 'BY' | 'BH';
}

/** The test the selectivity method uses (stored with every result; results stored before it have none: token-level z-tests). */
export type SelectivityTest = 'welch-arcsine-text-groups';

/** A 95 % (or other level) interval; the same shape as src/shared/intervals.ts `Interval`. */
export interface EffectInterval {
  low: number;
  high: number;
  level: number;
  method: string;
}

/** One selected (neuron, language) with the numbers that selected it. */
export interface SelectiveNeuron {
  layer: number;
  index: number;
  lang: string;
  /** Activation probability for the language (its tokens pooled). */
  p: number;
  /** The pooled activation probability of the closest other language (smallest text-level h), and that language. */
  runnerUp: number;
  runnerUpLang: string;
  /** Text-level Cohen's h over the closest other language: mean over text groups of 2·asin(√rate), difference of the two means. */
  effect: number;
  /** Welch 95 % interval of that difference. */
  effectInterval?: EffectInterval;
  /** Intersection–union p-value (the largest of the Welch p-values against each other language), and its FDR-adjusted value. */
  pValue: number;
  qValue: number;
}

/** The text groups a selectivity test had per language (units of inference). */
export interface SelectivityUnits {
  groups: number;
  texts: number;
  tokens: number;
}

/** Language-selective neurons by the selectivity method: every (neuron, language) beating all other languages by more than the effect floor, tested over texts. */
export interface SelectivityResult extends NeuronSelection {
  method: 'selectivity';
  /** The test; absent in results stored before text-level tests (token-level z-tests, not valid). */
  test?: SelectivityTest;
  options: Required<SelectivityThresholds>;
  /** Number of tests the FDR is controlled over (neurons × languages). */
  tests: number;
  /** language → its units of inference (groups of texts), texts and tokens (layer 0). */
  units?: Record<string, SelectivityUnits>;
  /** Every selected (neuron, language), largest effect first. */
  details: SelectiveNeuron[];
}

// Ablation matrix (src/main/analysis/ablation-matrix.ts)

/** One language's own deactivation: its Δ NLL and whether it is the largest of its row and column. */
export interface DiagonalEntry {
  delta: number | null;
  isRowMax: boolean | null;
  isColumnMax: boolean | null;
  /** delta minus the largest other delta of its row / column (> 0 exactly when it wins). */
  rowMargin: number | null;
  columnMargin: number | null;
  /** The delta of a same-size random neuron set on this language (chance level); null without one. */
  randomDelta: number | null;
  /** delta − randomDelta. */
  excessOverRandom: number | null;
  /** 95 % bootstrap interval of delta over the evaluated language's texts (absent in ablations stored before intervals). */
  deltaInterval?: EffectInterval | null;
  /** The 2.5–97.5 % spread of the random draws' deltas on this language (null without ≥ 2 draws). */
  randomBand?: { low: number; high: number } | null;
  /** True when delta lies outside `randomBand` (above it: these neurons do more than random ones), false inside, null without a band. */
  outsideRandomBand?: boolean | null;
}

/** The deactivated × evaluated NLL matrix (see the module comment). */
export interface AblationMatrix {
  /** Row labels (deactivated languages). */
  deactivated: string[];
  /** Column labels (evaluated languages). */
  evaluated: string[];
  /** [evaluated] baseline NLL. */
  baseline: (number | null)[];
  /** [deactivated][evaluated] NLL. */
  nll: (number | null)[][];
  /** [deactivated][evaluated] NLL − baseline. */
  delta: (number | null)[][];
  /** [deactivated][evaluated] NLL − baseline with a random neuron set of the same size per layer as the row's; null without random draws. */
  randomDelta: (number | null)[][] | null;
  /** Random draws averaged in `randomDelta` (0: none). */
  randomDraws: number;
  /** [deactivated][evaluated] 95 % bootstrap interval of delta over the evaluated language's texts (paired: the same texts with and without the ablation); absent in ablations stored before intervals. */
  deltaInterval?: (EffectInterval | null)[][];
  /** [deactivated][evaluated] 2.5–97.5 % spread of the random draws' deltas (null with fewer than 2 draws). */
  randomBand?: ({ low: number; high: number } | null)[][] | null;
  /** How many diagonal entries lie above their random band, out of those with a band. */
  aboveRandomCount?: number;
  /** language (both a row and a column) → diagonal entry. */
  diagonal: Record<string, DiagonalEntry>;
  /** How many diagonal entries are the max of their row / of their column, out of `diagonalSize`. */
  rowMaxCount: number;
  columnMaxCount: number;
  diagonalSize: number;
}

// Working language (src/main/analysis/working-language.ts)

/** Per-layer working-language statistics for one group of positions. */
export interface WorkingLanguageTable {
  /** [layers] positions counted (top-1). */
  positions: number[];
  /** [layers] positions whose probability mass was given. */
  massPositions: number[];
  /** label → [layers] share of top-1 tokens with that label. */
  top1Share: Record<string, number[]>;
  /** label → [layers] mean probability mass on the label's tokens (0 where no mass was given). */
  meanMass: Record<string, number[]>;
  /** label → [layers] 95 % interval of `top1Share` (percentile bootstrap over texts). */
  top1ShareInterval?: Record<string, Interval[]>;
  /** label → [layers] 95 % interval of `meanMass` (percentile bootstrap over texts). */
  meanMassInterval?: Record<string, Interval[]>;
  /** label → the mass a random token set of the label's size gets (size-matched chance level). */
  chanceMass?: Record<string, ChanceMass>;
}

/**
 * The mean probability mass that uniformly random vocabulary token sets of one size get: `expected` =
 * size / vocabulary (exact, whatever the distributions); per layer, the mean and the 2.5–97.5 %
 * spread over `draws` random sets, each measured on the same positions as the label's own set.
 */
export interface ChanceMass {
  setSize: number;
  expected: number;
  draws: number;
  /** [layers] */
  mean: number[];
  low: number[];
  high: number[];
}

/** Working language per layer, over all texts and per text language. */
export interface WorkingLanguageResult {
  labels: string[];
  numLayers: number;
  overall: WorkingLanguageTable;
  /** text language → table over the positions of texts in that language. */
  byTextLanguage: Record<string, WorkingLanguageTable>;
}

// Alignment (src/main/analysis/alignment.ts)

/** A language × language matrix, rows and columns in `AlignmentResult.languages` order. */
export type PairMatrix = (number | null)[][];
/** A language × language matrix of intervals (null where the pair shares no text). */
export type PairIntervals = (Interval | null)[][];

/** Alignment numbers of one layer. */
export interface LayerAlignment {
  /**
   * The layer these scores are for: with `layerIndexing` `hidden_states` (the default of `align`),
   * Hugging Face's index (0 = embedding output, L = the last block after the final norm); with
   * `blocks`, the block index (the residual after that block, before any final norm).
   */
  layer: number;
  /** [a][b] mean cosine similarity of parallel texts. */
  meanCosine: PairMatrix;
  /** [a][b] retrieval accuracy from a to b (see module comment). */
  retrieval: PairMatrix;
  /** [a][b] MEXA alignment score (symmetric). */
  mexa: PairMatrix;
  /** [a][b] number of ids present in both languages. */
  sharedTexts: number[][];
  /**
   * What each score would be without alignment: for retrieval and MEXA the mean over shuffles of the
   * pairing (permutation baseline); for mean cosine the mean cosine of non-translations.
   */
  chance: { meanCosine: PairMatrix; retrieval: PairMatrix; mexa: PairMatrix };
  /**
   * 2.5–97.5 % of retrieval and MEXA over the shuffles: a score inside it is what chance gives.
   * Null entries in results stored before the permutation baseline (see `chanceMethod`).
   */
  chanceBand: { retrieval: PairIntervals; mexa: PairIntervals };
  /** 95 % intervals of retrieval and MEXA (percentile bootstrap over texts); null entries in results stored before them. */
  intervals: { retrieval: PairIntervals; mexa: PairIntervals };
}

/** Mean and max over layers of a per-layer score. */
export interface PairSummary {
  mean: PairMatrix;
  max: PairMatrix;
  /** Model layer where the max is first reached. */
  maxLayer: PairMatrix;
}

/** Every language against one pivot language, per layer. */
export interface PivotAlignment {
  pivot: string;
  /** language → [layers] MEXA against the pivot (null where undefined). */
  mexa: Record<string, (number | null)[]>;
  mean: Record<string, number | null>;
  max: Record<string, number | null>;
  maxLayer: Record<string, number | null>;
  /** language → chance MEXA against the pivot (permutation mean, at the last layer with a score). */
  chanceMexa: Record<string, number | null>;
  /** language → [layers] chance MEXA (permutation mean), its 2.5–97.5 % band, and MEXA's 95 % interval (nulls in results stored before them). */
  chanceMexaByLayer: Record<string, (number | null)[]>;
  mexaChanceBand: Record<string, (Interval | null)[]>;
  mexaInterval: Record<string, (Interval | null)[]>;
  /** language → [layers] mean cosine with the pivot's translations, and with its non-translations (chance). */
  meanCosine: Record<string, (number | null)[]>;
  nonParallelCosine: Record<string, (number | null)[]>;
  /** language → [layers] retrieval of the pivot translation, its chance level (permutation mean) and band, and its 95 % interval. */
  retrieval: Record<string, (number | null)[]>;
  chanceRetrieval: Record<string, (number | null)[]>;
  retrievalChanceBand: Record<string, (Interval | null)[]>;
  retrievalInterval: Record<string, (Interval | null)[]>;
}

/** Cross-lingual alignment per layer (similarities, retrieval, MEXA). */
export interface AlignmentResult {
  languages: string[];
  layers: LayerAlignment[];
  /** Over layers, per pair: MEXA mean/max. */
  mexaSummary: PairSummary;
  /** Over layers, per pair: mean cosine mean/max. */
  meanCosineSummary: PairSummary;
  pivot: PivotAlignment | null;
  /**
   * How the chance levels were drawn: shuffles of the pairing per pair and layer, the seed, and the
   * bootstrap's resamples. Null in results stored before (schema 4), whose chance levels are the
   * analytic 1/(2n − 1) for MEXA and 1/|b| for retrieval, without bands or intervals.
   */
  chanceMethod: { permutations: number; seed: number; bootstrapResamples: number } | null;
}
