/** Options and output helpers shared by the CLI commands. */
import { Option, type Command } from 'commander';
import { UserError } from '../../shared/errors.js';
import * as api from '../api/index.js';
import type { DeviceRequest } from '../../shared/model-types.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

type Model = api.Model;

export interface ModelOptions {
  device: DeviceRequest;
  tap?: string[];
  arch?: string;
  variant?: string;
  file?: string;
  /** The command is for the lens (OpenModelOptions.lens): built in as the model opens. */
  lens?: boolean;
}

export interface OutputOptions {
  json?: boolean;
}

export function addModelOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--device <device>', 'where to run the model').choices(['auto', 'cpu', 'cuda']).default(api.OPTION_DEFAULTS.openModel.device))
    .option('--tap <name=tensor>', 'tap point override, e.g. "mlp_act=/model/layers.{i}/mlp/Mul_output_0" (repeatable)', collect, [])
    .option('--arch <model_type>', 'treat the model as this architecture (llama, qwen2, gemma, gpt2, ...)')
    .option('--variant <name>', 'which ONNX file of the folder: fp16, q4f16, quantized, … (model_<name>.onnx; `inspect` lists them)')
    .option('--file <path>', 'the ONNX file to use, relative to the model folder (e.g. onnx/model_q4f16.onnx)');
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function openModel(dir: string, o: ModelOptions): Promise<Model> {
  return api.openModel(dir, {
    device: o.device,
    ...withoutUndefined({ taps: o.tap, arch: o.arch, variant: o.variant, file: o.file, lens: o.lens }),
  });
}

/** Runs `fn` with an open model and always releases it. */
export async function withModel<T>(dir: string, o: ModelOptions, fn: (m: Model) => Promise<T>): Promise<T> {
  const model = await openModel(dir, o);
  try {
    return await fn(model);
  } finally {
    await model.dispose();
  }
}

export function requireText(text: string | undefined, flag = '--text'): string {
  if (text === undefined) throw new UserError(`${flag} is required`, `Pass the text to analyse: ${flag} "..."`);
  if (text.trim() === '') throw new UserError(`${flag} is empty`, 'Pass a non-empty text.');
  return text;
}

export function parseIntOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`${name} must be an integer between ${min} and ${max}, got "${value}"`);
    return n;
  };
}

export function parseFloatOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new UserError(`${name} must be a number between ${min} and ${max}, got "${value}"`);
    return n;
  };
}

/** JSON on stdout with --json, else the human rendering. */
export function output(o: OutputOptions, value: unknown, human: () => string): void {
  process.stdout.write(o.json ? JSON.stringify(value) + '\n' : human() + '\n');
}

/** Shows a token readably: SentencePiece ▁ as a space, control characters escaped. */
export function showToken(t: string): string {
  return JSON.stringify(t.replaceAll('\u2581', ' ')).slice(1, -1);
}

/** `--db ""` (or only spaces): refused naming the flag (the API's own error cannot know the flag's name). */
export function requireDbPath(path: string, flag = '--db'): string {
  if (path.trim() === '') throw new UserError(`${flag} is empty`, 'Pass the path of a store file, e.g. --db project.db.');
  return path;
}

/**
 * The first Ctrl-C (or SIGTERM: Slurm's scancel and time limit, `kill`) aborts `signal` (the command saves
 * what is done and stops); a second one exits at once with 130, which is safe because every write is a
 * transaction. `dispose` restores the default.
 */
export function interruptOnSigint(onFirst: () => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    onFirst();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
