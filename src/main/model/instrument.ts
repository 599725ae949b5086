/**
 * Builds the one instrumented graph a model runs as, by editing its protobuf bytes (weights untouched):
 * - taps: intermediate tensors become extra graph outputs;
 * - scales: every MLP activation is multiplied by a per-layer scale input that defaults to ones, so
 *   ablation and amplification need no other graph;
 * - the logit lens, the capture reductions and the next-token NLL are each computed inside an `If`
 *   node switched by a boolean input (default false): onnxruntime runs only the branch it takes, so a
 *   forward with nothing switched on costs what the plain model costs.
 * New nodes go in a GraphProto fragment appended to the ModelProto (protobuf merges repeated fields);
 * only the nodes that read a scaled activation are rewritten, and the graph is re-wrapped from slices.
 */
import { concatBytes, fieldKeyStart, fields, rewriteGraphFields, str, Wire, Writer } from './protobuf.js';
import type { NormKind } from '../../shared/model-types.js';
import { OnnxType } from './onnx-graph.js';
import { widenValueInfo } from './bfloat16.js';

export interface LensSpec {
  normKind: NormKind;
  normEps: number;
  normWeight: string;
  normBias?: string;
  /** Tensor of shape [hidden, vocab] (or [vocab, hidden] when transposed) used by the logits MatMul … */
  unembedding: string | null;
  unembeddingTransposed: boolean;
  /** … or, for any other head (quantized), the graph's own nodes from the final norm's output to the logits. */
  head?: { input: string; output: string; nodes: { op: string; domain: string; inputs: string[]; outputs: string[]; rawAttributes: Uint8Array[] }[] };
}

export interface InstrumentSpec {
  /** The model's float type (TensorProto data type); tapped and reduced tensors are cast to float32. */
  floatType: number;
  /** Opset of the default domain: decides whether reduce axes are attributes or inputs. */
  opset: number;
  /** Per layer: the residual after the block and the MLP activation (which gets scaled). */
  residuals: string[];
  activations: string[];
  width: number;
  vocabSize: number;
  /** Other tensors to expose (final norm, user taps), besides every residual and scaled activation. */
  extraTaps: string[];
  logits: string;
  /**
   * Besides every block's residual, the capture pools these (Hugging Face's first and last
   * `hidden_states`): the embedding output and the final norm's output.
   */
  pooledEnds?: { embedding?: string; final_norm?: string };
  /** Fused norms (by node name) that get their residual sum as output 3. */
  sumOutputs?: { nodeName: string; tensor: string }[];
  /** Absent when the graph has no usable unembedding (the lens is then unavailable). */
  lens?: LensSpec;
  /**
   * For a float type JS can neither read nor feed (bfloat16 kept on CUDA): these graph inputs become
   * float32 and are cast to the model's type inside the graph, and these outputs get float32 copies
   * named `float32Name(output)`.
   */
  boundaryCasts?: { inputs: string[]; outputs: string[] };
}

/** Names of the tensors the lens adds, per layer. */
export const lensNames = {
  topValues: (l: number) => `babelscope.lens.${l}.top_probs`,
  topIndices: (l: number) => `babelscope.lens.${l}.top_ids`,
  entropy: (l: number) => `babelscope.lens.${l}.entropy`,
  setMass: (l: number) => `babelscope.lens.${l}.set_mass`,
  /** bool []: run the lens. */
  on: 'babelscope.lens.on',
  /** int64 [1]: how many top tokens to return. */
  kInput: 'babelscope.lens.k',
  /** float32 [vocab, sets]: indicator (or weight) of each token in each token set. */
  setsInput: 'babelscope.lens.token_sets',
};

