/**
 * The inference engine: one ONNX decoder, its tap points, and sessions for the instrumented variants.
 * It blocks while onnxruntime runs, so the app uses it inside a worker (engine-worker.ts); tests may
 * use it directly.
 */
import * as ort from 'onnxruntime-node';
import { UserError } from '../../shared/errors.js';
import { captureNames, LENS_MIN_OPSET, concatBytes, type PooledEnd, float32Name, instrumentModel, lensNames, nllNames, scaleInputName, tapOutputName, tapSwitchName, tapTensor, type DefaultFeed, type InstrumentSpec, type LensSpec } from './instrument.js';
import { architecture } from './architectures.js';
import { describeModel, type PastInput } from './model-description.js';
import { OnnxType, type OnnxGraph } from './onnx-graph.js';
import type { HeadInfo } from './tap-discovery.js';
import { halfToFloat } from './half.js';
import { jsReadable, modelFloatType } from './bfloat16.js';
import { pickDevice } from './device.js';
import { mulberry32 } from '../../shared/random.js';
import { sampleToken } from './sampling.js';
import type { DeviceRequest, NormKind, ModelInfo, Tensor } from '../../shared/model-types.js';
import type { ForwardRequest, ForwardResult, NeuronIntervention, OpenModelOptions } from './types.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

/** How the engine opens a model folder. */
export interface OpenOptions extends OpenModelOptions {
  /** onnxruntime memory settings (the bench compares them; defaults are onnxruntime's). */
  memory?: SessionMemoryOptions;
  /** Rows a lens step unembeds at a time (default: from the vocabulary, `lensChunkRows`); tests make it small. */
  lensChunkRows?: number;
}

/** The onnxruntime session options that decide how much memory a run holds. */
export interface SessionMemoryOptions {
  /**
   * Reuse a buffer plan learned from the previous run's shapes. Off by default here (onnxruntime's
   * default is on): with it, capture over two batches of 64 × 128 tokens peaked at 1.12× a bare forward,
   * without it at 0.93×, and at or below that at every other size measured, at the same speed.
   */
  memPattern?: boolean;
  /** Pool CPU allocations in an arena that grows and never shrinks (onnxruntime default: on). */
  cpuArena?: boolean;
}

interface BuiltSession {
  session: ort.InferenceSession;
  defaults: Record<string, ort.Tensor>;
}

/** Token sets for the lens: float32 [vocab, numSets] (row-major) indicators, e.g. one column per language. */
export interface TokenSets {
  data: Float32Array;
  numSets: number;
}

/**
 * Token sets the engine keeps (`keepTokenSets`), named by a number: a lens request names them instead of
 * carrying the [vocab, numSets] matrix again (a working-language run sends it once, not once per batch).
 */
export interface KeptTokenSets {
  kept: number;
  numSets: number;
}

/** A batch for the in-graph logit lens. */
export interface LensRequest {
  inputIds: number[][];
  topK: number;
  /** Optional token sets: the matrix itself, or the number of sets the engine keeps. */
  tokenSets?: TokenSets | KeptTokenSets;
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

/** A residual pooled per text, [batch, hidden] row-major: summed over the counted positions, at the last token, and weighted by position. */
export interface PooledSums {
  residSum: Float32Array;
  residLast: Float32Array;
  /** Σ_t w_t·x_t with w_t = t over all real tokens, <bos> included (MEXA's embed_extractor.py); divide by `weightSum`. */
  residWeightedSum: Float32Array;
}

/** What a capture keeps of one batch, reduced in the graph. Per layer, each tensor is [batch, width] row-major. */
export interface CaptureStats {
  lengths: number[];
  /** Positions counted per text: its real tokens after a leading <bos>. */
  counted: number[];
  /** Per text: the sum of its position weights, 1 + 2 + … + length. */
  weightSum: number[];
  layers: ({ positive: Float32Array; sums: Float32Array; sumSquares: Float32Array } & PooledSums)[];
  /** The embedding output and the final norm's output, pooled the same way (absent where the graph has none). */
  ends: Partial<Record<PooledEnd, PooledSums>>;
  /** Per text: summed next-token NLL and the number of predictions in it. */
  nllSum: number[];
  nllCount: number[];
}

/** Per text: summed next-token NLL and the number of predictions in it. */
export interface NllResult {
  nllSum: number[];
  nllCount: number[];
}

/**
 * One onnxruntime session per model, whatever is asked of it: taps are extra outputs, neuron scales
 * are inputs that default to ones, and the lens, capture reductions and NLL run inside If nodes
 * switched on by inputs. The weights are loaded once, from the model's own external data file (or
 * the cache's, for a graph that had them inline). The lens is built in at the first lens request
 * unless asked for at open (OpenModelOptions.lens): the session is then made again, once.
 */
export class OnnxEngine {
  private constructor(
    readonly info: ModelInfo,
    private session: ort.InferenceSession,
    private readonly spec: InstrumentSpec,
    private readonly past: PastInput[],
    private readonly lensProblem: UserError | null,
    /** Every switch off, every scale one: merged under each run's own feeds. */
    private defaults: Record<string, ort.Tensor>,
    /** Makes the session, with the lens or without it (see OpenModelOptions.lens). */
    private readonly makeSession: (withLens: boolean) => Promise<BuiltSession>,
  ) {}

