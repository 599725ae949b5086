/**
 * The inference engine: one ONNX decoder, its tap points, and sessions for the instrumented variants.
 * It blocks while onnxruntime runs, so the app uses it inside a worker (engine-worker.ts); tests may
 * use it directly.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { UserError } from '../../shared/errors.js';
import { captureNames, float32Name, instrumentModel, lensNames, scaleInputName, scaledActName, type InstrumentOptions, type LensSpec } from './instrument.js';
import { cachedVariant, modelHash } from './model-cache.js';
import { NORM_BY_MODEL_TYPE, openModelFolder } from './model-folder.js';
import { OnnxType, readOnnxGraph, type OnnxGraph } from './onnx-graph.js';
import { discoverTaps, parseTapOverride, type HeadInfo } from './tap-discovery.js';
import { halfToFloat } from './half.js';
import { pickDevice } from './device.js';
import { mulberry32 } from '../../shared/random.js';
import { sampleToken } from './sampling.js';
import type { DeviceRequest, NormKind, ForwardRequest, ForwardResult, ModelInfo, NeuronIntervention, Tensor } from './types.js';

/** How the engine opens a model folder. */
export interface OpenOptions {
  device?: DeviceRequest;
  /** `name=tensor` overrides, as given to --tap. */
  taps?: string[];
  /** Treat the model as this architecture (HF model_type). */
  arch?: string;
  /** Called with human messages (device fallback, cache use). */
  log?: (message: string) => void;
  /**
   * How many instrumented variants (plain, taps, lens, scales, capture) may be loaded at once; each
   * holds a copy of the weights. Default 2, or BABELSCOPE_MAX_SESSIONS.
   */
  maxSessions?: number;
}

/** A batch for the in-graph logit lens. */
export interface LensRequest {
  inputIds: number[][];
  topK: number;
  /** Optional token sets: float32 [vocab, numSets] (row-major), e.g. one column per language. */
  tokenSets?: { data: Float32Array; numSets: number };
}

/** Per text (unpadded): [layers][positions][k] top ids and probs, entropy [layers][positions], set mass [layers][positions][sets]. */
export interface LensResult {
  lengths: number[];
  texts: { topIds: number[][][]; topProbs: number[][][]; entropy: number[][]; setMass?: number[][][] }[];
}

/** One prompt to continue, and how. */
export interface GenerateRequest {
  inputIds: number[];
  maxNewTokens: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  interventions?: NeuronIntervention[];
  /** Stop when one of these is produced (default: the model's eos ids). */
  stopTokenIds?: number[];
}

/** The generated tokens. */
export interface GenerateResult {
  ids: number[];
  /** Probability the model gave each generated token. */
  probs: number[];
  stoppedBy: 'eos' | 'length' | 'context';
}

/** plain: the model as exported; taps: + tap outputs; lens: + in-graph logit lens; scales: + neuron scale inputs. */
type Variant = 'plain' | 'taps' | 'lens' | 'scales' | 'capture';

/** What a capture keeps of one batch, reduced in the graph. Per layer, each tensor is [batch, width] row-major. */
export interface CaptureStats {
  lengths: number[];
  /** Positions counted per text: its real tokens after a leading <bos>. */
  counted: number[];
  layers: { positive: Float32Array; sums: Float32Array; sumSquares: Float32Array; residSum: Float32Array; residLast: Float32Array }[];
  /** Per text: summed next-token NLL and the number of predictions in it. */
  nllSum: number[];
  nllCount: number[];
}

interface PastInput {
  name: string;
  layer: number;
  which: 'key' | 'value';
  elemType: number;
}

export class OnnxEngine {
  /** Open sessions, least recently used first. Each holds its own copy of the weights. */
  private sessions = new Map<Variant, ort.InferenceSession>();
  private constructor(
    readonly info: ModelInfo,
    private readonly graphBytes: Uint8Array,
    private readonly graph: OnnxGraph,
    private readonly head: HeadInfo | null,
    private readonly externalFiles: { location: string; path: string }[],
    private readonly executionProviders: string[],
    private readonly past: PastInput[],
    private readonly maxSessions: number,
  ) {}

