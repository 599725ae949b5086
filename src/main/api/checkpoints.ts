/** Training checkpoints side by side: LAPE neuron-set overlap, counts per layer, NLL, working language. */
import { basename } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { compareCheckpoints as compare, type CheckpointComparison, type CheckpointInput } from '../analysis/checkpoints.js';
import { checkpointInputOf, requireCaptureRun } from '../capture/stored-runs.js';
import { withStoreSync, type ProjectStore } from './store.js';

export type { CheckpointComparison };

/** Options of `compareCheckpoints`. */
export interface CompareCheckpointsOptions {
  /** One store (or path) per checkpoint, in training order, each with a capture and a LAPE result. */
  stores: readonly (ProjectStore | string)[];
  /** The capture run to read in each; default `capture`. */
  run?: string;
}

/**
 * Jaccard overlap of each language's LAPE neuron sets between checkpoints, neuron counts per layer,
 * mean NLL per language and (when stored) the working language per checkpoint. Checkpoints are named
 * by model folder, or by store file when folders share a name.
 */
export function compareCheckpoints(options: CompareCheckpointsOptions): CheckpointComparison {
  if (options.stores.length < 2) throw new UserError('comparing checkpoints needs at least two stores', 'One capture file per checkpoint, in training order.');
  const runName = options.run ?? 'capture';
  const paths: string[] = [];
  const inputs: CheckpointInput[] = options.stores.map((s) =>
    withStoreSync(s, { readonly: true, create: false }, (store) => {
      paths.push(store.path);
      return checkpointInputOf(store, requireCaptureRun(store, runName));
    }),
  );
  if (new Set(inputs.map((i) => i.name)).size < inputs.length) inputs.forEach((input, k) => (input.name = basename(paths[k]!)));
  return compare(inputs);
}
