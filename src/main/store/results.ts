/** Writing and reading analysis results by kind (src/shared/result-kinds.ts), with their provenance. */
import type { Database } from 'better-sqlite3';
import { UserError } from '../../shared/errors.js';
import {
  isResultKind,
  RESULT_KINDS,
  targetAccepts,
  type InputsOf,
  type InputTarget,
  type ParamsOf,
  type ResultInput,
  type ResultKind,
  type ResultOf,
  type RunStatus,
  type StoredResult,
} from '../../shared/result-kinds.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import { now, statement } from './statements.js';

interface ResultRow {
  id: number;
  run_id: number | null;
  kind: string;
  params_json: string;
  result_json: string;
  created_at: string;
  partial: number;
}

interface InputRow {
  role: string;
  run_id: number | null;
  input_result_id: number | null;
  run_status: RunStatus | null;
}

/** What a writer gives for a result of kind K. */
export interface NewResult<K extends ResultKind> {
  /** The run it belongs to; null for results spanning runs. */
  runId: number | null;
  params: ParamsOf<K>;
  result: ResultOf<K>;
  /** role → run id or result id, as the kind's table entry names them. */
  inputs: InputsOf<K>;
}

/**
 * Stores a result (typed arrays become arrays) with its inputs, each input run's current status and
 * whether it is partial; returns its id. For kinds that keep one result per run (`replaces`), the
 * earlier one is removed. Call inside a transaction.
 */
export function saveResult<K extends ResultKind>(db: Database, kind: K, r: NewResult<K>): number {
  const info = RESULT_KINDS[kind];
  const targets = info.inputs as Record<string, InputTarget>;
  const given = r.inputs as Record<string, number>;
  for (const role of Object.keys(given)) if (!(role in targets)) throw new Error(`result kind ${kind} has no input role "${role}"`);
  let partial = false;
  const inputs: InputRow[] = Object.entries(targets).map(([role, target]) => {
    const id = given[role];
    if (id === undefined) throw new Error(`result kind ${kind} needs its input "${role}"`);
    if (target === 'run') {
      const status = statement(db, 'SELECT status FROM runs WHERE id = ?').pluck().get(id) as RunStatus | undefined;
      if (status === undefined) throw new UserError(`no run #${id} in this store`, 'Pass the id of one of its runs.');
      partial ||= status !== 'done';
      return { role, run_id: id, input_result_id: null, run_status: status };
    }
    const input = statement(db, 'SELECT kind, partial FROM results WHERE id = ?').get(id) as { kind: string; partial: number } | undefined;
    if (!input || !targetAccepts(target, input.kind)) {
      const what = target === 'neuron-selection' ? 'neuron selection (a lape or selectivity result)' : `${target} result`;
      throw new UserError(`no ${what} #${id} in this store`, `Pass the id of a ${what}.`);
    }
    partial ||= input.partial === 1;
    return { role, run_id: null, input_result_id: id, run_status: null };
  });
  if (info.replaces) statement(db, 'DELETE FROM results WHERE run_id IS ? AND kind = ?').run(r.runId, kind);
  const id = Number(
    statement(db, 'INSERT INTO results (run_id, kind, params_json, result_json, created_at, partial) VALUES (?, ?, ?, ?, ?, ?)').run(
      r.runId,
      kind,
      canonicalJson(r.params ?? {}),
      canonicalJson(r.result),
      now(),
      partial ? 1 : 0,
    ).lastInsertRowid,
  );
  const insert = statement(db, 'INSERT INTO result_inputs (result_id, role, run_id, input_result_id, run_status) VALUES (?, ?, ?, ?, ?)');
  for (const i of inputs) insert.run(id, i.role, i.run_id, i.input_result_id, i.run_status);
  return id;
}

/** The newest result of this kind for the run (null: results not tied to one run), optionally with these exact params. */
export function latestResult<K extends ResultKind>(db: Database, runId: number | null, kind: K, params?: ParamsOf<K>): StoredResult<K> | undefined {
  const row = (
    params === undefined
      ? statement(db, 'SELECT * FROM results WHERE run_id IS ? AND kind = ? ORDER BY id DESC LIMIT 1').get(runId, kind)
      : statement(db, 'SELECT * FROM results WHERE run_id IS ? AND kind = ? AND params_json = ? ORDER BY id DESC LIMIT 1').get(runId, kind, canonicalJson(params))
  ) as ResultRow | undefined;
  return row && toStored<K>(db, row);
}

/** A result by id, of any kind. */
export function findResult(db: Database, id: number): StoredResult | undefined {
  const row = statement(db, 'SELECT * FROM results WHERE id = ?').get(id) as ResultRow | undefined;
  return row && toStored(db, row);
}

/** The results of this kind, oldest first (of one run when `runId` is given). */
export function listResults<K extends ResultKind>(db: Database, kind: K, runId?: number | null): StoredResult<K>[] {
  const rows = (
    runId === undefined
      ? statement(db, 'SELECT * FROM results WHERE kind = ? ORDER BY id').all(kind)
      : statement(db, 'SELECT * FROM results WHERE kind = ? AND run_id IS ? ORDER BY id').all(kind, runId)
  ) as ResultRow[];
  return rows.map((row) => toStored<K>(db, row));
}

function toStored<K extends ResultKind>(db: Database, row: ResultRow): StoredResult<K> {
  const targets = (RESULT_KINDS as Record<string, { inputs: Record<string, InputTarget> } | undefined>)[row.kind]?.inputs ?? {};
  const rows = statement(
    db,
    'SELECT i.role, i.run_id, i.input_result_id, i.run_status, r.kind AS input_kind FROM result_inputs i LEFT JOIN results r ON r.id = i.input_result_id WHERE i.result_id = ? ORDER BY i.role',
  ).all(row.id) as (InputRow & { input_kind: string | null })[];
  const inputs = rows.map(
    (i): ResultInput => ({
      role: i.role,
      // The input's own kind (`lape` or `selectivity` for a `neuron-selection`), while it exists.
      target: i.input_kind !== null && isResultKind(i.input_kind) ? i.input_kind : (targets[i.role] ?? 'run'),
      id: i.run_id ?? i.input_result_id,
      runStatus: i.run_status,
    }),
  );
  return {
    id: row.id,
    runId: row.run_id,
    kind: row.kind as K,
    params: JSON.parse(row.params_json) as ParamsOf<K>,
    result: JSON.parse(row.result_json) as ResultOf<K>,
    inputs,
    partial: row.partial === 1,
    createdAt: row.created_at,
  };
}
