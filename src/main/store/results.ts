import type { Database } from 'better-sqlite3';
import { canonicalJson } from './json.js';
import { now, statement } from './statements.js';
import type { StoredResult } from './types.js';

interface ResultRow {
  id: number;
  run_id: number | null;
  kind: string;
  params_json: string;
  result_json: string;
  created_at: string;
}

/** Stores an analysis result as JSON (typed arrays become arrays); returns its id. */
export function saveResult(db: Database, runId: number | null, kind: string, params: unknown, result: unknown): number {
  return Number(
    statement(db, 'INSERT INTO results (run_id, kind, params_json, result_json, created_at) VALUES (?, ?, ?, ?, ?)').run(
      runId,
      kind,
      canonicalJson(params ?? {}),
      canonicalJson(result),
      now(),
    ).lastInsertRowid,
  );
}

/** Stores a result that supersedes every earlier one of its kind for the run (running totals). */
export function replaceResult(db: Database, runId: number | null, kind: string, params: unknown, result: unknown): number {
  statement(db, 'DELETE FROM results WHERE run_id IS ? AND kind = ?').run(runId, kind);
  return saveResult(db, runId, kind, params, result);
}

/** The newest result of this kind for the run (null: results not tied to one run), optionally with these exact params. */
export function latestResult<T = unknown>(db: Database, runId: number | null, kind: string, params?: unknown): StoredResult<T> | undefined {
  const row = (
    params === undefined
      ? statement(db, 'SELECT * FROM results WHERE run_id IS ? AND kind = ? ORDER BY id DESC LIMIT 1').get(runId, kind)
      : statement(db, 'SELECT * FROM results WHERE run_id IS ? AND kind = ? AND params_json = ? ORDER BY id DESC LIMIT 1').get(runId, kind, canonicalJson(params))
  ) as ResultRow | undefined;
  if (!row) return undefined;
  return {
    id: row.id,
    runId: row.run_id,
    kind: row.kind,
    params: JSON.parse(row.params_json) as unknown,
    result: JSON.parse(row.result_json) as T,
    createdAt: row.created_at,
  };
}
