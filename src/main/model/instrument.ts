/**
 * Builds instrumented variants of an ONNX model by editing its protobuf bytes:
 * - taps: intermediate tensors become extra graph outputs (a GraphProto fragment appended to the
 *   ModelProto; protobuf merge rules turn it into added outputs, weights untouched);
 * - lens: per layer, the final norm and unembedding applied to each residual, reduced in-graph to
 *   top-k, entropy and probability mass per token set, so no vocab-sized tensor leaves the session;
 * - scales: per-layer neuron scale inputs multiplied into the MLP activations (ablation/amplification),
 *   which needs the activation's consumers rewired, so the graph field is re-encoded node by node.
 */
import { fields, Wire, Writer, str } from './protobuf.js';
import type { NormKind } from './types.js';
import { OnnxType } from './onnx-graph.js';

export interface LensSpec {
  /** Residual tensor per layer, in layer order. */
  residuals: string[];
  normKind: NormKind;
  normEps: number;
  normWeight: string;
  normBias?: string;
  /** Tensor of shape [hidden, vocab] (or [vocab, hidden] when transposed) used by the logits MatMul. */
  unembedding: string;
  unembeddingTransposed: boolean;
  /** Opset of the default domain: decides whether reduce axes are attributes or inputs. */
  opset: number;
}

/** Names of the tensors a lens-instrumented model adds, per layer. */
export const lensNames = {
  topValues: (l: number) => `babelscope.lens.${l}.top_probs`,
  topIndices: (l: number) => `babelscope.lens.${l}.top_ids`,
  entropy: (l: number) => `babelscope.lens.${l}.entropy`,
  setMass: (l: number) => `babelscope.lens.${l}.set_mass`,
  /** int64 [1]: how many top tokens to return. */
  kInput: 'babelscope.lens.k',
  /** float32 [vocab, sets]: indicator (or weight) of each token in each token set. */
  setsInput: 'babelscope.lens.token_sets',
};

/** Names of the capture reductions: per text, summed over its masked positions. */
export const captureNames = {
  /** float32 [batch, pos, 1]: 1 for positions that count (real tokens after <bos>), else 0. */
  tokenMask: 'babelscope.capture.token_mask',
  /** float32 [batch, pos, 1]: 1 at each text's last token. */
  lastMask: 'babelscope.capture.last_mask',
  /** int64 [batch, pos, 1]: the next token at each position (any valid id where unused). */
  targets: 'babelscope.capture.targets',
  positive: (l: number) => `babelscope.capture.${l}.positive`,
  sums: (l: number) => `babelscope.capture.${l}.sums`,
  sumSquares: (l: number) => `babelscope.capture.${l}.sum_squares`,
  residSum: (l: number) => `babelscope.capture.${l}.resid_sum`,
  residLast: (l: number) => `babelscope.capture.${l}.resid_last`,
  /** float32 [batch, pos, 1]: −log p(target) at each position. */
  nll: 'babelscope.capture.nll',
};

export const scaleInputName = (layer: number) => `babelscope.mlp_scale.${layer}`;
export const scaledActName = (layer: number) => `babelscope.mlp_act_scaled.${layer}`;

/** Name of the float32 copy of a tensor, made for models computing in float16/bfloat16. */
export const float32Name = (t: string) => `babelscope.f32/${t}`;

/**
 * Hands out float32 versions of graph tensors: the tensor itself in a float32 model, else a Cast made
 * once. onnxruntime's JS API cannot read bfloat16, and the added reductions compute in float32.
 */
class FloatCasts {
  readonly nodes: NodeSpec[] = [];
  private made = new Set<string>();
  constructor(readonly floatType: number) {}

  f32(t: string): string {
    if (this.floatType === OnnxType.FLOAT) return t;
    if (!this.made.has(t)) {
      this.made.add(t);
      this.nodes.push({ op: 'Cast', inputs: [t], outputs: [float32Name(t)], attrs: [{ name: 'to', int: OnnxType.FLOAT }] });
    }
    return float32Name(t);
  }
}

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: { name: string; ints?: number[]; int?: number }[];
}

