/**
 * Finds tap points in an exported decoder graph: exporter names first (Optimum/TorchScript,
 * onnxruntime-genai), then the node pattern (the residual chain of Adds, the MLP down projection),
 * and the user's explicit `name=tensor` overrides last, which win.
 */
import { UserError } from '../../shared/errors.js';
import { ALL_MLP_ACT_NAMES, ALL_RESID_NAMES } from './architectures.js';
import { indexGraph, type GraphIndex, type OnnxGraph, type OnnxNode } from './onnx-graph.js';
import type { TapPoint } from '../../shared/model-types.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

export interface ModelDims {
  numLayers: number;
  hiddenSize: number;
  intermediateSize: number;
  vocabSize: number;
}

export interface HeadInfo {
  /** The node that produces `logits` from the final norm: MatMul or Gemm. */
  logitsNode: OnnxNode;
  /** The final norm output (input A of the logits MatMul). */
  finalNorm: string;
  /**
   * The [hidden, vocab] weight of a plain MatMul/Gemm head whose output is the logits (Casts aside); null
   * for others: quantized (MatMulNBits, MatMulInteger) or followed by more nodes (Gemma-2's final logit
   * softcap Div → Tanh → Mul, a bias, a scale), which the lens must run too.
   */
  unembedding: string | null;
  unembeddingTransposed: boolean;
  /** The logits tensor and every node between the final norm's output and it (the lens re-runs them per layer). */
  logits: string;
  nodes: OnnxNode[];
}

const RESID_NAMES = ALL_RESID_NAMES;
const MLP_ACT_NAMES = ALL_MLP_ACT_NAMES;

/** A parsed `--tap name=tensor` override; `{i}` in the tensor expands per layer for `resid_post`/`mlp_act`. */
export interface TapOverride {
  name: string;
  tensor: string;
}

export function parseTapOverride(spec: string): TapOverride {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1)
    throw new UserError(`--tap "${spec}" is not of the form NAME=TENSOR`, 'Example: --tap "resid_post={i}=/model/layers.{i}/Add_1_output_0" is wrong; use --tap "mlp_act=/model/layers.{i}/mlp/Mul_output_0" or --tap "resid_post.3=/x/y".');
  const name = spec.slice(0, eq).trim();
  if (!/^(resid_post|mlp_act)(\.\d+)?$|^final_norm$/.test(name))
    throw new UserError(`--tap name "${name}" is not a tap point`, 'Use resid_post, mlp_act (with {i} in the tensor name), resid_post.N, mlp_act.N or final_norm.');
  return { name, tensor: spec.slice(eq + 1).trim() };
}

/** `strategy: 'pattern'` skips the exporter names (tests use it to check both ways agree). */
/**
 * A fused norm whose residual sum the graph computes but does not output (onnxruntime-genai's final
 * SkipSimplifiedLayerNormalization): the engine adds `tensor` as its output 3.
 */
export interface SumOutput {
  nodeName: string;
  tensor: string;
}

