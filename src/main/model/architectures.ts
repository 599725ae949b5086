/**
 * The one table a new model family is added to: how its blocks normalise, what its final norm and MLP
 * down projection are called, which exporter tensor names mark its taps, and which config.json keys
 * hold its dimensions. Folder reading, tap discovery and the engine all look things up here.
 */
import { UserError } from '../../shared/errors.js';
import type { NormKind } from '../../shared/model-types.js';

export interface Architecture {
  /** rms, rms_plus_one (Gemma: weight + 1, unless the exporter folded it), layer (LayerNorm with bias). */
  norm: NormKind;
  /** Initializer base names of the final norm (`<base>.weight`, `<base>.bias`), tried in order. */
  finalNorm: string[];
  /** Initializer names of the MLP down projection ([intermediate, hidden]), to read the MLP width off the graph. */
  downProjection: RegExp;
  /** Exporter tensor names of the residual after block i and of the MLP activation, tried in order. */
  residNames: ((i: number) => string)[];
  mlpActNames: ((i: number) => string)[];
}

const LLAMA_RESID = [(i: number) => `/model/layers.${i}/Add_1_output_0`, (i: number) => `/model/layers.${i}/Add_1/output_0`];
const LLAMA_ACT = [(i: number) => `/model/layers.${i}/mlp/act_fn/Mul_output_0`, (i: number) => `/model/layers.${i}/mlp/act_fn/Mul/output_0`];
const GEMMA_ACT = [
  (i: number) => `/model/layers.${i}/mlp/act_fn/Mul_5_output_0`, // gelu(tanh) decomposed
  (i: number) => `/model/layers.${i}/mlp/act_fn/Gelu_output_0`,
  // onnxruntime-genai's builder: gelu_pytorch_tanh as ONNX Gelu(approximate="tanh") named FastGelu, exact gelu as Gelu
  (i: number) => `/model/layers.${i}/mlp/act_fn/FastGelu/output_0`,
  (i: number) => `/model/layers.${i}/mlp/act_fn/Gelu/output_0`,
  ...LLAMA_ACT,
];

const llamaLike = (norm: NormKind = 'rms', mlpActNames = LLAMA_ACT): Architecture => ({
  norm,
  finalNorm: ['model.norm'],
  downProjection: /down_proj|mlp\.down/,
  residNames: LLAMA_RESID,
  mlpActNames,
});

export const ARCHITECTURES: Record<string, Architecture> = {
  llama: llamaLike(),
  mistral: llamaLike(),
  mixtral: llamaLike(),
  qwen2: llamaLike(),
  qwen3: llamaLike(),
  phi3: { ...llamaLike(), downProjection: /down_proj|mlp\.down|fc2/ },
  olmo2: llamaLike(),
  gemma: llamaLike('rms_plus_one', GEMMA_ACT),
  gemma2: llamaLike('rms_plus_one', GEMMA_ACT),
  gemma3_text: llamaLike('rms_plus_one', GEMMA_ACT),
  gpt2: {
    norm: 'layer',
    finalNorm: ['transformer.ln_f'],
    downProjection: /c_proj/,
    residNames: [(i) => `/transformer/h.${i}/Add_1_output_0`],
    mlpActNames: [(i) => `/transformer/h.${i}/mlp/act/Mul_3_output_0`, (i) => `/transformer/h.${i}/mlp/act/Mul_1_output_0`],
  },
  gpt_neox: {
    norm: 'layer',
    finalNorm: ['gpt_neox.final_layer_norm'],
    downProjection: /dense_4h_to_h/,
    residNames: [(i) => `/gpt_neox/layers.${i}/Add_1_output_0`],
    mlpActNames: [],
  },
};

/** config.json keys per dimension, tried in order (HF names first, then GPT-2 / T5 style aliases). */
export const CONFIG_KEYS = {
  hiddenSize: ['hidden_size', 'n_embd', 'd_model'],
  numHeads: ['num_attention_heads', 'n_head'],
  numLayers: ['num_hidden_layers', 'n_layer'],
  intermediateSize: ['intermediate_size', 'n_inner'],
  numKvHeads: ['num_key_value_heads'],
  headDim: ['head_dim'],
  maxPositions: ['max_position_embeddings', 'n_positions', 'n_ctx'],
  normEps: ['rms_norm_eps', 'layer_norm_epsilon', 'layer_norm_eps'],
  vocabSize: ['vocab_size'],
} as const;

export function architecture(modelType: string): Architecture {
  const a = ARCHITECTURES[modelType];
  if (!a) throw unknownArchitecture(modelType);
  return a;
}

export function isKnownArchitecture(modelType: string): boolean {
  return modelType in ARCHITECTURES;
}

export function normKindOf(modelType: string): NormKind {
  return architecture(modelType).norm;
}

export function unknownArchitecture(name: string, source = 'config.json model_type'): UserError {
  return new UserError(
    `unknown architecture "${name}" (${source})`,
    `Known: ${Object.keys(ARCHITECTURES).join(', ')}. If it is built like one of them, pass --arch NAME (e.g. --arch llama), and --tap "resid_post=TENSOR" / --tap "mlp_act=TENSOR" ({i} = layer) if its tensors are named differently.`,
  );
}

/** Every family's exporter names, for graphs whose family is not yet known (tap discovery tries all). */
export const ALL_RESID_NAMES = [...new Set(Object.values(ARCHITECTURES).flatMap((a) => a.residNames))];
export const ALL_MLP_ACT_NAMES = [...new Set(Object.values(ARCHITECTURES).flatMap((a) => a.mlpActNames))];