/** Names of the capture reductions: per text, summed over its masked positions. */
export const captureNames = {
  /** bool []: compute the per-layer statistics. */
  on: 'babelscope.capture.on',
  /** float32 [batch, pos, 1]: 1 for positions that count (real tokens after <bos>), else 0. */
  tokenMask: 'babelscope.capture.token_mask',
  /** float32 [batch, pos, 1]: 1 at each text's last token. */
  lastMask: 'babelscope.capture.last_mask',
  /** float32 [batch, pos, 1]: each real token's weight in the position-weighted sum (MEXA: its position 1..n), 0 for padding. */
  positionWeight: 'babelscope.capture.position_weight',
  positive: (l: number) => `babelscope.capture.${l}.positive`,
  sums: (l: number) => `babelscope.capture.${l}.sums`,
  sumSquares: (l: number) => `babelscope.capture.${l}.sum_squares`,
  /** Per block index, or `embedding` / `final_norm` (see InstrumentSpec.pooledEnds). */
  residSum: (l: number | PooledEnd) => `babelscope.capture.${l}.resid_sum`,
  residLast: (l: number | PooledEnd) => `babelscope.capture.${l}.resid_last`,
  residWeightedSum: (l: number | PooledEnd) => `babelscope.capture.${l}.resid_wsum`,
};

/** The residual-stream points pooled besides the blocks: the embedding output and the final norm's output. */
export type PooledEnd = 'embedding' | 'final_norm';

/** Next-token NLL, reduced in the graph so no [batch, pos, vocab] tensor leaves the session. */
export const nllNames = {
  /** bool []: compute the NLL. */
  on: 'babelscope.nll.on',
  /** int64 [batch, pos, 1]: the next token at each position (any valid id where unused). */
  targets: 'babelscope.nll.targets',
  /** float32 [batch, pos, 1]: −log p(target) at each position. */
  nll: 'babelscope.nll',
};

/** bool []: for models not computing in float32, cast the taps to float32 (in an If, like the rest). */
export const tapsOnName = 'babelscope.taps.on';
export const scaleInputName = (layer: number) => `babelscope.mlp_scale.${layer}`;
export const scaledActName = (layer: number) => `babelscope.mlp_act_scaled.${layer}`;
/** Name of the float32 copy of a tensor, made for models computing in float16/bfloat16. */
export const float32Name = (t: string) => `babelscope.f32/${t}`;

type Attr = { name: string; int?: number; ints?: number[]; graph?: Uint8Array[] };
interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Attr[];
  domain?: string;
  /** Attribute fields copied as encoded from another node. */
  rawAttrs?: Uint8Array[];
}

/** Nodes of one graph (the main graph's fragment or an If branch), with float32 casts made once. */
class Nodes {
  readonly list: NodeSpec[] = [];
  private casts = new Map<string, string>();
  constructor(
    readonly prefix: string,
    readonly floatType: number,
  ) {}

  add(op: string, inputs: string[], outputs: string[], attrs?: Attr[]): void {
    this.list.push({ op, inputs, outputs, ...(attrs ? { attrs } : {}) });
  }

  /** A copy of a graph node (same op, domain and attributes) reading and writing other tensors. */
  copy(n: { op: string; domain: string; rawAttributes: Uint8Array[] }, inputs: string[], outputs: string[]): void {
    this.list.push({ op: n.op, inputs, outputs, domain: n.domain, rawAttrs: n.rawAttributes });
  }

  /** A float32 version of `t`: itself in a float32 model, else a Cast in this graph. */
  f32(t: string): string {
    if (this.floatType === OnnxType.FLOAT) return t;
    let out = this.casts.get(t);
    if (!out) {
      out = `${this.prefix}/${float32Name(t)}`;
      this.casts.set(t, out);
      this.add('Cast', [t], [out], [{ name: 'to', int: OnnxType.FLOAT }]);
    }
    return out;
  }

  encode(w: Writer): void {
    this.list.forEach((n, i) => encodeNode(w, n, `${this.prefix}/${n.op}_${i}`));
  }
}

function encodeNode(w: Writer, n: NodeSpec, name: string): void {
  w.message(1, (nw) => {
    for (const i of n.inputs) nw.string(1, i);
    for (const o of n.outputs) nw.string(2, o);
    nw.string(3, name);
    nw.string(4, n.op);
    if (n.domain) nw.string(7, n.domain);
    if (n.rawAttrs) nw.raw(n.rawAttrs);
    for (const a of n.attrs ?? []) {
      nw.message(5, (aw) => {
        aw.string(1, a.name);
        if (a.int !== undefined) aw.int(3, a.int).int(20, 2); // INT
        if (a.ints) {
          for (const v of a.ints) aw.int(8, v);
          aw.int(20, 7); // INTS
        }
        if (a.graph) aw.bytes(6, a.graph).int(20, 5); // GRAPH
      });
    }
  });
}

