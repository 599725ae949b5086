/** Public types of the model engine. Shapes are written TransformerLens-style in comments. */

export type DeviceRequest = 'auto' | 'cpu' | 'cuda';
/** Where a model runs. */
export type Device = 'cpu' | 'cuda';

/** Options of `openModel` (the engine's defaults: model/open-defaults.ts). */
export interface OpenModelOptions {
  /**
   * Where to run: `auto` (CUDA when it works, else CPU, saying why), `cpu` or `cuda`. Default: the
   * `BABELSCOPE_DEVICE` environment variable (set by `babelscope run --device`), else `auto`.
   */
  device?: DeviceRequest;
  /**
   * Tap point overrides, `name=tensor`: `"mlp_act=/model/layers.{i}/mlp/Mul_output_0"` (`{i}` = layer)
   * or `"resid_post.3=TENSOR"`. Needed only when discovery from the graph fails.
   */
  taps?: string[];
  /** Treat the model as this architecture (Hugging Face `model_type`: llama, qwen2, gemma, gpt2, …). */
  arch?: string;
  /** Which ONNX file of the folder: a variant `fp16`, `q4f16`, `quantized`, … (`model_<variant>.onnx`; `inspectModel` lists them). */
  variant?: string;
  /** The ONNX file to use, relative to the model folder (e.g. `onnx/model_q4f16.onnx`). */
  file?: string;
  /** Receives human messages (device fallback, cache use); default: stderr. */
  log?: (message: string) => void;
}

/** What a tap point reads. */
export type TapKind = 'resid_post' | 'mlp_act' | 'final_norm';

/** A tensor inside the graph that the engine can expose as an extra output. */
export interface TapPoint {
  /** Human name: `resid_post.{i}`, `mlp_act.{i}`, `final_norm`. */
  name: string;
  kind: TapKind;
  /** Block index for per-layer taps. */
  layer?: number;
  /** Name of the tensor in the ONNX graph. */
  onnxName: string;
  /** Last-dimension size: hidden size for residuals, intermediate size for MLP activations. */
  width: number;
  /** How it was found: by its exporter name, by the node pattern, or given by the user. */
  foundBy: 'name' | 'pattern' | 'user';
}

/** The model's norm: RMSNorm, Gemma's RMSNorm with weight + 1, or LayerNorm. */
export type NormKind = 'rms' | 'rms_plus_one' | 'layer';

/** A loaded model's shape, tap points, graph inputs/outputs, device and hash. */
export interface ModelInfo {
  dir: string;
  onnxPath: string;
  architecture: string;
  modelType: string;
  numLayers: number;
  hiddenSize: number;
  intermediateSize: number;
  vocabSize: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  maxPositions: number;
  bosTokenId: number | null;
  eosTokenIds: number[];
  normKind: NormKind;
  normEps: number;
  /** The float type of the model file (its logits): `float32`, `float16` or `bfloat16`. On CPU a bfloat16 model runs from a float32 copy of its weights. */
  dtype: string;
  taps: TapPoint[];
  inputs: string[];
  outputs: string[];
  device: Device;
  /** sha256 of the ONNX bytes (+ external data), identifies the model in stores and caches. */
  hash: string;
}

/** A float32 tensor in row-major order. */
export interface Tensor {
  data: Float32Array;
  dims: number[];
}

/** Scale MLP neurons during a forward pass: 0 ablates, >1 amplifies. */
export interface NeuronIntervention {
  layer: number;
  index: number;
  scale: number;
}

/** A batch for one forward pass. */
export interface ForwardRequest {
  /** One token-id list per text; lengths may differ (right padding is added by the engine). */
  inputIds: number[][];
  /** Tap names (`resid_post.3`, `mlp_act.0`, `final_norm`) to return. */
  taps?: string[];
  /** Return logits [batch, pos, vocab]; default true. */
  logits?: boolean;
  interventions?: NeuronIntervention[];
}

/** Logits and tapped tensors of one forward pass. */
export interface ForwardResult {
  /** Real (unpadded) length of each text. */
  lengths: number[];
  /** [batch, maxLen, vocab]; positions past a text's length are padding. */
  logits?: Tensor;
  /** tap name → [batch, maxLen, width] */
  taps: Record<string, Tensor>;
}