function encodeNode(w: Writer, n: NodeSpec, index: number): void {
  w.message(1, (nw) => {
    for (const i of n.inputs) nw.string(1, i);
    for (const o of n.outputs) nw.string(2, o);
    nw.string(3, `babelscope/${n.op}_${index}`);
    nw.string(4, n.op);
    for (const a of n.attrs ?? []) {
      nw.message(5, (aw) => {
        aw.string(1, a.name);
        if (a.int !== undefined) aw.int(3, a.int).int(20, 2); // type INT
        if (a.ints) {
          for (const v of a.ints) aw.int(8, v);
          aw.int(20, 7); // type INTS
        }
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

function int64Raw(values: number[]): Uint8Array {
  return new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
}
function float32Raw(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** Adds nodes computing the logit lens of every residual; returns the extra graph fields. */
function lensGraphFields(spec: LensSpec, casts: FloatCasts): Writer {
  const w = new Writer();
  const nodes: NodeSpec[] = [];
  const p = 'babelscope.lens';
  const axes = `${p}.axes_last`;
  encodeInitializer(w, axes, OnnxType.INT64, [1], int64Raw([-1]));
  encodeInitializer(w, `${p}.eps`, OnnxType.FLOAT, [], float32Raw([spec.normEps]));
  const reduce = (op: 'ReduceMean' | 'ReduceSum', x: string, out: string) => {
    const axesAsInput = op === 'ReduceMean' ? spec.opset >= 18 : spec.opset >= 13;
    nodes.push(
      axesAsInput
        ? { op, inputs: [x, axes], outputs: [out], attrs: [{ name: 'keepdims', int: 1 }] }
        : { op, inputs: [x], outputs: [out], attrs: [{ name: 'axes', ints: [-1] }, { name: 'keepdims', int: 1 }] },
    );
  };
  let weight = casts.f32(spec.normWeight);
  if (spec.normKind === 'rms_plus_one') {
    encodeInitializer(w, `${p}.one`, OnnxType.FLOAT, [], float32Raw([1]));
    nodes.push({ op: 'Add', inputs: [weight, `${p}.one`], outputs: [`${p}.norm_weight`] });
    weight = `${p}.norm_weight`;
  }
  let unembed = casts.f32(spec.unembedding);
  if (spec.unembeddingTransposed) {
    nodes.push({ op: 'Transpose', inputs: [unembed], outputs: [`${p}.unembed`], attrs: [{ name: 'perm', ints: [1, 0] }] });
    unembed = `${p}.unembed`;
  }
  const normBias = spec.normBias === undefined ? undefined : casts.f32(spec.normBias);
  spec.residuals.map((x) => casts.f32(x)).forEach((x, l) => {
    const t = (s: string) => `${p}.${l}.${s}`;
    let centered = x;
    if (spec.normKind === 'layer') {
      reduce('ReduceMean', x, t('mean'));
      nodes.push({ op: 'Sub', inputs: [x, t('mean')], outputs: [t('centered')] });
      centered = t('centered');
    }
    nodes.push({ op: 'Mul', inputs: [centered, centered], outputs: [t('sq')] });
    reduce('ReduceMean', t('sq'), t('var'));
    nodes.push({ op: 'Add', inputs: [t('var'), `${p}.eps`], outputs: [t('var_eps')] });
    nodes.push({ op: 'Sqrt', inputs: [t('var_eps')], outputs: [t('std')] });
    nodes.push({ op: 'Div', inputs: [centered, t('std')], outputs: [t('normed')] });
    nodes.push({ op: 'Mul', inputs: [t('normed'), weight], outputs: [t('scaled')] });
    let normOut = t('scaled');
    if (normBias) {
      nodes.push({ op: 'Add', inputs: [t('scaled'), normBias], outputs: [t('biased')] });
      normOut = t('biased');
    }
    nodes.push({ op: 'MatMul', inputs: [normOut, unembed], outputs: [t('logits')] });
    nodes.push({ op: 'Softmax', inputs: [t('logits')], outputs: [t('probs')], attrs: [{ name: 'axis', int: -1 }] });
    nodes.push({ op: 'LogSoftmax', inputs: [t('logits')], outputs: [t('logp')], attrs: [{ name: 'axis', int: -1 }] });
    nodes.push({
      op: 'TopK',
      inputs: [t('probs'), lensNames.kInput],
      outputs: [lensNames.topValues(l), lensNames.topIndices(l)],
      attrs: [{ name: 'axis', int: -1 }, { name: 'largest', int: 1 }, { name: 'sorted', int: 1 }],
    });
    nodes.push({ op: 'Mul', inputs: [t('probs'), t('logp')], outputs: [t('plogp')] });
    reduce('ReduceSum', t('plogp'), t('neg_entropy'));
    nodes.push({ op: 'Neg', inputs: [t('neg_entropy')], outputs: [lensNames.entropy(l)] });
    nodes.push({ op: 'MatMul', inputs: [t('probs'), lensNames.setsInput], outputs: [lensNames.setMass(l)] });
  });
  nodes.forEach((n, i) => encodeNode(w, n, i));
  encodeValueInfo(w, 11, lensNames.kInput, OnnxType.INT64, [1]);
  encodeValueInfo(w, 11, lensNames.setsInput, OnnxType.FLOAT, ['vocab', 'sets']);
  spec.residuals.forEach((_, l) => {
    encodeValueInfo(w, 12, lensNames.topValues(l));
    encodeValueInfo(w, 12, lensNames.topIndices(l));
    encodeValueInfo(w, 12, lensNames.entropy(l));
    encodeValueInfo(w, 12, lensNames.setMass(l));
  });
  return w;
}

export interface CaptureSpec {
  /** Per layer: the MLP activation and the residual after the block. */
  activations: string[];
  residuals: string[];
  logits: string;
  opset: number;
}

/**
 * Reduces activations in the graph to what a capture stores: per text and neuron the count of
 * activations > 0, their sum and sum of squares; per text the residual summed over positions and at
 * the last token; per position the NLL of the next token. Only [batch, width] tensors leave the session.
 */
function captureGraphFields(spec: CaptureSpec, casts: FloatCasts): Writer {
  const w = new Writer();
  const nodes: NodeSpec[] = [];
  const p = 'babelscope.capture';
  const axisPos = `${p}.axis_pos`;
  encodeInitializer(w, axisPos, OnnxType.INT64, [1], int64Raw([1]));
  const sumOverPositions = (x: string, out: string) =>
    nodes.push(
      spec.opset >= 13
        ? { op: 'ReduceSum', inputs: [x, axisPos], outputs: [out], attrs: [{ name: 'keepdims', int: 0 }] }
        : { op: 'ReduceSum', inputs: [x], outputs: [out], attrs: [{ name: 'axes', ints: [1] }, { name: 'keepdims', int: 0 }] },
    );
  encodeInitializer(w, `${p}.zero`, OnnxType.FLOAT, [], float32Raw([0]));
  const m = captureNames.tokenMask;
  spec.activations.map((a) => casts.f32(a)).forEach((act, l) => {
    const t = (s: string) => `${p}.${l}.${s}`;
    nodes.push({ op: 'Greater', inputs: [act, `${p}.zero`], outputs: [t('gt')] });
    nodes.push({ op: 'Cast', inputs: [t('gt')], outputs: [t('gt_f')], attrs: [{ name: 'to', int: OnnxType.FLOAT }] });
    nodes.push({ op: 'Mul', inputs: [t('gt_f'), m], outputs: [t('gt_m')] });
    sumOverPositions(t('gt_m'), captureNames.positive(l));
    nodes.push({ op: 'Mul', inputs: [act, m], outputs: [t('act_m')] });
    sumOverPositions(t('act_m'), captureNames.sums(l));
    nodes.push({ op: 'Mul', inputs: [t('act_m'), act], outputs: [t('act_sq')] });
    sumOverPositions(t('act_sq'), captureNames.sumSquares(l));
    const resid = casts.f32(spec.residuals[l]!);
    nodes.push({ op: 'Mul', inputs: [resid, m], outputs: [t('resid_m')] });
    sumOverPositions(t('resid_m'), captureNames.residSum(l));
    nodes.push({ op: 'Mul', inputs: [resid, captureNames.lastMask], outputs: [t('resid_l')] });
    sumOverPositions(t('resid_l'), captureNames.residLast(l));
  });
  nodes.push({ op: 'LogSoftmax', inputs: [casts.f32(spec.logits)], outputs: [`${p}.logp`], attrs: [{ name: 'axis', int: -1 }] });
  nodes.push({ op: 'GatherElements', inputs: [`${p}.logp`, captureNames.targets], outputs: [`${p}.target_logp`], attrs: [{ name: 'axis', int: 2 }] });
  nodes.push({ op: 'Neg', inputs: [`${p}.target_logp`], outputs: [captureNames.nll] });
  nodes.forEach((n, i) => encodeNode(w, n, 20_000 + i));
  encodeValueInfo(w, 11, captureNames.tokenMask, OnnxType.FLOAT, ['batch', 'pos', 1]);
  encodeValueInfo(w, 11, captureNames.lastMask, OnnxType.FLOAT, ['batch', 'pos', 1]);
  encodeValueInfo(w, 11, captureNames.targets, OnnxType.INT64, ['batch', 'pos', 1]);
  spec.activations.forEach((_, l) => {
    for (const name of [captureNames.positive(l), captureNames.sums(l), captureNames.sumSquares(l), captureNames.residSum(l), captureNames.residLast(l)]) encodeValueInfo(w, 12, name);
  });
  encodeValueInfo(w, 12, captureNames.nll);
  return w;
}

export interface ScaleSpec {
  /** The MLP activation tensor per layer (`mlp_act.{i}`) that gets multiplied by a scale input. */
  activations: string[];
  width: number;
}

export interface InstrumentOptions {
  outputs: string[];
  lens?: LensSpec;
  scales?: ScaleSpec;
  capture?: CaptureSpec;
  /** The model's float type (TensorProto data type, default FLOAT); otherwise outputs are cast to float32. */
  floatType?: number;
}

/** Returns new model bytes with the requested instrumentation. */
export function instrumentModel(model: Uint8Array, opts: InstrumentOptions): Uint8Array {
  const extra = new Writer();
  const casts = new FloatCasts(opts.floatType ?? OnnxType.FLOAT);
  for (const name of opts.outputs) encodeValueInfo(extra, 12, casts.f32(name));
  let base = model;
  if (opts.scales) {
    const renames = new Map<string, string>();
    opts.scales.activations.forEach((act, l) => renames.set(act, scaledActName(l)));
    base = renameNodeInputs(model, renames);
    opts.scales.activations.forEach((act, l) => {
      // Scales arrive as float32; a float16 model multiplies by them in its own type.
      let scale = scaleInputName(l);
      if (casts.floatType !== OnnxType.FLOAT) {
        encodeNode(extra, { op: 'Cast', inputs: [scale], outputs: [`${scale}.cast`], attrs: [{ name: 'to', int: casts.floatType }] }, 11_000 + l);
        scale = `${scale}.cast`;
      }
      encodeNode(extra, { op: 'Mul', inputs: [act, scale], outputs: [scaledActName(l)] }, 10_000 + l);
      encodeValueInfo(extra, 11, scaleInputName(l), OnnxType.FLOAT, [opts.scales!.width]);
    });
  }
  const lensFields = opts.lens ? lensGraphFields(opts.lens, casts).finish() : new Uint8Array();
  const captureFields = opts.capture ? captureGraphFields(opts.capture, casts).finish() : new Uint8Array();
  const castFields = new Writer();
  casts.nodes.forEach((n, i) => encodeNode(castFields, n, 30_000 + i));
  const graphFragment = concat([extra.finish(), lensFields, captureFields, castFields.finish()]);
  const fragment = new Writer().bytes(7, graphFragment).finish();
  return concat([base, fragment]);
}

/** Re-encodes the graph so that every node input named in `renames` reads the new name instead. */
function renameNodeInputs(model: Uint8Array, renames: Map<string, string>): Uint8Array {
  const parts: Uint8Array[] = [];
  let last = 0;
  for (const f of fields(model)) {
    if (f.no !== 7 || f.wire !== Wire.Len) continue;
    const graphParts: Uint8Array[] = [];
    let glast = f.start;
    for (const gf of fields(model, f.start, f.end)) {
      if (gf.no !== 1 || gf.wire !== Wire.Len) continue;
      const inputs = [...fields(model, gf.start, gf.end)].filter((x) => x.no === 1 && x.wire === Wire.Len);
      if (!inputs.some((x) => renames.has(str(model, x)))) continue;
      graphParts.push(model.subarray(glast, fieldHeaderStart(model, gf)));
      const node = new Writer();
      let nlast = gf.start;
      const nodeParts: Uint8Array[] = [];
      for (const nf of fields(model, gf.start, gf.end)) {
        if (nf.no !== 1 || nf.wire !== Wire.Len) continue;
        const renamed = renames.get(str(model, nf));
        if (renamed === undefined) continue;
        nodeParts.push(model.subarray(nlast, fieldHeaderStart(model, nf)));
        nodeParts.push(new Writer().string(1, renamed).finish());
        nlast = nf.end;
      }
      nodeParts.push(model.subarray(nlast, gf.end));
      node.bytes(1, concat(nodeParts));
      graphParts.push(node.finish());
      glast = gf.end;
    }
    graphParts.push(model.subarray(glast, f.end));
    parts.push(model.subarray(last, fieldHeaderStart(model, f)));
    parts.push(new Writer().bytes(7, concat(graphParts)).finish());
    last = f.end;
  }
  parts.push(model.subarray(last));
  return concat(parts);
}

/** Finds where a Len field's tag starts: walk back over the length varint and the tag varint. */
function fieldHeaderStart(buf: Uint8Array, f: { no: number; start: number; end: number }): number {
  const lenBytes = varintSize(f.end - f.start);
  const tagBytes = varintSize(f.no * 8 + Wire.Len);
  return f.start - lenBytes - tagBytes;
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