export function discoverTaps(
  g: OnnxGraph,
  dims: ModelDims,
  overrides: TapOverride[] = [],
  strategy: 'auto' | 'pattern' = 'auto',
): { taps: TapPoint[]; head: HeadInfo | null; sumOutputs: SumOutput[]; embedding: string | null } {
  const idx = indexGraph(g);
  const tensors = new Set<string>([...idx.producer.keys(), ...g.inputs.map((i) => i.name)]);
  const head = findHead(g, idx, dims);
  const taps: TapPoint[] = [];
  const byName = new Map<string, TapPoint>();
  const put = (t: TapPoint) => {
    byName.set(t.name, t);
  };

  // Names are the first guess; where the node pattern also finds a tensor, it decides (an exporter's
  // name can exist and mean something else: Gemma's `act_fn/Mul_output_0` is gate², not the activation).
  const pick = (byName: string[] | null, byPattern: string[] | null, i: number) => {
    const p = byPattern?.[i];
    const n = byName?.[i];
    if (p !== undefined) return { onnxName: p, foundBy: p === n ? ('name' as const) : ('pattern' as const) };
    return n !== undefined ? { onnxName: n, foundBy: 'name' as const } : null;
  };
  const residByName = strategy === 'auto' ? findPerLayer(tensors, dims.numLayers, RESID_NAMES) : null;
  const sumOutputs: SumOutput[] = [];
  const chain = residualChain(g, idx, dims, sumOutputs);
  const residByPattern = chain?.resid ?? null;
  const actByName = strategy === 'auto' ? findPerLayer(tensors, dims.numLayers, MLP_ACT_NAMES) : null;
  const actByPattern = mlpActivations(g, idx, dims);
  for (let i = 0; i < dims.numLayers; i++) {
    const r = pick(residByName, residByPattern, i);
    if (r) put({ name: `resid_post.${i}`, kind: 'resid_post', layer: i, ...r, width: dims.hiddenSize });
    const a = pick(actByName, actByPattern, i);
    if (a) put({ name: `mlp_act.${i}`, kind: 'mlp_act', layer: i, ...a, width: dims.intermediateSize });
  }
  if (head) put({ name: 'final_norm', kind: 'final_norm', onnxName: head.finalNorm, width: dims.hiddenSize, foundBy: 'pattern' });

  for (const o of overrides) {
    const layers = /\.\d+$/.test(o.name) || o.name === 'final_norm' ? [null] : [...Array(dims.numLayers).keys()];
    for (const layer of layers) {
      const tensor = layer === null ? o.tensor : o.tensor.replaceAll('{i}', String(layer));
      if (!tensors.has(tensor))
        throw new UserError(`--tap ${o.name}: no tensor named "${tensor}" in the graph`, 'Run `babelscope inspect DIR --tensors N` to list the graph\'s tensors of layer N.');
      const name = layer === null ? o.name : `${o.name}.${layer}`;
      const kind = name.startsWith('resid_post') ? 'resid_post' : name.startsWith('mlp_act') ? 'mlp_act' : 'final_norm';
      const l = kind === 'final_norm' ? undefined : Number(name.split('.')[1]);
      put({
        name,
        kind,
        ...withoutUndefined({ layer: l }),
        onnxName: tensor,
        width: kind === 'mlp_act' ? dims.intermediateSize : dims.hiddenSize,
        foundBy: 'user',
      });
    }
  }

  for (let i = 0; i < dims.numLayers; i++) {
    for (const kind of ['resid_post', 'mlp_act'] as const) {
      const t = byName.get(`${kind}.${i}`);
      if (!t) throw missingTap(kind, i, g);
      taps.push(t);
    }
  }
  const finalNorm = byName.get('final_norm');
  if (finalNorm) taps.push(finalNorm);
  const used = new Set(taps.map((t) => t.onnxName));
  return { taps, head, sumOutputs: sumOutputs.filter((o) => used.has(o.tensor)), embedding: chain?.embedding ?? null };
}

function missingTap(kind: string, layer: number, g: OnnxGraph): UserError {
  const sample = g.nodes
    .flatMap((n) => n.outputs)
    .filter((o) => new RegExp(`[./_]${layer}[./]`).test(o))
    .slice(0, 8);
  return new UserError(
    `could not find ${kind}.${layer} in this graph (neither by exporter name nor by node pattern)`,
    `Tensors of layer ${layer} include: ${sample.join(', ') || '(none named by layer)'} (all: babelscope inspect DIR --tensors ${layer}). Pass it explicitly, e.g. --tap "${kind}=<tensor name with {i} for the layer>".`,
  );
}

function findPerLayer(tensors: Set<string>, n: number, patterns: ((i: number) => string)[]): string[] | null {
  for (const p of patterns) {
    const names = [...Array(n).keys()].map(p);
    if (names.every((x) => tensors.has(x))) return names;
  }
  return null;
}

const NORM_OPS = new Set(['SimplifiedLayerNormalization', 'SkipSimplifiedLayerNormalization', 'LayerNormalization', 'SkipLayerNormalization']);

/**
 * The unembedding: what makes `logits` from the final norm. A plain MatMul/Gemm with a [hidden, vocab]
 * weight (or [vocab, hidden] transposed) whose output is the logits is read as such; any other head
 * (MatMulNBits, dynamic int8 MatMulInteger, a MatMul followed by a softcap, bias or scale) is kept as
 * the nodes between the final norm and the logits, which the lens runs again on each layer's normed
 * residual. Null when no final norm is found before the logits.
 */
