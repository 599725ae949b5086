import type { Database } from 'better-sqlite3';
import { canonicalJson } from '../../shared/canonical-json.js';

/** `PRAGMA application_id` of a Babelscope store ("BSCP"): tells our files from other SQLite files. */
export const APPLICATION_ID = 0x42534350;

/**
 * Schema migrations: migration i takes user_version i to i + 1 and runs in one transaction with the
 * version bump, with foreign keys off (so a table can be rebuilt, SQLite's documented way to change a
 * constraint) and checked afterwards. Append only; never edit a released migration. SCHEMA.md
 * documents the result.
 */
export const migrations: ReadonlyArray<(db: Database) => void> = [
  function initialSchema(db) {
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.exec(`
      CREATE TABLE corpora (
        id INTEGER PRIMARY KEY,
        spec TEXT NOT NULL,
        content_hash TEXT NOT NULL UNIQUE,
        n_texts INTEGER NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE texts (
        id INTEGER PRIMARY KEY,
        corpus_id INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
        lang TEXT NOT NULL,
        key TEXT NOT NULL,
        text TEXT NOT NULL,
        UNIQUE (corpus_id, lang, key)
      );
      CREATE VIEW languages AS
        SELECT corpus_id, lang, COUNT(*) AS n_texts, SUM(length(text)) AS n_chars
        FROM texts GROUP BY corpus_id, lang;
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        corpus_id INTEGER REFERENCES corpora(id),
        model_dir TEXT NOT NULL,
        model_hash TEXT NOT NULL,
        model_json TEXT NOT NULL,
        device TEXT,
        params_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed'))
      );
      CREATE TABLE capture_progress (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        text_id INTEGER NOT NULL REFERENCES texts(id),
        n_tokens INTEGER,
        done_at TEXT NOT NULL,
        PRIMARY KEY (run_id, text_id)
      ) WITHOUT ROWID;
      CREATE TABLE neuron_stats (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        layer INTEGER NOT NULL,
        lang TEXT NOT NULL,
        token_count INTEGER NOT NULL,
        shape TEXT NOT NULL,
        dtype TEXT NOT NULL,
        positive_counts BLOB NOT NULL,
        sums BLOB NOT NULL,
        sum_squares BLOB NOT NULL,
        PRIMARY KEY (run_id, layer, lang)
      );
      CREATE TABLE pooled (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        layer INTEGER NOT NULL,
        text_id INTEGER NOT NULL REFERENCES texts(id),
        shape TEXT NOT NULL,
        dtype TEXT NOT NULL,
        mean BLOB NOT NULL,
        last BLOB NOT NULL,
        PRIMARY KEY (run_id, layer, text_id)
      );
      CREATE TABLE activations (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        text_id INTEGER NOT NULL REFERENCES texts(id),
        point TEXT NOT NULL,
        shape TEXT NOT NULL,
        dtype TEXT NOT NULL,
        data BLOB NOT NULL,
        UNIQUE (run_id, text_id, point)
      );
      CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        params_json TEXT NOT NULL,
        result_json TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX results_by_run_kind ON results (run_id, kind, id);
    `);
  },
  function pooledChoicesAndShards(db) {
    // Pooled vectors become optional per kind (a capture may keep only the mean or only the last token)
    // and may be float16; rows written before keep their float32 BLOBs and stay readable.
    db.exec(`
      CREATE TABLE pooled_v2 (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        layer INTEGER NOT NULL,
        text_id INTEGER NOT NULL REFERENCES texts(id),
        shape TEXT NOT NULL,
        dtype TEXT NOT NULL CHECK (dtype IN ('float16', 'float32')),
        mean BLOB,
        last BLOB,
        PRIMARY KEY (run_id, layer, text_id)
      );
      INSERT INTO pooled_v2 (run_id, layer, text_id, shape, dtype, mean, last)
        SELECT run_id, layer, text_id, shape, dtype, mean, last FROM pooled;
      DROP TABLE pooled;
      ALTER TABLE pooled_v2 RENAME TO pooled;
      CREATE TABLE merged_shards (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        source_path TEXT NOT NULL,
        source_run TEXT NOT NULL,
        source_params_json TEXT NOT NULL,
        n_texts INTEGER NOT NULL,
        texts_hash TEXT NOT NULL,
        merged_at TEXT NOT NULL,
        UNIQUE (run_id, texts_hash)
      );
    `);
  },

  /**
   * Provenance: runs may be `interrupted`; every result records the runs and results it was computed
   * from (`result_inputs`) and whether that data was partial. Existing results get their run as
   * input (but working-language results, which read none of it), and an ablation the LAPE selection it used (the run's latest one saved before it) and
   * today's result shape.
   */
  function resultProvenance(db) {
    db.exec(`
      CREATE TABLE runs_v2 (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        corpus_id INTEGER REFERENCES corpora(id),
        model_dir TEXT NOT NULL,
        model_hash TEXT NOT NULL,
        model_json TEXT NOT NULL,
        device TEXT,
        params_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted'))
      );
      INSERT INTO runs_v2 SELECT * FROM runs;
      DROP TABLE runs;
      ALTER TABLE runs_v2 RENAME TO runs;
      ALTER TABLE results ADD COLUMN partial INTEGER NOT NULL DEFAULT 0 CHECK (partial IN (0, 1));
      CREATE TABLE result_inputs (
        result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        input_result_id INTEGER REFERENCES results(id) ON DELETE SET NULL,
        run_status TEXT,
        PRIMARY KEY (result_id, role)
      ) WITHOUT ROWID;
      CREATE INDEX result_inputs_by_input ON result_inputs (input_result_id);
      INSERT INTO result_inputs (result_id, role, run_id, run_status)
        SELECT results.id, 'run', runs.id, runs.status FROM results JOIN runs ON runs.id = results.run_id
        WHERE results.kind <> 'working-language';
      INSERT INTO result_inputs (result_id, role, input_result_id)
        SELECT a.id, 'selection', (SELECT max(l.id) FROM results l WHERE l.run_id = a.run_id AND l.kind = 'lape' AND l.id < a.id)
        FROM results a WHERE a.kind = 'ablation';
      UPDATE results SET partial = 1 WHERE kind <> 'working-language' AND run_id IN (SELECT id FROM runs WHERE status <> 'done');
      UPDATE results SET partial = 1 WHERE kind = 'ablation' AND EXISTS (
        SELECT 1 FROM result_inputs i JOIN results l ON l.id = i.input_result_id WHERE i.result_id = results.id AND l.partial = 1);
    `);
    // Ablations stored before chance levels and strict wins: their diagonal again from their own NLL
    // (ties are no longer wins; margins added; no random sets were drawn).
    const update = db.prepare('UPDATE results SET result_json = ? WHERE id = ?');
    for (const row of db.prepare("SELECT id, result_json FROM results WHERE kind = 'ablation'").all() as { id: number; result_json: string }[]) {
      const old = JSON.parse(row.result_json) as { deactivated: string[]; evaluated: string[]; baseline: (number | null)[]; nll: (number | null)[][]; randomDraws?: number };
      if (old.randomDraws !== undefined) continue;
      const byLang = (values: readonly (number | null)[]) => Object.fromEntries(old.evaluated.flatMap((e, j) => (values[j] === null || values[j] === undefined ? [] : [[e, values[j]!]])));
      const ablated = Object.fromEntries(old.deactivated.map((d, i) => [d, byLang(old.nll[i] ?? [])]));
      update.run(canonicalJson(ablationMatrixWithoutChance(byLang(old.baseline), ablated)), row.id);
    }
  },

  /**
   * MEXA's sentence embedding: pooled rows get a `wmean` column (position-weighted mean, null in rows
   * written before); rows at layer −1 (embedding output) and at the layer count (final norm's output)
   * may now exist. Nothing stored changes.
   */
  function pooledWeightedMean(db) {
    db.exec(`ALTER TABLE pooled ADD COLUMN wmean BLOB;`);
    // Alignment results stored before the permutation baseline and intervals: today's shape, with
    // null bands and intervals and `chanceMethod: null` (their chance levels stay the analytic ones).
    const update = db.prepare('UPDATE results SET result_json = ? WHERE id = ?');
    for (const row of db.prepare("SELECT id, result_json FROM results WHERE kind = 'alignment'").all() as { id: number; result_json: string }[]) {
      const r = JSON.parse(row.result_json) as {
        languages: string[];
        layers: Record<string, unknown>[];
        pivot: Record<string, unknown> | null;
        chanceMethod?: unknown;
      };
      if (r.chanceMethod !== undefined) continue;
      const nulls = () => r.languages.map(() => r.languages.map(() => null));
      for (const layer of r.layers) {
        layer['chanceBand'] = { retrieval: nulls(), mexa: nulls() };
        layer['intervals'] = { retrieval: nulls(), mexa: nulls() };
      }
      if (r.pivot) {
        const perLayer = () => Object.fromEntries(r.languages.map((l) => [l, r.layers.map(() => null)]));
        for (const key of ['chanceMexaByLayer', 'mexaChanceBand', 'mexaInterval', 'retrievalChanceBand', 'retrievalInterval']) r.pivot[key] = perLayer();
      }
      r.chanceMethod = null;
      update.run(canonicalJson(r), row.id);
    }
  },

  /**
   * Per-text activation counts for text-level tests (analysis/selectivity.ts): each language's texts are
   * dealt into a fixed number of groups (the run's `textGroups`), and per group, layer and neuron the
   * count of activations > 0 is summed, as uint32. Sums, so batches, resumes and shard merges add them.
   */
  function textGroupCounts(db) {
    db.exec(`
      CREATE TABLE neuron_text_groups (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        layer INTEGER NOT NULL,
        lang TEXT NOT NULL,
        grp INTEGER NOT NULL,
        n_texts INTEGER NOT NULL,
        token_count INTEGER NOT NULL,
        shape TEXT NOT NULL,
        dtype TEXT NOT NULL CHECK (dtype IN ('uint32')),
        positive_counts BLOB NOT NULL,
        PRIMARY KEY (run_id, layer, lang, grp)
      );
    `);
  },

  /**
   * The selection method in the result kind: selections by the selectivity method, stored until now as
   * kind `lape` with `method: "selectivity"` in their params, become kind `selectivity` (their params
   * without `method`, which the kind now says). Their results and the ablations made from them are unchanged.
   */
  function selectivityKind(db) {
    db.exec(`
      UPDATE results SET kind = 'selectivity', params_json = json_remove(params_json, '$.method')
      WHERE kind = 'lape' AND json_extract(params_json, '$.method') = 'selectivity';
    `);
  },
];