  /** Whether the session computes the lens now (it is built in at the first lens request otherwise). */
  get lensInSession(): boolean {
    return this.session.inputNames.includes(lensNames.on);
  }

  /** Token sets kept for later lens requests, as the tensors fed to the graph. */
  private readonly keptSets = new Map<number, ort.Tensor>();

  private run(feeds: Record<string, ort.Tensor>, fetches: string[]) {
    return this.session.run({ ...this.defaults, ...feeds }, fetches);
  }

  static async open(dir: string, opts: OpenOptions = {}): Promise<OnnxEngine> {
    const log = opts.log ?? (() => {});
    const { device: _device, log: _log, memory, lensChunkRows, lens: lensNow, ...describe } = opts;
    const { device, providers } = await pickDevice(opts.device ?? 'auto', log);
    const d = await describeModel(dir, { ...describe, widenBfloat16: device === 'cpu' }, 'run');
    if (d.widened)
      log(`${d.info.onnxPath} is bfloat16, which onnxruntime cannot compute on CPU: running on a float32 copy of its weights (${d.widened.created ? 'made now, once' : 'cached'} in ${d.widened.dir}).`);
    const info: ModelInfo = { ...d.info, device, hash: d.hash! };
    let lens: LensSpec | undefined;
    let lensProblem: UserError | null = null;
    try {
      lens = lensSpec(info, d.graph, d.head);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      lensProblem = e;
    }
    const floatType = modelFloatType(d.graph);
    // bfloat16 kept (CUDA): JS feeds and reads float32, cast at the graph's boundaries.
    const boundaryCasts = jsReadable(floatType)
      ? undefined
      : {
          inputs: d.past.filter((p) => !jsReadable(p.elemType)).map((p) => p.name),
          outputs: d.graph.outputs.filter((o) => !jsReadable(o.elemType)).map((o) => o.name),
        };
    const spec: InstrumentSpec = {
      floatType,
      opset: graphOpset(d.graph),
      residuals: info.taps.filter((t) => t.kind === 'resid_post').map((t) => t.onnxName),
      activations: info.taps.filter((t) => t.kind === 'mlp_act').map((t) => t.onnxName),
      width: info.intermediateSize,
      vocabSize: info.vocabSize,
      extraTaps: info.taps.filter((t) => t.kind === 'final_norm').map((t) => t.onnxName),
      pooledEnds: pooledEnds(d.embedding, info.taps.find((t) => t.kind === 'final_norm')?.onnxName),
      logits: info.outputs.includes('logits') ? 'logits' : info.outputs[0]!,
      sumOutputs: d.sumOutputs,
      ...withoutUndefined({ lens, boundaryCasts, lensChunkRows }),
    };
    const { graphBytes, externalFolder } = d;
    const makeSession = async (withLens: boolean): Promise<BuiltSession> => {
      const { lens: _lens, ...withoutLens } = spec;
      const instrumented = instrumentModel(graphBytes, withLens ? spec : withoutLens);
      try {
        const session = await ort.InferenceSession.create(concatBytes(instrumented.parts), {
          executionProviders: providers,
          graphOptimizationLevel: 'all',
          logSeverityLevel: 3,
          enableMemPattern: memory?.memPattern ?? false,
          ...withoutUndefined({ enableCpuMemArena: memory?.cpuArena }),
          // External data paths in the graph are relative to this folder (the bytes have no path of their own).
          extra: { session: { model_external_initializers_file_folder_path: externalFolder } },
        });
        return { session, defaults: defaultFeeds(instrumented.defaults) };
      } catch (e) {
        throw new UserError(`onnxruntime could not load ${info.onnxPath}: ${(e as Error).message.split('\n')[0]}`, 'The model may be corrupt, or use operators this onnxruntime version lacks.');
      }
    };
    const { session, defaults } = await makeSession(lensNow === true && lens !== undefined);
    return new OnnxEngine(info, session, spec, d.past, lensProblem, defaults, makeSession);
  }

