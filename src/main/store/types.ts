import type { RunStatus } from '../../shared/result-kinds.js';
import type { ModelRef, Tensor } from '../../shared/model-types.js';
import type { PoolingKind as PooledKind } from '../../shared/result-types.js';

export type { InputsOf, ParamsOf, ResultInput, ResultKind, ResultOf, RunStatus, StoredResult } from '../../shared/result-kinds.js';

export interface NewRun {
  /** Unique within the store; defaults to `{kind}-{id}`. Resuming a capture finds its run by name. */
  name?: string;
  /** What the run does, e.g. 'capture'. */
  kind: string;
  model: ModelRef;
  device?: string;
  corpusId?: number;
  /** Everything that changes the numbers the run stores; a resumed run must be given the same. */
  params?: unknown;
}

/** A run as stored in the `runs` table. */
export interface RunRecord {
  id: number;
  name: string;
  kind: string;
  corpusId: number | null;
  modelDir: string;
  modelHash: string;
  model: ModelRef;
  device: string | null;
  params: unknown;
  createdAt: string;
  finishedAt: string | null;
  status: RunStatus;
}

/** Streaming statistics of one layer's MLP neurons over the tokens of one language; vectors of width intermediate_size. */
export interface NeuronCounts {
  tokens: number;
  /** Per neuron: number of tokens where activation > 0. */
  positiveCounts: Float64Array;
  sums: Float64Array;
  sumSquares: Float64Array;
}

export interface NeuronStatsDelta extends NeuronCounts {
  layer: number;
  lang: string;
}

/**
 * Activation counts of one group of a language's texts at one layer: the texts of each language are
 * dealt into groups (text i of the language, in corpus order, into group i mod the run's `textGroups`).
 */
export interface TextGroupCounts {
  group: number;
  /** Texts in the group so far. */
  texts: number;
  /** Their tokens at this layer. */
  tokens: number;
  /** Per neuron: tokens of these texts with activation > 0. */
  positiveCounts: Uint32Array;
}

export interface TextGroupDelta extends TextGroupCounts {
  layer: number;
  lang: string;
}

export interface NeuronStats {
  /** Sorted language labels present in any layer. */
  languages: string[];
  /** 1 + the highest layer stored (0 when empty). */
  numLayers: number;
  /** Neurons per layer (0 when empty). */
  width: number;
  /** `layers[layer][lang]`; a layer with nothing stored is `{}`. */
  layers: Array<Record<string, NeuronCounts>>;
}

/** How pooled vectors are stored: float16 halves the file; a row whose values exceed ±65504 stays float32. */
export type PooledDtype = 'float16' | 'float32';

export type { PooledKind };
export const POOLED_KINDS: readonly PooledKind[] = ['wmean', 'mean', 'last'];

/**
 * Pooled residual vectors of one text at one layer, null where the capture was asked not to keep that
 * kind. `layer` is the block index (the residual after that block); −1 is the embedding output and
 * the model's layer count the final norm's output (Hugging Face's first and last `hidden_states`).
 */
export interface PooledVectors {
  textId: number;
  layer: number;
  mean: Float32Array | null;
  last: Float32Array | null;
  /** Absent in rows written before the weighted mean existed. */
  wmean?: Float32Array | null;
}

/** One text's pooled vectors at one point, as the BLOBs a `pooled` row stores. */
export interface EncodedPooled {
  textId: number;
  layer: number;
  width: number;
  dtype: PooledDtype;
  wmean: Buffer | null;
  mean: Buffer | null;
  last: Buffer | null;
}

export interface PooledRow extends PooledVectors {
  lang: string;
  /** The corpus id of the text; parallel texts share it. */
  key: string;
}

export interface ActivationInfo {
  textId: number;
  point: string;
  shape: number[];
}

export interface SavedActivation {
  textId: number;
  point: string;
  tensor: Tensor;
}

/** A text as stored: `textId` is the row id used by the other tables; `id` is the corpus's own id. */
export interface StoredText {
  textId: number;
  lang: string;
  id: string;
  text: string;
}

export interface CorpusInfo {
  corpusId: number;
  /** The source it was read from (`udhr:eng,rus`, a path). */
  spec: string;
  /** sha256 of the texts: equal hashes, equal corpora. */
  contentHash: string;
  nTexts: number;
}

export interface StoredCorpus {
  corpusId: number;
  /** False when identical content was already stored (its rows are reused). */
  created: boolean;
  texts: StoredText[];
}

export interface DoneText {
  textId: number;
  nTokens?: number;
}

/** Everything one capture batch produced; written, with its done marks, in one transaction. */
export interface CaptureBatch {
  stats?: readonly NeuronStatsDelta[];
  /** Per-text-group counts (runs that keep them). */
  textGroups?: readonly TextGroupDelta[];
  /** New rows (`encodePooled`): a text's pooled vectors are written once, with its done mark. */
  pooled?: readonly EncodedPooled[];
  activations?: readonly SavedActivation[];
  /** Text ids, or `{ textId, nTokens }` to record each text's token count too. */
  done: readonly (number | DoneText)[];
}
