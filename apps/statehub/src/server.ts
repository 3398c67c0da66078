import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHandler } from './http.js';
import { Store } from './store.js';

export interface StateHubOptions {
  /** DuckDB database file (created if missing), or `:memory:`. */
  db: string;
  /** Address to bind; default 127.0.0.1. Anything but loopback requires a `token` of at least {@link MIN_TOKEN_BYTES} bytes. */
  host?: string;
  /** Port; default 4870; 0 picks a free one (see the returned `url`). */
  port?: number;
  /** Bearer token every route but /health and /openapi.json requires. Never logged. */
  token?: string;
  /** One line per request and the start/stop lines; default none. */
  log?: (line: string) => void;
  now?: () => Date;
}

export interface RunningStateHub {
  url: string;
  host: string;
  port: number;
  db: string;
  /** Stops accepting requests, waits for those in flight, then checkpoints and closes the database. */
  close(): Promise<void>;
}

/** Raised before anything is opened when the options are unsafe or invalid. */
export class StateHubConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateHubConfigError';
  }
}

export const DEFAULT_PORT = 4870;

/** The shortest bearer token (in UTF-8 bytes) a StateHub bound to a non-loopback address accepts. */
export const MIN_TOKEN_BYTES = 32;

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * Starts the embedded StateHub: opens (and migrates) the database, then
 * listens. Refuses — before opening anything — to bind a non-loopback address
 * without a token, or with one shorter than {@link MIN_TOKEN_BYTES} bytes: a hub
 * reachable from the network must not be writable by anyone who can reach it.
 */
export async function startStateHub(opts: StateHubOptions): Promise<RunningStateHub> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token?.trim() || undefined;
  if (!isLoopback(host) && !token) {
    throw new StateHubConfigError(`refusing to listen on ${host} without a token: a non-loopback StateHub needs --token-env (an environment variable holding the bearer token)`);
  }
  // Reachable from the network, the token is all that guards the writes: one that can
  // be guessed is none. Its length is named, never the token.
  if (!isLoopback(host) && token && Buffer.byteLength(token, 'utf8') < MIN_TOKEN_BYTES) {
    throw new StateHubConfigError(
      `refusing to listen on ${host} with a ${Buffer.byteLength(token, 'utf8')}-byte token: a non-loopback StateHub needs a token of at least ${MIN_TOKEN_BYTES} bytes (e.g. openssl rand -hex 32)`,
    );
  }
  const store = await Store.open(opts.db, opts.now ? { now: opts.now } : {});
  const server = http.createServer(createHandler(store, { ...(token ? { token } : {}), ...(opts.log ? { log: opts.log } : {}) }));
  // Requests are small and answered at once; a client that stalls must not hold a shutdown.
  server.keepAliveTimeout = 5_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? DEFAULT_PORT, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    db: store.file,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await store.close();
      })()),
  };
}
