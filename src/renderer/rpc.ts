/**
 * The renderer's side of the backend contract (src/shared/backend-contract.ts): one typed `call`
 * over fetch to POST /api/rpc, carrying the session token in a header. Replies are validated here,
 * at the boundary; a `{ error }` reply becomes a thrown Error that keeps the server's message and hint.
 */
import { TOKEN_HEADER, type BackendMethod, type BackendMethods } from '../shared/backend-contract.js';
import { deserializeError, UserError, type SerializedError } from '../shared/errors.js';

export type Params<M extends BackendMethod> = Parameters<BackendMethods[M]>[0];
export type Result<M extends BackendMethod> = ReturnType<BackendMethods[M]>;

export interface RpcClient {
  call<M extends BackendMethod>(method: M, params: Params<M>): Promise<Result<M>>;
}

/** An error as the UI shows it: a message and, when the server gave one, a hint. */
export function errorHint(e: unknown): string | undefined {
  const hint = (e as { hint?: unknown } | null)?.hint;
  return typeof hint === 'string' && hint !== '' ? hint : undefined;
}

function isSerializedError(v: unknown): v is SerializedError {
  return typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string';
}

export function createRpcClient(token: string, endpoint = '/api/rpc'): RpcClient {
  return {
    async call<M extends BackendMethod>(method: M, params: Params<M>): Promise<Result<M>> {
      let res: Response;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          // Without a token (the page was reloaded) the same-site cookie set by the token URL authenticates.
          headers: { 'content-type': 'application/json', ...(token ? { [TOKEN_HEADER]: token } : {}) },
          body: JSON.stringify({ method, params }),
        });
      } catch {
        throw new UserError('cannot reach the Babelscope backend', 'Is `babelscope serve` still running? Start it again and open the URL it prints.');
      }
      let reply: unknown;
      try {
        reply = await res.json();
      } catch {
        throw new Error(`the backend answered ${res.status} ${res.statusText} without a JSON body`);
      }
      if (typeof reply === 'object' && reply !== null) {
        if ('error' in reply && isSerializedError(reply.error)) {
          if (res.status === 403 && !reply.error.hint)
            throw new UserError(reply.error.message, 'Open the URL printed by `babelscope serve` again (it carries the access token).');
          throw deserializeError(reply.error);
        }
        if ('result' in reply) return reply.result as Result<M>;
      }
      throw new Error(`the backend sent a malformed reply to \`${method}\` (HTTP ${res.status})`);
    },
  };
}
