/** Resolves an HF-style model folder: config, tokenizer and the ONNX file, with clear errors. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { CONFIG_KEYS, isKnownArchitecture, unknownArchitecture } from './architectures.js';

export interface ModelConfig {
  modelType: string;
  architecture: string;
  numLayers: number;
  hiddenSize: number;
  /** null when the config does not say (onnxruntime-genai); the graph then tells. */
  intermediateSize: number | null;
  vocabSize: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  maxPositions: number;
  normEps: number;
  bosTokenId: number | null;
  eosTokenIds: number[];
}

export interface ModelFolder {
  dir: string;
  onnxPath: string;
  tokenizerPath: string;
  config: ModelConfig;
}

const ONNX_CANDIDATES = ['model.onnx', 'onnx/model.onnx', 'decoder_model_merged.onnx', 'onnx/decoder_model_merged.onnx', 'onnx/model_fp16.onnx', 'onnx/model_quantized.onnx'];

/** Which ONNX file of a folder to use: a named variant (`fp16`, `q4f16`, `quantized`, …) or a path. */
export interface FileChoice {
  variant?: string;
  file?: string;
}

export interface ModelVariant {
  /** `default` for model.onnx, else the suffix: model_fp16.onnx → fp16. */
  name: string;
  /** Relative to the model folder. */
  file: string;
  /** Graph bytes plus its external data files named after it. */
  bytes: number;
}

/** The ONNX files a folder holds (root and onnx/), as variants of one model. */
export function listVariants(dir: string): ModelVariant[] {
  const out: ModelVariant[] = [];
  for (const sub of ['', 'onnx']) {
    const d = join(dir, sub);
    if (!existsSync(d) || !statSync(d).isDirectory()) continue;
    for (const f of readdirSync(d).sort()) {
      const m = /^(?:model|decoder_model_merged|decoder_model)(?:_(.+))?\.onnx$/.exec(f);
      if (!m) continue;
      const data = readdirSync(d).filter((x) => x.startsWith(`${f}_data`) || x.startsWith(`${f}.data`) || x === `${f.replace(/\.onnx$/, '')}.onnx_data`);
      const bytes = [f, ...new Set(data)].reduce((n, x) => n + statSync(join(d, x)).size, 0);
      out.push({ name: m[1] ?? 'default', file: sub ? `${sub}/${f}` : f, bytes });
    }
  }
  return out;
}

export function openModelFolder(dirArg: string, opts: { arch?: string } & FileChoice = {}): ModelFolder {
  const { dir, onnxPath, genai } = resolveOnnxPath(dirArg, opts);
  const tokenizerPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokenizerPath)) throw new UserError(`no tokenizer.json in ${dir}`, 'Copy tokenizer.json from the original Hugging Face model folder next to config.json.');
  const hf = readJson(join(dir, 'config.json'));
  const config = hf ? fromHfConfig(hf, opts.arch) : genai ? fromGenaiConfig(genai, opts.arch) : null;
  if (!config) throw new UserError(`no config.json (or genai_config.json) in ${dir}`, 'Copy config.json from the original Hugging Face model folder.');
  return { dir, onnxPath, tokenizerPath, config };
}

/** The folder's ONNX file, without reading its config (listing tensors must work for unknown architectures). */
export function resolveOnnxPath(dirArg: string, choice: FileChoice = {}): { dir: string; onnxPath: string; genai: Record<string, unknown> | null } {
  const dir = resolve(dirArg);
  if (!existsSync(dir)) throw new UserError(`model folder not found: ${dir}`, 'Pass the folder that holds config.json, tokenizer.json and model.onnx (or onnx/model.onnx).');
  if (!statSync(dir).isDirectory()) throw new UserError(`not a folder: ${dir}`, 'Pass the model folder, not a file inside it.');
  if (choice.file !== undefined && choice.variant !== undefined) throw new UserError('--file and --variant both given', 'Pass one of them.');
  if (choice.file !== undefined) {
    const onnxPath = resolve(dir, choice.file);
    if (!existsSync(onnxPath) || !statSync(onnxPath).isFile()) throw new UserError(`--file ${choice.file}: no such file in ${dir}`, `Files of this model: ${listVariants(dir).map((v) => v.file).join(', ') || '(none)'}.`);
    return { dir, onnxPath, genai: readJson(join(dir, 'genai_config.json')) };
  }
  if (choice.variant !== undefined) {
    const variants = listVariants(dir);
    const v = variants.find((x) => x.name === choice.variant);
    if (!v) throw new UserError(`no "${choice.variant}" variant in ${dir}`, `Variants here: ${variants.map((x) => `${x.name} (${x.file})`).join(', ') || '(none)'}.`);
    return { dir, onnxPath: join(dir, v.file), genai: readJson(join(dir, 'genai_config.json')) };
  }
  const rel = ONNX_CANDIDATES.find((c) => existsSync(join(dir, c)));
  const genai = readJson(join(dir, 'genai_config.json'));
  const genaiFile = (genai?.['model'] as { decoder?: { filename?: string } } | undefined)?.decoder?.filename;
  const onnxRel = genaiFile && existsSync(join(dir, genaiFile)) ? genaiFile : (rel ?? onlyVariant(dir));
  if (!onnxRel) throw new UserError(`no model.onnx in ${dir}`, `Looked for ${ONNX_CANDIDATES.join(', ')}. Export the model with Optimum (optimum-cli export onnx --task text-generation-with-past) or onnxruntime-genai's model builder.`);
  return { dir, onnxPath: join(dir, onnxRel), genai };
}

