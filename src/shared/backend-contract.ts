/**
 * The one contract between the renderer (browser or Electron window) and the local backend.
 * Requests are `{ method, params }` POSTed to /api/rpc with the session token; replies are
 * `{ result } | { error }`. Pure types and validators: no Node, no DOM.
 */
import type { SerializedError } from './errors.js';

export interface ModelSummary {
  dir: string;
  architecture: string;
  numLayers: number;
  hiddenSize: number;
  intermediateSize: number;
  vocabSize: number;
  device: string;
  taps: string[];
}

export interface LensCell {
  /** Top token at this layer and position, as text. */
  token: string;
  prob: number;
  entropy: number;
  /** Probability mass per language label (when languages were asked for). */
  languageMass?: Record<string, number>;
}

export interface LensView {
  tokens: string[];
  /** [layer][position] */
  cells: LensCell[][];
  /** Language labels of `languageMass`, in order (empty when none were asked for). */
  languages: string[];
}

export type BackendMethods = {
  model: (params: Record<string, never>) => ModelSummary;
  lens: (params: { text: string; languages?: string[] }) => LensView;
};

export type BackendMethod = keyof BackendMethods;
export type BackendRequest<M extends BackendMethod = BackendMethod> = { method: M; params: Parameters<BackendMethods[M]>[0] };
export type BackendReply<M extends BackendMethod = BackendMethod> = { result: ReturnType<BackendMethods[M]> } | { error: SerializedError };

export const TOKEN_HEADER = 'x-babelscope-token';

/** Runtime check of an incoming request; returns a message saying what is wrong, or null. */
export function requestProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return 'the request body must be a JSON object';
  const { method, params } = body as { method?: unknown; params?: unknown };
  if (typeof params !== 'object' || params === null) return '`params` must be an object';
  switch (method) {
    case 'model':
      return null;
    case 'lens': {
      const p = params as { text?: unknown; languages?: unknown };
      if (typeof p.text !== 'string') return '`params.text` must be a string';
      if (p.languages !== undefined && !(Array.isArray(p.languages) && p.languages.every((l) => typeof l === 'string' && /^[a-z_0-9]+$/.test(l))))
        return '`params.languages` must be a list of language codes';
      return null;
    }
    default:
      return `unknown method ${JSON.stringify(method)}`;
  }
}
