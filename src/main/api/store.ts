/** The project store as the API shows it: runs, results, and SQL over its tables (SCHEMA.md). */
import { existsSync } from 'node:fs';
import { isUserError, UserError } from '../../shared/errors.js';
import type { ResultKind } from '../../shared/result-kinds.js';
import { openStore as openInternalStore, type RunRecord, type Store, type StoredResult } from '../store/index.js';
import { storeUserError } from '../store/sqlite-errors.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** Open without writing (a missing file is then an error). Default false. */
  readonly?: boolean;
  /** Create the file when it does not exist. Default true unless `readonly`. */
  create?: boolean;
}

/** A stored result without its body (see `ProjectStore.result` for the body). */
export interface ResultInfo {
  id: number;
  /** The run it belongs to; null for results not tied to one run. */
  runId: number | null;
  /** What it is: a kind of the result-kind table (`lape`, `ablation`, `nll`, `working-language`, …). */
  kind: ResultKind;
  /** The exact parameters it was computed with. */
  params: unknown;
  /** True when it was computed from a capture that had not finished (or from such a result). */
  partial: boolean;
  createdAt: string;
}

const inner = new WeakMap<ProjectStore, Store>();

/**
 * One SQLite store file (WAL): corpora, runs, per-language neuron statistics, pooled vectors and
 * analysis results. Tables are documented in `src/main/store/SCHEMA.md`; `sqlite3`, DuckDB and pandas
 * read the file too. Made by `openStore`; call `close()` when done.
 */
export class ProjectStore {
  private constructor(store: Store) {
    inner.set(this, store);
  }

  /** Same as `openStore(path, options)`. */
  static open(path: string, options: OpenStoreOptions = {}): ProjectStore {
    const readonly = options.readonly ?? false;
    if (typeof path !== 'string' || path.trim() === '') {
      throw new UserError('the store path is empty', 'Pass the path of a store file, e.g. project.db (made by `babelscope capture DIR --corpus SRC --db FILE` or capture({ model, store, corpus })).');
    }
    if (!existsSync(path) && (readonly || options.create === false)) {
      throw new UserError(`no such file: ${path}`, 'Create it first with a capture: `babelscope capture DIR --corpus SRC --db FILE`, or capture({ model, store: path, corpus }).');
    }
    return new ProjectStore(openInternalStore(path, { readonly }));
  }

  /** The file's path. */
  get path(): string {
    return internalStore(this).path;
  }

  get readonly(): boolean {
    return internalStore(this).readonly;
  }

  /** Every run, oldest first. */
  runs(): RunRecord[] {
    return internalStore(this).listRuns();
  }

  /** The run with this name or id; a UserError listing the runs when there is none. */
  run(nameOrId: string | number): RunRecord {
    const s = internalStore(this);
    const run = s.findRun(nameOrId);
    if (!run) {
      const names = s.listRuns().map((r) => r.name);
      throw new UserError(`no run "${nameOrId}" in ${s.path}`, names.length ? `Runs here: ${names.join(', ')}.` : 'The store has no runs yet: capture first.');
    }
    return run;
  }

  /** Results, newest first, optionally of one run and/or one kind (bodies left out: see `result`). */
  results(filter: { run?: string | number; kind?: string } = {}): ResultInfo[] {
    const runId = filter.run === undefined ? undefined : this.run(filter.run).id;
    const where = [runId !== undefined ? 'run_id = @runId' : '', filter.kind !== undefined ? 'kind = @kind' : ''].filter(Boolean);
    const rows = this.query<{ id: number; run_id: number | null; kind: ResultKind; params_json: string; partial: number; created_at: string }>(
      `SELECT id, run_id, kind, params_json, partial, created_at FROM results ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`,
      withoutUndefined({ runId, kind: filter.kind }),
    );
    return rows.map((r) => ({ id: r.id, runId: r.run_id, kind: r.kind, params: JSON.parse(r.params_json) as unknown, partial: r.partial === 1, createdAt: r.created_at }));
  }

  /**
   * One result with its body and provenance (the runs and results it was computed from), by id; with
   * `kind`, typed as that kind (a result of another kind is an error).
   */
  result<K extends ResultKind = ResultKind>(id: number, kind?: K): StoredResult<K> {
    const r = internalStore(this).findResult(id, kind);
    if (!r) throw new UserError(`no ${kind ?? ''}${kind ? ' ' : ''}result #${id} in ${this.path}`, 'List them with store.results().');
    return r;
  }

  /** The newest result of this kind for the run, or undefined. */
  latestResult<K extends ResultKind>(run: string | number, kind: K): StoredResult<K> | undefined {
    return internalStore(this).latestResult(this.run(run).id, kind);
  }

  /**
   * Runs one SQL statement with `?` (array) or `@name` (object) parameters. A query returns its rows
   * as objects (BLOB columns as Uint8Array); a statement that returns no rows returns `[]`.
   *
   * @example
   *   store.query('SELECT lang, COUNT(*) AS n FROM texts GROUP BY lang')
   *   store.query('SELECT * FROM runs WHERE name = ?', ['capture'])
   */
  query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] | Record<string, unknown> = []): Row[] {
    const s = internalStore(this);
    try {
      const stmt = s.db.prepare(sql);
      const args = Array.isArray(params) ? params : [params];
      if (stmt.reader) return stmt.all(...args) as Row[];
      stmt.run(...args);
      return [];
    } catch (e) {
      const mapped = storeUserError(e, s.path, 5000);
      if (isUserError(mapped)) throw mapped;
      if ((e as { code?: unknown }).code !== undefined || e instanceof RangeError || e instanceof TypeError) {
        throw new UserError(`SQL failed: ${(e as Error).message}`, 'Check the statement and its parameters against the tables in SCHEMA.md.');
      }
      throw e;
    }
  }

  close(): void {
    internalStore(this).close();
  }
}

/** The internal store behind a ProjectStore (for the API's own modules). */
export function internalStore(store: ProjectStore): Store {
  const s = inner.get(store);
  if (!s) throw new Error('not a store made by openStore');
  if (!s.db.open) throw new UserError(`the store ${s.path} is closed`, 'Open it again with openStore(path).');
  return s;
}

/**
 * Opens (creating and migrating when needed) a store file.
 *
 * @example
 *   const store = openStore('run.db');
 *   store.runs();
 */
export function openStore(path: string, options: OpenStoreOptions = {}): ProjectStore {
  return ProjectStore.open(path, options);
}

/** A store given as a ProjectStore or a path; a path is opened for `fn` and closed after. */
export async function withStore<T>(store: ProjectStore | string, o: { readonly?: boolean; create?: boolean }, fn: (s: Store) => T | Promise<T>): Promise<T> {
  if (typeof store !== 'string') return fn(internalStore(store));
  const opened = openStore(store, o);
  try {
    return await fn(internalStore(opened));
  } finally {
    opened.close();
  }
}

/** Synchronous `withStore`. */
export function withStoreSync<T>(store: ProjectStore | string, o: { readonly?: boolean; create?: boolean }, fn: (s: Store) => T): T {
  if (typeof store !== 'string') return fn(internalStore(store));
  const opened = openStore(store, o);
  try {
    return fn(internalStore(opened));
  } finally {
    opened.close();
  }
}
