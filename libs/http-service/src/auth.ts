import crypto from 'node:crypto';
import type http from 'node:http';
import { UnsafeBindError } from './errors.js';
import { isLoopback } from './loopback.js';

/** The shortest bearer token (in UTF-8 bytes) a service bound to a non-loopback address accepts. */
export const MIN_TOKEN_BYTES = 32;

const digest = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

/**
 * A check of `Authorization: Bearer <token>` against `token`, or null without a token
 * (every request is let through). The presented and the expected tokens are compared
 * as sha256 digests with `crypto.timingSafeEqual`: equal lengths always, no early exit,
 * so neither the content nor the length of the token leaks through timing.
 */
export function bearerAuth(token: string | undefined | null): ((req: http.IncomingMessage) => boolean) | null {
  const t = token?.trim();
  if (!t) return null;
  const want = digest(t);
  return (req) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    return m !== null && crypto.timingSafeEqual(digest(m[1]!.trim()), want);
  };
}

/**
 * Refuses (an {@link UnsafeBindError}) to listen on an address reachable from the
 * network without a bearer token, or with one shorter than `minTokenBytes`: the token is
 * then all that guards the service, and one that can be guessed is none. The message
 * names the token's length, never the token. On loopback any token (or none) is fine.
 */
export function assertSafeBind(host: string, token: string | undefined | null, opts: { service: string; minTokenBytes?: number }): void {
  if (isLoopback(host)) return;
  const min = opts.minTokenBytes ?? MIN_TOKEN_BYTES;
  const t = token?.trim();
  if (!t) {
    throw new UnsafeBindError(
      `refusing to listen on ${host} without a token: a non-loopback ${opts.service} needs --token-env (an environment variable holding the bearer token)`,
      { host, tokenBytes: null, minTokenBytes: min },
    );
  }
  const bytes = Buffer.byteLength(t, 'utf8');
  if (bytes < min) {
    throw new UnsafeBindError(
      `refusing to listen on ${host} with a ${bytes}-byte token: a non-loopback ${opts.service} needs a token of at least ${min} bytes (e.g. openssl rand -hex 32)`,
      { host, tokenBytes: bytes, minTokenBytes: min },
    );
  }
}