/** The one ONNX file of a folder without a default one (e.g. only onnx/model_bf16.onnx); several are an error naming them. */
function onlyVariant(dir: string): string | undefined {
  const variants = listVariants(dir);
  if (variants.length <= 1) return variants[0]?.file;
  throw new UserError(`${dir} holds several ONNX variants and no default model.onnx`, `Pick one with --variant NAME (or --file PATH): ${variants.map((v) => `${v.name} (${v.file})`).join(', ')}.`);
}

function readJson(path: string): Record<string, unknown> | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`${path} is not valid JSON: ${(e as Error).message}`, 'Restore the file from the original model folder.');
  }
}

function num(c: Record<string, unknown>, keys: string[], fallback?: number): number {
  for (const k of keys) if (typeof c[k] === 'number') return c[k] as number;
  if (fallback !== undefined) return fallback;
  throw new UserError(`config.json has none of ${keys.join(', ')}`, 'Use the config.json that came with the model.');
}

function optionalNum(c: Record<string, unknown>, keys: readonly string[]): number | null {
  for (const k of keys) if (typeof c[k] === 'number') return c[k] as number;
  return null;
}

function checkArch(modelType: string, arch: string | undefined): string {
  // An empty --arch (or arch: '') means not given, as for every other optional string.
  if (arch) {
    if (!isKnownArchitecture(arch)) throw unknownArchitecture(arch, '--arch');
    return arch;
  }
  if (!isKnownArchitecture(modelType)) throw unknownArchitecture(modelType);
  return modelType;
}

function fromHfConfig(c: Record<string, unknown>, arch?: string): ModelConfig {
  const rawType = typeof c['model_type'] === 'string' ? (c['model_type'] as string) : '(missing)';
  const modelType = checkArch(rawType, arch);
  const hiddenSize = num(c, [...CONFIG_KEYS.hiddenSize]);
  const numHeads = num(c, [...CONFIG_KEYS.numHeads]);
  const eos = c['eos_token_id'];
  const textConfig = c['text_config'] as Record<string, unknown> | undefined;
  if (textConfig) return fromHfConfig({ ...textConfig, model_type: textConfig['model_type'] ?? modelType }, arch);
  return {
    modelType,
    architecture: Array.isArray(c['architectures']) ? String(c['architectures'][0]) : modelType,
    numLayers: num(c, [...CONFIG_KEYS.numLayers]),
    hiddenSize,
    intermediateSize: optionalNum(c, CONFIG_KEYS.intermediateSize) ?? (modelType === 'gpt2' ? 4 * hiddenSize : null),
    vocabSize: num(c, [...CONFIG_KEYS.vocabSize]),
    numHeads,
    numKvHeads: num(c, [...CONFIG_KEYS.numKvHeads], numHeads),
    headDim: num(c, [...CONFIG_KEYS.headDim], hiddenSize / numHeads),
    maxPositions: num(c, [...CONFIG_KEYS.maxPositions], 2048),
    normEps: num(c, [...CONFIG_KEYS.normEps], 1e-5),
    bosTokenId: typeof c['bos_token_id'] === 'number' ? (c['bos_token_id'] as number) : null,
    eosTokenIds: typeof eos === 'number' ? [eos] : Array.isArray(eos) ? eos.filter((x): x is number => typeof x === 'number') : [],
  };
}

function fromGenaiConfig(g: Record<string, unknown>, arch?: string): ModelConfig {
  const m = (g['model'] ?? {}) as Record<string, unknown>;
  const d = (m['decoder'] ?? {}) as Record<string, unknown>;
  const modelType = checkArch(typeof m['type'] === 'string' ? (m['type'] as string) : '(missing)', arch);
  const hiddenSize = num(d, ['hidden_size']);
  const numHeads = num(d, ['num_attention_heads']);
  const eos = m['eos_token_id'];
  return {
    modelType,
    architecture: modelType,
    numLayers: num(d, ['num_hidden_layers']),
    hiddenSize,
    intermediateSize: null,
    vocabSize: num(m, ['vocab_size']),
    numHeads,
    numKvHeads: num(d, ['num_key_value_heads'], numHeads),
    headDim: num(d, ['head_size'], hiddenSize / numHeads),
    maxPositions: num(m, ['context_length'], 2048),
    normEps: 1e-6,
    bosTokenId: typeof m['bos_token_id'] === 'number' ? (m['bos_token_id'] as number) : null,
    eosTokenIds: typeof eos === 'number' ? [eos] : Array.isArray(eos) ? eos.filter((x): x is number => typeof x === 'number') : [],
  };
}