  /** Makes the session again with the lens built in: the old one is released first, so the weights are never held twice. */
  private async buildLens(): Promise<void> {
    await this.session.release();
    let built: BuiltSession;
    try {
      built = await this.makeSession(true);
    } catch (e) {
      ({ session: this.session, defaults: this.defaults } = await this.makeSession(false));
      throw e;
    }
    ({ session: this.session, defaults: this.defaults } = built);
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
    const scales = new Map<number, Float32Array>();
    for (const iv of interventions) {
      if (iv.layer < 0 || iv.layer >= this.info.numLayers || iv.index < 0 || iv.index >= w)
        throw new UserError(`neuron (${iv.layer}, ${iv.index}) does not exist`, `Layers are 0..${this.info.numLayers - 1}, neurons 0..${w - 1}.`);
      let s = scales.get(iv.layer);
      if (!s) scales.set(iv.layer, (s = new Float32Array(w).fill(1)));
      s[iv.index]! *= iv.scale;
    }
    // Layers without interventions keep the graph's default scale (ones).
    return Object.fromEntries([...scales].map(([l, s]) => [scaleInputName(l), new ort.Tensor('float32', s, [w])]));
  }

  /** The output JS reads for a graph output: its float32 copy when the model's type is not readable. */
  private readable(output: string): string {
    return this.spec.boundaryCasts?.outputs.includes(output) ? float32Name(output) : output;
  }

  async forward(req: ForwardRequest): Promise<ForwardResult> {
    this.checkIds(req.inputIds);
    const wantLogits = req.logits ?? true;
    const taps = (req.taps ?? []).map((name) => {
      const t = this.info.taps.find((x) => x.name === name);
      if (!t) throw new UserError(`unknown tap "${name}"`, `Tap points of this model: resid_post.0..${this.info.numLayers - 1}, mlp_act.0..${this.info.numLayers - 1}, final_norm.`);
      return t;
    });
    const { feeds } = this.feeds(req.inputIds);
    Object.assign(feeds, this.scaleFeeds(req.interventions ?? []));
    for (const t of taps) feeds[tapSwitchName(tapTensor(this.spec, t.onnxName))] = bool(true);
    const outName = (t: (typeof taps)[number]) => tapOutputName(this.spec, t.onnxName);
    const logits = this.readable('logits');
    const fetches = [...new Set([...(wantLogits || taps.length === 0 ? [logits] : []), ...taps.map(outName)])];
    const out = await this.run(feeds, fetches);
    const result: ForwardResult = { lengths: req.inputIds.map((x) => x.length), taps: {} };
    if (wantLogits) result.logits = toFloat(out[logits]!);
    for (const t of taps) result.taps[t.name] = toFloat(out[outName(t)]!);
    return result;
  }

  /** Feeds that switch on the in-graph next-token NLL: the target at each position. */
  private nllFeeds(inputIds: number[][], maxLen: number): Record<string, ort.Tensor> {
    const B = inputIds.length;
    const targets = new BigInt64Array(B * maxLen);
    inputIds.forEach((ids, b) => {
      for (let t = 0; t + 1 < ids.length; t++) targets[b * maxLen + t] = BigInt(ids[t + 1]!);
    });
    return { [nllNames.on]: bool(true), [nllNames.targets]: new ort.Tensor('int64', targets, [B, maxLen, 1]) };
  }

  private nllTotals(inputIds: number[][], maxLen: number, nll: Float32Array): NllResult {
    return {
      nllSum: inputIds.map((ids, b) => {
        let s = 0;
        for (let t = 0; t + 1 < ids.length; t++) s += nll[b * maxLen + t]!;
        return s;
      }),
      nllCount: inputIds.map((ids) => ids.length - 1),
    };
  }

  /** Summed next-token NLL per text, reduced in the graph (only [batch, pos] floats leave it); interventions scale neurons. */
  async nll(req: { inputIds: number[][]; interventions?: NeuronIntervention[] }): Promise<NllResult> {
    this.checkIds(req.inputIds);
    const { feeds, maxLen } = this.feeds(req.inputIds);
    Object.assign(feeds, this.scaleFeeds(req.interventions ?? []), this.nllFeeds(req.inputIds, maxLen));
    const out = await this.run(feeds, [nllNames.nll]);
    return this.nllTotals(req.inputIds, maxLen, toFloat(out[nllNames.nll]!).data);
  }

