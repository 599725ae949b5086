import type { Database } from 'better-sqlite3';
import { UserError } from '../../shared/errors.js';
import { sqliteCode } from './sqlite-errors.js';
import { now, statement } from './statements.js';
import type { DoneText } from './types.js';

/** Marks texts of a run as captured; call in the transaction that stores what they produced. */
export function markTextsDone(db: Database, runId: number, texts: readonly (number | DoneText)[]): void {
  const insert = statement(db, 'INSERT INTO capture_progress (run_id, text_id, n_tokens, done_at) VALUES (?, ?, ?, ?)');
  const at = now();
  for (const text of texts) {
    const { textId, nTokens } = typeof text === 'number' ? { textId: text, nTokens: undefined } : text;
    try {
      insert.run(runId, textId, nTokens ?? null, at);
    } catch (e) {
      // A second done mark means the text was captured twice (two captures of one run at the same
      // time): refusing the batch keeps its statistics from counting double.
      if (sqliteCode(e) === 'SQLITE_CONSTRAINT_PRIMARYKEY')
        throw new UserError(
          `text ${textId} is already marked done in run ${runId}; this batch was not stored`,
          'Another capture may be writing the same run: run one capture per run name at a time, then rerun to resume.',
        );
      throw e;
    }
  }
}

export function doneTextIds(db: Database, runId: number): Set<number> {
  return new Set(statement(db, 'SELECT text_id FROM capture_progress WHERE run_id = ?').pluck().all(runId) as number[]);
}