export const SCHEMA_VERSION = migrations.length;

/**
 * The deactivation matrix as migration 3 writes it for an ablation stored without chance levels: deltas,
 * strict row and column wins with their margins, no random sets, no intervals. A frozen copy of what
 * analysis/ablation-matrix.ts computed from such an input when the migration was written: a migration
 * must give the same result whenever it runs, whatever the analysis becomes later.
 */
function ablationMatrixWithoutChance(baselineByLang: Record<string, number>, ablatedByLang: Record<string, Record<string, number>>): unknown {
  const deactivated = Object.keys(ablatedByLang);
  const evaluated = Object.keys(baselineByLang);
  for (const d of deactivated) for (const e of Object.keys(ablatedByLang[d]!)) if (!evaluated.includes(e)) evaluated.push(e);
  const finite = (v: number | undefined, what: string): number | null => {
    if (v === undefined) return null;
    if (!Number.isFinite(v)) throw new Error(`migration 3: ${what} is not a finite number (${v})`);
    return v;
  };
  const baseline = evaluated.map((e) => finite(baselineByLang[e], `baseline NLL of ${e}`));
  const nll = deactivated.map((d) => evaluated.map((e) => finite(ablatedByLang[d]![e], `NLL of ${e} with ${d} deactivated`)));
  const delta = nll.map((row) => row.map((v, j) => (v === null || baseline[j] === null ? null : v - baseline[j]!)));
  const maxOther = (values: readonly (number | null)[], skip: number): number | null => {
    let m: number | null = null;
    values.forEach((v, k) => {
      if (k !== skip && v !== null && (m === null || v > m)) m = v;
    });
    return m;
  };
  const diagonal: Record<string, unknown> = {};
  let rowMaxCount = 0;
  let columnMaxCount = 0;
  deactivated.forEach((lang, i) => {
    const j = evaluated.indexOf(lang);
    if (j < 0) return;
    const d = delta[i]![j]!;
    const rowOther = maxOther(delta[i]!, j);
    const colOther = maxOther(
      delta.map((row) => row[j]!),
      i,
    );
    const rowMargin = d === null || rowOther === null ? null : d - rowOther;
    const columnMargin = d === null || colOther === null ? null : d - colOther;
    const isRowMax = rowMargin === null ? null : rowMargin > 0;
    const isColumnMax = columnMargin === null ? null : columnMargin > 0;
    if (isRowMax) rowMaxCount++;
    if (isColumnMax) columnMaxCount++;
    diagonal[lang] = { delta: d, isRowMax, isColumnMax, rowMargin, columnMargin, randomDelta: null, excessOverRandom: null };
  });
  return { deactivated, evaluated, baseline, nll, delta, randomDelta: null, randomDraws: 0, diagonal, rowMaxCount, columnMaxCount, diagonalSize: Object.keys(diagonal).length };
}
