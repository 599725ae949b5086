/** The model engine's request and result types; the model's description (ModelInfo, Tensor, devices) is in src/shared/model-types.ts. */
import type { Tensor } from '../../shared/model-types.js';
import type { DeviceRequest } from '../../shared/model-types.js';

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
  /**
   * Build the logit lens into the session as the model opens. Default: at the first lens request,
   * which then makes the session again, once. Without the lens a model opens with less memory where its
   * vocabulary is large: onnxruntime prepacks the unembedding for the lens's MatMul too, a transient of
   * the unembedding's size (+256 MiB on a 128k vocabulary, 1.4× a bare forward's peak on one text).
   */
  lens?: boolean;
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
