/** Reading what a capture stored, in the shapes the analyses take. */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { learnedCheck, type LearnedCheck } from '../analysis/unlearned.js';
import { UserError } from '../../shared/errors.js';
import { lapeStatsFromLayers, type LapeStats } from '../analysis/lape.js';
import type { GroupCounts, SelectivityStats } from '../analysis/selectivity.js';
import { alignmentByLayer, pooledTexts, type AlignmentResult, type AsyncSimilarityKernel, type PooledLayer, type PoolingKind } from '../analysis/alignment.js';
import { openStore, type RunRecord, type RunStatus, type Store, type StoredResult } from '../store/index.js';
import type { CheckpointInput } from '../analysis/checkpoints.js';
import { NEURON_SELECTION_KINDS, targetAccepts } from '../../shared/result-kinds.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

/** The capture run that operations reading a store use unless told another. */
export const DEFAULT_CAPTURE_RUN = 'capture';

export function openExistingStore(path: string, readonly = false): Store {
  if (path.trim() === '') throw new UserError('--db is empty', 'Pass the path of a store file written by `babelscope capture`, e.g. --db project.db.');
  if (!existsSync(path)) throw new UserError(`no such file: ${path}`, 'Create it first with `babelscope capture DIR --corpus SRC --db FILE`.');
  return openStore(path, { readonly });
}

export function requireCaptureRun(store: Store, name: string): RunRecord {
  const run = store.findRun(name);
  if (!run || run.kind !== 'capture') {
    const captures = store.listRuns().filter((r) => r.kind === 'capture').map((r) => r.name);
    throw new UserError(
      `no capture run "${name}" in ${store.path}`,
      captures.length ? `Capture runs here: ${captures.join(', ')} (pass --run NAME).` : 'Run `babelscope capture DIR --corpus SRC --db FILE` first.',
    );
  }
  return run;
}

export function lapeStatsOf(store: Store, run: RunRecord): LapeStats {
  const s = store.readNeuronStats(run.id);
  if (s.numLayers === 0) throw new UserError(`run "${run.name}" has no neuron statistics yet`, 'Let `babelscope capture` finish (or resume it) first.');
  return lapeStatsFromLayers(s.languages, s.layers);
}

/**
 * What the text-level selectivity test reads: the run's per-text-group counts, one layer at a time
 * (memory holds one layer). Languages as the per-language statistics list them.
 */
export function selectivityStatsOf(store: Store, run: RunRecord): SelectivityStats {
  const layers = store.textGroupLayers(run.id);
  if (layers.length === 0) {
    const captured = Object.keys(store.readLayerStats(run.id, 0)).length > 0;
    throw new UserError(
      captured
        ? `run "${run.name}" has no per-text counts: it was captured before they were kept, and the selectivity test is made across texts`
        : `run "${run.name}" has no neuron statistics yet`,
      captured ? 'Capture the corpus again under a new run name (--run NAME), then run lape --method selectivity --run NAME.' : 'Let `babelscope capture` finish (or resume it) first.',
    );
  }
  const languages = Object.keys(store.readLayerStats(run.id, layers[0]!)).sort();
  function* byLayer(): Generator<GroupCounts[][]> {
    for (const layer of layers) {
      const groups = store.readTextGroups(run.id, layer);
      yield languages.map((lang) => groups[lang] ?? []);
    }
  }
  return { languages, layers: byLayer() };
}

/** The vocabulary size of a run's model: as recorded with the run, else from its folder's config.json when it is still there; null when unknown. */
function vocabSizeOf(run: RunRecord): number | null {
  if (typeof run.model.vocabSize === 'number') return run.model.vocabSize;
  try {
    const config = JSON.parse(readFileSync(join(run.modelDir, 'config.json'), 'utf8')) as { vocab_size?: unknown };
    return typeof config.vocab_size === 'number' ? config.vocab_size : null;
  } catch {
    return null;
  }
}

/** Which languages the run's model has learned (mean NLL of the capture against ln |V|); null without NLL totals or a known vocabulary. */
export function learnedCheckOf(store: Store, run: RunRecord): LearnedCheck | null {
  const nll = store.latestResult(run.id, 'nll')?.result;
  const vocab = vocabSizeOf(run);
  if (!nll || vocab === null) return null;
  const mean = Object.fromEntries(Object.entries(nll).flatMap(([l, v]) => (v.count > 0 ? [[l, v.sum / v.count]] : [])));
  return learnedCheck(mean, vocab);
}

/** A selection with its languages' learned check attached (`unlearned`, `learnedCheck`). */
export function withLearnedCheck<T extends object>(store: Store, run: RunRecord, result: T): T & { unlearned?: string[]; learnedCheck?: LearnedCheck } {
  const check = learnedCheckOf(store, run);
  return check ? { ...result, unlearned: check.unlearned, learnedCheck: check } : result;
}

