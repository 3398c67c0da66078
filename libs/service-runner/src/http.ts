import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertSafeBind, bearerAuth, HttpError, readBody, sendError, sendJson, startHttpService } from '@govern/http-service';
import type { ServiceOperation } from './context.js';
import { SERVICE_OPERATIONS } from './operations.js';
import { openApiText } from './openapi.js';
import type { ServiceRunner } from './runner.js';

/** The default port of `govern serve`. */
export const DEFAULT_SERVICE_PORT = 4880;
/** Largest request body accepted. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** The path prefix of the operations: `POST /v1/operations/<name>`. */
export const OPERATIONS_PATH = '/v1/operations';
/** The header a caller names itself in (recorded as the audit entry's actor). */
export const ACTOR_HEADER = 'x-govern-actor';

/**
 * A route mounted beside the operations (a later web view, say): it matches
 * `method` and `path` exactly, or every path under `path` when `prefix`. `auth`
 * false exempts it from the bearer token (as /health and /openapi.json are).
 */
export interface MountedRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  prefix?: boolean;
  auth: boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>;
}

const TABLE = SERVICE_OPERATIONS as readonly ServiceOperation[];

/** The operation table as `GET /v1/operations` lists it. */
export function operationList(): { operations: Array<Record<string, unknown>> } {
  return {
    operations: TABLE.map((o) => ({
      name: o.name,
      summary: o.summary,
      effect: o.effect,
      review: o.review,
      gate: o.gate,
      library: o.library,
      support: o.support.kind,
      ...(o.support.kind === 'unsupported' ? { reason: o.support.reason } : {}),
      path: `${OPERATIONS_PATH}/${o.name}`,
    })),
  };
}

export interface ServiceHandlerOptions {
  /** Bearer token; when set, every route but /health, /openapi.json and mounted `auth: false` routes requires it. */
  token?: string;
  /** Routes beside the operations (checked first, in order). */
  routes?: readonly MountedRoute[];
  /** One line per request (method, path, status, ms); never headers, so never the token. */
  log?: (line: string) => void;
}

/**
 * The request listener of the service: the operations (`POST
 * /v1/operations/<name>`, a JSON body that is the operation's input, answered with
 * its output), `GET /v1/operations`, `GET /health` (the `health` operation, no
 * token), `GET /openapi.json` (no token) and any mounted routes. Every refusal is
 * the kernel's envelope `{ error: { code, message, details } }` with the status of
 * the error (a denial 403 with `policy_reason_code`, a failure with
 * `failure_reason_code`).
 */
export function createServiceHandler(runner: ServiceRunner, opts: ServiceHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const authorized = bearerAuth(opts.token);
  const openapi = openApiText();
  const routes = opts.routes ?? [];
  return async (req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://service.invalid');
    try {
      await dispatch(req, res, url);
    } catch (err) {
      sendError(res, err, (err as { code?: unknown }).code === 'unauthorized' ? { headers: { 'www-authenticate': 'Bearer realm="govern"' } } : {});
    }
    opts.log?.(`${req.method} ${url.pathname} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`);
  };

  async function dispatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const p = url.pathname;
    const requireAuth = () => {
      if (authorized && !authorized(req)) throw new HttpError('unauthorized', 'this service needs Authorization: Bearer <token>');
    };
    const allow = (methods: string[]) => {
      if (!methods.includes(req.method ?? '')) throw new HttpError('method-not-allowed', `${req.method} is not allowed on ${p}`, { details: { allow: methods } });
    };
    const mounted = routes.filter((r) => (r.prefix ? p === r.path || p.startsWith(r.path.endsWith('/') ? r.path : `${r.path}/`) : p === r.path));
    if (mounted.length) {
      const hit = mounted.find((r) => r.method === req.method);
      if (!hit) allow(mounted.map((r) => r.method));
      if (hit!.auth) requireAuth();
      return void (await hit!.handle(req, res, url));
    }
    if (p === '/health') {
      allow(['GET']);
      return sendJson(res, 200, await runner.run('health', {}, { via: 'http' }));
    }
    if (p === '/openapi.json') {
      allow(['GET']);
      return sendJson(res, 200, openapi);
    }
    if (p === OPERATIONS_PATH) {
      allow(['GET']);
      requireAuth();
      return sendJson(res, 200, operationList());
    }
    if (p.startsWith(`${OPERATIONS_PATH}/`)) {
      const name = decodeURIComponent(p.slice(OPERATIONS_PATH.length + 1));
      allow(['POST']);
      requireAuth();
      const raw = (await readBody(req, { limit: MAX_BODY_BYTES })).toString('utf8');
      let input: unknown = {};
      if (raw.trim()) {
        try {
          input = JSON.parse(raw);
        } catch {
          throw new HttpError('bad-request', 'the request body is not JSON');
        }
      }
      const actor = headerActor(req);
      return sendJson(res, 200, await runner.run(name, input, { via: 'http', ...(actor ? { actor } : {}) }));
    }
    throw new HttpError('not-found', `no route ${p}`);
  }
}

function headerActor(req: IncomingMessage): string | undefined {
  const v = req.headers[ACTOR_HEADER];
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  return s && s.length <= 200 ? s : undefined;
}

export interface ServiceServerOptions extends ServiceHandlerOptions {
  runner: ServiceRunner;
  /** Default 127.0.0.1; anything but loopback needs a token of at least 32 bytes. */
  host?: string;
  /** Default {@link DEFAULT_SERVICE_PORT}; 0 picks a free one. */
  port?: number;
}

export interface RunningService {
  url: string;
  host: string;
  port: number;
  /** Stops listening (requests in flight finish), then closes the runner. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves a runner over HTTP. Refuses, before listening, a non-loopback bind
 * without a bearer token (or with one shorter than 32 bytes): `unsafe-bind`.
 */
export async function startServiceServer(opts: ServiceServerOptions): Promise<RunningService> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token?.trim() || undefined;
  assertSafeBind(host, token, { service: 'govern service' });
  const service = await startHttpService({
    host,
    port: opts.port ?? DEFAULT_SERVICE_PORT,
    handler: createServiceHandler(opts.runner, { ...(token ? { token } : {}), ...(opts.routes ? { routes: opts.routes } : {}), ...(opts.log ? { log: opts.log } : {}) }),
  });
  let closing: Promise<void> | null = null;
  return {
    url: service.url,
    host: service.host,
    port: service.port,
    close: () =>
      (closing ??= (async () => {
        await service.stop();
        await opts.runner.close();
      })()),
  };
}