function encodeValueInfo(w: Writer, field: number, name: string, elemType?: number, shape?: (number | string)[]): void {
  w.message(field, (vw) => {
    vw.string(1, name);
    if (elemType === undefined) return;
    vw.message(2, (tw) =>
      tw.message(1, (tt) => {
        tt.int(1, elemType);
        if (shape)
          tt.message(2, (sw) => {
            for (const d of shape) sw.message(1, (dw) => (typeof d === 'number' ? dw.int(1, d) : dw.string(2, d)));
          });
      }),
    );
  });
}

function encodeInitializer(w: Writer, name: string, dataType: number, dims: number[], raw: Uint8Array): void {
  w.message(5, (tw) => {
    for (const d of dims) tw.int(1, d);
    tw.int(2, dataType);
    tw.string(8, name);
    tw.bytes(9, raw);
  });
}

const int64Raw = (values: number[]) => new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
const float32Raw = (values: number[] | Float32Array) => new Uint8Array(Float32Array.from(values).buffer);

/**
 * An input of the instrumented graph that every run feeds (onnxruntime-node passes only a session's
 * declared inputs, so overridable initializers cannot serve as defaults): `defaults` lists its value
 * when the feature is off, and the engine adds those feeds to each run.
 */
export interface DefaultFeed {
  name: string;
  type: 'bool' | 'int64' | 'float32';
  dims: number[];
  /** Every element's value. */
  fill: number;
}

function switchInput(w: Writer, defaults: DefaultFeed[], d: DefaultFeed, shape: (number | string)[]): void {
  const type = d.type === 'bool' ? OnnxType.BOOL : d.type === 'int64' ? OnnxType.INT64 : OnnxType.FLOAT;
  encodeValueInfo(w, 11, d.name, type, shape);
  defaults.push(d);
}

/**
 * An If node: `then` computes `outputs` (internal names `name/then`), the else branch gives each an
 * empty tensor of its type. Outer-scope tensors are visible inside both branches.
 */
function ifNode(main: Nodes, cond: string, branch: Nodes, outputs: { name: string; type: number }[]): void {
  const empty = (t: number) => (t === OnnxType.INT64 ? 'babelscope.empty_i64' : 'babelscope.empty_f32');
  const thenGraph = new Writer();
  branch.encode(thenGraph);
  thenGraph.string(2, `${branch.prefix}/then`);
  for (const o of outputs) encodeValueInfo(thenGraph, 12, thenName(o.name), o.type);
  const elseGraph = new Writer();
  outputs.forEach((o, i) => encodeNode(elseGraph, { op: 'Identity', inputs: [empty(o.type)], outputs: [`${o.name}/else`] }, `${branch.prefix}/else/Identity_${i}`));
  elseGraph.string(2, `${branch.prefix}/else`);
  for (const o of outputs) encodeValueInfo(elseGraph, 12, `${o.name}/else`, o.type);
  main.add(
    'If',
    [cond],
    outputs.map((o) => o.name),
    [
      { name: 'then_branch', graph: thenGraph.parts() },
      { name: 'else_branch', graph: elseGraph.parts() },
    ],
  );
}

const thenName = (t: string) => `${t}/then`;

function reducer(nodes: Nodes, opset: number, axesConst: string, axis: number) {
  return (op: 'ReduceMean' | 'ReduceSum', x: string, out: string, keepdims: 0 | 1) => {
    const axesAsInput = op === 'ReduceMean' ? opset >= 18 : opset >= 13;
    if (axesAsInput) nodes.add(op, [x, axesConst], [out], [{ name: 'keepdims', int: keepdims }]);
    else nodes.add(op, [x], [out], [{ name: 'axes', ints: [axis] }, { name: 'keepdims', int: keepdims }]);
  };
}

