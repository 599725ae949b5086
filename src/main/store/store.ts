import type { Database } from 'better-sqlite3';
import type { CorpusText } from '../../shared/corpus-text.js';
import type { ModelRef, Tensor } from '../../shared/model-types.js';
import * as activations from './activations.js';
import * as corpora from './corpora.js';
import * as merge from './merge.js';
import type { MergedShard, MergeOutcome, MergeSource, MergeTarget } from './merge.js';
import * as neuronStats from './neuron-stats.js';
import * as pooled from './pooled.js';
import * as progress from './progress.js';
import * as results from './results.js';
import type { NewResult } from './results.js';
import * as runs from './runs.js';
import * as textGroups from './text-groups.js';
import { storeUserError } from './sqlite-errors.js';
import type {
  ActivationInfo,
  CaptureBatch,
  CorpusInfo,
  DoneText,
  NeuronCounts,
  NeuronStats,
  NewRun,
  ParamsOf,
  PooledDtype,
  PooledKind,
  PooledRow,
  ResultKind,
  RunStatus,
  PooledVectors,
  RunRecord,
  StoredCorpus,
  StoredResult,
  StoredText,
  TextGroupCounts,
} from './types.js';

/**
 * A project's SQLite store (see SCHEMA.md). Every method turns SQLite errors a user can act on (locked,
 * disk full, not a database, …) into UserErrors; every write runs in a transaction, so a failure or a
 * kill leaves what was committed before it intact. Made by `openStore`.
 */
