import { GovernError, EXIT } from '@govern/errors';
import { assertSafeBind, isLoopback, MIN_TOKEN_BYTES, startHttpService, UnsafeBindError } from '@govern/http-service';
import type { CompiledProfile } from '@govern/workplan';
import { createHandler } from './http.js';
import { Store } from './store.js';

export { isLoopback, MIN_TOKEN_BYTES };

export interface StateHubOptions {
  /** DuckDB database file (created if missing), or `:memory:`. */
  db: string;
  /** Address to bind; default 127.0.0.1. Anything but loopback requires a `token` of at least {@link MIN_TOKEN_BYTES} bytes. */
  host?: string;
  /** Port; default 4870; 0 picks a free one (see the returned `url`). */
  port?: number;
  /** Bearer token every route but /health and /openapi.json requires. Never logged. */
  token?: string;
  /**
   * The profile of the workspace StateHub serves: its `priorities` order `GET /next`, as
   * they order `govern next` (`loadConfig(root).profile` of @govern/workspace). Default:
   * the built-in profile.
   */
  profile?: CompiledProfile;
  /** One line per request and the start/stop lines; default none. */
  log?: (line: string) => void;
  now?: () => Date;
}

export interface RunningStateHub {
  url: string;
  host: string;
  port: number;
  db: string;
  /**
   * Stops accepting requests, lets those in flight finish (kept-alive connections are
   * closed as soon as they are idle, so a client cannot hold the stop open), then
   * checkpoints and closes the database. Idempotent.
   */
  close(): Promise<void>;
}

/** Raised before anything is opened when the options are unsafe or invalid (a usage error: exit 2). */
export class StateHubConfigError extends GovernError<'statehub-config'> {
  constructor(message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super('statehub-config', message, { ...options, exitCode: EXIT.usage });
  }
}

export const DEFAULT_PORT = 4870;

/**
 * Starts the embedded StateHub: opens (and migrates) the database, then
 * listens. Refuses — before opening anything — to bind a non-loopback address
 * without a token, or with one shorter than {@link MIN_TOKEN_BYTES} bytes: a hub
 * reachable from the network must not be writable by anyone who can reach it.
 */
export async function startStateHub(opts: StateHubOptions): Promise<RunningStateHub> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token?.trim() || undefined;
  try {
    assertSafeBind(host, token, { service: 'StateHub' });
  } catch (err) {
    if (err instanceof UnsafeBindError) throw new StateHubConfigError(err.message, { details: err.details, cause: err });
    throw err;
  }
  const store = await Store.open(opts.db, opts.now ? { now: opts.now } : {});
  let service;
  try {
    service = await startHttpService({
      host,
      port: opts.port ?? DEFAULT_PORT,
      handler: createHandler(store, { ...(token ? { token } : {}), ...(opts.profile ? { profile: opts.profile } : {}), ...(opts.log ? { log: opts.log } : {}) }),
      // Requests are small and answered at once.
      keepAliveTimeoutMs: 5_000,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    url: service.url,
    host: service.host,
    port: service.port,
    db: store.file,
    close: () =>
      (closing ??= (async () => {
        await service.stop();
        await store.close();
      })()),
  };
}