/** The logit lens of every residual: the final norm recomputed, the unembedding, top-k, entropy, set mass. */
function lensBranch(spec: InstrumentSpec, lens: LensSpec, w: Writer): { branch: Nodes; outputs: { name: string; type: number }[] } {
  const b = new Nodes('babelscope.lens', spec.floatType);
  const p = 'babelscope.lens';
  encodeInitializer(w, `${p}.axes_last`, OnnxType.INT64, [1], int64Raw([-1]));
  encodeInitializer(w, `${p}.eps`, OnnxType.FLOAT, [], float32Raw([lens.normEps]));
  const reduce = reducer(b, spec.opset, `${p}.axes_last`, -1);
  let weight = b.f32(lens.normWeight);
  if (lens.normKind === 'rms_plus_one') {
    encodeInitializer(w, `${p}.one`, OnnxType.FLOAT, [], float32Raw([1]));
    b.add('Add', [weight, `${p}.one`], [`${p}.norm_weight`]);
    weight = `${p}.norm_weight`;
  }
  let unembed = lens.unembedding === null ? null : b.f32(lens.unembedding);
  if (unembed && lens.unembeddingTransposed) {
    b.add('Transpose', [unembed], [`${p}.unembed`], [{ name: 'perm', ints: [1, 0] }]);
    unembed = `${p}.unembed`;
  }
  if (!unembed && !lens.head) throw new Error('the lens needs an unembedding weight or the head nodes');
  const normBias = lens.normBias === undefined ? undefined : b.f32(lens.normBias);
  const outputs: { name: string; type: number }[] = [];
  const normOuts: string[] = [];
  spec.residuals.forEach((resid, l) => {
    const x = b.f32(resid);
    const t = (s: string) => `${p}.${l}.${s}`;
    let centered = x;
    if (lens.normKind === 'layer') {
      reduce('ReduceMean', x, t('mean'), 1);
      b.add('Sub', [x, t('mean')], [t('centered')]);
      centered = t('centered');
    }
    b.add('Mul', [centered, centered], [t('sq')]);
    reduce('ReduceMean', t('sq'), t('var'), 1);
    b.add('Add', [t('var'), `${p}.eps`], [t('var_eps')]);
    b.add('Sqrt', [t('var_eps')], [t('std')]);
    b.add('Div', [centered, t('std')], [t('normed')]);
    b.add('Mul', [t('normed'), weight], [t('scaled')]);
    let normOut = t('scaled');
    if (normBias) {
      b.add('Add', [t('scaled'), normBias], [t('biased')]);
      normOut = t('biased');
    }
    if (unembed) normOuts.push(normOut);
    else {
      // The model's own (quantized) head on this layer's normed residual, in the model's float type.
      const head = lens.head!;
      let x = normOut;
      if (spec.floatType !== OnnxType.FLOAT) {
        b.add('Cast', [normOut], [t('normed_model_type')], [{ name: 'to', int: spec.floatType }]);
        x = t('normed_model_type');
      }
      const renamed = new Map([[head.input, x]]);
      const name = (tensor: string) => renamed.get(tensor) ?? tensor;
      for (const n of head.nodes) {
        const outs = n.outputs.map((o) => (o ? `${o}@lens.${l}` : ''));
        n.outputs.forEach((o, i) => o && renamed.set(o, outs[i]!));
        b.copy(n, n.inputs.map((i) => (i ? name(i) : '')), outs);
      }
      b.add('Cast', [name(head.output)], [t('logits')], [{ name: 'to', int: OnnxType.FLOAT }]);
    }
  });
  if (unembed) {
    // One MatMul for every layer: onnxruntime prepacks a weight once per MatMul node, so a node per
    // layer held that many packed copies of the unembedding (73 MiB on a 603 MiB model).
    const L = spec.residuals.length;
    b.add('Concat', normOuts, [`${p}.normed_all`], [{ name: 'axis', int: 0 }]);
    b.add('MatMul', [`${p}.normed_all`, unembed], [`${p}.logits_all`]);
    const logits = spec.residuals.map((_, l) => `${p}.${l}.logits`);
    b.add('Split', [`${p}.logits_all`], logits, [{ name: 'axis', int: 0 }, ...(spec.opset >= 18 ? [{ name: 'num_outputs', int: L }] : [])]);
  }
  spec.residuals.forEach((_, l) => {
    const t = (s: string) => `${p}.${l}.${s}`;
    b.add('Softmax', [t('logits')], [t('probs')], [{ name: 'axis', int: -1 }]);
    b.add('LogSoftmax', [t('logits')], [t('logp')], [{ name: 'axis', int: -1 }]);
    b.add('TopK', [t('probs'), lensNames.kInput], [thenName(lensNames.topValues(l)), thenName(lensNames.topIndices(l))], [
      { name: 'axis', int: -1 },
      { name: 'largest', int: 1 },
      { name: 'sorted', int: 1 },
    ]);
    b.add('Mul', [t('probs'), t('logp')], [t('plogp')]);
    reduce('ReduceSum', t('plogp'), t('neg_entropy'), 1);
    b.add('Neg', [t('neg_entropy')], [thenName(lensNames.entropy(l))]);
    b.add('MatMul', [t('probs'), lensNames.setsInput], [thenName(lensNames.setMass(l))]);
    outputs.push(
      { name: lensNames.topValues(l), type: OnnxType.FLOAT },
      { name: lensNames.topIndices(l), type: OnnxType.INT64 },
      { name: lensNames.entropy(l), type: OnnxType.FLOAT },
      { name: lensNames.setMass(l), type: OnnxType.FLOAT },
    );
  });
  return { branch: b, outputs };
}