/**
 * How layers are numbered: `hidden_states` as MEXA and Hugging Face number them (0 = embedding output,
 * i = the residual after block i − 1, L = the last block's after the final norm); `blocks` by block
 * index (the residual after each block, the last one before the final norm).
 */
export type LayerIndexing = 'hidden_states' | 'blocks';

/** Which stored layer each reported layer reads, for the layers a run has (see storedLayerOf). */
export function layerPlan(stored: readonly number[], numLayers: number, indexing: LayerIndexing): { reported: number; stored: number }[] {
  const have = new Set(stored);
  const plan =
    indexing === 'blocks'
      ? Array.from({ length: numLayers }, (_, l) => ({ reported: l, stored: l }))
      : Array.from({ length: numLayers + 1 }, (_, h) => ({ reported: h, stored: h === 0 ? -1 : h === numLayers ? numLayers : h - 1 }));
  return plan.filter((p) => have.has(p.stored));
}

/** A run's pooled vectors one stored layer at a time: memory holds one layer. */
export function* pooledLayersOf(store: Store, run: RunRecord, which: PoolingKind, indexing: LayerIndexing = 'blocks'): Generator<PooledLayer> {
  const plan = layerPlan(store.pooledLayers(run.id), numLayersOf(store, run), indexing);
  if (plan.length === 0) {
    throw new UserError(`run "${run.name}" has no pooled vectors`, 'Let the capture finish, or capture again without --pool none.');
  }
  const kept = store.pooledKinds(run.id);
  if (!kept.includes(which)) {
    const name = { wmean: 'position-weighted mean', mean: 'mean', last: 'last-token' }[which];
    throw new UserError(`alignment: the capture kept no ${name} vectors`, `${kept.length ? `Use --pool ${kept[0]}, or c` : 'C'}apture again with --pool ${which} (the default keeps wmean, mean and last).`);
  }
  for (const { reported, stored } of plan) yield { layer: reported, texts: pooledTexts(store.readPooled(run.id, stored, which), which) };
}

/** The model's layer count as the run recorded it (else one past its highest pooled block: such old runs pooled no final norm). */
function numLayersOf(store: Store, run: RunRecord): number {
  return run.model.numLayers ?? Math.max(0, ...store.pooledLayers(run.id)) + 1;
}

/** What the layer numbering of an alignment means, and which of its layers the capture lacks. */
export interface LayerView {
  indexing: LayerIndexing;
  /** A sentence saying how layers are numbered, printed with the result. */
  note: string;
  /** Layers of this numbering the capture did not pool (a run made before the embedding and final norm were pooled lacks 0 and L). */
  missing: number[];
}

export function layerView(store: Store, run: RunRecord, indexing: LayerIndexing): LayerView {
  const L = numLayersOf(store, run);
  const have = new Set(layerPlan(store.pooledLayers(run.id), L, indexing).map((p) => p.reported));
  const all = indexing === 'blocks' ? L : L + 1;
  const missing = Array.from({ length: all }, (_, l) => l).filter((l) => !have.has(l));
  const note =
    indexing === 'hidden_states'
      ? `layers as MEXA and Hugging Face hidden_states number them: 0 = embedding output, 1..${L - 1} = after blocks 0..${L - 2}, ${L} = after block ${L - 1} and the final norm`
      : `layers are block indices 0..${L - 1}: the residual after each block, the last one before the final norm`;
  return { indexing, note, missing };
}

/**
 * Alignment (MEXA) of a capture run, read and computed layer by layer; languages in corpus order.
 * `kernel` computes the similarity blocks (the onnxruntime Gemm from src/main/model, or the JS one);
 * `onLayer(done, total)` reports layers (first with 0 done) and may throw to stop.
 */
export function alignStoredRun(
  store: Store,
  run: RunRecord,
  o: {
    pool: PoolingKind;
    layers?: LayerIndexing;
    pivot?: string;
    /** The caller named the pivot: one the run lacks is an error (the default one is left out quietly). */
    pivotRequired?: boolean;
    kernel?: AsyncSimilarityKernel;
    onLayer?: (done: number, total: number) => void;
    permutations?: number;
    seed?: number;
  },
): Promise<AlignmentResult> {
  const languages = [...new Set(store.readCorpus(run.corpusId ?? -1).map((t) => t.lang))];
  if (o.pivotRequired && o.pivot !== undefined && !languages.includes(o.pivot)) {
    return Promise.reject(new UserError(`the pivot language "${o.pivot}" is not among the languages of run "${run.name}"`, `Pick one of: ${languages.join(', ')}`));
  }
  const indexing = o.layers ?? 'blocks';
  const total = layerPlan(store.pooledLayers(run.id), numLayersOf(store, run), indexing).length;
  o.onLayer?.(0, total);
  return alignmentByLayer(pooledLayersOf(store, run, o.pool, indexing), {
    languages,
    ...(o.pivot !== undefined && languages.includes(o.pivot) ? { pivot: o.pivot } : {}),
    ...(o.onLayer ? { onLayer: (done: number) => o.onLayer!(done, total) } : {}),
    ...withoutUndefined({ kernel: o.kernel, permutations: o.permutations, seed: o.seed }),
  });
}


