import type { Database } from 'better-sqlite3';
import type { Tensor } from '../../shared/model-types.js';
import { float32FromBlob, parseShape, shapeJson, toBlob } from './blobs.js';
import { statement } from './statements.js';
import type { ActivationInfo } from './types.js';

/** Stores (or replaces) one raw activation tensor of a text at a tap point (`resid_post.3`, …). */
export function saveActivation(db: Database, runId: number, textId: number, point: string, tensor: Tensor): void {
  const size = tensor.dims.reduce((a, b) => a * b, 1);
  if (size !== tensor.data.length) throw new Error(`tensor dims [${tensor.dims.join(', ')}] do not match its ${tensor.data.length} values`);
  statement(db, `INSERT OR REPLACE INTO activations (run_id, text_id, point, shape, dtype, data) VALUES (?, ?, ?, ?, 'float32', ?)`).run(
    runId,
    textId,
    point,
    shapeJson(tensor.dims),
    toBlob(tensor.data),
  );
}

export function readActivation(db: Database, runId: number, textId: number, point: string): Tensor | undefined {
  const row = statement(db, 'SELECT shape, data FROM activations WHERE run_id = ? AND text_id = ? AND point = ?').get(runId, textId, point) as
    | { shape: string; data: Buffer }
    | undefined;
  return row && { data: float32FromBlob(row.data), dims: parseShape(row.shape) };
}

export function listActivations(db: Database, runId: number): ActivationInfo[] {
  const rows = statement(db, 'SELECT text_id AS textId, point, shape FROM activations WHERE run_id = ? ORDER BY text_id, point').all(runId) as Array<{
    textId: number;
    point: string;
    shape: string;
  }>;
  return rows.map((r) => ({ textId: r.textId, point: r.point, shape: parseShape(r.shape) }));
}