/**
 * What a capture stores, per text and neuron: the count of activations > 0, their sum and sum of
 * squares; per text the residual summed over positions and at the last token. Only [batch, width]
 * tensors leave the session.
 */
function captureBranch(spec: InstrumentSpec, w: Writer): { branch: Nodes; outputs: { name: string; type: number }[] } {
  const b = new Nodes('babelscope.capture', spec.floatType);
  const p = 'babelscope.capture';
  encodeInitializer(w, `${p}.axis_pos`, OnnxType.INT64, [1], int64Raw([1]));
  encodeInitializer(w, `${p}.zero`, OnnxType.FLOAT, [], float32Raw([0]));
  const sum = reducer(b, spec.opset, `${p}.axis_pos`, 1);
  const m = captureNames.tokenMask;
  const outputs: { name: string; type: number }[] = [];
  spec.activations.forEach((_, l) => {
    const act = b.f32(scaledActName(l));
    const t = (s: string) => `${p}.${l}.${s}`;
    b.add('Greater', [act, `${p}.zero`], [t('gt')]);
    b.add('Cast', [t('gt')], [t('gt_f')], [{ name: 'to', int: OnnxType.FLOAT }]);
    b.add('Mul', [t('gt_f'), m], [t('gt_m')]);
    sum('ReduceSum', t('gt_m'), thenName(captureNames.positive(l)), 0);
    b.add('Mul', [act, m], [t('act_m')]);
    sum('ReduceSum', t('act_m'), thenName(captureNames.sums(l)), 0);
    b.add('Mul', [t('act_m'), act], [t('act_sq')]);
    sum('ReduceSum', t('act_sq'), thenName(captureNames.sumSquares(l)), 0);
    for (const name of [captureNames.positive(l), captureNames.sums(l), captureNames.sumSquares(l)]) outputs.push({ name, type: OnnxType.FLOAT });
    poolResidual(l, spec.residuals[l]!);
  });
  function poolResidual(key: number | PooledEnd, tensor: string): void {
    const resid = b.f32(tensor);
    const t = (s: string) => `${p}.${key}.${s}`;
    b.add('Mul', [resid, m], [t('resid_m')]);
    sum('ReduceSum', t('resid_m'), thenName(captureNames.residSum(key)), 0);
    b.add('Mul', [resid, captureNames.lastMask], [t('resid_l')]);
    sum('ReduceSum', t('resid_l'), thenName(captureNames.residLast(key)), 0);
    b.add('Mul', [resid, captureNames.positionWeight], [t('resid_w')]);
    sum('ReduceSum', t('resid_w'), thenName(captureNames.residWeightedSum(key)), 0);
    for (const name of [captureNames.residSum(key), captureNames.residLast(key), captureNames.residWeightedSum(key)]) outputs.push({ name, type: OnnxType.FLOAT });
  }
  for (const end of ['embedding', 'final_norm'] as const) {
    const tensor = spec.pooledEnds?.[end];
    if (tensor) poolResidual(end, tensor);
  }
  return { branch: b, outputs };
}