  /** The statistics a capture stores, reduced inside the graph so only [batch, width] tensors come back. */
  async captureStats(inputIds: number[][]): Promise<CaptureStats> {
    this.checkIds(inputIds);
    const { feeds, maxLen } = this.feeds(inputIds);
    const B = inputIds.length;
    const mask = new Float32Array(B * maxLen);
    // Per text, three rows of maxLen: counted positions, the last token, position weights 1..n.
    const poolWeights = new Float32Array(B * 3 * maxLen);
    const counted: number[] = [];
    inputIds.forEach((ids, b) => {
      const first = this.info.bosTokenId !== null && ids[0] === this.info.bosTokenId && ids.length > 1 ? 1 : 0;
      const rows = b * 3 * maxLen;
      for (let t = first; t < ids.length; t++) mask[b * maxLen + t] = poolWeights[rows + t] = 1;
      poolWeights[rows + maxLen + ids.length - 1] = 1;
      for (let t = 0; t < ids.length; t++) poolWeights[rows + 2 * maxLen + t] = t + 1;
      counted.push(ids.length - first);
    });
    feeds[captureNames.on] = bool(true);
    feeds[captureNames.tokenMask] = new ort.Tensor('float32', mask, [B, 1, maxLen]);
    feeds[captureNames.poolWeights] = new ort.Tensor('float32', poolWeights, [B, 3, maxLen]);
    Object.assign(feeds, this.nllFeeds(inputIds, maxLen));
    const L = this.info.numLayers;
    const ends = (['embedding', 'final_norm'] as const).filter((e) => this.spec.pooledEnds?.[e]);
    const pooledNames = (k: number | PooledEnd) => [captureNames.residSum(k), captureNames.residLast(k), captureNames.residWeightedSum(k)];
    const fetches = [
      ...[...Array(L).keys()].flatMap((l) => [captureNames.positive(l), captureNames.sums(l), captureNames.sumSquares(l), ...pooledNames(l)]),
      ...ends.flatMap(pooledNames),
      nllNames.nll,
    ];
    const out = await this.run(feeds, fetches);
    const f = (name: string) => toFloat(out[name]!).data;
    const pooled = (k: number | PooledEnd): PooledSums => ({ residSum: f(captureNames.residSum(k)), residLast: f(captureNames.residLast(k)), residWeightedSum: f(captureNames.residWeightedSum(k)) });
    return {
      lengths: inputIds.map((x) => x.length),
      counted,
      weightSum: inputIds.map((x) => (x.length * (x.length + 1)) / 2),
      layers: [...Array(L).keys()].map((l) => ({
        positive: f(captureNames.positive(l)),
        sums: f(captureNames.sums(l)),
        sumSquares: f(captureNames.sumSquares(l)),
        ...pooled(l),
      })),
      ends: Object.fromEntries(ends.map((e) => [e, pooled(e)])),
      ...this.nllTotals(inputIds, maxLen, f(nllNames.nll)),
    };
  }

