import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerAuth, HttpError, readBody, sendError, sendJson } from '@govern/http-service';
import {
  API_VERSION,
  ChangesQuerySchema,
  ERROR_CODES,
  ListQuerySchema,
  matchPath,
  NextQuerySchema,
  openApiText,
  PatchStatusSchema,
  PutTaskSchema,
  ROUTES,
  type ErrorCode,
  type Route,
} from '@govern/statehub';
import type { CompiledProfile } from '@govern/workplan';
import type { z } from 'zod';
import { SCHEMA_VERSION } from './migrations.js';
import { computeNext } from './next.js';
import { StoreError, type Store } from './store.js';

const MAX_BODY = 1024 * 1024;

/** What a handler gets: the matched route's parameters, its parsed query and body, and the If-Match version. */
interface Req {
  params: Record<string, string>;
  query: unknown;
  body: unknown;
  ifMatch: number | undefined;
}
interface Res {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}
type Handler = (req: Req) => Promise<Res>;

/** A refusal with one of the API's error codes (libs/statehub ERROR_CODES). */
const refusal = (code: ErrorCode, message: string, details?: Record<string, unknown>) => new HttpError(code, message, details ? { details } : {});

function handlers(store: Store, profile: CompiledProfile | undefined): Record<string, Handler> {
  const openapi = openApiText();
  const h: Record<string, Handler> = {
    health: async () => ({ status: 200, body: { ok: true, service: 'statehub', apiVersion: API_VERSION, schemaVersion: SCHEMA_VERSION } }),
    openapi: async () => ({ status: 200, body: openapi }),
    listChanges: async ({ query }) => {
      const q = query as z.output<typeof ChangesQuerySchema>;
      return { status: 200, body: await store.changes(q.since, q.limit) };
    },
    next: async ({ query }) => {
      const q = query as z.output<typeof NextQuerySchema>;
      const all = await store.list(null);
      return { status: 200, body: computeNext(all, { kind: q.kind, ...(q.repo !== undefined ? { repo: q.repo } : {}), ...(q.limit !== undefined ? { limit: q.limit } : {}) }, profile) };
    },
  };
  for (const kind of ['workstream', 'task'] as const) {
    const K = kind === 'task' ? 'Task' : 'Workstream';
    h[`list${K}s`] = async ({ query }) => {
      const q = query as z.output<typeof ListQuerySchema>;
      return { status: 200, body: await store.page(kind, { repo: q.repo, limit: q.limit, after: q.after }) };
    };
    h[`get${K}`] = async ({ params }) => {
      const record = await store.get(kind, params.id!);
      return { status: 200, body: record, headers: { etag: `"${record.version}"` } };
    };
    h[`put${K}ByKey`] = async ({ params, body }) => {
      const input = body as z.output<typeof PutTaskSchema>;
      const r = await store.putByKey(kind, params.key!, input);
      return { status: r.created ? 201 : 200, body: r, headers: { etag: `"${r.record.version}"` } };
    };
    h[`patch${K}`] = async ({ params, body, ifMatch }) => {
      const input = body as z.output<typeof PatchStatusSchema>;
      const ifVersion = input.ifVersion ?? ifMatch;
      if (ifVersion === undefined) throw refusal('precondition-required', 'a status change needs the version it is based on: ifVersion in the body or an If-Match header');
      if (input.ifVersion !== undefined && ifMatch !== undefined && input.ifVersion !== ifMatch) {
        throw refusal('bad-request', `ifVersion ${input.ifVersion} and If-Match ${ifMatch} disagree`);
      }
      const r = await store.setStatus(kind, params.id!, { status: input.status, ifVersion, actor: input.actor });
      return { status: 200, body: r, headers: { etag: `"${r.record.version}"` } };
    };
  }
  return h;
}

