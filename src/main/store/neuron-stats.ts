import type { Database } from 'better-sqlite3';
import { float64FromBlob, parseShape, shapeJson, toBlob } from './blobs.js';
import { statement } from './statements.js';
import type { NeuronCounts, NeuronStats } from './types.js';

export interface StatsRow {
  layer: number;
  lang: string;
  token_count: number;
  shape: string;
  positive_counts: Buffer;
  sums: Buffer;
  sum_squares: Buffer;
}

/** Adds counts to the (run, layer, lang) row, creating it if needed. Call inside a transaction. */
export function addNeuronStats(db: Database, runId: number, layer: number, lang: string, counts: NeuronCounts): void {
  const width = counts.positiveCounts.length;
  if (counts.sums.length !== width || counts.sumSquares.length !== width) {
    throw new Error(`neuron stats vectors differ in length (${width}, ${counts.sums.length}, ${counts.sumSquares.length})`);
  }
  const existing = statement(
    db,
    'SELECT layer, lang, token_count, shape, positive_counts, sums, sum_squares FROM neuron_stats WHERE run_id = ? AND layer = ? AND lang = ?',
  ).get(runId, layer, lang) as StatsRow | undefined;
  if (!existing) {
    statement(
      db,
      `INSERT INTO neuron_stats (run_id, layer, lang, token_count, shape, dtype, positive_counts, sums, sum_squares)
       VALUES (?, ?, ?, ?, ?, 'float64', ?, ?, ?)`,
    ).run(runId, layer, lang, counts.tokens, shapeJson([width]), toBlob(counts.positiveCounts), toBlob(counts.sums), toBlob(counts.sumSquares));
    return;
  }
  const stored = toCounts(existing);
  if (stored.positiveCounts.length !== width) {
    throw new Error(`neuron stats of run ${runId} layer ${layer} have width ${stored.positiveCounts.length}, not ${width}`);
  }
  addInto(stored.positiveCounts, counts.positiveCounts);
  addInto(stored.sums, counts.sums);
  addInto(stored.sumSquares, counts.sumSquares);
  statement(db, 'UPDATE neuron_stats SET token_count = ?, positive_counts = ?, sums = ?, sum_squares = ? WHERE run_id = ? AND layer = ? AND lang = ?').run(
    stored.tokens + counts.tokens,
    toBlob(stored.positiveCounts),
    toBlob(stored.sums),
    toBlob(stored.sumSquares),
    runId,
    layer,
    lang,
  );
}

/** Every layer × language of a run. */
export function readNeuronStats(db: Database, runId: number): NeuronStats {
  const rows = statement(
    db,
    'SELECT layer, lang, token_count, shape, positive_counts, sums, sum_squares FROM neuron_stats WHERE run_id = ? ORDER BY layer, lang',
  ).all(runId) as StatsRow[];
  const numLayers = rows.reduce((max, r) => Math.max(max, r.layer + 1), 0);
  const layers: Array<Record<string, NeuronCounts>> = Array.from({ length: numLayers }, () => ({}));
  const languages = new Set<string>();
  let width = 0;
  for (const row of rows) {
    const counts = toCounts(row);
    layers[row.layer]![row.lang] = counts;
    languages.add(row.lang);
    width = counts.positiveCounts.length;
  }
  return { languages: [...languages].sort(), numLayers, width, layers };
}

/** All languages of one layer: `{ [lang]: counts }`. */
export function readLayerStats(db: Database, runId: number, layer: number): Record<string, NeuronCounts> {
  const rows = statement(
    db,
    'SELECT layer, lang, token_count, shape, positive_counts, sums, sum_squares FROM neuron_stats WHERE run_id = ? AND layer = ? ORDER BY lang',
  ).all(runId, layer) as StatsRow[];
  const byLang: Record<string, NeuronCounts> = {};
  for (const row of rows) byLang[row.lang] = toCounts(row);
  return byLang;
}

export function toCounts(row: StatsRow): NeuronCounts {
  const counts = {
    tokens: row.token_count,
    positiveCounts: float64FromBlob(row.positive_counts),
    sums: float64FromBlob(row.sums),
    sumSquares: float64FromBlob(row.sum_squares),
  };
  const [width] = parseShape(row.shape);
  if (counts.positiveCounts.length !== width || counts.sums.length !== width || counts.sumSquares.length !== width) {
    throw new Error(`neuron_stats row (layer ${row.layer}, ${row.lang}) does not match its shape ${row.shape}`);
  }
  return counts;
}

function addInto(target: Float64Array, delta: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i]! += delta[i]!;
}
