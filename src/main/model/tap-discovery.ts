/**
 * Finds tap points in an exported decoder graph: exporter names first (Optimum/TorchScript,
 * onnxruntime-genai), then the node pattern (the residual chain of Adds, the MLP down projection),
 * and the user's explicit `name=tensor` overrides last, which win.
 */
import { UserError } from '../../shared/errors.js';
import { indexGraph, type GraphIndex, type OnnxGraph, type OnnxNode } from './onnx-graph.js';
import type { TapPoint } from './types.js';

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
  unembedding: string;
  unembeddingTransposed: boolean;
}

const RESID_NAMES = [
  (i: number) => `/model/layers.${i}/Add_1_output_0`,
  (i: number) => `/model/layers.${i}/Add_1/output_0`,
  (i: number) => `/transformer/h.${i}/Add_1_output_0`,
  (i: number) => `/gpt_neox/layers.${i}/Add_1_output_0`,
];
const MLP_ACT_NAMES = [
  (i: number) => `/model/layers.${i}/mlp/act_fn/Mul_output_0`,
  (i: number) => `/model/layers.${i}/mlp/act_fn/Mul/output_0`,
  (i: number) => `/model/layers.${i}/mlp/act_fn/Mul_3_output_0`, // gelu(tanh) decomposed (Gemma)
  (i: number) => `/model/layers.${i}/mlp/act_fn/Gelu_output_0`,
  (i: number) => `/transformer/h.${i}/mlp/act/Mul_3_output_0`, // GPT-2 gelu_new
  (i: number) => `/transformer/h.${i}/mlp/act/Mul_1_output_0`,
];

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
export function discoverTaps(g: OnnxGraph, dims: ModelDims, overrides: TapOverride[] = [], strategy: 'auto' | 'pattern' = 'auto'): { taps: TapPoint[]; head: HeadInfo } {
  const idx = indexGraph(g);
  const tensors = new Set<string>([...idx.producer.keys(), ...g.inputs.map((i) => i.name)]);
  const head = findHead(g, idx);
  const taps: TapPoint[] = [];
  const byName = new Map<string, TapPoint>();
  const put = (t: TapPoint) => {
    byName.set(t.name, t);
  };

  const residByName = strategy === 'auto' ? findPerLayer(tensors, dims.numLayers, RESID_NAMES) : null;
  const residByPattern = residByName ? null : residualChain(g, idx, dims);
  const resid = residByName ?? residByPattern;
  resid?.forEach((onnxName, i) =>
    put({ name: `resid_post.${i}`, kind: 'resid_post', layer: i, onnxName, width: dims.hiddenSize, foundBy: residByName ? 'name' : 'pattern' }),
  );
  const actByName = strategy === 'auto' ? findPerLayer(tensors, dims.numLayers, MLP_ACT_NAMES) : null;
  const act = actByName ?? mlpActivations(g, idx, dims);
  act?.forEach((onnxName, i) =>
    put({ name: `mlp_act.${i}`, kind: 'mlp_act', layer: i, onnxName, width: dims.intermediateSize, foundBy: actByName ? 'name' : 'pattern' }),
  );
  put({ name: 'final_norm', kind: 'final_norm', onnxName: head.finalNorm, width: dims.hiddenSize, foundBy: 'pattern' });

  for (const o of overrides) {
    const layers = /\.\d+$/.test(o.name) || o.name === 'final_norm' ? [null] : [...Array(dims.numLayers).keys()];
    for (const layer of layers) {
      const tensor = layer === null ? o.tensor : o.tensor.replaceAll('{i}', String(layer));
      if (!tensors.has(tensor))
        throw new UserError(`--tap ${o.name}: no tensor named "${tensor}" in the graph`, 'Run `babelscope inspect DIR --json` to list the graph\'s tensors near each layer.');
      const name = layer === null ? o.name : `${o.name}.${layer}`;
      const kind = name.startsWith('resid_post') ? 'resid_post' : name.startsWith('mlp_act') ? 'mlp_act' : 'final_norm';
      const l = kind === 'final_norm' ? undefined : Number(name.split('.')[1]);
      put({
        name,
        kind,
        ...(l !== undefined ? { layer: l } : {}),
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
  taps.push(byName.get('final_norm')!);
  return { taps, head };
}

function missingTap(kind: string, layer: number, g: OnnxGraph): UserError {
  const sample = g.nodes
    .flatMap((n) => n.outputs)
    .filter((o) => new RegExp(`[./_]${layer}[./]`).test(o))
    .slice(0, 8);
  return new UserError(
    `could not find ${kind}.${layer} in this graph (neither by exporter name nor by node pattern)`,
    `Tensors of layer ${layer} include: ${sample.join(', ') || '(none named by layer)'}. Pass it explicitly, e.g. --tap "${kind}=<tensor name with {i} for the layer>".`,
  );
}

function findPerLayer(tensors: Set<string>, n: number, patterns: ((i: number) => string)[]): string[] | null {
  for (const p of patterns) {
    const names = [...Array(n).keys()].map(p);
    if (names.every((x) => tensors.has(x))) return names;
  }
  return null;
}

function findHead(g: OnnxGraph, idx: GraphIndex): HeadInfo {
  const logitsOut = g.outputs.find((o) => o.name === 'logits') ?? g.outputs[0];
  if (!logitsOut) throw new UserError('the model has no outputs', 'Export it with a `logits` output (Optimum: task text-generation-with-past).');
  // Walk back from logits over elementwise wrappers (Cast, Add bias, Mul scale, Tanh softcap) to the MatMul.
  let node = idx.producer.get(logitsOut.name);
  for (let hops = 0; node && hops < 8 && node.opType !== 'MatMul' && node.opType !== 'Gemm'; hops++) {
    const next: OnnxNode | undefined = node.inputs.map((i) => idx.producer.get(i)).find((p) => p !== undefined);
    node = next;
  }
  if (!node) throw new UserError(`could not find the MatMul that produces "${logitsOut.name}"`, 'The unembedding must be a MatMul or Gemm; pass --tap final_norm=TENSOR if the graph is unusual.');
  const [a, b] = node.inputs as [string, string];
  const transB = node.opType === 'Gemm' && node.attributes['transB'] === 1;
  // Tied embeddings are often exported as Transpose(embed_tokens.weight) feeding the MatMul.
  const bProducer = idx.producer.get(b);
  if (bProducer?.opType === 'Transpose' && g.initializers.has(bProducer.inputs[0]!))
    return { logitsNode: node, finalNorm: a, unembedding: bProducer.inputs[0]!, unembeddingTransposed: true };
  return { logitsNode: node, finalNorm: a, unembedding: b, unembeddingTransposed: transB };
}

/** The residual stream is a chain of Adds starting at the embedding; each block adds twice. */
function residualChain(g: OnnxGraph, idx: GraphIndex, dims: ModelDims): string[] | null {
  const embed = g.nodes.find(
    (n) => n.opType === 'Gather' && g.initializers.get(n.inputs[0]!)?.dims.join() === `${dims.vocabSize},${dims.hiddenSize}`,
  );
  if (!embed) return null;
  let current = embed.outputs[0]!;
  const adds: string[] = [];
  for (let guard = 0; guard < 4 * dims.numLayers + 8; guard++) {
    const next = (idx.consumers.get(current) ?? []).find((n) => n.opType === 'Add' && !n.inputs.every((i) => i === current));
    if (!next) break;
    // Skip positional-embedding adds (GPT-2: wte + wpe): the other input comes from a Gather too.
    const other = next.inputs.find((i) => i !== current);
    const otherProducer = other ? idx.producer.get(other) : undefined;
    current = next.outputs[0]!;
    if (adds.length === 0 && otherProducer?.opType === 'Gather') continue;
    adds.push(current);
  }
  if (adds.length < 2 * dims.numLayers) return null;
  return [...Array(dims.numLayers).keys()].map((i) => adds[2 * i + 1]!);
}

/** The input of the down projection (weight [intermediate, hidden]); gated MLPs multiply act × up first. */
function mlpActivations(g: OnnxGraph, idx: GraphIndex, dims: ModelDims): string[] | null {
  const shapeOf = (name: string) => g.initializers.get(name)?.dims.join();
  const downs = g.nodes.filter((n) => n.opType === 'MatMul' && shapeOf(n.inputs[1]!) === `${dims.intermediateSize},${dims.hiddenSize}`);
  if (downs.length !== dims.numLayers) return null;
  return downs.map((down) => {
    const input = down.inputs[0]!;
    const mul = idx.producer.get(input);
    if (mul?.opType === 'Mul') {
      const isUp = (t: string) => {
        const p = idx.producer.get(t);
        return p?.opType === 'MatMul' && shapeOf(p.inputs[1]!) === `${dims.hiddenSize},${dims.intermediateSize}`;
      };
      const [x, y] = mul.inputs as [string, string];
      if (isUp(y) && !isUp(x)) return x;
      if (isUp(x) && !isUp(y)) return y;
    }
    return input;
  });
}
