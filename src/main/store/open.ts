import './sqlite-uri.js';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { UserError } from '../../shared/errors.js';
import { APPLICATION_ID, migrations, SCHEMA_VERSION } from './migrations.js';
import { sqliteCode, storeUserError } from './sqlite-errors.js';
import { Store } from './store.js';

export interface StoreOptions {
  readonly?: boolean;
  /** How long to wait for another process's write lock before giving up (default 5000 ms). */
  busyTimeoutMs?: number;
}

/** Big pages suit rows of ~100 KB BLOBs (fewer overflow pages); only takes effect on a new file. */
const PAGE_SIZE = 16384;

/** Opens (creating and migrating when needed) the SQLite store at `path`. */
export function openStore(path: string, options: StoreOptions = {}): Store {
  const readonly = options.readonly ?? false;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  checkPath(path, readonly);
  let db: Database.Database | undefined;
  try {
    db = readonly ? openReadonly(path, busyTimeoutMs) : new Database(sqlitePath(path), { timeout: busyTimeoutMs });
    if (!readonly) {
      if (userVersion(db) === 0 && !hasObjects(db)) db.pragma(`page_size = ${PAGE_SIZE}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    checkIdentity(db, path);
    if (readonly) {
      if (userVersion(db) < SCHEMA_VERSION) {
        throw new UserError(`Store ${path} has an older schema (v${userVersion(db)}) and is opened read-only.`, 'Open it once read-write to upgrade it.');
      }
    } else {
      migrate(db);
    }
    return new Store(db, path, readonly, busyTimeoutMs);
  } catch (e) {
    db?.close();
    throw storeUserError(e, path, busyTimeoutMs);
  }
}

/** A plain path for SQLite: one that starts with `file:` would be read as a URI. */
function sqlitePath(path: string): string {
  return path.startsWith('file:') ? `./${path}` : path;
}

/**
 * Read-only opening. A WAL store needs its `-shm` file, which SQLite cannot create in a read-only
 * folder; when there is no pending `-wal` content either, the file alone is the whole store and is
 * opened `immutable` (no locks, no side files).
 */
function openReadonly(path: string, busyTimeoutMs: number): Database.Database {
  try {
    const db = new Database(sqlitePath(path), { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get(); // the -shm is needed at the first read
    return db;
  } catch (e) {
    const code = sqliteCode(e) ?? '';
    if (!code.startsWith('SQLITE_READONLY') && !code.startsWith('SQLITE_CANTOPEN')) throw e;
    const wal = `${path}-wal`;
    if (existsSync(wal) && statSync(wal).size > 0) {
      throw new UserError(
        `Store ${path} has changes in ${wal} not yet merged into it, and its folder is read-only.`,
        'Open it once where its folder is writable (any read-write command merges them), or copy the folder somewhere writable.',
      );
    }
    const uri = `${pathToFileURL(resolve(path)).href}?immutable=1`;
    return new Database(uri, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  }
}

function checkPath(path: string, readonly: boolean): void {
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new UserError(`${path} is a folder, not a store file.`, 'Give a file path such as project.db.');
  } else if (readonly) {
    throw new UserError(`No store at ${path}.`, 'Check the path; a store is created when opened read-write.');
  } else {
    mkdirSync(dirname(path), { recursive: true });
  }
}

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function hasObjects(db: Database.Database): boolean {
  return db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get() !== undefined;
}

/** Refuses SQLite files that another program made, and stores from a newer Babelscope. */
function checkIdentity(db: Database.Database, path: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const version = userVersion(db);
  const ours = applicationId === APPLICATION_ID || (applicationId === 0 && version === 0 && !hasObjects(db));
  if (!ours) {
    throw new UserError(`${path} is a SQLite database, but not a Babelscope store.`, 'Give the path of a Babelscope store, or a new path to create one.');
  }
  if (version > SCHEMA_VERSION) {
    throw new UserError(
      `Store ${path} was written by a newer Babelscope (schema v${version}; this version knows up to v${SCHEMA_VERSION}).`,
      'Upgrade Babelscope to open it.',
    );
  }
}

function migrate(db: Database.Database): void {
  if (userVersion(db) >= SCHEMA_VERSION) return;
  // Foreign keys cannot be switched inside a transaction; off while tables are rebuilt, checked before each commit.
  db.pragma('foreign_keys = OFF');
  try {
    while (userVersion(db) < SCHEMA_VERSION) {
      db.transaction(() => {
        // Re-read inside the write lock: another process may have migrated meanwhile.
        const version = userVersion(db);
        if (version >= SCHEMA_VERSION) return;
        migrations[version]!(db);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length) throw new Error(`schema migration ${version} → ${version + 1} broke ${broken.length} foreign keys`);
        db.pragma(`user_version = ${version + 1}`);
      }).immediate();
    }
  } finally {
    db.pragma('foreign_keys = ON');
  }
}
