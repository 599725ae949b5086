/** The model engine's request and result types; the model's description (ModelInfo, Tensor, devices) is in src/shared/model-types.ts. */
import type { Tensor } from '../../shared/model-types.js';

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
