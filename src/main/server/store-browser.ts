/**
 * The store browser's backend: lists the workspace's store files and shows one store's runs, results
 * and tables, and runs SQL over it. Every store is opened read-only through the public API, so a
 * statement that would write is refused by SQLite itself; the SQL box's statements run in a process
 * of their own that is killed after a time limit (store-query-process.ts).
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { STORE_QUERY_LIMIT, type SqlValue, type StoreFileInfo, type StoreOverview, type StoreQueryResult } from '../../shared/backend-contract.js';
import { UserError } from '../../shared/errors.js';
import { openStore, type ProjectStore } from '../api/index.js';
import { runInQueryProcess, type QueryProcessOptions } from './store-query-process.js';
import type { Workspace } from './workspace.js';

const MAX_DEPTH = 4;
const MAX_FILES = 500;

/** `*.db` files under the workspace (dot folders and node_modules skipped), newest first. */
export async function listStores(workspace: Workspace): Promise<StoreFileInfo[]> {
  const found: StoreFileInfo[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (found.length >= MAX_FILES || e.name.startsWith('.')) continue;
      const abs = join(dir, e.name);
      if (e.isDirectory() && e.name !== 'node_modules' && depth < MAX_DEPTH) await walk(abs, depth + 1);
      else if (e.isFile() && e.name.endsWith('.db')) {
        const s = await stat(abs);
        found.push({ path: relative(workspace.root, abs).split(sep).join('/'), sizeBytes: s.size, mtimeMs: s.mtimeMs });
      }
    }
  };
  await walk(workspace.root, 0);
  return found.sort((a, b) => b.mtimeMs - a.mtimeMs);
}

async function withReadOnlyStore<T>(workspace: Workspace, path: string, fn: (s: ProjectStore) => T): Promise<T> {
  const store = openStore(await workspace.resolve(path), { readonly: true });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

export function storeOverview(workspace: Workspace, path: string): Promise<StoreOverview> {
  return withReadOnlyStore(workspace, path, (store) => {
    const tables = store
      .query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .map(({ name }) => ({ name, rows: store.query<{ n: number }>(`SELECT COUNT(*) AS n FROM "${name.replaceAll('"', '""')}"`)[0]!.n }));
    return {
      path,
      runs: store.runs().map((r) => ({ id: r.id, name: r.name, kind: r.kind, status: r.status, model: r.modelDir, createdAt: r.createdAt, finishedAt: r.finishedAt })),
      results: store.results().map((r) => ({ id: r.id, runId: r.runId, kind: r.kind, partial: r.partial, createdAt: r.createdAt, params: JSON.stringify(r.params) })),
      tables,
    };
  });
}

function cell(v: unknown): SqlValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return `<blob ${v.byteLength} bytes>`;
  return String(v);
}

const READ_ONLY_HINT = 'Only queries run here; change the store from a notebook or the CLI.';

/** The statement without a trailing `;`, and its first keyword's text (comments skipped); a UserError when it cannot be a query. */
function checkedStatement(sql: string): { text: string; head: string } {
  const text = sql.trim().replace(/;+\s*$/, '');
  if (text === '') throw new UserError('the query is empty', 'Type a statement, e.g. SELECT lang, COUNT(*) AS n FROM texts GROUP BY lang');
  const head = text.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '');
  // Read-only connections still run VACUUM INTO (which writes a new file): only queries pass.
  if (!/^(select|with|values|explain|pragma)\b/i.test(head)) {
    throw new UserError(`the store browser is read-only: it runs SELECT, WITH, VALUES, EXPLAIN and PRAGMA statements only`, 'Change the store from a notebook or the CLI.');
  }
  // `PRAGMA journal_mode = DELETE` on a read-only WAL store fails as "disk I/O error": say what it is.
  if (/^pragma\s+[\w."]+\s*=/i.test(head)) throw new UserError('the store browser is read-only: it reads PRAGMA values but does not set them', READ_ONLY_HINT);
  return { text, head };
}

/**
 * Runs one checked statement on a read-only connection and keeps at most STORE_QUERY_LIMIT rows. A
 * query is wrapped in a LIMIT so a huge table is not read whole; when the wrapped form does not
 * prepare, the statement runs as written so its error is SQLite's own message about the user's text.
 * Runs in the query process (store-query-process.ts), where a runaway statement can be killed.
 */
export function runStoreQuery(absPath: string, sql: string): StoreQueryResult {
  const { text, head } = checkedStatement(sql);
  const store = openStore(absPath, { readonly: true });
  try {
    let rows: Record<string, unknown>[] | undefined;
    if (/^(select|with|values)\b/i.test(head)) {
      try {
        rows = store.query(`SELECT * FROM (\n${text}\n) LIMIT ${STORE_QUERY_LIMIT + 1}`);
      } catch {
        rows = undefined;
      }
    }
    try {
      rows ??= store.query(text);
    } catch (e) {
      const message = (e as Error).message;
      if (/readonly|read-only/i.test(message)) throw new UserError(`the store browser is read-only: ${message}`, READ_ONLY_HINT);
      // A pragma that would change the file (journal_mode(DELETE)) cannot on a read-only WAL connection.
      if (/^pragma\b/i.test(head) && /disk I\/O error/i.test(message)) throw new UserError('the store browser is read-only: this PRAGMA would change the store', READ_ONLY_HINT);
      throw e;
    }
    const columns = rows.length ? Object.keys(rows[0]!) : [];
    return {
      columns,
      rows: rows.slice(0, STORE_QUERY_LIMIT).map((r) => columns.map((c) => cell(r[c]))),
      truncated: rows.length > STORE_QUERY_LIMIT,
      limit: STORE_QUERY_LIMIT,
    };
  } finally {
    store.close();
  }
}

/**
 * Runs one statement of the SQL box read-only, in its own process killed after `timeoutMs`: SQLite
 * runs a statement in native code that neither a worker thread's terminate() nor a signal handler
 * can stop (the process, and its SIGTERM, would wait for it), so a runaway query
 * (an unbounded `WITH RECURSIVE`) ends with a clear message and the backend answers other calls meanwhile.
 */
export async function storeQuery(workspace: Workspace, path: string, sql: string, options: QueryProcessOptions = {}): Promise<StoreQueryResult> {
  checkedStatement(sql);
  return runInQueryProcess(await workspace.resolve(path), sql, options);
}
