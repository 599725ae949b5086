import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { UserError } from '../../shared/errors.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import { now, statement } from './statements.js';
import type { ModelRef } from '../../shared/model-types.js';
import type { NewRun, RunRecord, RunStatus } from './types.js';

interface RunRow {
  id: number;
  name: string;
  kind: string;
  corpus_id: number | null;
  model_dir: string;
  model_hash: string;
  model_json: string;
  device: string | null;
  params_json: string;
  created_at: string;
  finished_at: string | null;
  status: RunStatus;
}

export function createRun(db: Database, run: NewRun): RunRecord {
  if (run.name !== undefined && findRun(db, run.name)) {
    throw new UserError(`A run named "${run.name}" already exists in this store.`, 'Pick another name, or resume that run.');
  }
  const { lastInsertRowid } = statement(
    db,
    `INSERT INTO runs (name, kind, corpus_id, model_dir, model_hash, model_json, device, params_json, created_at, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')`,
  ).run(
    run.name ?? randomUUID(),
    run.kind,
    run.corpusId ?? null,
    run.model.dir,
    run.model.hash,
    canonicalJson(run.model),
    run.device ?? null,
    canonicalJson(run.params ?? {}),
    now(),
  );
  const id = Number(lastInsertRowid);
  if (run.name === undefined) statement(db, 'UPDATE runs SET name = ? WHERE id = ?').run(`${run.kind}-${id}`, id);
  return findRun(db, id)!;
}

/** A run by id (number) or by name (string). */
export function findRun(db: Database, nameOrId: string | number): RunRecord | undefined {
  const row = (
    typeof nameOrId === 'number'
      ? statement(db, 'SELECT * FROM runs WHERE id = ?').get(nameOrId)
      : statement(db, 'SELECT * FROM runs WHERE name = ?').get(nameOrId)
  ) as RunRow | undefined;
  return row && toRecord(row);
}

export function listRuns(db: Database): RunRecord[] {
  return (statement(db, 'SELECT * FROM runs ORDER BY id').all() as RunRow[]).map(toRecord);
}

/**
 * Resumes the named run or creates it. Resuming with another model, kind or params is a UserError:
 * mixing them would silently corrupt the statistics. A failed or interrupted run is set running again.
 */
export function openRun(db: Database, path: string, run: NewRun & { name: string }): { run: RunRecord; resumed: boolean } {
  const existing = findRun(db, run.name);
  if (!existing) return { run: createRun(db, run), resumed: false };
  assertSameModel(existing, run.model, path);
  if (existing.kind !== run.kind) {
    throw new UserError(`Run "${run.name}" in ${path} is a ${existing.kind} run, not ${run.kind}.`, 'Use another run name.');
  }
  const params = canonicalJson(run.params ?? {});
  if (canonicalJson(existing.params) !== params) {
    throw new UserError(
      `Run "${run.name}" in ${path} was made with other parameters: ${truncate(canonicalJson(existing.params))}, not ${truncate(params)}.`,
      'Resume it with the same parameters, or use another run name.',
    );
  }
  if (existing.status === 'failed' || existing.status === 'interrupted') setRunStatus(db, existing.id, 'running');
  return { run: findRun(db, existing.id)!, resumed: true };
}

/** UserError unless the run was made with this model (same hash). */
export function assertSameModel(run: RunRecord, model: ModelRef, path: string): void {
  if (run.modelHash === model.hash) return;
  throw new UserError(
    `Run "${run.name}" in ${path} was made with model ${run.modelDir} (sha256 ${run.modelHash.slice(0, 12)}…), ` +
      `not ${model.dir} (sha256 ${model.hash.slice(0, 12)}…).`,
    'Use the model it was made with, another run name, or another store file.',
  );
}

export function setRunStatus(db: Database, runId: number, status: RunStatus): void {
  statement(db, 'UPDATE runs SET status = ?, finished_at = ? WHERE id = ?').run(status, status === 'running' ? null : now(), runId);
}

export function deleteRun(db: Database, runId: number): void {
  statement(db, 'DELETE FROM runs WHERE id = ?').run(runId);
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    corpusId: row.corpus_id,
    modelDir: row.model_dir,
    modelHash: row.model_hash,
    model: JSON.parse(row.model_json) as ModelRef,
    device: row.device,
    params: JSON.parse(row.params_json) as unknown,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    status: row.status,
  };
}

function truncate(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
