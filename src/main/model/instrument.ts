/**
 * Builds the one instrumented graph a model runs as, by editing its protobuf bytes (weights untouched):
 * - taps: intermediate tensors are copied out as extra graph outputs, each by an If switched by its own input;
 * - scales: every MLP activation is multiplied by a per-layer scale input that defaults to ones, so
 *   ablation and amplification need no other graph;
 * - the logit lens, the capture reductions and the next-token NLL are each computed inside `If`
 *   nodes switched by a boolean input (default false), the lens's last half in a Loop whose trip count
 *   that input sets: onnxruntime runs only the branch it takes, so a forward with nothing switched on
 *   costs what the plain model costs.
 * New nodes go in a GraphProto fragment appended to the ModelProto (protobuf merges repeated fields);
 * only the nodes that read a scaled activation are rewritten, and the graph is re-wrapped from slices.
 *
 * Memory: a node that reads a tensor keeps it alive until the node runs, and a graph output lives to
 * the end of the run. So no layer's tensor is a graph output (a tap is copied out by its own If), and
 * every If that reads a layer's tensors reads only that layer's: the capture reduces each layer to
 * [batch, width] as soon as the layer is done, and the lens normalises each layer in its own If, so
 * the lens's loop over layers reads only empty tensors when it is off (it then runs zero times: its
 * trip count is the switch times the layer count times the chunks of rows). The loop unembeds one
 * chunk of one layer's rows a step (top-k, entropy and set mass are scan outputs), so one node reads the
 * unembedding (onnxruntime prepacks a weight once per node) and one chunk's logits exist at a time. Each
 * step takes its layer from the sequence again (a copy of [batch·pos, hidden], small beside the chunk's
 * [rows, vocab] logits): a loop over chunks nested in the loop over layers kept a packed copy of the
 * unembedding instead. onnxruntime orders nodes by a
 * depth-first walk from the leaves, the last-added leaf first; the per-layer Ifs are added last and in
 * reverse, so each runs right after its layer (see `instrumentModel`).
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
  /** Rows a lens step unembeds at a time (default `lensChunkRows(vocabSize)`; tests set a few to run several). */
  lensChunkRows?: number;
  /** Absent when the graph has no usable unembedding (the lens is then unavailable). */
  lens?: LensSpec;
  /**
   * For a float type JS can neither read nor feed (bfloat16 kept on CUDA): these graph inputs become
   * float32 and are cast to the model's type inside the graph, and these outputs get float32 copies
   * named `float32Name(output)`.
   */
  boundaryCasts?: { inputs: string[]; outputs: string[] };
}

/** The lens's loop reads the layers from a sequence (SequenceConstruct/SequenceAt, opset 11), and Gemm's bias is optional from 11 on. */
export const LENS_MIN_OPSET = 11;

