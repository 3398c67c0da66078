import crypto from 'node:crypto';
import type http from 'node:http';
import net from 'node:net';

/**
 * memoryd's bearer token. With one configured, every request — OTLP ingest,
 * the memory API, health — must carry `Authorization: Bearer <token>`
 * (exporters send it through OTEL_EXPORTER_OTLP_HEADERS); without one, memoryd
 * listens on loopback only. The same rule as the StateHub server
 * (apps/statehub): a store reachable from the network must not be readable or
 * writable by anyone who can reach it.
 */

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** Checks requests against a token, compared in constant time (by sha256, so lengths do not leak either). */
export function bearerCheck(token: string | undefined): ((req: http.IncomingMessage) => boolean) | null {
  if (!token) return null;
  const want = crypto.createHash('sha256').update(token).digest();
  return (req) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    return !!m && crypto.timingSafeEqual(crypto.createHash('sha256').update(m[1]!.trim()).digest(), want);
  };
}
