/** Opening a model and reading it one text at a time: lens, activations, generation, its description. */
import { join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { withoutUndefined } from '../../shared/without-undefined.js';
import { labelCoverage } from '../analysis/label-coverage.js';
import { createFastTextIdentifier } from '../analysis/language-id.js';
import { continuationText } from '../pipelines/continuation.js';
import { layerTensors } from '../model/graph-listing.js';
import { describeModel as describeModelFolder } from '../model/model-description.js';
import { listVariants } from '../model/model-folder.js';
import { Model as Engine } from '../model/model.js';
import type { Tokenizer } from '../model/tokenizer.js';
import type { ModelInfo } from '../../shared/model-types.js';
import type { NeuronIntervention, OpenModelOptions } from '../model/types.js';
import type { CorpusSource } from './corpus.js';
import { LabelSetCache, type LabelSets } from './label-sets.js';
import { OPTION_DEFAULTS } from './defaults.js';
import { packageRoot } from '../fs/package-root.js';

export type { OpenModelOptions };

/** The bundled trained model `assets/tiny-babel` (Llama architecture, 11 UDHR languages). */
export const bundledModelDir: string = join(packageRoot, 'assets', 'tiny-babel');

/**
 * The bundled code model `assets/tiny-babel-code` (Llama architecture): trained on Python first, then on
 * Python, Go, PHP, C++ and Rust. Its held-out files, never trained on, are `heldout.jsonl` in this folder.
 */
export const bundledCodeModelDir: string = join(packageRoot, 'assets', 'tiny-babel-code');

/** The code model's training log: JSON lines, one record per training step and per evaluation (`type: "eval"`, per checkpoint). */
export const bundledCodeTrainingLog: string = join(bundledCodeModelDir, 'training_log.jsonl');

/** The code model's checkpoints in training order, by name; the last is `bundledCodeModelDir` itself. */
export const bundledCodeCheckpoints: readonly { readonly name: string; readonly dir: string }[] = [
  ...['01-python', '02-all-early', '03-all-mid'].map((name) => ({ name, dir: join(packageRoot, 'assets', 'tiny-babel-code-checkpoints', name) })),
  { name: '04-all-late', dir: bundledCodeModelDir },
];

/** The same 35 functions written in each of the code model's languages: a JSONL corpus of parallel texts (`{lang, id, text}`). */
export const bundledCodeParallelPrograms: string = join(packageRoot, 'assets', 'code-parallel', 'programs.jsonl');

/** The bundled model's training checkpoints in training order; the last is `bundledModelDir` itself. */
export const bundledCheckpointDirs: readonly string[] = [
  join(packageRoot, 'assets', 'tiny-babel-checkpoints', '01-english'),
  join(packageRoot, 'assets', 'tiny-babel-checkpoints', '02-multilingual-mid'),
  bundledModelDir,
];

/**
 * A loaded model (from `openModel`): what it is (`info`: shape, tap points, device, hash), its tokenizer,
 * and `dispose()`. The analyses (`lens`, `capture`, `lape`, …) take it as their `model`.
 */
export interface Model {
  readonly info: ModelInfo;
  readonly tokenizer: Tokenizer;
  /** Releases the model's worker thread and onnxruntime session; calls made after reject. Calling it again does nothing. */
  dispose(): Promise<void>;
}

/** The engine behind a model `openModel` returned (a UserError for any other object). */
export function engineOf(model: Model): Engine {
  if (model instanceof Engine) return model;
  throw new UserError('model is not a model opened by openModel', 'Pass the model that `await openModel(dir)` returned.');
}

/**
 * Opens a Hugging Face style model folder (`config.json`, `tokenizer.json`, `model.onnx` or
 * `onnx/model.onnx`). Inference runs in a worker thread; call `model.dispose()` when done.
 *
 * @example
 *   const model = await openModel(bundledModelDir, { device: 'cpu' });
 *   console.log(model.info.numLayers);
 */
export function openModel(dir: string = bundledModelDir, options: OpenModelOptions = {}): Promise<Model> {
  return Engine.open(dir, options);
}

/** Opens a model, runs `fn` with it and always releases it. */
export async function withModel<T>(dir: string, options: OpenModelOptions, fn: (model: Model) => Promise<T>): Promise<T> {
  const model = await openModel(dir, options);
  try {
    return await fn(model);
  } finally {
    await model.dispose();
  }
}

/**
 * What `inspectModel` reads from a model folder: the `info` an opened model has (same names: `numLayers`,
 * `numHeads`, `normKind`, `taps`, …) except its device, with its hash when known and the folder's ONNX files.
 */
export interface ModelDescription extends Omit<ModelInfo, 'device' | 'hash'> {
  /** sha256 of the ONNX bytes and external data; null until a run has hashed the model once. */
  hash: string | null;
  /** The ONNX files of the folder; `current` is the one described. */
  variants: { name: string; file: string; bytes: number; current: boolean }[];
}

/**
 * A model's shape, tap points and graph inputs/outputs, read from its folder and graph alone (no
 * onnxruntime session, no weights read).
 */
export async function inspectModel(dir: string, options: Pick<OpenModelOptions, 'taps' | 'arch' | 'variant' | 'file'> = {}): Promise<ModelDescription> {
  const d = await describeModelFolder(
    dir,
    withoutUndefined({ taps: options.taps, arch: options.arch, variant: options.variant, file: options.file }),
    'inspect',
  );
  const i = d.info;
  return { ...i, hash: d.hash, variants: listVariants(i.dir).map((v) => ({ name: v.name, file: v.file, bytes: v.bytes, current: join(i.dir, v.file) === i.onnxPath })) };
}

/** The graph tensors of one layer with the op that makes each (to write a `taps` override); needs no working taps. */
export function layerTensorNames(dir: string, layer: number): { name: string; op: string }[] {
  return layerTensors(dir, layer);
}

/** Options of `lens`. */
export interface LensOptions {
  text: string;
  /** Tokens per layer and position; default 5. */
  top?: number;
  /**
   * Also give the probability mass per language at every layer and position; token languages come
   * from this corpus (`udhr:eng,rus`, `udhr` for every UDHR language the labeller knows, a JSONL path,
   * or an array of `{lang,id,text}`). Label against many languages: a text in a language that is not
   * among the labels puts its mass on the labels that share its pieces (German under `eng`).
   */
  languages?: CorpusSource;
  /** Limits on the `languages` corpus. */
  maxTextsPerLang?: number;
  maxTokensPerLang?: number;
  /** The token→language rule: share of a token's frequency a language needs to own it (default 0.8). */
  minShare?: number;
  /** Occurrences below which a token's language comes from its script alone (default 5). */
  minCount?: number;
}

/** The logit lens of one text at every layer and position. */
export interface LensOutput {
  /** With `languages`: how many vocabulary tokens each language label owns. */
  tokensPerLabel?: Record<string, number>;
  /** With `languages`: one sentence per sign that the text's own script or language is not among the labels. */
  labelWarnings?: string[];
  tokens: string[];
  ids: number[];
  /** `layers[layer].positions[position]`: the logit lens of the residual after block `layer`. */
  layers: {
    layer: number;
    positions: {
      position: number;
      token: string | undefined;
      /** Entropy (nats) of the lens distribution. */
      entropy: number | undefined;
      /** Probability mass per language label (with `languages`). */
      languageMass?: Record<string, number>;
      top: { id: number; token: string; prob: number | undefined }[];
    }[];
  }[];
}

/**
 * Logit lens (Wendler et al. 2024): the residual after each block through the model's own final norm
 * and unembedding; top tokens, probabilities and entropy at every layer and position.
 */
export async function lens(opened: Model, options: LensOptions): Promise<LensOutput> {
  const model = engineOf(opened);
  const text = requireText(options.text, 'text');
  const enc = await model.tokenizer.encode(text);
  const top = options.top ?? OPTION_DEFAULTS.lens.top;
  const run = async (langs: LabelSets | null): Promise<LensOutput> => {
    const r = await model.lens(withoutUndefined({ inputIds: [enc.ids], topK: top, tokenSets: langs?.sets }));
    const t = r.texts[0]!;
    const mass = (layer: number, pos: number): Record<string, number> =>
      Object.fromEntries(langs!.tokens.labels.map((label, k) => [label, t.setMass![layer]![pos]![k]!]));
    const labelWarnings = langs ? labelCoverage(text, langs.tokens.labels, { identifier: await createFastTextIdentifier() }).warnings : [];
    return {
      ...(langs ? { tokensPerLabel: langs.tokens.tokensPerLabel, labelWarnings } : {}),
      tokens: enc.tokens,
      ids: enc.ids,
      layers: t.topIds.map((perPos, layer) => ({
        layer,
        positions: perPos.map((ids, pos) => ({
          position: pos,
          token: enc.tokens[pos],
          entropy: t.entropy[layer]![pos],
          ...(langs ? { languageMass: mass(layer, pos) } : {}),
          top: ids.map((id, k) => ({ id, token: model.tokenizer.idToToken(id), prob: t.topProbs[layer]![pos]![k] })),
        })),
      })),
    };
  };
  if (!options.languages) return run(null);
  const limits = withoutUndefined({ maxTextsPerLang: options.maxTextsPerLang, maxTokensPerLang: options.maxTokensPerLang });
  const rule = { minShare: options.minShare ?? OPTION_DEFAULTS.lens.minShare, minCount: options.minCount ?? OPTION_DEFAULTS.lens.minCount };
  return labelSetCache.use(model, options.languages, limits, rule, run);
}

/** The label corpora's token languages, per model (see label-sets.ts). */
const labelSetCache = new LabelSetCache();

/** Options of `activations`. */
export interface ActivationsOptions {
  text: string;
  /** `mlp` = `mlp_act.{layer}` (act_fn(gate_proj x)), `residual` = `resid_post.{layer}`. */
  point: 'mlp' | 'residual';
  layer: number;
}

/** One layer's activations for every token of a text. */
export interface ActivationsOutput {
  tokens: string[];
  /** The tap point read, e.g. `mlp_act.2`. */
  point: string;
  /** [positions, width] */
  shape: [number, number];
  /** `values[position][unit]` */
  values: number[][];
}

/** One layer's MLP neuron activations or residual stream for every token of a text. */
export async function activations(opened: Model, options: ActivationsOptions): Promise<ActivationsOutput> {
  const model = engineOf(opened);
  const text = requireText(options.text, 'text');
  if (options.point !== 'mlp' && options.point !== 'residual') throw new UserError(`point must be "mlp" or "residual", got "${String(options.point)}"`);
  if (!Number.isInteger(options.layer) || options.layer < 0 || options.layer >= model.info.numLayers) {
    throw new UserError(`layer ${options.layer} does not exist`, `This model has layers 0..${model.info.numLayers - 1}.`);
  }
  const tap = `${options.point === 'mlp' ? 'mlp_act' : 'resid_post'}.${options.layer}`;
  const enc = await model.tokenizer.encode(text);
  const r = await model.forward({ inputIds: [enc.ids], taps: [tap], logits: false });
  const t = r.taps[tap]!;
  const width = t.dims[2]!;
  const values = enc.ids.map((_, p) => Array.from(t.data.subarray(p * width, (p + 1) * width)));
  return { tokens: enc.tokens, point: tap, shape: [enc.ids.length, width], values };
}

/** Options of `generate`. */
export interface GenerateOptions {
  prompt: string;
  /** Default 32. */
  maxNewTokens?: number;
  /** 0 (default) is greedy. */
  temperature?: number;
  /** Nucleus sampling mass; default 1. */
  topP?: number;
  /** Seed of the sampler; default 0. */
  seed?: number;
  /** Scale MLP neurons while generating: `{ layer, index, scale }`, 0 ablates, > 1 amplifies. */
  interventions?: NeuronIntervention[];
}

/** A generated continuation. */
export interface GenerateOutput {
  prompt: string;
  /** The continuation as it reads after the prompt (its first space kept), special tokens skipped. */
  text: string;
  ids: number[];
  tokens: string[];
  /** Probability the model gave each generated token. */
  probs: number[];
  stoppedBy: 'eos' | 'length' | 'context';
}

/** Continues a prompt (greedy unless `temperature` > 0), optionally with neurons scaled. */
export async function generate(opened: Model, options: GenerateOptions): Promise<GenerateOutput> {
  const model = engineOf(opened);
  const prompt = requireText(options.prompt, 'prompt');
  const enc = await model.tokenizer.encode(prompt);
  const r = await model.generate({
    inputIds: enc.ids,
    maxNewTokens: options.maxNewTokens ?? OPTION_DEFAULTS.generate.maxNewTokens,
    temperature: options.temperature ?? OPTION_DEFAULTS.generate.temperature,
    topP: options.topP ?? OPTION_DEFAULTS.generate.topP,
    seed: options.seed ?? OPTION_DEFAULTS.generate.seed,
    ...(options.interventions?.length ? { interventions: options.interventions } : {}),
  });
  const { text } = await continuationText(model.tokenizer, enc.ids, r.ids);
  return { prompt, text, ids: r.ids, tokens: r.ids.map((id) => model.tokenizer.idToToken(id)), probs: r.probs, stoppedBy: r.stoppedBy };
}

function requireText(text: string | undefined, what: string): string {
  if (typeof text !== 'string') throw new UserError(`${what} is required`, `Pass the ${what} to analyse.`);
  if (text.trim() === '') throw new UserError(`${what} is empty`, `Pass a non-empty ${what}.`);
  return text;
}
