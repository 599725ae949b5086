/**
 * What a model is, read from its folder and graph alone (no onnxruntime session): shape, tap points,
 * the unembedding, inputs, identity. `inspect` stops here; the engine builds its session from it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { CACHED_GRAPH, cacheRoot, EXTERNALIZE_MIN_BYTES, externalizedCopy, inlineWeightBytes, knownModelHash, modelHash } from './model-cache.js';
import { architecture, normKindOf } from './architectures.js';
import { checkConfigAgainstGraph } from './config-check.js';
import { openModelFolder } from './model-folder.js';
import { OnnxType, readOnnxGraph, type OnnxGraph } from './onnx-graph.js';
import { dtypeName, float32Copy, FLOAT32_COPY, modelFloatType } from './bfloat16.js';
import { discoverTaps, parseTapOverride, projectionShape, type HeadInfo, type SumOutput } from './tap-discovery.js';
import type { ModelInfo } from '../../shared/model-types.js';

export interface DescribeOptions {
  /** `name=tensor` overrides, as given to --tap. */
  taps?: string[];
  /** Treat the model as this architecture (HF model_type). */
  arch?: string;
  /** Which ONNX file: a variant name (fp16, q4f16, quantized, …) or a path in the folder. */
  variant?: string;
  file?: string;
  /** Run a bfloat16 model from a float32 copy of it (made once in the cache): onnxruntime's CPU provider has no bf16 arithmetic. */
  widenBfloat16?: boolean;
}

export interface PastInput {
  name: string;
  layer: number;
  which: 'key' | 'value';
  elemType: number;
}

export interface ModelDescription {
  info: Omit<ModelInfo, 'device' | 'hash'>;
  /** null when only inspected and never hashed before (hashing reads every weight once). */
  hash: string | null;
  graphBytes: Uint8Array;
  graph: OnnxGraph;
  head: HeadInfo | null;
  past: PastInput[];
  /** The folder external data paths are relative to: the model's, or the cache's for moved weights. */
  externalFolder: string;
  /** Residual sums a fused norm computes but does not output; the instrumented graph outputs them. */
  sumOutputs: SumOutput[];
  /** The embedding output (what block 0 adds to; Hugging Face's hidden_states[0]); null when the residual chain was not found. */
  embedding: string | null;
  /** For a bfloat16 model run from its float32 copy: the copy's folder, and whether this open made it. */
  widened: { dir: string; created: boolean } | null;
}

