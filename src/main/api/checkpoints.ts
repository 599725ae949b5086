/** Training checkpoints side by side: LAPE neuron-set overlap, counts per layer, NLL, working language. */
import { basename } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { compareCheckpoints as compare, type CheckpointComparison, type CheckpointInput } from '../analysis/checkpoints.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import type { NeuronSelectionKind, ParamsOf, RunStatus } from '../../shared/result-kinds.js';
import { checkpointInputOf, describeSelection, lapeSelection, partialRunWarning } from '../pipelines/stored-runs.js';
import { withStoreSync, type ProjectStore } from './store.js';

export type { CheckpointComparison };

/** Options of `compareCheckpoints`. */
export interface CompareCheckpointsOptions {
  /** One store (or path) per checkpoint, in training order, each with a capture and a LAPE selection. */
  stores: readonly (ProjectStore | string)[];
  /** The capture run to read in each; default `capture`. */
  run?: string;
  /** The LAPE selection (result id) to use in each store, in `stores` order; default the newest of each. */
  selections?: readonly number[];
}

/** The LAPE selection a checkpoint was compared with. */
export interface CheckpointSelection {
  store: string;
  /** Its result id (what `selections` / `--selection` take). */
  id: number;
  run: string;
  /** The capture run's status now; anything but `done` means its numbers cover part of the corpus. */
  runStatus: RunStatus;
  /** True when the selection or the run's data was partial. */
  partial: boolean;
  /** Its method (`lape` or `selectivity`) and the settings it was made with. */
  method: NeuronSelectionKind;
  params: ParamsOf<NeuronSelectionKind>;
  /** One line naming it, for logs. */
  description: string;
}

/** The comparison, with the selection used per checkpoint and warnings about comparing them. */
export interface CheckpointComparisonOutput extends CheckpointComparison {
  selections: CheckpointSelection[];
  /** Selections made with different settings, runs not finished: each a sentence. */
  warnings: string[];
}

/**
 * Jaccard overlap of each language's LAPE neuron sets between checkpoints, neuron counts per layer,
 * mean NLL per language and (when stored) the working language per checkpoint. Checkpoints are named
 * by model folder, or by store file when folders share a name.
 */
export function compareCheckpoints(options: CompareCheckpointsOptions): CheckpointComparisonOutput {
  if (options.stores.length < 2) throw new UserError('comparing checkpoints needs at least two stores', 'One capture file per checkpoint, in training order.');
  const chosen = options.selections ?? [];
  if (chosen.length > 0 && chosen.length !== options.stores.length) {
    throw new UserError(`${chosen.length} selections given for ${options.stores.length} stores`, 'Give one LAPE selection per store, in the same order, or none to use the newest of each.');
  }
  const paths: string[] = [];
  const selections: CheckpointSelection[] = [];
  const warnings: string[] = [];
  const inputs: CheckpointInput[] = options.stores.map((s, k) =>
    withStoreSync(s, { readonly: true, create: false }, (store) => {
      paths.push(store.path);
      const selection = lapeSelection(store, options.run, chosen[k]);
      const { run } = selection;
      const warning = partialRunWarning(run);
      if (warning) warnings.push(`${warning.replace(/^warning: /, '')} (${store.path})`);
      selections.push({
        store: store.path,
        id: selection.id,
        run: run.name,
        runStatus: run.status,
        partial: selection.partial || run.status !== 'done',
        method: selection.kind,
        params: selection.params,
        description: describeSelection(selection, store.path),
      });
      return checkpointInputOf(store, selection);
    }),
  );
  warnings.push(...selectionSettingWarnings(selections));
  if (new Set(inputs.map((i) => i.name)).size < inputs.length) inputs.forEach((input, k) => (input.name = basename(paths[k]!)));
  return { selections, warnings, ...compare(inputs) };
}

/** Selections made with different LAPE settings are not comparable neuron for neuron: say which differ. */
function selectionSettingWarnings(selections: readonly CheckpointSelection[]): string[] {
  const first = selections[0];
  if (!first) return [];
  const settings = (s: CheckpointSelection) => canonicalJson({ method: s.method, ...s.params });
  const differing = selections.filter((s) => settings(s) !== settings(first));
  if (differing.length === 0) return [];
  const show = (s: CheckpointSelection) => `#${s.id} in ${basename(s.store)}: ${[`method ${s.method}`, ...Object.entries(s.params).map(([k, v]) => `${k} ${String(v)}`)].join(', ')}`;
  return [`the LAPE selections were made with different settings, so their neuron sets are not comparable: ${[first, ...differing].map(show).join('; ')}`];
}