function nllBranch(spec: InstrumentSpec): { branch: Nodes; outputs: { name: string; type: number }[] } {
  const b = new Nodes('babelscope.nll', spec.floatType);
  b.add('LogSoftmax', [b.f32(spec.logits)], ['babelscope.nll.logp'], [{ name: 'axis', int: -1 }]);
  b.add('GatherElements', ['babelscope.nll.logp', nllNames.targets], ['babelscope.nll.target_logp'], [{ name: 'axis', int: 2 }]);
  b.add('Neg', ['babelscope.nll.target_logp'], [thenName(nllNames.nll)]);
  return { branch: b, outputs: [{ name: nllNames.nll, type: OnnxType.FLOAT }] };
}

/** The name a tap is read from in the instrumented graph (float32, scaled for MLP activations). */
export function tapOutputName(spec: Pick<InstrumentSpec, 'floatType' | 'activations'>, onnxName: string): string {
  const layer = spec.activations.indexOf(onnxName);
  const name = layer >= 0 ? scaledActName(layer) : onnxName;
  return spec.floatType === OnnxType.FLOAT ? name : float32Name(name);
}

/** Returns the instrumented model as chunks (views into `model` plus the new parts). */
export function instrumentModel(model: Uint8Array, spec: InstrumentSpec): { parts: Uint8Array[]; defaults: DefaultFeed[] } {
  const w = new Writer();
  const main = new Nodes('babelscope', spec.floatType);
  const defaults: DefaultFeed[] = [];
  const off = (name: string) => switchInput(w, defaults, { name, type: 'bool', dims: [], fill: 0 }, []);
  encodeInitializer(w, 'babelscope.empty_f32', OnnxType.FLOAT, [0], new Uint8Array());
  encodeInitializer(w, 'babelscope.empty_i64', OnnxType.INT64, [0], new Uint8Array());

  // Scales: act × scale (ones unless fed); every reader of the activation reads the scaled one.
  const renames = new Map<string, string>();
  spec.activations.forEach((act, l) => {
    renames.set(act, scaledActName(l));
    const scale = scaleInputName(l);
    switchInput(w, defaults, { name: scale, type: 'float32', dims: [spec.width], fill: 1 }, [spec.width]);
    if (spec.floatType === OnnxType.FLOAT) main.add('Mul', [act, scale], [scaledActName(l)]);
    else {
      main.add('Cast', [scale], [`${scale}.cast`], [{ name: 'to', int: spec.floatType }]);
      main.add('Mul', [act, `${scale}.cast`], [scaledActName(l)]);
    }
  });

  // Boundaries: float32 in and out where JS cannot handle the model's type.
  for (const input of spec.boundaryCasts?.inputs ?? []) {
    renames.set(input, `babelscope.cast_in/${input}`);
    main.add('Cast', [input], [`babelscope.cast_in/${input}`], [{ name: 'to', int: spec.floatType }]);
  }
  for (const output of spec.boundaryCasts?.outputs ?? []) {
    main.add('Cast', [output], [float32Name(output)], [{ name: 'to', int: OnnxType.FLOAT }]);
    encodeValueInfo(w, 12, float32Name(output));
  }

  // Taps: plain outputs of a float32 model; other models cast them in an If.
  const taps = [...new Set([...spec.residuals, ...spec.activations.map((_, l) => scaledActName(l)), ...spec.extraTaps.map((t) => renames.get(t) ?? t)])];
  if (spec.floatType === OnnxType.FLOAT) for (const t of taps) encodeValueInfo(w, 12, t);
  else {
    off(tapsOnName);
    const b = new Nodes('babelscope.taps', spec.floatType);
    for (const t of taps) b.add('Cast', [t], [thenName(float32Name(t))], [{ name: 'to', int: OnnxType.FLOAT }]);
    ifNode(main, tapsOnName, b, taps.map((t) => ({ name: float32Name(t), type: OnnxType.FLOAT })));
    for (const t of taps) encodeValueInfo(w, 12, float32Name(t));
  }

  const switched: { on: string; built: { branch: Nodes; outputs: { name: string; type: number }[] } }[] = [];
  if (spec.lens) {
    off(lensNames.on);
    switchInput(w, defaults, { name: lensNames.kInput, type: 'int64', dims: [1], fill: 1 }, [1]);
    switchInput(w, defaults, { name: lensNames.setsInput, type: 'float32', dims: [spec.vocabSize, 1], fill: 0 }, [spec.vocabSize, 'sets']);
    switched.push({ on: lensNames.on, built: lensBranch(spec, spec.lens, w) });
  }
  off(captureNames.on);
  switchInput(w, defaults, { name: captureNames.tokenMask, type: 'float32', dims: [1, 1, 1], fill: 0 }, ['batch', 'pos', 1]);
  switchInput(w, defaults, { name: captureNames.lastMask, type: 'float32', dims: [1, 1, 1], fill: 0 }, ['batch', 'pos', 1]);
  switchInput(w, defaults, { name: captureNames.positionWeight, type: 'float32', dims: [1, 1, 1], fill: 0 }, ['batch', 'pos', 1]);
  switched.push({ on: captureNames.on, built: captureBranch(spec, w) });
  off(nllNames.on);
  switchInput(w, defaults, { name: nllNames.targets, type: 'int64', dims: [1, 1, 1], fill: 0 }, ['batch', 'pos', 1]);
  switched.push({ on: nllNames.on, built: nllBranch(spec) });
  for (const { on, built } of switched) {
    ifNode(main, on, built.branch, built.outputs);
    for (const o of built.outputs) encodeValueInfo(w, 12, o.name);
  }
  main.encode(w);

  const base = editNodes(model, renames, new Map((spec.sumOutputs ?? []).map((o) => [o.nodeName, o.tensor])), new Set(spec.boundaryCasts?.inputs ?? []));
  return { parts: [...base, ...new Writer().bytes(7, w.parts()).parts()], defaults };
}

