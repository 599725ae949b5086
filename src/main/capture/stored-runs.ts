/** Reading what a capture stored, in the shapes the analyses take. */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { lapeStatsFromLayers, type LapeResult, type LapeStats, type NeuronSelection } from '../analysis/lape.js';
import { alignmentByLayer, pooledVectorsByLayer, type AlignmentResult, type AsyncSimilarityKernel, type PooledLayer, type PooledVectorsByLayer } from '../analysis/alignment.js';
import { openStore, type RunRecord, type Store } from '../store/index.js';
import type { CheckpointInput } from '../analysis/checkpoints.js';
import type { WorkingLanguageResult } from '../analysis/working-language.js';
import { NLL_RESULT } from './capture.js';
import { WORKING_LANGUAGE_RESULT } from './working-language-run.js';

export function openExistingStore(path: string, readonly = false): Store {
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

/** A run's pooled vectors one stored layer at a time: memory holds one layer. */
export function* pooledLayersOf(store: Store, run: RunRecord, which: 'mean' | 'last'): Generator<PooledLayer> {
  const layers = store.pooledLayers(run.id);
  if (layers.length === 0) {
    throw new UserError(`run "${run.name}" has no pooled vectors`, 'Let the capture finish, or capture again without --pool none.');
  }
  for (const layer of layers) yield { layer, texts: pooledVectorsByLayer(store.readPooled(run.id, layer, which), which)[layer]! };
}

/**
 * Alignment (MEXA) of a capture run, read and computed layer by layer; languages in corpus order.
 * `kernel` computes the similarity blocks (the onnxruntime Gemm from src/main/model, or the JS one).
 */
export function alignStoredRun(store: Store, run: RunRecord, o: { pool: 'mean' | 'last'; pivot?: string; kernel?: AsyncSimilarityKernel }): Promise<AlignmentResult> {
  const languages = [...new Set(store.readCorpus(run.corpusId ?? -1).map((t) => t.lang))];
  return alignmentByLayer(pooledLayersOf(store, run, o.pool), {
    languages,
    ...(o.pivot !== undefined && languages.includes(o.pivot) ? { pivot: o.pivot } : {}),
    ...(o.kernel ? { kernel: o.kernel } : {}),
  });
}

export const LAPE_RESULT = 'lape';
export const ALIGNMENT_RESULT = 'alignment';

/** The run's newest neuron selection (`lape`, either method). */
export function latestLape(store: Store, run: RunRecord): NeuronSelection {
  const r = store.latestResult<NeuronSelection>(run.id, LAPE_RESULT);
  if (!r) throw new UserError(`no LAPE result for run "${run.name}" in ${store.path}`, `Run \`babelscope lape --db ${store.path}\` first.`);
  return r.result;
}

/** What `compare` reads from one checkpoint's store: its newest LAPE, NLL, working-language and alignment results. */
export function checkpointInputOf(store: Store, run: RunRecord): CheckpointInput {
  const nll = store.latestResult<Record<string, { sum: number; count: number }>>(run.id, NLL_RESULT)?.result;
  const wl = store.latestResult<WorkingLanguageResult>(run.id, WORKING_LANGUAGE_RESULT)?.result;
  const al = store.latestResult<AlignmentResult>(run.id, ALIGNMENT_RESULT)?.result;
  return {
    name: basename(run.modelDir),
    lape: latestLape(store, run),
    ...(nll ? { nll: Object.fromEntries(Object.entries(nll).map(([k, v]) => [k, v.sum / Math.max(1, v.count)])) } : {}),
    ...(wl ? { workingLanguage: wl } : {}),
    ...(al ? { alignment: al } : {}),
  };
}
