/**
 * What the model, the store and the API all say about a model: its shape and tap points, where it runs,
 * and the tensors it returns. Types only, so the store and the analyses need not import the engine.
 * Shapes are written TransformerLens-style in comments.
 */

/** Where to run a model: CUDA when it works (else CPU, saying why), CPU, or CUDA. */
export type DeviceRequest = 'auto' | 'cpu' | 'cuda';
/** Where a model runs. */
export type Device = 'cpu' | 'cuda';

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

/** What a run records about its model: at least the folder and hash; a whole ModelInfo fits. */
export type ModelRef = Pick<ModelInfo, 'dir' | 'hash'> & Partial<ModelInfo>;

/** A float32 tensor in row-major order. */
export interface Tensor {
  data: Float32Array;
  dims: number[];
}
