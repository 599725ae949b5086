/**
 * The one table of stored result kinds: for each kind, its parameters, its result and what it is
 * computed from. The store's writers and readers (src/main/store), the public API and the CLI take
 * their types from here, so adding an analysis result is one entry in `ResultKinds` and one in
 * `RESULT_KINDS` (and its section in src/main/store/SCHEMA.md, which a test holds to this table).
 */
import type { AblationMatrix, AlignmentResult, LapeThresholds, LapeResult, SelectivityResult, SelectivityTest, WorkingLanguageResult } from './result-types.js';

/** `running` while capturing, `interrupted` after Ctrl-C (resumable), `failed` after an error. */
export type RunStatus = 'running' | 'done' | 'failed' | 'interrupted';
/** Every run status, in the order a run goes through them. */
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'done', 'failed', 'interrupted'];

/** A capture's running next-token NLL totals per language (summed over each text's predictions). */
export type NllTotals = Record<string, { sum: number; count: number }>;

/** The corpus as a command read it: its source and the per-language limits applied. */
export interface CorpusParams {
  corpus: string;
  maxTextsPerLang?: number;
  maxTokensPerLang?: number;
}

/**
 * kind → `params` (what was asked, defaults filled in), `result`, and `inputs`: role → what the role
 * refers to, `'run'` (a run id) or a result kind (the id of a result of that kind).
 */
export interface ResultKinds {
  nll: { params: Record<string, never>; result: NllTotals; inputs: { run: 'run' } };
  /** A neuron selection by LAPE; params are its thresholds. */
  lape: { params: Required<LapeThresholds>; result: LapeResult; inputs: { run: 'run' } };
  /**
   * A neuron selection by the selectivity method (kind `lape` with `method: "selectivity"` in stores before
   * schema 6). `test` and `fdrProcedure` are absent in selections stored before text-level tests
   * (token-level z-tests, BH).
   */
  selectivity: { params: { minEffect: number; fdr: number; test?: SelectivityTest; fdrProcedure?: 'BY' | 'BH' }; result: SelectivityResult; inputs: { run: 'run' } };
  /** `randomSets`/`seed` are absent in ablations stored before chance levels existed (none drawn). */
  ablation: { params: CorpusParams & { scale: number; randomSets?: number; seed?: number }; result: AblationMatrix; inputs: { run: 'run'; selection: 'neuron-selection' } };
  alignment: {
    /** `layers`, `permutations` and `seed` are absent in results stored before them (block-indexed, analytic chance). */
    params: { pool: 'wmean' | 'mean' | 'last'; pivot: string | null; layers?: 'hidden_states' | 'blocks'; permutations?: number; seed?: number };
    result: AlignmentResult & { pool: 'wmean' | 'mean' | 'last'; layerIndexing?: 'hidden_states' | 'blocks'; layerNote?: string; missingLayers?: number[]; notes?: string[] };
    inputs: { run: 'run' };
  };
  /** Computed by the model from a corpus and kept with a capture run (for compare); it reads none of the run's data. */
  'working-language': { params: CorpusParams & { minShare: number; minCount: number; chanceDraws?: number; resamples?: number; seed?: number }; result: WorkingLanguageResult; inputs: Record<never, never> };
}

/** A stored result kind: `nll`, `lape`, `ablation`, `working-language`, … */
export type ResultKind = keyof ResultKinds;
/** The parameters stored with a result of kind K. */
export type ParamsOf<K extends ResultKind> = ResultKinds[K]['params'];
/** The result stored for kind K. */
export type ResultOf<K extends ResultKind> = ResultKinds[K]['result'];
/** The kinds that hold a neuron selection (what `ablate`, `codeSwitch` and `compareCheckpoints` read). */
export const NEURON_SELECTION_KINDS = ['lape', 'selectivity'] as const;
/** `lape` or `selectivity`. */
export type NeuronSelectionKind = (typeof NEURON_SELECTION_KINDS)[number];
/** What an input role refers to: a run, a result of the named kind, or a neuron selection of either method. */
export type InputTarget = 'run' | ResultKind | 'neuron-selection';

/** Whether a result of `kind` can be an input of this target. */
export function targetAccepts(target: InputTarget, kind: string): boolean {
  return target === 'neuron-selection' ? (NEURON_SELECTION_KINDS as readonly string[]).includes(kind) : target === kind;
}
/** The input roles of kind K (`run`, `selection`, …). */
export type InputRole<K extends ResultKind> = keyof ResultKinds[K]['inputs'] & string;
/** The inputs a writer gives: role → run id or result id. */
export type InputsOf<K extends ResultKind> = { [R in InputRole<K>]: number };

/** One entry of the kind table at run time. */
export interface ResultKindInfo<K extends ResultKind> {
  /** One line for SCHEMA.md and `--help`. */
  description: string;
  inputs: ResultKinds[K]['inputs'];
  /** At most one result of this kind per run: saving one replaces the earlier (running totals). */
  replaces: boolean;
}

/** The kind table at run time: each kind's description, input roles and whether it keeps one result per run. */
export const RESULT_KINDS: { readonly [K in ResultKind]: ResultKindInfo<K> } = {
  nll: { description: "a capture's running next-token NLL totals per language", inputs: { run: 'run' }, replaces: true },
  lape: { description: 'a neuron selection by LAPE (babelscope lape)', inputs: { run: 'run' }, replaces: false },
  selectivity: { description: 'a neuron selection by the selectivity method (babelscope lape --method selectivity)', inputs: { run: 'run' }, replaces: false },
  ablation: { description: 'the deactivation NLL matrix of a neuron selection (babelscope ablate)', inputs: { run: 'run', selection: 'neuron-selection' }, replaces: false },
  alignment: { description: 'cross-lingual alignment per layer from pooled residuals (babelscope align)', inputs: { run: 'run' }, replaces: false },
  'working-language': { description: 'working language per layer over a corpus (babelscope working-language --db)', inputs: {}, replaces: false },
};

/** Whether `kind` is a kind of the table. */
export function isResultKind(kind: string): kind is ResultKind {
  return Object.prototype.hasOwnProperty.call(RESULT_KINDS, kind);
}

/** One recorded input of a stored result. */
export interface ResultInput {
  role: string;
  target: InputTarget;
  /** The run's or result's id; null when it was deleted since. */
  id: number | null;
  /** For a run: its status when the result was computed (anything but `done` means partial data). */
  runStatus: RunStatus | null;
}

/** A result as stored, with its provenance. */
export interface StoredResult<K extends ResultKind = ResultKind> {
  id: number;
  kind: K;
  /** The run it belongs to; null for results spanning runs. */
  runId: number | null;
  params: ParamsOf<K>;
  result: ResultOf<K>;
  /** What it was computed from, by role. */
  inputs: ResultInput[];
  /** True when an input run was still capturing or interrupted, or an input result was partial. */
  partial: boolean;
  createdAt: string;
}