export class Store {
  constructor(
    /** The better-sqlite3 connection, for queries this class does not cover. */
    readonly db: Database,
    readonly path: string,
    readonly readonly: boolean,
    private readonly busyTimeoutMs: number,
  ) {}

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` in one write transaction (nested calls become savepoints); all or nothing. */
  transaction<T>(fn: () => T): T {
    return this.guard(() => (this.db.inTransaction ? this.db.transaction(fn)() : this.db.transaction(fn).immediate()));
  }

  // Corpora

  saveCorpus(spec: string, texts: readonly CorpusText[]): StoredCorpus {
    return this.transaction(() => corpora.saveCorpus(this.db, spec, texts));
  }

  readCorpus(corpusId: number): StoredText[] {
    return this.guard(() => corpora.readCorpusTexts(this.db, corpusId));
  }

  /** A corpus's spec, content hash and size (undefined when there is no such corpus). */
  corpusInfo(corpusId: number): CorpusInfo | undefined {
    return this.guard(() => corpora.corpusInfo(this.db, corpusId));
  }

  // Runs

  createRun(run: NewRun): RunRecord {
    return this.transaction(() => runs.createRun(this.db, run));
  }

  findRun(nameOrId: string | number): RunRecord | undefined {
    return this.guard(() => runs.findRun(this.db, nameOrId));
  }

  listRuns(): RunRecord[] {
    return this.guard(() => runs.listRuns(this.db));
  }

  /** Resumes the named run (same model, kind and params, else UserError) or creates it. */
  openRun(run: NewRun & { name: string }): { run: RunRecord; resumed: boolean } {
    return this.transaction(() => runs.openRun(this.db, this.path, run));
  }

  /** UserError naming the run's model unless `model` has the same hash. */
  assertSameModel(run: RunRecord, model: ModelRef): void {
    runs.assertSameModel(run, model, this.path);
  }

  finishRun(runId: number, status: Exclude<RunStatus, 'running'> = 'done'): void {
    this.transaction(() => runs.setRunStatus(this.db, runId, status));
  }

  /** Deletes a run and everything stored for it. */
  deleteRun(runId: number): void {
    this.transaction(() => runs.deleteRun(this.db, runId));
  }

  // Capture

  /** Adds to the stored statistics of (run, layer, lang): streaming accumulation across calls. */
  addNeuronStats(runId: number, layer: number, lang: string, counts: NeuronCounts): void {
    this.transaction(() => neuronStats.addNeuronStats(this.db, runId, layer, lang, counts));
  }

  readNeuronStats(runId: number): NeuronStats {
    return this.guard(() => neuronStats.readNeuronStats(this.db, runId));
  }

  /** All languages of one layer: `{ [lang]: counts }`. */
  readLayerStats(runId: number, layer: number): Record<string, NeuronCounts> {
    return this.guard(() => neuronStats.readLayerStats(this.db, runId, layer));
  }

  /** The layers a run has per-text-group counts for (none for runs captured before they were kept). */
  textGroupLayers(runId: number): number[] {
    return this.guard(() => textGroups.textGroupLayers(this.db, runId));
  }

  /** One layer's per-text-group counts: language → groups. */
  readTextGroups(runId: number, layer: number): Record<string, TextGroupCounts[]> {
    return this.guard(() => textGroups.readTextGroups(this.db, runId, layer));
  }

  /** Stores pooled vectors, as float16 unless asked otherwise (rows beyond the half range stay float32). */
  savePooled(runId: number, rows: readonly PooledVectors[], dtype: PooledDtype = 'float16'): void {
    this.transaction(() => pooled.savePooled(this.db, runId, rows, dtype));
  }

  /** Pooled vectors of one layer, decoded to float32 whatever their stored type; `only` reads one kind. */
  readPooled(runId: number, layer: number, only?: PooledKind): PooledRow[] {
    return this.guard(() => pooled.readPooled(this.db, runId, layer, only));
  }

  /** Which kinds of pooled vectors a run kept. */
  pooledKinds(runId: number): PooledKind[] {
    return this.guard(() => pooled.pooledKinds(this.db, runId));
  }

  /** The layers a run has pooled vectors for, ascending. */
  pooledLayers(runId: number): number[] {
    return this.guard(() => pooled.pooledLayers(this.db, runId));
  }

  saveActivation(runId: number, textId: number, point: string, tensor: Tensor): void {
    this.transaction(() => activations.saveActivation(this.db, runId, textId, point, tensor));
  }

  readActivation(runId: number, textId: number, point: string): Tensor | undefined {
    return this.guard(() => activations.readActivation(this.db, runId, textId, point));
  }

  listActivations(runId: number): ActivationInfo[] {
    return this.guard(() => activations.listActivations(this.db, runId));
  }

  /** Marks texts done; inside `transaction` with the stats they produced, or use `commitBatch`. */
  markTextsDone(runId: number, texts: readonly (number | DoneText)[]): void {
    this.transaction(() => progress.markTextsDone(this.db, runId, texts));
  }

  doneTextIds(runId: number): Set<number> {
    return this.guard(() => progress.doneTextIds(this.db, runId));
  }

  /**
   * Writes a capture batch (stats deltas, pooled vectors, raw activations) and marks its texts done,
   * in one transaction: after a kill either all of it is stored or none, so resuming never counts twice.
   */
  commitBatch(runId: number, batch: CaptureBatch): void {
    this.transaction(() => {
      for (const delta of batch.stats ?? []) neuronStats.addNeuronStats(this.db, runId, delta.layer, delta.lang, delta);
      for (const delta of batch.textGroups ?? []) textGroups.addTextGroupCounts(this.db, runId, delta);
      if (batch.pooled) pooled.insertPooled(this.db, runId, batch.pooled, false);
      for (const a of batch.activations ?? []) activations.saveActivation(this.db, runId, a.textId, a.point, a.tensor);
      progress.markTextsDone(this.db, runId, batch.done);
    });
  }

  // Shards

  /**
   * Adds another store's capture run into one of this store's (see merge.ts): all of it in one
   * transaction, with `alsoInTransaction`; refuses texts counted already, skips a source merged before.
   */
  mergeCaptureRun(target: MergeTarget, source: MergeSource, alsoInTransaction: () => void = () => {}): MergeOutcome {
    return this.guard(() => merge.mergeCaptureRun(this.db, target, source, alsoInTransaction));
  }

  /** The shards merged into a run, in merge order. */
  mergedShards(runId: number): MergedShard[] {
    return this.guard(() => merge.mergedShards(this.db, runId));
  }

  // Results

  /**
   * Stores a result with its provenance (params, input runs and results by role, partial when an input
   * run is not done); kinds that keep one result per run replace the earlier one. Returns its id.
   */
  saveResult<K extends ResultKind>(kind: K, result: NewResult<K>): number {
    return this.transaction(() => results.saveResult(this.db, kind, result));
  }

  latestResult<K extends ResultKind>(runId: number | null, kind: K, params?: ParamsOf<K>): StoredResult<K> | undefined {
    return this.guard(() => results.latestResult(this.db, runId, kind, params));
  }

  /** A result by id; with `kind`, only if it is of that kind (typed accordingly). */
  findResult<K extends ResultKind = ResultKind>(id: number, kind?: K): StoredResult<K> | undefined {
    const r = this.guard(() => results.findResult(this.db, id));
    return r && (kind === undefined || r.kind === kind) ? (r as StoredResult<K>) : undefined;
  }

  /** Results of this kind, oldest first (of one run when `runId` is given). */
  listResults<K extends ResultKind>(kind: K, runId?: number | null): StoredResult<K>[] {
    return this.guard(() => results.listResults(this.db, kind, runId));
  }

  /** `PRAGMA integrity_check`: `['ok']` for a sound file. */
  integrityCheck(): string[] {
    return this.guard(() => this.db.pragma('integrity_check', { simple: false }) as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw storeUserError(e, this.path, this.busyTimeoutMs);
    }
  }
}
