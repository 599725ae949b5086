export { openStore, type StoreOptions } from './open.js';
export { Store } from './store.js';
export { NeuronStatsAccumulator } from './accumulator.js';
export { TextGroupAccumulator } from './text-group-accumulator.js';
export { SCHEMA_VERSION, APPLICATION_ID } from './migrations.js';
export type * from './types.js';
export type { NewResult } from './results.js';
export type { MergedShard, MergeOutcome, MergeSource, MergeTarget } from './merge.js';
export { POOLED_KINDS } from './types.js';
