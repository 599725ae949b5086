/**
 * Errors that carry meaning across the CLI, kernel and RPC boundaries (VS Code style):
 * a UserError is bad input (short message + hint, no stack shown); anything else is a bug.
 */
export class UserError extends Error {
  readonly kind = 'user' as const;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** The operation was stopped (an aborted signal, an interrupted cell); what it had stored stays. */
export class CancellationError extends Error {
  readonly kind = 'cancelled' as const;
  constructor(message = 'Cancelled') {
    super(message);
    this.name = 'CancellationError';
  }
}

/** True for a UserError, also one that crossed a worker or RPC boundary. */
export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && (e as { kind?: unknown }).kind === 'user';
}

/** The wire form of an error (worker messages, RPC replies). */
export interface SerializedError {
  name: string;
  message: string;
  hint?: string;
  kind?: 'user' | 'cancelled';
  stack?: string;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const kind = (e as { kind?: unknown }).kind;
    return {
      name: e.name,
      message: e.message,
      ...(isUserError(e) && e.hint ? { hint: e.hint } : {}),
      ...(kind === 'user' || kind === 'cancelled' ? { kind } : {}),
      ...(e.stack ? { stack: e.stack } : {}),
    };
  }
  return { name: 'Error', message: String(e) };
}

export function deserializeError(s: SerializedError): Error {
  let e: Error;
  if (s.kind === 'user') e = new UserError(s.message, s.hint);
  else if (s.kind === 'cancelled') e = new CancellationError(s.message);
  else e = new Error(s.message);
  e.name = s.name;
  if (s.stack) e.stack = s.stack;
  return e;
}
