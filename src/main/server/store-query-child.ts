/** Entry of a store query process (store-query-process.ts): `{ id, path, sql }` in, one reply each, one at a time. */
import { serializeError } from '../../shared/errors.js';
import { runStoreQuery } from './store-browser.js';
import type { QueryReply, QueryRequest } from './store-query-process.js';

process.on('message', (m: QueryRequest) => {
  let reply: QueryReply;
  try {
    reply = { id: m.id, result: runStoreQuery(m.path, m.sql) };
  } catch (e) {
    reply = { id: m.id, error: serializeError(e) };
  }
  process.send!(reply);
});
// The backend went away (its IPC channel closed): nothing more will come.
process.on('disconnect', () => process.exit(0));