function findHead(g: OnnxGraph, idx: GraphIndex, dims: ModelDims): HeadInfo | null {
  const logitsOut = g.outputs.find((o) => o.name === 'logits') ?? g.outputs[0];
  if (!logitsOut) throw new UserError('the model has no outputs', 'Export it with a `logits` output (Optimum: task text-generation-with-past).');
  const logits = logitsOut.name;
  // Walk back from logits over elementwise wrappers (Cast, Add bias, Mul scale, Tanh softcap) to the MatMul.
  let node = idx.producer.get(logits);
  for (let hops = 0; node && hops < 8 && node.opType !== 'MatMul' && node.opType !== 'Gemm'; hops++) {
    const next: OnnxNode | undefined = node.inputs.map((i) => idx.producer.get(i)).find((p) => p !== undefined && p.opType !== 'Constant');
    node = next;
  }
  if (node) {
    const [a, b] = node.inputs as [string, string];
    const shape = (t: string) => g.initializers.get(t)?.dims.join();
    const hv = `${dims.hiddenSize},${dims.vocabSize}`;
    const vh = `${dims.vocabSize},${dims.hiddenSize}`;
    const nodes = between(g, idx, a, logits);
    // Anything but a Cast after the MatMul (Gemma-2's softcap) is part of the prediction: the lens re-runs the nodes.
    const plain = nodes.every((n) => n === node || n.opType === 'Cast');
    const head = (unembedding: string, unembeddingTransposed: boolean): HeadInfo => ({ logitsNode: node!, finalNorm: a, unembedding: plain ? unembedding : null, unembeddingTransposed: plain && unembeddingTransposed, logits, nodes });
    // Tied embeddings are often exported as Transpose(embed_tokens.weight) feeding the MatMul.
    const bProducer = idx.producer.get(b);
    if (bProducer?.opType === 'Transpose' && shape(bProducer.inputs[0]!) === vh) return head(bProducer.inputs[0]!, true);
    const transB = node.opType === 'Gemm' && node.attributes['transB'] === 1;
    if (shape(b) === (transB ? vh : hv)) return head(b, transB);
  }
  const finalNorm = finalNormBefore(g, idx, logits, dims.hiddenSize);
  if (!finalNorm) return null;
  const nodes = between(g, idx, finalNorm, logits);
  return { logitsNode: idx.producer.get(logits)!, finalNorm, unembedding: null, unembeddingTransposed: false, logits, nodes };
}

/** The nearest tensor before `logits` made by a norm: a (fused) norm op, or the RMS norm's Mul by a [hidden] weight. */
function finalNormBefore(g: OnnxGraph, idx: GraphIndex, logits: string, hidden: number): string | null {
  const isHiddenVector = (t: string) => g.initializers.get(t)?.dims.join() === String(hidden);
  const queue = [logits];
  const seen = new Set<string>();
  while (queue.length && seen.size < 64) {
    const t = queue.shift()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const p = idx.producer.get(t);
    if (!p) continue;
    if (t !== logits && (NORM_OPS.has(p.opType) || (p.opType === 'Mul' && p.inputs.some(isHiddenVector)))) return t;
    for (const i of p.inputs) if (i && !g.initializers.has(i)) queue.push(i);
  }
  return null;
}

/** Nodes on a path from tensor `from` to tensor `to`, in graph order. */
function between(g: OnnxGraph, idx: GraphIndex, from: string, to: string): OnnxNode[] {
  const downstream = new Set<OnnxNode>();
  const stack = [from];
  while (stack.length) for (const n of idx.consumers.get(stack.pop()!) ?? []) if (!downstream.has(n)) (downstream.add(n), stack.push(...n.outputs));
  const upstream = new Set<OnnxNode>();
  const back = [to];
  while (back.length) {
    const p = idx.producer.get(back.pop()!);
    if (p && !upstream.has(p)) (upstream.add(p), back.push(...p.inputs));
  }
  return g.nodes.filter((n) => downstream.has(n) && upstream.has(n));
}

const FUSED_SKIP_NORM = /^Skip(Simplified)?LayerNormalization$/;

/**
 * The residual stream is a chain of sums starting at the embedding, two per block: Adds in exporter
 * graphs, fused Skip(Simplified)LayerNormalization nodes (input + skip, output 3 is the sum) in
 * onnxruntime-genai graphs. A fused norm without output 3 gets one (recorded in `sumOutputs`).
 * `embedding` is what block 0 adds to: the token embedding, scaled (Gemma) or with positions added
 * (GPT-2), as Hugging Face's `hidden_states[0]`.
 */
