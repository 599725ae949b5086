import type { Database } from 'better-sqlite3';

/** `PRAGMA application_id` of a Babelscope store ("BSCP"): tells our files from other SQLite files. */
export const APPLICATION_ID = 0x42534350;

/**
 * Schema migrations: migration i takes user_version i to i + 1 and runs in one transaction with the
 * version bump. Append only; never edit a released migration. SCHEMA.md documents the result.
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
];

export const SCHEMA_VERSION = migrations.length;