  async lens(req: LensRequest): Promise<LensResult> {
    this.checkIds(req.inputIds);
    if (this.lensProblem) throw this.lensProblem;
    if (!Number.isInteger(req.topK) || req.topK < 1 || req.topK > this.info.vocabSize) throw new UserError(`the number of top tokens (topK) must be a whole number between 1 and ${this.info.vocabSize} (the vocabulary size), got ${req.topK}`);
    if (!this.lensInSession) await this.buildLens();
    const { feeds, maxLen } = this.feeds(req.inputIds);
    feeds[lensNames.on] = bool(true);
    feeds[lensNames.kInput] = new ort.Tensor('int64', BigInt64Array.from([BigInt(req.topK)]), [1]);
    const sets = req.tokenSets === undefined ? null : 'kept' in req.tokenSets ? this.keptTokenSets(req.tokenSets.kept) : this.tokenSetsTensor(req.tokenSets);
    if (sets) feeds[lensNames.setsInput] = sets;
    const numSets = sets?.dims[1] ?? 1;
    const L = this.info.numLayers;
    const fetches = [lensNames.topValues, lensNames.topIndices, lensNames.entropy, ...(sets ? [lensNames.setMass] : [])];
    const out = await this.run(feeds, fetches);
    const K = req.topK;
    const B = req.inputIds.length;
    // Each output is [layers, batch·pos, …]: layer l's row of text b at position t is row (l·B + b)·maxLen + t.
    const pv = out[lensNames.topValues]!.data as Float32Array;
    const iv = out[lensNames.topIndices]!.data as BigInt64Array;
    const ev = out[lensNames.entropy]!.data as Float32Array;
    const sv = sets ? (out[lensNames.setMass]!.data as Float32Array) : null;
    const texts = req.inputIds.map((ids, b) => {
      const topIds: number[][][] = [];
      const topProbs: number[][][] = [];
      const entropy: number[][] = [];
      const setMass: number[][][] = [];
      for (let l = 0; l < L; l++) {
        const row = (t: number) => (l * B + b) * maxLen + t;
        topIds.push(ids.map((_, t) => Array.from(iv.subarray(row(t) * K, (row(t) + 1) * K), Number)));
        topProbs.push(ids.map((_, t) => Array.from(pv.subarray(row(t) * K, (row(t) + 1) * K))));
        entropy.push(ids.map((_, t) => ev[row(t)]!));
        if (sv) setMass.push(ids.map((_, t) => Array.from(sv.subarray(row(t) * numSets, (row(t) + 1) * numSets))));
      }
      return { topIds, topProbs, entropy, ...(sets ? { setMass } : {}) };
    });
    return { lengths: req.inputIds.map((x) => x.length), texts };
  }

  /** Keeps token sets under the number `kept` for lens requests that name it, until `releaseTokenSets(kept)`. */
  keepTokenSets(kept: number, sets: TokenSets): void {
    if (this.keptSets.has(kept)) throw new Error(`token sets ${kept} are already kept`);
    this.keptSets.set(kept, this.tokenSetsTensor(sets));
  }

  releaseTokenSets(kept: number): void {
    this.keptSets.delete(kept);
  }

  private keptTokenSets(kept: number): ort.Tensor {
    const t = this.keptSets.get(kept);
    if (!t) throw new Error(`token sets ${kept} are not kept (released, or kept by another engine)`);
    return t;
  }

