import type http from 'node:http';
import { errorEnvelope, statusOf } from './errors.js';

/**
 * Answers with JSON: `value` serialized (a string is sent as it is: JSON already
 * serialized, such as a stored document), `Content-Type: application/json;
 * charset=utf-8`, `Cache-Control: no-store`, an exact Content-Length.
 */
export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = Buffer.from(typeof value === 'string' ? value : `${JSON.stringify(value)}\n`, 'utf8');
  // writeHead merges these with headers already set (a Connection: close while stopping).
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers, 'content-length': String(body.length) });
  res.end(body);
}

export interface SendErrorOptions {
  /** Response headers (`Allow`, `WWW-Authenticate`, …). */
  headers?: Record<string, string>;
  /** Fields beside `error` in the body (StateHub's `current`). */
  extra?: Record<string, unknown>;
}

/**
 * Answers a refusal: the envelope `{ error: { code, message, details } }`
 * (`errorEnvelope`) with the error's status (`statusOf`: an `HttpError`'s own, a
 * `GovernError`'s code's, 500 for anything else). A body that timed out or was aborted
 * also closes the connection (what is left of it cannot be told from a next request).
 */
export function sendError(res: http.ServerResponse, err: unknown, opts: SendErrorOptions = {}): void {
  const status = statusOf(err);
  const code = (err as { code?: unknown } | null)?.code;
  const close = code === 'request-timeout' || code === 'request-aborted';
  sendJson(res, status, errorEnvelope(err, opts.extra), { ...(opts.headers ?? {}), ...(close ? { connection: 'close' } : {}) });
}
