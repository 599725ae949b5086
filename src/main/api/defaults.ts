/**
 * The default of every option, one table per operation: the API functions fill a missing option from
 * here and the CLI's options take their defaults (and the values its --help shows) from here, so the two
 * cannot drift apart. Values an analysis or a pipeline owns (LAPE's rates, the selectivity test's
 * floor, the token→language rule, the batch budget, the capture run's name) are that module's own
 * constants, read from there.
 */
import { DEFAULT_DEVICE } from '../model/open-defaults.js';
import type { DeviceRequest } from '../../shared/model-types.js';
import { LAPE_DEFAULTS } from '../analysis/lape.js';
import { SELECTIVITY_DEFAULTS } from '../analysis/selectivity.js';
import { DEFAULT_PERMUTATIONS } from '../analysis/alignment.js';
import { LCB_DEFAULTS } from '../analysis/lcb.js';
import { DEFAULT_MIN_COUNT, DEFAULT_MIN_SHARE } from '../analysis/token-language.js';
import { DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BATCH_TOKENS } from '../pipelines/capture.js';
import { DEFAULT_POOLING } from '../pipelines/pooling.js';
import { DEFAULT_CAPTURE_RUN as RUN } from '../pipelines/stored-runs.js';

/** Frozen all the way down: a cell that changed a default would change it for every later call. */
function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v as object);
  return Object.freeze(o);
}

/** The default options of each operation (`OPTION_DEFAULTS.align.permutations`, …), as the API and the CLI apply them. */
export const OPTION_DEFAULTS = deepFreeze({
  openModel: { device: DEFAULT_DEVICE, lens: false },
  capture: { run: RUN, batch: DEFAULT_MAX_BATCH_SIZE, maxBatchTokens: DEFAULT_MAX_BATCH_TOKENS, keepActivations: 0, pooling: DEFAULT_POOLING },
  mergeShards: { run: RUN },
  lape: {
    run: RUN,
    method: 'lape' as 'lape' | 'selectivity',
    save: true,
    topRate: LAPE_DEFAULTS.topRate,
    filterRate: LAPE_DEFAULTS.filterRate,
    activationBarRatio: LAPE_DEFAULTS.activationBarRatio,
    minEffect: SELECTIVITY_DEFAULTS.minEffect,
    fdr: SELECTIVITY_DEFAULTS.fdr,
    fdrProcedure: SELECTIVITY_DEFAULTS.fdrProcedure,
  },
  ablate: { run: RUN, scale: 0, randomSets: 20, seed: 0, batch: 8 },
  meanNll: { batch: 8 },
  align: {
    run: RUN,
    pool: 'wmean' as 'wmean' | 'mean' | 'last',
    layers: 'hidden_states' as 'hidden_states' | 'blocks',
    pivot: 'eng',
    permutations: DEFAULT_PERMUTATIONS,
    seed: 1,
    kernel: 'onnx' as 'onnx' | 'js',
    device: 'cpu' as DeviceRequest,
    save: true,
  },
  workingLanguage: { run: RUN, batch: 8, minShare: DEFAULT_MIN_SHARE, minCount: DEFAULT_MIN_COUNT, chanceDraws: 20, resamples: 1000, seed: 1 },
  lens: { top: 5, minShare: DEFAULT_MIN_SHARE, minCount: DEFAULT_MIN_COUNT },
  generate: { maxNewTokens: 32, temperature: 0, topP: 1, seed: 0 },
  codeSwitch: {
    run: RUN,
    factor: 2,
    baseline: true,
    maxNewTokens: 48,
    maxPromptTokens: 64,
    samples: 1,
    temperature: 0.8,
    topP: 0.95,
    seed: 0,
    wordLevel: 'inherit' as 'inherit' | 'model',
  },
  latentLanguage: { task: 'translation' as 'translation' | 'repetition' | 'cloze', latent: 'eng', seed: 1, batch: 8 },
  fertility: { pivot: 'eng', wordTokens: 'in-context' as 'in-context' | 'alone' },
  scoreCompletions: { threshold: LCB_DEFAULTS.threshold, minLineWords: LCB_DEFAULTS.minLineWords },
  exportStore: { format: 'parquet' as const },
} as const);