/** A neuron selection (kind `lape` or `selectivity`) with the run it was made from. */
export type LapeSelection = (StoredResult<'lape'> | StoredResult<'selectivity'>) & { run: RunRecord };

function isNeuronSelection(r: StoredResult | undefined): r is StoredResult<'lape'> | StoredResult<'selectivity'> {
  return r !== undefined && targetAccepts('neuron-selection', r.kind);
}

/**
 * The LAPE selection to use: result `selectionId` (`--selection ID`), else the latest of the run
 * named `runName` (default DEFAULT_CAPTURE_RUN). A run name that disagrees with the selection's run is an error.
 */
export function lapeSelection(store: Store, runName: string | undefined, selectionId?: number): LapeSelection {
  if (selectionId === undefined) {
    const run = requireCaptureRun(store, runName ?? DEFAULT_CAPTURE_RUN);
    const [lape, selectivity] = [store.latestResult(run.id, 'lape'), store.latestResult(run.id, 'selectivity')];
    const r = lape && selectivity ? (lape.id > selectivity.id ? lape : selectivity) : (lape ?? selectivity);
    if (!r) throw new UserError(`no LAPE selection for run "${run.name}" in ${store.path}`, `Run \`babelscope lape --db ${store.path} --run ${run.name}\` first.`);
    return { ...r, run };
  }
  const r = store.findResult(selectionId);
  if (!isNeuronSelection(r)) {
    const ids = NEURON_SELECTION_KINDS.flatMap((k) => store.listResults(k).map((s) => s.id)).sort((a, b) => a - b).map((id) => `#${id}`);
    throw new UserError(`no LAPE selection #${selectionId} in ${store.path}`, ids.length ? `LAPE selections here: ${ids.join(', ')}.` : `Run \`babelscope lape --db ${store.path}\` first.`);
  }
  const run = r.runId === null ? undefined : store.findRun(r.runId);
  if (!run) throw new UserError(`LAPE selection #${selectionId} in ${store.path} has no run`, 'Pick a selection made from a capture run.');
  if (runName !== undefined && runName !== run.name) {
    throw new UserError(`LAPE selection #${selectionId} was made from run "${run.name}", not "${runName}"`, 'Drop --run, or pass a selection of that run.');
  }
  return { ...r, run };
}

/** One line naming a selection, its settings and whether its data was partial; printed wherever one is used. */
export function describeSelection(s: LapeSelection, path: string): string {
  const settings =
    s.kind === 'selectivity'
      ? s.params.test
        ? `selectivity (${s.params.test}), min-effect ${s.params.minEffect}, ${s.params.fdrProcedure ?? 'BY'} fdr ${s.params.fdr}`
        : `selectivity (token-level z-tests, made before text-level tests: its p-values are not valid), min-effect ${s.params.minEffect}, fdr ${s.params.fdr}`
      : `top-rate ${s.params.topRate}, filter-rate ${s.params.filterRate}, activation-bar-ratio ${s.params.activationBarRatio}`;
  return (
    `LAPE selection #${s.id} of run "${s.run.name}" in ${path}: ${settings}, ` +
    `${s.result.selected.length} neurons` +
    (s.partial ? `; made from partial data (${inputRunStatus(s) ?? 'unfinished'} capture)` : '')
  );
}

/** The status its input run had when a result was computed. */
export function inputRunStatus(r: StoredResult): RunStatus | null {
  return r.inputs.find((i) => i.target === 'run')?.runStatus ?? null;
}

/** A warning when a capture run has not finished (still capturing, interrupted or failed): its numbers cover part of the corpus. */
export function partialRunWarning(run: RunRecord): string | null {
  if (run.status === 'done') return null;
  return `warning: run "${run.name}" is ${run.status === 'running' ? 'still capturing (or was killed)' : run.status}: these numbers cover only the texts captured so far`;
}

/** What `compare` reads from one checkpoint's store: the LAPE selection given, and the run's newest NLL, working-language and alignment results. */
export function checkpointInputOf(store: Store, selection: LapeSelection): CheckpointInput {
  const { run } = selection;
  const nll = store.latestResult(run.id, 'nll')?.result;
  const wl = store.latestResult(run.id, 'working-language')?.result;
  const al = store.latestResult(run.id, 'alignment')?.result;
  return {
    name: basename(run.modelDir),
    lape: selection.result,
    ...(nll ? { nll: Object.fromEntries(Object.entries(nll).map(([k, v]) => [k, v.sum / Math.max(1, v.count)])) } : {}),
    ...withoutUndefined({ workingLanguage: wl, alignment: al }),
    ...withoutUndefined({ learnedCheck: selection.result.learnedCheck ?? learnedCheckOf(store, run) ?? undefined }),
  };
}