export interface HandlerOptions {
  /** Bearer token; when set, every route with `auth` requires it. */
  token?: string;
  /** The profile whose priorities order `GET /next` (the workspace's); default the built-in one. */
  profile?: CompiledProfile;
  /** One line per request (method, path, status, ms); never headers, so never the token. */
  log?: (line: string) => void;
}

/**
 * The node:http request listener: routes by the shared route table, checks the
 * bearer token, parses and validates query and body with the route's zod
 * schemas; the kernel (@govern/http-service) reads bodies, checks the token and
 * renders every refusal as `{ error: { code, message, details } }`.
 */
export function createHandler(store: Store, opts: HandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const table = handlers(store, opts.profile);
  for (const r of ROUTES) if (!table[r.operationId]) throw new Error(`no handler for ${r.operationId}`);
  const authorized = bearerAuth(opts.token);

  return async (req, res) => {
    const started = performance.now();
    let status: number;
    try {
      const out = await respond(req, table, authorized);
      status = out.status;
      sendJson(res, out.status, out.body, out.headers);
    } catch (err) {
      const e = toHttpError(err);
      status = e.status;
      sendError(res, e, {
        headers: e.code === 'method-not-allowed' ? { allow: (e.details.allow as string[]).join(', ') } : e.code === 'unauthorized' ? { 'www-authenticate': 'Bearer realm="statehub"' } : {},
        ...(err instanceof StoreError && err.current ? { extra: { current: err.current } } : {}),
      });
    }
    opts.log?.(`${req.method} ${(req.url ?? '').split('?')[0]} ${status} ${(performance.now() - started).toFixed(1)}ms`);
  };
}

const API_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/**
 * The store's refusals keep their code and status; a kernel refusal whose code the API
 * does not list (a body that timed out or was cut off) keeps its status as `bad-request`;
 * anything else is StateHub's `internal` (500).
 */
function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return API_CODES.has(err.code) ? err : new HttpError('bad-request', err.message, { details: err.details, status: err.status, cause: err });
  if (err instanceof StoreError) return new HttpError(err.code, err.message, { details: err.details, status: err.status });
  return new HttpError('internal', `internal error: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

async function respond(req: IncomingMessage, table: Record<string, Handler>, authorized: ((req: IncomingMessage) => boolean) | null): Promise<Res> {
  const url = new URL(req.url ?? '/', 'http://statehub.invalid');
  const matches = ROUTES.map((r) => ({ r, params: matchPath(r.path, url.pathname) })).filter((m) => m.params !== null);
  if (!matches.length) throw refusal('not-found', `no route ${url.pathname}`);
  const hit = matches.find((m) => m.r.method === req.method);
  if (!hit) throw refusal('method-not-allowed', `${req.method} is not allowed on ${url.pathname}`, { allow: matches.map((m) => m.r.method) });
  const route: Route = hit.r;
  if (route.auth && authorized && !authorized(req)) throw refusal('unauthorized', 'this StateHub needs Authorization: Bearer <token>');
  let query: unknown = {};
  if (route.query) {
    const q = route.query.safeParse(Object.fromEntries(url.searchParams));
    if (!q.success) throw refusal('bad-request', 'invalid query parameters', { issues: issues(q.error) });
    query = q.data;
  }
  let body: unknown;
  if (route.body) {
    const raw = (await readBody(req, { limit: MAX_BODY })).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw refusal('bad-request', 'the request body is not JSON');
    }
    const b = route.body.safeParse(json);
    if (!b.success) throw refusal('bad-request', 'the request body does not match the schema', { issues: issues(b.error) });
    body = b.data;
  }
  let ifMatch: number | undefined;
  if (route.ifMatch && req.headers['if-match'] !== undefined) {
    const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(String(req.headers['if-match']));
    if (!m) throw refusal('bad-request', 'If-Match must be a version number, as "<version>"');
    ifMatch = Number(m[1]);
  }
  return table[route.operationId]!({ params: hit.params!, query, body, ifMatch });
}

function issues(e: z.ZodError): Array<{ path: string; message: string }> {
  return e.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message }));
}