/** Names of the tensors the lens adds: its outputs stacked over layers, and each layer's normed residual. */
export const lensNames = {
  /** float32 [layers, batch·pos, k] (row b·pos + t is text b's position t): the top-k probabilities, largest first. */
  topValues: 'babelscope.lens.top_probs',
  /** int64 [layers, batch·pos, k]: their token ids. */
  topIndices: 'babelscope.lens.top_ids',
  /** float32 [layers, batch·pos]: the entropy of each position's distribution, in nats. */
  entropy: 'babelscope.lens.entropy',
  /** float32 [layers, batch·pos, sets]: the probability on each token set (each column of `setsInput`). */
  setMass: 'babelscope.lens.set_mass',
  /** float32 [batch, pos, hidden]: the layer's residual through the final norm (empty when the lens is off). */
  normed: (l: number) => `babelscope.lens.${l}.normed_out`,
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
  /**
   * float32 [batch, 1, pos]: 1 for positions that count (real tokens after <bos>), else 0. A row per text,
   * fed as such: a MatMul reading a transposed [batch, pos, 1] (onnxruntime fuses the Transpose into a
   * FusedMatMul) took 2.3× as long.
   */
  tokenMask: 'babelscope.capture.token_mask',
  /**
   * float32 [batch, 3, pos]: per text, the weights of the three pooled sums of a residual (one MatMul):
   * the token mask; 1 at the last token; each real token's position 1..n (MEXA's weighted mean), 0 for padding.
   */
  poolWeights: 'babelscope.capture.pool_weights',
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

/** bool []: copy this tap (a tensor of the graph, after renames) out as `tapOutputName`; float32 whatever the model's type. */
export const tapSwitchName = (tensor: string) => `babelscope.tap_on/${tensor}`;
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

type LoopValue = { name: string; type: number; shape: (number | string)[] };

/**
 * A Loop's body graph: `body`'s nodes read the step number `<prefix>.i` (int64 []) and the carried
 * values, and make `outputs` (the carried values' next state, then the scan outputs); the loop's
 * condition `<prefix>.cond` passes through unchanged, so the trip count alone ends it.
 */
function loopBody(body: Nodes, carried: LoopValue[], outputs: LoopValue[]): Uint8Array[] {
  const name = (s: string) => `${body.prefix}.${s}`;
  body.add('Identity', [name('cond')], [name('cond_out')]);
  const g = new Writer();
  body.encode(g);
  g.string(2, body.prefix);
  for (const v of [{ name: name('i'), type: OnnxType.INT64, shape: [] }, { name: name('cond'), type: OnnxType.BOOL, shape: [] }, ...carried]) encodeValueInfo(g, 11, v.name, v.type, v.shape);
  for (const v of [{ name: name('cond_out'), type: OnnxType.BOOL, shape: [] }, ...outputs]) encodeValueInfo(g, 12, v.name, v.type, v.shape);
  return g.parts();
}

function reducer(nodes: Nodes, opset: number, axesConst: string, axis: number) {
  return (op: 'ReduceMean' | 'ReduceSum' | 'ReduceMax', x: string, out: string, keepdims: 0 | 1) => {
    const axesAsInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
    if (axesAsInput) nodes.add(op, [x, axesConst], [out], [{ name: 'keepdims', int: keepdims }]);
    else nodes.add(op, [x], [out], [{ name: 'axes', ints: [axis] }, { name: 'keepdims', int: keepdims }]);
  };
}

type Built = { branch: Nodes; outputs: { name: string; type: number }[] };

/** Initializers the lens branches share (main graph). */
function lensConstants(lens: LensSpec, w: Writer): void {
  const p = 'babelscope.lens';
  encodeInitializer(w, `${p}.axes_last`, OnnxType.INT64, [1], int64Raw([-1]));
  encodeInitializer(w, `${p}.eps`, OnnxType.FLOAT, [], float32Raw([lens.normEps]));
  if (lens.normKind === 'rms_plus_one') encodeInitializer(w, `${p}.one`, OnnxType.FLOAT, [], float32Raw([1]));
}

/** The lens's first half for one layer, in its own If: the residual through the final norm, recomputed in float32. */
function lensNormBranch(spec: InstrumentSpec, lens: LensSpec, l: number): Built {
  const p = 'babelscope.lens';
  const b = new Nodes(`${p}.${l}`, spec.floatType);
  const t = (s: string) => `${p}.${l}.${s}`;
  const reduce = reducer(b, spec.opset, `${p}.axes_last`, -1);
  let weight = b.f32(lens.normWeight);
  if (lens.normKind === 'rms_plus_one') {
    b.add('Add', [weight, `${p}.one`], [t('norm_weight')]);
    weight = t('norm_weight');
  }
  const x = b.f32(spec.residuals[l]!);
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
  const out = thenName(lensNames.normed(l));
  if (lens.normBias === undefined) b.add('Mul', [t('normed'), weight], [out]);
  else {
    b.add('Mul', [t('normed'), weight], [t('scaled')]);
    b.add('Add', [t('scaled'), b.f32(lens.normBias)], [out]);
  }
  return { branch: b, outputs: [{ name: lensNames.normed(l), type: OnnxType.FLOAT }] };
}

/**
 * The unembedding in float32 for a float16/bfloat16 model, cast in an If so that a forward without the
 * lens does not pay for it (the cast is read only by the lens's loop).
 */
function lensUnembedCastBranch(spec: InstrumentSpec, unembedding: string): Built {
  const b = new Nodes('babelscope.lens.unembed', spec.floatType);
  b.add('Cast', [unembedding], [thenName(LENS_UNEMBED_F32)], [{ name: 'to', int: OnnxType.FLOAT }]);
  return { branch: b, outputs: [{ name: LENS_UNEMBED_F32, type: OnnxType.FLOAT }] };
}

const LENS_UNEMBED_F32 = 'babelscope.lens.unembed_f32';

/**
 * The lens's second half, main-graph nodes: one Loop over (layer, chunk of rows) that runs L × n times
 * when the lens is on and 0 times when it is off (then it reads only the norm Ifs' empty tensors). Each
 * layer's batch·pos rows are cut into n chunks of c rows (n = ⌈rows / lensChunkRows⌉, c = ⌈rows / n⌉, the
 * last chunk padded with zero rows); step i unembeds chunk i mod n of layer ⌊i / n⌋ and reduces it to
 * top-k, entropy and set mass. The scan outputs, [L·n, c, …], are reshaped to [L, n·c, …] and cut to the
 * real rows. Only one chunk's logits and their softmax exist at a time, and one node reads the
 * unembedding (onnxruntime prepacks a weight once per MatMul node: a node per layer held that many
 * packed copies; one MatMul over all layers held every layer's logits, twice at its Split). The loop is
 * in the main graph, not in an If, and not nested in another loop: deeper, its MatMul kept a packed copy
 * of the unembedding for the session's life (inside an If: +18 MiB, the unembedding's size, on the
 * medium model; in a loop over chunks inside the loop over layers: +253 MiB on the 128k vocabulary).
 */
function lensLoopNodes(spec: InstrumentSpec, lens: LensSpec, w: Writer): Built {
  const p = 'babelscope.lens';
  const b = new Nodes(p, spec.floatType);
  const t = (name: string) => `${p}.${name}`;
  const L = spec.residuals.length;
  const i64 = (name: string, values: number[], dims = [values.length]) => encodeInitializer(w, t(name), OnnxType.INT64, dims, int64Raw(values));
  const chunk = spec.lensChunkRows ?? lensChunkRows(spec.vocabSize);
  i64('layers', [L]);
  i64('zero_scalar', [0], []);
  i64('i64_zero', [0]);
  i64('i64_one', [1]);
  i64('i64_two', [2]);
  i64('scalar_shape', [], [0]);
  i64('max_chunk', [chunk]);
  i64('max_chunk_minus_one', [chunk - 1]);
  i64('row_shape', [0, 1, -1]);
  i64('column_shape', [0, -1, 1]);
  i64('minus_one', [-1]);
  encodeInitializer(w, t('zero_f32'), OnnxType.FLOAT, [], float32Raw([0]));
  encodeInitializer(w, t('true'), OnnxType.BOOL, [], Uint8Array.from([1]));
  if (lens.unembedding === null && !lens.head) throw new Error('the lens needs an unembedding weight or the head nodes');
  if (spec.opset < LENS_MIN_OPSET) throw new Error(`the lens needs opset ${LENS_MIN_OPSET}, the graph is ${spec.opset}`);
  // rows = batch × positions (from input_ids, which every run feeds); n chunks of c rows.
  b.add('Shape', ['input_ids'], [t('ids_shape')]);
  b.add('Gather', [t('ids_shape'), t('i64_zero')], [t('batch')], [{ name: 'axis', int: 0 }]);
  b.add('Gather', [t('ids_shape'), t('i64_one')], [t('positions')], [{ name: 'axis', int: 0 }]);
  b.add('Mul', [t('batch'), t('positions')], [t('rows')]);
  b.add('Add', [t('rows'), t('max_chunk_minus_one')], [t('rows_up')]);
  b.add('Div', [t('rows_up'), t('max_chunk')], [t('chunks')]);
  b.add('Add', [t('rows'), t('chunks')], [t('rows_plus_chunks')]);
  b.add('Sub', [t('rows_plus_chunks'), t('i64_one')], [t('rows_up_n')]);
  b.add('Div', [t('rows_up_n'), t('chunks')], [t('chunk_rows')]);
  b.add('Cast', [lensNames.on], [t('on_i64')], [{ name: 'to', int: OnnxType.INT64 }]);
  b.add('Mul', [t('on_i64'), t('layers')], [t('layers_run')]);
  b.add('Mul', [t('layers_run'), t('chunks')], [t('steps_1d')]);
  b.add('Reshape', [t('steps_1d'), t('scalar_shape')], [t('steps')]);
  // The step takes layer i from a sequence of the normed residuals (a Concat of them was a second copy of all).
  b.add('SequenceConstruct', spec.residuals.map((_, l) => lensNames.normed(l)), [t('normed_seq')]);
  const unembed = lens.unembedding === null ? null : spec.floatType === OnnxType.FLOAT ? lens.unembedding : LENS_UNEMBED_F32;
  const scanned = ['top_probs', 'top_ids', 'entropy', 'set_mass'].map((n) => t(`scanned_${n}`));
  b.add('Loop', [t('steps'), t('true')], scanned, [{ name: 'body', graph: lensStep(spec, lens, unembed) }]);
  // [L·n, c, …] → [L, n·c, …] → [L, rows, …].
  b.add('Mul', [t('chunks'), t('chunk_rows')], [t('padded_rows')]);
  b.add('Shape', [lensNames.setsInput], [t('sets_shape')]);
  b.add('Slice', [t('sets_shape'), t('i64_one'), t('i64_two')], [t('sets')]);
  b.add('Concat', [t('layers_run'), t('padded_rows'), lensNames.kInput], [t('top_shape')], [{ name: 'axis', int: 0 }]);
  b.add('Concat', [t('layers_run'), t('padded_rows')], [t('entropy_shape')], [{ name: 'axis', int: 0 }]);
  b.add('Concat', [t('layers_run'), t('padded_rows'), t('sets')], [t('mass_shape')], [{ name: 'axis', int: 0 }]);
  const outputs = [
    { name: lensNames.topValues, type: OnnxType.FLOAT, shape: t('top_shape') },
    { name: lensNames.topIndices, type: OnnxType.INT64, shape: t('top_shape') },
    { name: lensNames.entropy, type: OnnxType.FLOAT, shape: t('entropy_shape') },
    { name: lensNames.setMass, type: OnnxType.FLOAT, shape: t('mass_shape') },
  ];
  outputs.forEach((o, k) => {
    b.add('Reshape', [scanned[k]!, o.shape], [`${o.name}.padded`]);
    b.add('Slice', [`${o.name}.padded`, t('i64_zero'), t('rows'), t('i64_one')], [o.name]);
  });
  return { branch: b, outputs: outputs.map(({ name, type }) => ({ name, type })) };
}

/**
 * Rows ([batch·pos] positions) one lens step unembeds at most: about 128 MiB of float32 logits, at
 * least 64 rows. The logits and their softmax are the lens's largest temporaries: over a
 * working-language batch of 8 × 100 tokens a 152k vocabulary made two [800, vocab] tensors, 970 MB.
 * On the bench's 128k vocabulary (make_large_model.py --preset wide-vocab; 544 MiB of weights), two such
 * batches with working-language's 168 token sets peaked at 3.29× the weights in one chunk, 2.64× in
 * the default 261 rows and 2.54× in 64 (the plain forward: 2.88×), taking 8.7, 10.0 and 12.3 s: each
 * chunk reads the unembedding and the token sets again.
 * A small vocabulary gets one chunk for any usual batch.
 */
export function lensChunkRows(vocabSize: number): number {
  return Math.max(64, Math.floor((128 << 20) / (4 * vocabSize)));
}

/**
 * The lens loop's body: step i takes chunk j = i mod n of layer ⌊i / n⌋'s normed rows ([c, hidden],
 * zero rows past the end), unembeds it with the float32 unembedding (read in place even when stored
 * [vocab, hidden]: Gemm with transB) or with the model's own head nodes (one copy, in the model's float
 * type), and reduces the logits.
 */
function lensStep(spec: InstrumentSpec, lens: LensSpec, unembed: string | null): Uint8Array[] {
  const p = 'babelscope.lens.step';
  const c = 'babelscope.lens';
  const s = new Nodes(p, spec.floatType);
  const t = (name: string) => `${p}.${name}`;
  const reduce = reducer(s, spec.opset, `${c}.axes_last`, -1);
  s.add('Reshape', [`${c}.chunks`, `${c}.scalar_shape`], [t('n')]);
  s.add('Div', [t('i'), t('n')], [t('layer')]);
  s.add('Mod', [t('i'), t('n')], [t('j')]);
  s.add('SequenceAt', [`${c}.normed_seq`, t('layer')], [t('normed_3d')]);
  s.add('Flatten', [t('normed_3d')], [t('normed_all')], [{ name: 'axis', int: 2 }]);
  s.add('Reshape', [t('j'), `${c}.i64_one`], [t('j_1d')]);
  s.add('Mul', [t('j_1d'), `${c}.chunk_rows`], [t('start')]);
  s.add('Add', [t('start'), `${c}.chunk_rows`], [t('end')]);
  s.add('Slice', [t('normed_all'), t('start'), t('end'), `${c}.i64_zero`], [t('normed_part')]);
  // The last chunk is padded with zero rows to c (its results are cut off after the loop).
  s.add('Shape', [t('normed_part')], [t('part_shape')]);
  s.add('Slice', [t('part_shape'), `${c}.i64_zero`, `${c}.i64_one`], [t('part_rows')]);
  s.add('Sub', [`${c}.chunk_rows`, t('part_rows')], [t('pad_rows')]);
  // Concat with zeros, not Pad: onnxruntime's Pad made the lens 10 % slower on the medium model.
  s.add('Slice', [t('part_shape'), `${c}.i64_one`, `${c}.i64_two`], [t('hidden')]);
  s.add('Concat', [t('pad_rows'), t('hidden')], [t('pad_shape')], [{ name: 'axis', int: 0 }]);
  s.add('Expand', [`${c}.zero_f32`, t('pad_shape')], [t('pad')]);
  s.add('Concat', [t('normed_part'), t('pad')], [t('normed')], [{ name: 'axis', int: 0 }]);
  if (unembed && lens.unembeddingTransposed) s.add('Gemm', [t('normed'), unembed], [t('logits')], [{ name: 'transB', int: 1 }]);
  else if (unembed) s.add('MatMul', [t('normed'), unembed], [t('logits')]);
  else {
    const head = lens.head!;
    let x = t('normed');
    if (spec.floatType !== OnnxType.FLOAT) {
      s.add('Cast', [x], [t('normed_model_type')], [{ name: 'to', int: spec.floatType }]);
      x = t('normed_model_type');
    }
    const renamed = new Map([[head.input, x]]);
    const name = (tensor: string) => renamed.get(tensor) ?? tensor;
    for (const n of head.nodes) {
      const outs = n.outputs.map((o) => (o ? `${o}@lens` : ''));
      n.outputs.forEach((o, i) => o && renamed.set(o, outs[i]!));
      s.copy(n, n.inputs.map((i) => (i ? name(i) : '')), outs);
    }
    s.add('Cast', [name(head.output)], [t('logits')], [{ name: 'to', int: OnnxType.FLOAT }]);
  }
  s.add('Softmax', [t('logits')], [t('probs')], [{ name: 'axis', int: -1 }]);
  s.add('TopK', [t('probs'), lensNames.kInput], [t('top_probs'), t('top_ids')], [
    { name: 'axis', int: -1 },
    { name: 'largest', int: 1 },
    { name: 'sorted', int: 1 },
  ]);
  s.add('MatMul', [t('probs'), lensNames.setsInput], [t('set_mass')]);
  // Entropy = logsumexp(x) − Σ p·x, with logsumexp(x) = max(x) − log max(p): no log-softmax copy of the logits.
  reduce('ReduceMax', t('logits'), t('max_logit'), 0);
  s.add('Gather', [t('top_probs'), `${c}.zero_scalar`], [t('max_prob')], [{ name: 'axis', int: 1 }]);
  s.add('Log', [t('max_prob')], [t('log_max_prob')]);
  s.add('Sub', [t('max_logit'), t('log_max_prob')], [t('logsumexp')]);
  // Σ p·x row by row as [rows, 1, vocab] × [rows, vocab, 1]: no [rows, vocab] product.
  s.add('Reshape', [t('probs'), `${c}.row_shape`], [t('probs_row')]);
  s.add('Reshape', [t('logits'), `${c}.column_shape`], [t('logits_column')]);
  s.add('MatMul', [t('probs_row'), t('logits_column')], [t('mean_logit_3d')]);
  s.add('Reshape', [t('mean_logit_3d'), `${c}.minus_one`], [t('mean_logit')]);
  s.add('Sub', [t('logsumexp'), t('mean_logit')], [t('entropy')]);
  return loopBody(s, [], [
    { name: t('top_probs'), type: OnnxType.FLOAT, shape: ['rows', 'k'] },
    { name: t('top_ids'), type: OnnxType.INT64, shape: ['rows', 'k'] },
    { name: t('entropy'), type: OnnxType.FLOAT, shape: ['rows'] },
    { name: t('set_mass'), type: OnnxType.FLOAT, shape: ['rows', 'sets'] },
  ]);
}

/** Initializers the capture branches share (main graph). */
function captureConstants(w: Writer): void {
  const p = 'babelscope.capture';
  encodeInitializer(w, `${p}.zero`, OnnxType.FLOAT, [], float32Raw([0]));
}

/**
 * What a capture stores of one layer, per text and neuron ([batch, 1, width]): the count of activations
 * > 0, their sum and sum of squares over the counted positions; and the layer's residual pooled (see
 * `pool`). Each is the token mask times a [pos, width] matrix, so the one float32 [batch, pos, width]
 * temporary is the squared activation (the count multiplies uint8 copies of `activation > 0`, a quarter
 * of a float copy each). MatMuls, not Mul + ReduceSum: onnxruntime's ReduceSumSquare over the position
 * axis made the capture ~10 % slower (measured on the compute-bound bench model).
 */
function captureLayerBranch(spec: InstrumentSpec, l: number): Built {
  const p = `babelscope.capture.${l}`;
  const b = new Nodes(p, spec.floatType);
  const m = captureNames.tokenMask;
  const act = b.f32(scaledActName(l));
  // Each statistic is a (batched) product of the token mask's [1, pos] row with a [pos, width] matrix.
  b.add('Greater', [act, 'babelscope.capture.zero'], [`${p}.gt`]);
  b.add('Cast', [`${p}.gt`], [`${p}.gt_u8`], [{ name: 'to', int: OnnxType.UINT8 }]);
  b.add('Cast', [m], [`${p}.mask_u8`], [{ name: 'to', int: OnnxType.UINT8 }]);
  b.add('MatMulInteger', [`${p}.mask_u8`, `${p}.gt_u8`], [`${p}.positive_i32`]);
  b.add('Cast', [`${p}.positive_i32`], [thenName(captureNames.positive(l))], [{ name: 'to', int: OnnxType.FLOAT }]);
  b.add('MatMul', [m, act], [thenName(captureNames.sums(l))]);
  b.add('Mul', [act, act], [`${p}.act_sq`]);
  b.add('MatMul', [m, `${p}.act_sq`], [thenName(captureNames.sumSquares(l))]);
  const outputs = [captureNames.positive(l), captureNames.sums(l), captureNames.sumSquares(l)].map((name) => ({ name, type: OnnxType.FLOAT }));
  return { branch: b, outputs: [...outputs, ...pool(b, spec, l, spec.residuals[l]!)] };
}

/** A residual pooled per text in one MatMul, [batch, 3, pos] × [batch, pos, hidden]: summed, at the last token, position-weighted. */
function pool(b: Nodes, spec: InstrumentSpec, key: number | PooledEnd, tensor: string): { name: string; type: number }[] {
  const names = [captureNames.residSum(key), captureNames.residLast(key), captureNames.residWeightedSum(key)];
  const pooled = `babelscope.capture.${key}.pooled`;
  b.add('MatMul', [captureNames.poolWeights, b.f32(tensor)], [pooled]);
  b.add('Split', [pooled], names.map(thenName), [{ name: 'axis', int: 1 }, ...(spec.opset >= 18 ? [{ name: 'num_outputs', int: 3 }] : [])]);
  return names.map((name) => ({ name, type: OnnxType.FLOAT }));
}

function poolBranch(spec: InstrumentSpec, end: PooledEnd, tensor: string): Built {
  const b = new Nodes(`babelscope.capture.${end}`, spec.floatType);
  return { branch: b, outputs: pool(b, spec, end, tensor) };
}

/**
 * Rows of logits one step of the NLL loop reads: about 1 MiB of float32 (at least 16 rows), so the step's
 * temporaries stay small whatever the vocabulary and are read again from the cache. Measured on
 * [2025, 3072] logits: 64–256 rows a step ran as fast as one log-softmax over all of them, 682 rows
 * 10 % slower, one step of 4096 rows 25 % slower.
 */
function nllChunkRows(vocabSize: number): number {
  return Math.max(16, Math.floor((1 << 20) / (4 * vocabSize)));
}

/**
 * −log p(target) at every position, by a Loop over chunks of positions: each step takes the log-softmax
 * of its rows and picks the targets. onnxruntime's Softmax is vectorised where ReduceLogSumExp is not
 * (logsumexp − target logit took 9 % of a capture on the compute-bound bench model), and chunking keeps
 * the log-softmax's copy to `nllChunkRows` rows instead of a second [batch, pos, vocab] tensor.
 */
function nllBranch(spec: InstrumentSpec, w: Writer): Built {
  const p = 'babelscope.nll';
  const b = new Nodes(p, spec.floatType);
  const rows = nllChunkRows(spec.vocabSize);
  const i64 = (name: string, values: number[], dims = [values.length]) => encodeInitializer(w, `${p}.${name}`, OnnxType.INT64, dims, int64Raw(values));
  i64('rows_shape', [-1, spec.vocabSize]);
  i64('column_shape', [-1, 1]);
  i64('zero', [0]);
  i64('one', [1]);
  i64('chunk', [rows]);
  i64('chunk_minus_one', [rows - 1]);
  i64('scalar_shape', [], [0]);
  encodeInitializer(w, `${p}.true`, OnnxType.BOOL, [], Uint8Array.from([1]));
  encodeInitializer(w, `${p}.no_rows`, OnnxType.FLOAT, [0, 1], new Uint8Array());
  b.add('Reshape', [spec.logits, `${p}.rows_shape`], [`${p}.logits_2d`]);
  b.add('Reshape', [nllNames.targets, `${p}.column_shape`], [`${p}.targets_2d`]);
  b.add('Shape', [`${p}.targets_2d`], [`${p}.targets_shape`]);
  b.add('Slice', [`${p}.targets_shape`, `${p}.zero`, `${p}.one`], [`${p}.positions`]);
  b.add('Add', [`${p}.positions`, `${p}.chunk_minus_one`], [`${p}.positions_up`]);
  b.add('Div', [`${p}.positions_up`, `${p}.chunk`], [`${p}.steps_1d`]);
  b.add('Reshape', [`${p}.steps_1d`, `${p}.scalar_shape`], [`${p}.steps`]);
  const body = nllStep(spec, p);
  b.add('Loop', [`${p}.steps`, `${p}.true`, `${p}.no_rows`], [`${p}.nll_rows`], [{ name: 'body', graph: body }]);
  b.add('Shape', [nllNames.targets], [`${p}.nll_shape`]);
  b.add('Reshape', [`${p}.nll_rows`, `${p}.nll_shape`], [thenName(nllNames.nll)]);
  return { branch: b, outputs: [{ name: nllNames.nll, type: OnnxType.FLOAT }] };
}

/** The NLL loop's body: step i appends −log p(target) of rows [i·chunk, (i+1)·chunk) to the carried column. */
function nllStep(spec: InstrumentSpec, p: string): Uint8Array[] {
  const s = new Nodes(`${p}.step`, spec.floatType);
  const t = (name: string) => `${p}.step.${name}`;
  s.add('Reshape', [t('i'), `${p}.one`], [t('i_1d')]);
  s.add('Mul', [t('i_1d'), `${p}.chunk`], [t('start')]);
  s.add('Add', [t('start'), `${p}.chunk`], [t('end')]);
  s.add('Slice', [`${p}.logits_2d`, t('start'), t('end'), `${p}.zero`], [t('logits')]);
  s.add('Slice', [`${p}.targets_2d`, t('start'), t('end'), `${p}.zero`], [t('targets')]);
  s.add('LogSoftmax', [s.f32(t('logits'))], [t('logp')], [{ name: 'axis', int: -1 }]);
  s.add('GatherElements', [t('logp'), t('targets')], [t('target_logp')], [{ name: 'axis', int: 1 }]);
  s.add('Neg', [t('target_logp')], [t('nll')]);
  s.add('Concat', [t('carried'), t('nll')], [t('carried_out')], [{ name: 'axis', int: 0 }]);
  return loopBody(s, [{ name: t('carried'), type: OnnxType.FLOAT, shape: ['rows', 1] }], [{ name: t('carried_out'), type: OnnxType.FLOAT, shape: ['rows', 1] }]);
}

/** A tap copied out (float32) when its switch is on. */
function tapBranch(spec: InstrumentSpec, tensor: string, i: number): Built {
  const b = new Nodes(`babelscope.tap.${i}`, spec.floatType);
  const out = tapName(tensor);
  b.add(spec.floatType === OnnxType.FLOAT ? 'Identity' : 'Cast', [tensor], [thenName(out)], spec.floatType === OnnxType.FLOAT ? undefined : [{ name: 'to', int: OnnxType.FLOAT }]);
  return { branch: b, outputs: [{ name: out, type: OnnxType.FLOAT }] };
}

const tapName = (tensor: string) => `babelscope.tap/${tensor}`;

/** The name a tap is read from in the instrumented graph (float32, scaled for MLP activations). */
export function tapOutputName(spec: Pick<InstrumentSpec, 'activations'>, onnxName: string): string {
  return tapName(tapTensor(spec, onnxName));
}

/** The tensor a tap copies: the scaled one for an MLP activation. */
export function tapTensor(spec: Pick<InstrumentSpec, 'activations'>, onnxName: string): string {
  const layer = spec.activations.indexOf(onnxName);
  return layer >= 0 ? scaledActName(layer) : onnxName;
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

  // Every If, with the switch it runs on; `layer` places it (see below).
  const ifs: { on: string; built: Built; layer: number | 'embedding' | 'end'; leaf?: string; inline?: true }[] = [];
  const L = spec.residuals.length;
  const taps = [...new Set([...spec.residuals, ...spec.activations.map((_, l) => scaledActName(l)), ...spec.extraTaps.map((t) => renames.get(t) ?? t)])];
  taps.forEach((t, i) => {
    const r = spec.residuals.indexOf(t);
    const a = spec.activations.findIndex((_, l) => scaledActName(l) === t);
    off(tapSwitchName(t));
    ifs.push({ on: tapSwitchName(t), built: tapBranch(spec, t, i), layer: r >= 0 ? r : a >= 0 ? a : 'end' });
  });
  if (spec.lens) {
    off(lensNames.on);
    switchInput(w, defaults, { name: lensNames.kInput, type: 'int64', dims: [1], fill: 1 }, [1]);
    switchInput(w, defaults, { name: lensNames.setsInput, type: 'float32', dims: [spec.vocabSize, 1], fill: 0 }, [spec.vocabSize, 'sets']);
    lensConstants(spec.lens, w);
    for (let l = 0; l < L; l++) ifs.push({ on: lensNames.on, built: lensNormBranch(spec, spec.lens, l), layer: l, leaf: lensNames.normed(l) });
    if (spec.lens.unembedding !== null && spec.floatType !== OnnxType.FLOAT) ifs.push({ on: lensNames.on, built: lensUnembedCastBranch(spec, spec.lens.unembedding), layer: 'end' });
    ifs.push({ on: lensNames.on, built: lensLoopNodes(spec, spec.lens, w), layer: 'end', inline: true });
  }
  off(captureNames.on);
  switchInput(w, defaults, { name: captureNames.tokenMask, type: 'float32', dims: [1, 1, 1], fill: 0 }, ['batch', 1, 'pos']);
  switchInput(w, defaults, { name: captureNames.poolWeights, type: 'float32', dims: [1, 3, 1], fill: 0 }, ['batch', 3, 'pos']);
  captureConstants(w);
  for (let l = 0; l < spec.activations.length; l++) ifs.push({ on: captureNames.on, built: captureLayerBranch(spec, l), layer: l });
  if (spec.pooledEnds?.embedding) ifs.push({ on: captureNames.on, built: poolBranch(spec, 'embedding', spec.pooledEnds.embedding), layer: 'embedding' });
  if (spec.pooledEnds?.final_norm) ifs.push({ on: captureNames.on, built: poolBranch(spec, 'final_norm', spec.pooledEnds.final_norm), layer: 'end' });
  off(nllNames.on);
  switchInput(w, defaults, { name: nllNames.targets, type: 'int64', dims: [1, 1, 1], fill: 0 }, ['batch', 'pos', 1]);
  ifs.push({ on: nllNames.on, built: nllBranch(spec, w), layer: 'end' });

  // onnxruntime's default order walks depth-first from the leaves (nodes nobody reads: these Ifs), the
  // last-added first, emitting each node after its inputs. Added last to first layer, and the
  // embedding's last, each layer's Ifs run as soon as the layer is done, and its tensors are freed.
  const rank = (x: (typeof ifs)[number]['layer']) => (x === 'end' ? -1 : x === 'embedding' ? L : L - 1 - x);
  for (const { on, built, leaf, inline } of [...ifs].sort((a, b) => rank(a.layer) - rank(b.layer))) {
    if (inline) main.list.push(...built.branch.list); // switched by its own nodes (the lens's loop count)
    else ifNode(main, on, built.branch, built.outputs);
    for (const o of built.outputs) encodeValueInfo(w, 12, o.name);
    if (leaf) {
      // An If read by a later node is no leaf, so the walk would reach it only from that node, after the
      // last layer (the lens's loop holding every residual till then): a leaf reading it places it here.
      main.add('Shape', [leaf], [`${leaf}.shape`]);
      encodeValueInfo(w, 12, `${leaf}.shape`);
    }
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
