/**
 * Lets SQLite read `file:` URIs (better-sqlite3 reads this once, when it loads its native addon at the
 * first connection), so a store in a read-only folder can be opened with `immutable=1`. Imported by
 * open.ts before better-sqlite3; a user's own SQLITE_USE_URI wins.
 */
process.env['SQLITE_USE_URI'] ??= '1';
