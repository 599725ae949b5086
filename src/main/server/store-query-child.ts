/** Entry of a store query's process (store-query-process.ts): one `{ path, sql }` in, one reply out, then exit. */
import { serializeError } from '../../shared/errors.js';
import { runStoreQuery } from './store-browser.js';
import type { QueryReply } from './store-query-process.js';

process.once('message', (m: { path: string; sql: string }) => {
  let reply: QueryReply;
  try {
    reply = { result: runStoreQuery(m.path, m.sql) };
  } catch (e) {
    reply = { error: serializeError(e) };
  }
  process.send!(reply, () => process.exit(0));
});