  private tokenSetsTensor(sets: TokenSets): ort.Tensor {
    if (sets.data.length !== this.info.vocabSize * sets.numSets) throw new Error(`token sets must be [${this.info.vocabSize}, ${sets.numSets}]`);
    return new ort.Tensor('float32', sets.data, [this.info.vocabSize, sets.numSets]);
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    this.checkIds([req.inputIds]);
    if (this.past.length === 0) throw new UserError('this model has no past_key_values inputs', 'Export it with --task text-generation-with-past to generate.');
    if (!Number.isInteger(req.maxNewTokens) || req.maxNewTokens < 0) throw new UserError(`maxNewTokens must be a whole number ≥ 0, got ${req.maxNewTokens}`);
    if (req.maxNewTokens === 0) return { ids: [], probs: [], stoppedBy: 'length' };
    const scaleFeeds = this.scaleFeeds(req.interventions ?? []);
    const stop = new Set(req.stopTokenIds ?? this.info.eosTokenIds);
    const rng = mulberry32(req.seed ?? 0);
    const presentNames = this.past.map((p) => this.readable(p.name.replace('past_key_values', 'present')));
    const logitsName = this.readable('logits');
    const ids: number[] = [];
    const probs: number[] = [];
    let { feeds } = this.feeds([req.inputIds]);
    let pastLen = 0;
    let step = req.inputIds;
    for (;;) {
      const out = await this.run({ ...feeds, ...scaleFeeds }, [logitsName, ...presentNames]);
      const logits = toFloat(out[logitsName]!);
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
    this.keptSets.clear();
    await this.session.release();
  }
}

const bool = (v: boolean) => new ort.Tensor('bool', Uint8Array.from([v ? 1 : 0]), []);

function defaultFeeds(defaults: DefaultFeed[]): Record<string, ort.Tensor> {
  return Object.fromEntries(
    defaults.map((d) => {
      const n = d.dims.reduce((a, b) => a * b, 1);
      const data = d.type === 'bool' ? new Uint8Array(n).fill(d.fill) : d.type === 'int64' ? new BigInt64Array(n).fill(BigInt(d.fill)) : new Float32Array(n).fill(d.fill);
      return [d.name, new ort.Tensor(d.type, data, d.dims)];
    }),
  );
}

function toFloat(t: ort.Tensor): Tensor {
  const dims = [...t.dims];
  if (t.type === 'float32') return { data: t.data as Float32Array, dims };
  if (t.type === 'float16') return { data: halfToFloat(t.data as Uint16Array), dims };
  throw new Error(`tap output of type ${t.type} is not supported`);
}


const graphOpset = (graph: OnnxGraph) => graph.opsets[''] ?? graph.opsets['ai.onnx'] ?? 14;

/** The lens reuses the model's own final norm and unembedding; throws (a UserError) when they cannot be found. */
function lensSpec(info: ModelInfo, graph: OnnxGraph, head: HeadInfo | null): LensSpec {
  if (!head)
    throw new UserError(
      'no final norm found before the logits, so the logit lens is unavailable',
      'Taps, generation and capture still work.',
    );
  const opset = graphOpset(graph);
  if (opset < LENS_MIN_OPSET)
    throw new UserError(
      `the logit lens needs ONNX opset ${LENS_MIN_OPSET} or later (its loop over layers uses sequence ops), and this model's graph is opset ${opset}`,
      'Re-export the model with a newer opset (Optimum exports 14 or later). Taps, generation and capture still work.',
    );
  const norm = finalNormParams(info, graph, head);
  return {
    normKind: norm.kind,
    normEps: norm.eps ?? info.normEps,
    normWeight: norm.weight,
    ...(norm.bias ? { normBias: norm.bias } : {}),
    unembedding: head.unembedding,
    unembeddingTransposed: head.unembeddingTransposed,
    ...(head.unembedding === null
      ? { head: { input: head.finalNorm, output: head.logits, nodes: head.nodes.map((n) => ({ op: n.opType, domain: n.domain, inputs: n.inputs, outputs: n.outputs, rawAttributes: n.rawAttributes })) } }
      : {}),
  };
}

/**
 * The final norm's parameters for the lens. For RMS norms, the tensor the graph itself multiplies the
 * normalised vector by, taken as is: exporters fold Gemma's (1 + weight) into one constant, so adding
 * 1 again would be wrong, while an unfolded graph computes it in a node whose output we reuse.
 */
function finalNormParams(info: ModelInfo, graph: OnnxGraph, head: HeadInfo): { weight: string; bias?: string; kind: NormKind; eps?: number } {
  const H = String(info.hiddenSize);
  const isHiddenVector = (t: string) => graph.initializers.get(t)?.dims.join() === H;
  const producer = (t: string) => graph.nodes.find((n) => n.outputs.includes(t));
  let node = producer(head.finalNorm);
  for (let hops = 0; node && hops < 4 && (node.opType === 'Cast' || node.opType === 'Reshape'); hops++) node = producer(node.inputs[0]!);
  if (info.normKind === 'layer') {
    if (node?.opType === 'LayerNormalization') return { weight: node.inputs[1]!, ...(node.inputs[2] ? { bias: node.inputs[2] } : {}), kind: 'layer', ...nodeEps(node) };
    const base = architecture(info.modelType).finalNorm.find((n) => graph.initializers.has(`${n}.weight`));
    if (base) return { weight: `${base}.weight`, ...(graph.initializers.has(`${base}.bias`) ? { bias: `${base}.bias` } : {}), kind: 'layer' };
  } else if (node?.opType === 'SimplifiedLayerNormalization' || node?.opType === 'SkipSimplifiedLayerNormalization') {
    // A fused norm states its epsilon; genai_config.json does not.
    return { weight: node.inputs[node.opType === 'SimplifiedLayerNormalization' ? 1 : 2]!, kind: 'rms', ...nodeEps(node) };
  } else if (node?.opType === 'Mul') {
    const scale = node.inputs.find((i) => isHiddenVector(i) || (producer(i)?.inputs.some(isHiddenVector) ?? false));
    if (scale) return { weight: scale, kind: 'rms' };
  }
  throw new UserError("could not find the final norm's weight in the graph", "The logit lens needs it; this exporter's layout is not supported yet.");
}

function nodeEps(node: { attributes: Record<string, number | number[]> }): { eps?: number } {
  const e = node.attributes['epsilon'];
  return typeof e === 'number' ? { eps: e } : {};
}

function pooledEnds(embedding: string | null, finalNorm: string | undefined): NonNullable<InstrumentSpec['pooledEnds']> {
  return { ...(embedding ? { embedding } : {}), ...(finalNorm ? { final_norm: finalNorm } : {}) };
}