  static async open(dir: string, opts: OpenOptions = {}): Promise<OnnxEngine> {
    const log = opts.log ?? (() => {});
    const folder = openModelFolder(dir, opts.arch !== undefined ? { arch: opts.arch } : {});
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(folder.onnxPath));
    } catch (e) {
      throw new UserError(`cannot read ${folder.onnxPath}: ${(e as Error).message}`, 'Check the file exists and is readable.');
    }
    let graph: OnnxGraph;
    try {
      graph = readOnnxGraph(bytes);
    } catch (e) {
      throw new UserError(`${folder.onnxPath} is not a valid ONNX model (${(e as Error).message})`, 'The file is corrupt or truncated: export it again or re-download it.');
    }
    const c = folder.config;
    const intermediate = c.intermediateSize ?? inferIntermediate(graph, c.hiddenSize);
    const overrides = (opts.taps ?? []).map(parseTapOverride);
    const { taps, head } = discoverTaps(graph, { numLayers: c.numLayers, hiddenSize: c.hiddenSize, intermediateSize: intermediate, vocabSize: c.vocabSize }, overrides);
    const externalFiles = [...new Set([...graph.initializers.values()].flatMap((i) => (i.location.kind === 'external' ? [i.location.file] : [])))].map((location) => ({
      location,
      path: join(dirname(folder.onnxPath), location),
    }));
    const hash = await modelHash(bytes, externalFiles.map((f) => f.path));
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
    const { device, providers } = await pickDevice(opts.device ?? 'auto', log);
    const info: ModelInfo = {
      dir: folder.dir,
      onnxPath: folder.onnxPath,
      architecture: c.architecture,
      modelType: opts.arch ?? c.modelType,
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
      normKind: NORM_BY_MODEL_TYPE[opts.arch ?? c.modelType]!,
      normEps: c.normEps,
      taps,
      inputs: graph.inputs.map((i) => i.name),
      outputs: graph.outputs.map((o) => o.name),
      device,
      hash,
    };
    const maxSessions = opts.maxSessions ?? Number(process.env['BABELSCOPE_MAX_SESSIONS'] ?? 2);
    if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new UserError(`maxSessions must be a positive integer, not ${maxSessions}`, 'Set BABELSCOPE_MAX_SESSIONS to 1 or more.');
    const engine = new OnnxEngine(info, bytes, graph, head, externalFiles, providers, past, maxSessions);
    await engine.session('plain');
    return engine;
  }

  private lensSpec(): LensSpec {
    if (!this.head)
      throw new UserError(
        'this graph does not make its logits with a plain MatMul/Gemm of a [hidden, vocab] weight (quantized?), so the logit lens is unavailable',
        'Taps, generation and capture still work; for the lens use an unquantized export.',
      );
    const norm = this.finalNormParams(this.head);
    return {
      residuals: this.info.taps.filter((t) => t.kind === 'resid_post').map((t) => t.onnxName),
      normKind: norm.kind,
      normEps: this.info.normEps,
      normWeight: norm.weight,
      ...(norm.bias ? { normBias: norm.bias } : {}),
      unembedding: this.head.unembedding,
      unembeddingTransposed: this.head.unembeddingTransposed,
      opset: this.graph.opsets[''] ?? this.graph.opsets['ai.onnx'] ?? 14,
    };
  }

  /**
   * The final norm's parameters for the lens. For RMS norms, the tensor the graph itself multiplies the
   * normalised vector by, taken as is: exporters fold Gemma's (1 + weight) into one constant, so adding
   * 1 again would be wrong, while an unfolded graph computes it in a node whose output we reuse.
   */
  private finalNormParams(head: HeadInfo): { weight: string; bias?: string; kind: NormKind } {
    const H = String(this.info.hiddenSize);
    const isHiddenVector = (t: string) => this.graph.initializers.get(t)?.dims.join() === H;
    const producer = (t: string) => this.graph.nodes.find((n) => n.outputs.includes(t));
    let node = producer(head.finalNorm);
    for (let hops = 0; node && hops < 4 && (node.opType === 'Cast' || node.opType === 'Reshape'); hops++) node = producer(node.inputs[0]!);
    if (this.info.normKind === 'layer') {
      if (node?.opType === 'LayerNormalization') return { weight: node.inputs[1]!, ...(node.inputs[2] ? { bias: node.inputs[2] } : {}), kind: 'layer' };
      const names = ['transformer.ln_f', 'model.final_layernorm', 'gpt_neox.final_layer_norm', 'model.norm'];
      const base = names.find((n) => this.graph.initializers.has(`${n}.weight`));
      if (base) return { weight: `${base}.weight`, ...(this.graph.initializers.has(`${base}.bias`) ? { bias: `${base}.bias` } : {}), kind: 'layer' };
    } else if (node?.opType === 'SimplifiedLayerNormalization' || node?.opType === 'SkipSimplifiedLayerNormalization') {
      return { weight: node.inputs[node.opType === 'SimplifiedLayerNormalization' ? 1 : 2]!, kind: 'rms' };
    } else if (node?.opType === 'Mul') {
      const scale = node.inputs.find((i) => isHiddenVector(i) || (producer(i)?.inputs.some(isHiddenVector) ?? false));
      if (scale) return { weight: scale, kind: 'rms' };
    }
    throw new UserError('could not find the final norm\'s weight in the graph', 'The logit lens needs it; this exporter\'s layout is not supported yet.');
  }

  /** The type the model computes in, read off its logits output (float16/bfloat16 exports exist). */
  private floatType(): number {
    return (this.graph.outputs.find((o) => o.name === 'logits') ?? this.graph.outputs[0])?.elemType || OnnxType.FLOAT;
  }

  /** For logits alone any loaded variant without extra nodes will do; the plain model otherwise. */
  private logitsOnlyVariant(): Variant {
    return this.sessions.has('taps') && !this.sessions.has('plain') ? 'taps' : 'plain';
  }

  private async session(variant: Variant): Promise<ort.InferenceSession> {
    const existing = this.sessions.get(variant);
    if (existing) {
      this.sessions.delete(variant);
      this.sessions.set(variant, existing);
      return existing;
    }
    // onnxruntime cannot share weights between sessions, so at most maxSessions variants stay loaded.
    while (this.sessions.size >= this.maxSessions) {
      const [oldest, s] = this.sessions.entries().next().value as [Variant, ort.InferenceSession];
      this.sessions.delete(oldest);
      await s.release();
    }
    const tapOutputs = variant === 'capture' ? [] : this.info.taps.map((t) => t.onnxName).filter((n) => !this.info.outputs.includes(n));
    const layers = this.info.taps.filter((t) => t.kind === 'mlp_act');
    const spec: InstrumentOptions = {
      floatType: this.floatType(),
      outputs: variant === 'scales' ? [...tapOutputs, ...layers.map((_, l) => scaledActName(l))] : tapOutputs,
      ...(variant === 'lens' ? { lens: this.lensSpec() } : {}),
      ...(variant === 'scales' ? { scales: { activations: layers.map((t) => t.onnxName), width: this.info.intermediateSize } } : {}),
      ...(variant === 'capture'
        ? {
            capture: {
              activations: layers.map((t) => t.onnxName),
              residuals: this.info.taps.filter((t) => t.kind === 'resid_post').map((t) => t.onnxName),
              logits: this.info.outputs.includes('logits') ? 'logits' : this.info.outputs[0]!,
              opset: this.graph.opsets[''] ?? this.graph.opsets['ai.onnx'] ?? 14,
            },
          }
        : {}),
    };
    // The cached file is keyed by what was instrumented too: other --tap overrides give another graph.
    const specKey = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 12);
    const { path, linked } =
      variant === 'plain'
        ? { path: this.info.onnxPath, linked: true }
        : cachedVariant(this.info.hash, `${variant}-${specKey}`, this.externalFiles, () => instrumentModel(this.graphBytes, spec));
    let session: ort.InferenceSession;
    try {
      const options: ort.InferenceSession.SessionOptions = { executionProviders: this.executionProviders, graphOptimizationLevel: 'all', logSeverityLevel: 3 };
      session = linked
        ? await ort.InferenceSession.create(path, options)
        : await ort.InferenceSession.create(readFileSync(path), {
            ...options,
            externalData: this.externalFiles.map((f) => ({ path: f.location, data: readFileSync(f.path) })),
          });
    } catch (e) {
      throw new UserError(`onnxruntime could not load ${this.info.onnxPath}: ${(e as Error).message.split('\n')[0]}`, 'The model may be corrupt, or use operators this onnxruntime version lacks.');
    }
    this.sessions.set(variant, session);
    return session;
  }

  private checkIds(inputIds: number[][]): void {
    if (inputIds.length === 0) throw new UserError('no texts given', 'Pass at least one text.');
    for (const ids of inputIds) {
      if (ids.length === 0) throw new UserError('empty text', 'Pass a text with at least one token.');
      if (ids.length > this.info.maxPositions)
        throw new UserError(`text is ${ids.length} tokens, longer than the model's context of ${this.info.maxPositions}`, 'Shorten the text or split it into pieces.');
      for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= this.info.vocabSize) throw new UserError(`token id ${id} is outside the vocabulary (0..${this.info.vocabSize - 1})`);
    }
  }

  /** Feeds for a right-padded batch with zero-length past. */
  private feeds(inputIds: number[][], pastLen = 0): { feeds: Record<string, ort.Tensor>; maxLen: number } {
    const b = inputIds.length;
    const maxLen = Math.max(...inputIds.map((x) => x.length));
    const ids = new BigInt64Array(b * maxLen);
    const mask = new BigInt64Array(b * (pastLen + maxLen));
    const pos = new BigInt64Array(b * maxLen);
    inputIds.forEach((row, i) => {
      for (let t = 0; t < maxLen; t++) {
        ids[i * maxLen + t] = BigInt(row[t] ?? 0);
        pos[i * maxLen + t] = BigInt(Math.min(pastLen + t, this.info.maxPositions - 1));
      }
      for (let t = 0; t < pastLen + maxLen; t++) mask[i * (pastLen + maxLen) + t] = t < pastLen + row.length ? 1n : 0n;
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [b, maxLen]),
    };
    if (this.info.inputs.includes('attention_mask')) feeds['attention_mask'] = new ort.Tensor('int64', mask, [b, pastLen + maxLen]);
    if (this.info.inputs.includes('position_ids')) feeds['position_ids'] = new ort.Tensor('int64', pos, [b, maxLen]);
    if (pastLen === 0)
      for (const p of this.past) {
        const dims = [b, this.info.numKvHeads, 0, this.info.headDim];
        feeds[p.name] = p.elemType === OnnxType.FLOAT16 ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
      }
    return { feeds, maxLen };
  }

  private scaleFeeds(interventions: NeuronIntervention[]): Record<string, ort.Tensor> {
    const w = this.info.intermediateSize;
    const scales = [...Array(this.info.numLayers)].map(() => new Float32Array(w).fill(1));
    for (const iv of interventions) {
      if (iv.layer < 0 || iv.layer >= this.info.numLayers || iv.index < 0 || iv.index >= w)
        throw new UserError(`neuron (${iv.layer}, ${iv.index}) does not exist`, `Layers are 0..${this.info.numLayers - 1}, neurons 0..${w - 1}.`);
      scales[iv.layer]![iv.index]! *= iv.scale;
    }
    return Object.fromEntries(scales.map((s, l) => [scaleInputName(l), new ort.Tensor('float32', s, [w])]));
  }

  async forward(req: ForwardRequest): Promise<ForwardResult> {
    this.checkIds(req.inputIds);
    const wantLogits = req.logits ?? true;
    const tapNames = req.taps ?? [];
    const taps = tapNames.map((name) => {
      const t = this.info.taps.find((x) => x.name === name);
      if (!t) throw new UserError(`unknown tap "${name}"`, `Tap points of this model: resid_post.0..${this.info.numLayers - 1}, mlp_act.0..${this.info.numLayers - 1}, final_norm.`);
      return t;
    });
    const withScales = (req.interventions?.length ?? 0) > 0;
    const session = await this.session(withScales ? 'scales' : taps.length ? 'taps' : this.logitsOnlyVariant());
    const { feeds } = this.feeds(req.inputIds);
    if (withScales) Object.assign(feeds, this.scaleFeeds(req.interventions!));
    const outName = (t: (typeof taps)[number]) => {
      const name = withScales && t.kind === 'mlp_act' ? scaledActName(t.layer!) : t.onnxName;
      return this.floatType() === OnnxType.FLOAT ? name : float32Name(name);
    };
    const fetches = [...new Set([...(wantLogits ? ['logits'] : []), ...taps.map(outName)])];
    if (fetches.length === 0) fetches.push('logits');
    const out = await session.run(feeds, fetches);
    const result: ForwardResult = { lengths: req.inputIds.map((x) => x.length), taps: {} };
    if (wantLogits) result.logits = toFloat(out['logits']!);
    for (const t of taps) result.taps[t.name] = toFloat(out[outName(t)]!);
    return result;
  }

  /** The statistics a capture stores, reduced inside the graph so only [batch, width] tensors come back. */
  async captureStats(inputIds: number[][]): Promise<CaptureStats> {
    this.checkIds(inputIds);
    const session = await this.session('capture');
    const { feeds, maxLen } = this.feeds(inputIds);
    const B = inputIds.length;
    const mask = new Float32Array(B * maxLen);
    const last = new Float32Array(B * maxLen);
    const targets = new BigInt64Array(B * maxLen);
    const counted: number[] = [];
    inputIds.forEach((ids, b) => {
      const first = this.info.bosTokenId !== null && ids[0] === this.info.bosTokenId && ids.length > 1 ? 1 : 0;
      for (let t = first; t < ids.length; t++) mask[b * maxLen + t] = 1;
      last[b * maxLen + ids.length - 1] = 1;
      for (let t = 0; t + 1 < ids.length; t++) targets[b * maxLen + t] = BigInt(ids[t + 1]!);
      counted.push(ids.length - first);
    });
    feeds[captureNames.tokenMask] = new ort.Tensor('float32', mask, [B, maxLen, 1]);
    feeds[captureNames.lastMask] = new ort.Tensor('float32', last, [B, maxLen, 1]);
    feeds[captureNames.targets] = new ort.Tensor('int64', targets, [B, maxLen, 1]);
    const L = this.info.numLayers;
    const fetches = [
      ...[...Array(L).keys()].flatMap((l) => [captureNames.positive(l), captureNames.sums(l), captureNames.sumSquares(l), captureNames.residSum(l), captureNames.residLast(l)]),
      captureNames.nll,
    ];
    const out = await session.run(feeds, fetches);
    const f = (name: string) => toFloat(out[name]!).data;
    const nll = f(captureNames.nll);
    return {
      lengths: inputIds.map((x) => x.length),
      counted,
      layers: [...Array(L).keys()].map((l) => ({
        positive: f(captureNames.positive(l)),
        sums: f(captureNames.sums(l)),
        sumSquares: f(captureNames.sumSquares(l)),
        residSum: f(captureNames.residSum(l)),
        residLast: f(captureNames.residLast(l)),
      })),
      nllSum: inputIds.map((ids, b) => {
        let s = 0;
        for (let t = 0; t + 1 < ids.length; t++) s += nll[b * maxLen + t]!;
        return s;
      }),
      nllCount: inputIds.map((ids) => ids.length - 1),
    };
  }

  async lens(req: LensRequest): Promise<LensResult> {
    this.checkIds(req.inputIds);
    if (!Number.isInteger(req.topK) || req.topK < 1 || req.topK > this.info.vocabSize) throw new UserError(`--top must be between 1 and ${this.info.vocabSize}`);
    const session = await this.session('lens');
    const { feeds, maxLen } = this.feeds(req.inputIds);
    feeds[lensNames.kInput] = new ort.Tensor('int64', BigInt64Array.from([BigInt(req.topK)]), [1]);
    const sets = req.tokenSets ?? { data: new Float32Array(this.info.vocabSize), numSets: 1 };
    if (sets.data.length !== this.info.vocabSize * sets.numSets) throw new Error(`token sets must be [${this.info.vocabSize}, ${sets.numSets}]`);
    feeds[lensNames.setsInput] = new ort.Tensor('float32', sets.data, [this.info.vocabSize, sets.numSets]);
    const L = this.info.numLayers;
    const fetches = [...Array(L).keys()].flatMap((l) => [lensNames.topValues(l), lensNames.topIndices(l), lensNames.entropy(l), ...(req.tokenSets ? [lensNames.setMass(l)] : [])]);
    const out = await session.run(feeds, fetches);
    const K = req.topK;
    const texts = req.inputIds.map((ids, b) => {
      const topIds: number[][][] = [];
      const topProbs: number[][][] = [];
      const entropy: number[][] = [];
      const setMass: number[][][] = [];
      for (let l = 0; l < L; l++) {
        const pv = out[lensNames.topValues(l)]!.data as Float32Array;
        const iv = out[lensNames.topIndices(l)]!.data as BigInt64Array;
        const ev = out[lensNames.entropy(l)]!.data as Float32Array;
        const sv = req.tokenSets ? (out[lensNames.setMass(l)]!.data as Float32Array) : null;
        topIds.push(ids.map((_, t) => Array.from(iv.subarray((b * maxLen + t) * K, (b * maxLen + t + 1) * K), Number)));
        topProbs.push(ids.map((_, t) => Array.from(pv.subarray((b * maxLen + t) * K, (b * maxLen + t + 1) * K))));
        entropy.push(ids.map((_, t) => ev[b * maxLen + t]!));
        if (sv) setMass.push(ids.map((_, t) => Array.from(sv.subarray((b * maxLen + t) * sets.numSets, (b * maxLen + t + 1) * sets.numSets))));
      }
      return { topIds, topProbs, entropy, ...(req.tokenSets ? { setMass } : {}) };
    });
    return { lengths: req.inputIds.map((x) => x.length), texts };
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    this.checkIds([req.inputIds]);
    if (this.past.length === 0) throw new UserError('this model has no past_key_values inputs', 'Export it with --task text-generation-with-past to generate.');
    const withScales = (req.interventions?.length ?? 0) > 0;
    const session = await this.session(withScales ? 'scales' : this.logitsOnlyVariant());
    const scaleFeeds = withScales ? this.scaleFeeds(req.interventions!) : {};
    const stop = new Set(req.stopTokenIds ?? this.info.eosTokenIds);
    const rng = mulberry32(req.seed ?? 0);
    const presentNames = this.past.map((p) => p.name.replace('past_key_values', 'present'));
    const ids: number[] = [];
    const probs: number[] = [];
    let { feeds } = this.feeds([req.inputIds]);
    let pastLen = 0;
    let step = req.inputIds;
    for (;;) {
      const out = await session.run({ ...feeds, ...scaleFeeds }, ['logits', ...presentNames]);
      const logits = toFloat(out['logits']!);
      const V = this.info.vocabSize;
      const last = logits.data.subarray((step.length - 1) * V, step.length * V);
      const { id, prob } = sampleToken(last, { temperature: req.temperature ?? 0, topP: req.topP ?? 1, random: rng });
      ids.push(id);
      probs.push(prob);
      pastLen += step.length;
      if (stop.has(id)) return { ids, probs, stoppedBy: 'eos' };
      if (ids.length >= req.maxNewTokens) return { ids, probs, stoppedBy: 'length' };
      if (pastLen + 1 > this.info.maxPositions) return { ids, probs, stoppedBy: 'context' };
      step = [id];
      feeds = this.feeds([step], pastLen).feeds;
      this.past.forEach((p, i) => (feeds[p.name] = out[presentNames[i]!]!));
    }
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions.values()) await s.release();
    this.sessions.clear();
  }
}

function toFloat(t: ort.Tensor): Tensor {
  const dims = [...t.dims];
  if (t.type === 'float32') return { data: t.data as Float32Array, dims };
  if (t.type === 'float16') return { data: halfToFloat(t.data as Uint16Array), dims };
  throw new Error(`tap output of type ${t.type} is not supported`);
}

function inferIntermediate(g: OnnxGraph, hidden: number): number {
  for (const init of g.initializers.values()) if (init.dims.length === 2 && init.dims[1] === hidden && init.dims[0] !== hidden && /down|c_proj|fc2|dense_4h/.test(init.name)) return init.dims[0]!;
  for (const n of g.nodes) {
    if (n.opType !== 'MatMul' || !/mlp/.test(n.name)) continue;
    const w = g.initializers.get(n.inputs[1]!);
    if (w && w.dims[1] === hidden && w.dims[0] !== hidden) return w.dims[0]!;
  }
  throw new UserError('config does not give the MLP width and the graph does not show it', 'Add "intermediate_size" to config.json.');
}
