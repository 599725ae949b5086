import type { Database } from 'better-sqlite3';
import { now, statement } from './statements.js';
import type { DoneText } from './types.js';

/** Marks texts of a run as captured; call in the transaction that stores what they produced. */
export function markTextsDone(db: Database, runId: number, texts: readonly (number | DoneText)[]): void {
  const insert = statement(db, 'INSERT INTO capture_progress (run_id, text_id, n_tokens, done_at) VALUES (?, ?, ?, ?)');
  const at = now();
  for (const text of texts) {
    const { textId, nTokens } = typeof text === 'number' ? { textId: text, nTokens: undefined } : text;
    insert.run(runId, textId, nTokens ?? null, at);
  }
}

export function doneTextIds(db: Database, runId: number): Set<number> {
  return new Set(statement(db, 'SELECT text_id FROM capture_progress WHERE run_id = ?').pluck().all(runId) as number[]);
}
