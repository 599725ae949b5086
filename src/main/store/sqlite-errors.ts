import { UserError } from '../../shared/errors.js';

/** The SQLite result code of a better-sqlite3 error (`SQLITE_BUSY`, `SQLITE_FULL`, …), if it is one. */
export function sqliteCode(e: unknown): string | undefined {
  if (e instanceof Error && e.name === 'SqliteError') {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Turns SQLite errors a user can act on into UserErrors; returns anything else unchanged. */
export function storeUserError(e: unknown, path: string, busyTimeoutMs: number): unknown {
  const code = sqliteCode(e);
  if (code === undefined) return e;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new UserError(
      `Store ${path} is locked by another process (still busy after ${busyTimeoutMs} ms).`,
      'Wait for the other capture or notebook using this file to finish, or stop it, then run again; finished batches are kept.',
    );
  }
  if (code === 'SQLITE_FULL') {
    return new UserError(
      `The disk is full: could not write to store ${path}. The last batch was rolled back; everything stored before it is intact.`,
      'Free some disk space (or move the store elsewhere) and run the same command again to resume.',
    );
  }
  if (code === 'SQLITE_NOTADB') {
    return new UserError(`${path} is not a SQLite database.`, 'Give the path of a Babelscope store (.db), or a new path to create one.');
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new UserError(`Store ${path} is damaged (SQLite reports corruption).`, 'Restore it from a backup, or try `sqlite3 FILE .recover`.');
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new UserError(`Cannot open store ${path}.`, 'Check that the folder exists and that you may read and write it.');
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new UserError(`Store ${path} is read-only.`, 'Open it without readonly, or check the file and folder permissions.');
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new UserError(`Disk I/O error on store ${path} (${code}).`, 'Check free space and the disk; the last batch was not stored, and running again resumes.');
  }
  return e;
}
