/** Messages between the main thread and the engine worker. */
import type { SerializedError } from '../../shared/errors.js';
import type { CaptureStats, GenerateRequest, GenerateResult, LensRequest, LensResult, NllResult, OpenOptions, TokenSets } from './onnx-engine.js';
import type { ModelInfo } from '../../shared/model-types.js';
import type { ForwardRequest, ForwardResult, NeuronIntervention } from './types.js';

export type EngineMethods = {
  open: (p: { dir: string; options: Omit<OpenOptions, 'log'> }) => ModelInfo;
  forward: (p: ForwardRequest) => ForwardResult;
  lens: (p: LensRequest) => LensResult;
  keepTokenSets: (p: { kept: number; sets: TokenSets }) => void;
  releaseTokenSets: (p: { kept: number }) => void;
  captureStats: (p: { inputIds: number[][] }) => CaptureStats;
  nll: (p: { inputIds: number[][]; interventions?: NeuronIntervention[] }) => NllResult;
  generate: (p: GenerateRequest) => GenerateResult;
  dispose: (p: Record<string, never>) => void;
};

export type EngineRequest = { [M in keyof EngineMethods]: { id: number; method: M; params: Parameters<EngineMethods[M]>[0] } }[keyof EngineMethods];

export type EngineMessage =
  | { type: 'reply'; id: number; result: unknown }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'log'; message: string };