function residualChain(g: OnnxGraph, idx: GraphIndex, dims: ModelDims, sumOutputs: SumOutput[]): { resid: string[]; embedding: string } | null {
  // The token embedding: a Gather of a [vocab, hidden] table, or a block-quantized one (GatherBlockQuantized).
  const embed = g.nodes.find(
    (n) =>
      (n.opType === 'Gather' && g.initializers.get(n.inputs[0]!)?.dims.join() === `${dims.vocabSize},${dims.hiddenSize}`) ||
      (n.opType === 'GatherBlockQuantized' && g.initializers.get(n.inputs[0]!)?.dims[0] === dims.vocabSize),
  );
  if (!embed) return null;
  const consumers = (t: string) => idx.consumers.get(t) ?? [];
  // A float→float Cast (HF norms' `.to(float32)`) can stand between a residual and the Add reading it.
  const nextSum = (t: string): { node: OnnxNode; via: string; sum: string } | null => {
    const aliases = [t, ...consumers(t).filter((n) => n.opType === 'Cast').map((n) => n.outputs[0]!)];
    for (const via of aliases) {
      const add = consumers(via).find((n) => n.opType === 'Add' && !n.inputs.every((i) => i === via));
      if (add) return { node: add, via, sum: add.outputs[0]! };
      const fused = consumers(via).find((n) => FUSED_SKIP_NORM.test(n.opType) && (n.inputs[0] === via || n.inputs[1] === via));
      if (fused) {
        let sum = fused.outputs[3];
        if (!sum) {
          // Named as the builder names the sums it does output (`<norm>/output_3` beside `<norm>/SkipLayerNorm`),
          // also when a float16 export's Cast stands between the norm and its output_0.
          const builderName = /\/SkipLayerNorm$/.test(fused.name) ? fused.name.replace(/SkipLayerNorm$/, 'output_3') : null;
          sum = builderName && !idx.producer.has(builderName) ? builderName : /output_0$/.test(fused.outputs[0]!) ? fused.outputs[0]!.replace(/output_0$/, 'output_3') : `${fused.name}/output_3`;
          sumOutputs.push({ nodeName: fused.name, tensor: sum });
        }
        return { node: fused, via, sum };
      }
    }
    return null;
  };
  let current = embed.outputs[0]!;
  // Scaled embeddings (Gemma multiplies by sqrt(d_model)) come before block 0.
  if (!nextSum(current)) {
    const scale = consumers(current).find((n) => n.opType === 'Mul' && n.inputs.some((i) => isConstant(g, idx, i)));
    if (scale) current = scale.outputs[0]!;
  }
  const sums: string[] = [];
  let embedding = current;
  for (let guard = 0; guard < 4 * dims.numLayers + 8; guard++) {
    const found = nextSum(current);
    if (!found) break;
    // Skip positional-embedding adds (GPT-2: wte + wpe): the other input comes from a Gather too.
    const other = found.node.inputs.slice(0, 2).find((i) => i !== found.via);
    const otherProducer = other ? idx.producer.get(other) : undefined;
    if (sums.length === 0) embedding = current;
    current = found.sum;
    if (sums.length === 0 && found.node.opType === 'Add' && otherProducer?.opType === 'Gather') continue;
    sums.push(current);
  }
  if (sums.length < 2 * dims.numLayers) return null;
  return { resid: [...Array(dims.numLayers).keys()].map((i) => sums[2 * i + 1]!), embedding };
}

function isConstant(g: OnnxGraph, idx: GraphIndex, t: string): boolean {
  return g.initializers.has(t) || idx.producer.get(t)?.opType === 'Constant';
}

/**
 * Shape of a projection's weight as "in,out": a MatMul's or Gemm's (transB flips it) [in, out]
 * initializer, or a 4-bit/8-bit MatMulNBits's K and N attributes (its weight is packed blocks).
 */
export function projectionShape(g: OnnxGraph, n: OnnxNode): string | undefined {
  if (n.opType === 'MatMulNBits') {
    const { K, N } = n.attributes;
    return typeof K === 'number' && typeof N === 'number' ? `${K},${N}` : undefined;
  }
  if (n.opType !== 'MatMul' && n.opType !== 'Gemm') return undefined;
  const dims = g.initializers.get(n.inputs[1]!)?.dims;
  if (!dims || dims.length !== 2) return undefined;
  return (n.opType === 'Gemm' && n.attributes['transB'] === 1 ? [dims[1], dims[0]] : dims).join();
}

/**
 * The input of the down projection (weight [intermediate, hidden]); gated MLPs multiply act × up first,
 * and Conv1D exports (GPT-2) reshape to 2-D around a Gemm.
 */
function mlpActivations(g: OnnxGraph, idx: GraphIndex, dims: ModelDims): string[] | null {
  const down = `${dims.intermediateSize},${dims.hiddenSize}`;
  const up = `${dims.hiddenSize},${dims.intermediateSize}`;
  const downs = g.nodes.filter((n) => projectionShape(g, n) === down);
  if (downs.length !== dims.numLayers) return null;
  const skipReshape = (t: string) => {
    const p = idx.producer.get(t);
    return p?.opType === 'Reshape' ? p.inputs[0]! : t;
  };
  const isUp = (t: string) => {
    const p = idx.producer.get(skipReshape(t));
    const proj = p?.opType === 'Add' ? p.inputs.map((i) => idx.producer.get(i)).find((q) => q && projectionShape(g, q) === up) : p;
    return proj !== undefined && projectionShape(g, proj) === up;
  };
  return downs.map((d) => {
    const input = skipReshape(d.inputs[0]!);
    const mul = idx.producer.get(input);
    if (mul?.opType === 'Mul') {
      const [x, y] = mul.inputs as [string, string];
      if (isUp(y) && !isUp(x)) return x;
      if (isUp(x) && !isUp(y)) return y;
    }
    return input;
  });
}