function readGraph(path: string): { bytes: Uint8Array; graph: OnnxGraph } {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as Error).message}`, 'Check the file exists and is readable.');
  }
  try {
    return { bytes, graph: readOnnxGraph(bytes) };
  } catch (e) {
    throw new UserError(`${path} is not a valid ONNX model (${(e as Error).message})`, 'The file is corrupt or truncated: export it again or re-download it.');
  }
}

/**
 * `inspect`: reads the graph, never hashes. `run`: hashes once (memoised by path, size, mtime) and,
 * for a graph with large inline weights, moves them once to an external file in the cache so the
 * session maps them from there instead of holding the graph's copy. With `widenBfloat16` a bfloat16
 * model is described from its float32 copy (made once in the cache, bfloat16.ts).
 */
export async function describeModel(dir: string, opts: DescribeOptions, mode: 'inspect' | 'run'): Promise<ModelDescription> {
  const folder = openModelFolder(dir, opts);
  const onnxPath = folder.onnxPath;
  const widen = mode === 'run' && opts.widenBfloat16 === true;
  const knownInline = knownModelHash(onnxPath, []);
  const cachedDir = knownInline ? join(cacheRoot(), 'models', knownInline) : null;
  // A graph with inline weights opens from its cache copy (the float32 one for a widened bf16 model).
  const cachedCopy = mode === 'run' && cachedDir ? [...(widen ? [join(cachedDir, FLOAT32_COPY)] : []), cachedDir].find((d) => existsSync(join(d, CACHED_GRAPH))) : undefined;
  let hash: string | null;
  let bytes: Uint8Array;
  let graph: OnnxGraph;
  let externalFolder = dirname(onnxPath);
  let widened: ModelDescription['widened'] = null;
  if (cachedCopy) {
    ({ bytes, graph } = readGraph(join(cachedCopy, CACHED_GRAPH)));
    hash = knownInline;
    externalFolder = cachedCopy;
    if (cachedCopy !== cachedDir) widened = { dir: cachedCopy, created: false };
  } else {
    ({ bytes, graph } = readGraph(onnxPath));
    const externalPaths = [...new Set([...graph.initializers.values()].flatMap((i) => (i.location.kind === 'external' ? [i.location.file] : [])))].map((f) => join(dirname(onnxPath), f));
    for (const p of externalPaths)
      if (!existsSync(p)) throw new UserError(`${onnxPath} keeps its weights in ${p}, which is missing`, 'Copy the .onnx_data file(s) that came with the model next to it.');
    hash = mode === 'run' ? await modelHash(onnxPath, externalPaths) : knownModelHash(onnxPath, externalPaths);
    const widenNow = widen && modelFloatType(graph) === OnnxType.BFLOAT16;
    if (mode === 'run' && !widenNow && externalPaths.length === 0 && inlineWeightBytes(bytes) >= EXTERNALIZE_MIN_BYTES) {
      externalFolder = externalizedCopy(hash!, bytes);
      ({ bytes, graph } = readGraph(join(externalFolder, CACHED_GRAPH)));
    }
  }
  const floatType = widened ? OnnxType.BFLOAT16 : modelFloatType(graph);
  const dtype = dtypeName(floatType);
  if (widen && floatType === OnnxType.BFLOAT16 && !widened) {
    // Made once per model (not per variant of the instrumentation): the weights widened into one file.
    widened = float32Copy(join(cacheRoot(), 'models', hash!), bytes, externalFolder);
    ({ bytes, graph } = readGraph(join(widened.dir, CACHED_GRAPH)));
    externalFolder = widened.dir;
  }
  const c = folder.config;
  checkConfigAgainstGraph(folder.dir, c, graph);
  const modelType = opts.arch || c.modelType; // an empty arch is not given (checkArch)
  const intermediate = c.intermediateSize ?? inferIntermediate(graph, c.hiddenSize, architecture(modelType).downProjection);
  const { taps, head, sumOutputs, embedding } = discoverTaps(graph, { numLayers: c.numLayers, hiddenSize: c.hiddenSize, intermediateSize: intermediate, vocabSize: c.vocabSize }, (opts.taps ?? []).map(parseTapOverride));
  const past = graph.inputs.flatMap((i): PastInput[] => {
    const m = /^past_key_values\.(\d+)\.(key|value)$/.exec(i.name);
    return m ? [{ name: i.name, layer: Number(m[1]), which: m[2] as 'key' | 'value', elemType: i.elemType }] : [];
  });
  const known = new Set(['input_ids', 'attention_mask', 'position_ids', ...past.map((p) => p.name)]);
  const unknown = graph.inputs.filter((i) => !known.has(i.name) && !graph.initializers.has(i.name));
  if (!graph.inputs.some((i) => i.name === 'input_ids') || unknown.length)
    throw new UserError(
      `unsupported model inputs: ${graph.inputs.map((i) => i.name).join(', ')}`,
      'Babelscope feeds input_ids, attention_mask, position_ids and past_key_values.N.key/value (Optimum text-generation-with-past exports).',
    );
  const info: Omit<ModelInfo, 'device' | 'hash'> = {
    dir: folder.dir,
    onnxPath,
    architecture: c.architecture,
    modelType,
    numLayers: c.numLayers,
    hiddenSize: c.hiddenSize,
    intermediateSize: intermediate,
    vocabSize: c.vocabSize,
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    maxPositions: c.maxPositions,
    bosTokenId: c.bosTokenId,
    eosTokenIds: c.eosTokenIds,
    normKind: normKindOf(modelType),
    normEps: c.normEps,
    dtype,
    taps,
    inputs: graph.inputs.map((i) => i.name),
    outputs: graph.outputs.map((o) => o.name),
  };
  return { info, hash, graphBytes: bytes, graph, head, past, externalFolder, sumOutputs, embedding, widened };
}

function inferIntermediate(g: OnnxGraph, hidden: number, downProjection: RegExp): number {
  for (const init of g.initializers.values()) if (init.dims.length === 2 && init.dims[1] === hidden && init.dims[0] !== hidden && downProjection.test(init.name)) return init.dims[0]!;
  // An MLP projection back to the hidden size: plain, or 4-bit MatMulNBits (genai int4 exports, whose genai_config.json gives no width).
  for (const n of g.nodes) {
    if (!/mlp/.test(n.name)) continue;
    const [input, output] = (projectionShape(g, n) ?? '').split(',').map(Number);
    if (output === hidden && input !== hidden && input) return input;
  }
  throw new UserError('config does not give the MLP width and the graph does not show it', 'Add "intermediate_size" to config.json.');
}
