/**
 * Who may talk to the backend. Pure checks, one place:
 * - Host must name this server (127.0.0.1 or localhost with our port): defeats DNS rebinding.
 * - Origin, when a browser sends one (it always does on POST and WebSocket upgrades), must be this
 *   server's own: another site (or a sandboxed iframe, whose Origin is "null") cannot drive the backend.
 * - The token is compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';

export function ownHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function hostAllowed(host: string | undefined, port: number): boolean {
  return host !== undefined && ownHosts(port).includes(host.toLowerCase());
}

/** A missing Origin is a non-browser client (it still needs the token); a present one must be ours. */
export function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  return ownHosts(port).some((h) => origin.toLowerCase() === `http://${h}`);
}

export function tokenMatches(given: unknown, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The page's Content-Security-Policy. No inline scripts; workers (Monaco) and frames (HTML outputs,
 * served from /frame) only from this server; the socket only to this server.
 */
export function pageCsp(port: number): string {
  const sockets = ownHosts(port).map((h) => `ws://${h}`).join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ${sockets}`,
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    "frame-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The policy of /frame, the document that shows a notebook's HTML output inside a sandboxed iframe
 * (no allow-same-origin, so its origin is opaque): its own scripts may run, but it may load nothing
 * from the network and call nothing, least of all the backend.
 */
export const FRAME_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";