/**
 * The model with every node input named in `renames` reading the new name, the nodes named in
 * `sumOutputs` given that tensor as output 3, and the graph inputs in `floatInputs` declared float32.
 * Untouched bytes are views into `model`.
 */
function editNodes(model: Uint8Array, renames: Map<string, string>, sumOutputs: Map<string, string>, floatInputs: Set<string>): Uint8Array[] {
  return rewriteGraphFields(model, (gf) => {
    if (gf.no === 11 && floatInputs.size) {
      const name = [...fields(model, gf.start, gf.end)].find((f) => f.no === 1 && f.wire === Wire.Len);
      return name && floatInputs.has(str(model, name)) ? widenValueInfo(model, gf) : undefined;
    }
    if (gf.no !== 1) return undefined; // GraphProto.node
    const nodeFields = [...fields(model, gf.start, gf.end)];
    const nameField = nodeFields.find((nf) => nf.no === 3 && nf.wire === Wire.Len);
    const sum = nameField ? sumOutputs.get(str(model, nameField)) : undefined;
    const renamed = nodeFields.some((nf) => nf.no === 1 && nf.wire === Wire.Len && renames.has(str(model, nf)));
    if (!renamed && sum === undefined) return undefined;
    const node = new Writer();
    const outputs = nodeFields.filter((nf) => nf.no === 2 && nf.wire === Wire.Len).map((nf) => str(model, nf));
    for (const nf of nodeFields) {
      if (nf.no === 2 && nf.wire === Wire.Len && sum !== undefined) continue;
      const name = nf.no === 1 && nf.wire === Wire.Len ? renames.get(str(model, nf)) : undefined;
      if (name !== undefined) node.string(1, name);
      else node.raw(model.subarray(fieldKeyStart(nf), nf.end));
    }
    if (sum !== undefined) {
      while (outputs.length < 3) outputs.push('');
      outputs[3] = sum;
      for (const o of outputs) node.string(2, o);
    }
    return node.parts();
  });
}

export { concatBytes };
