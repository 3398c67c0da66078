import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  API_VERSION,
  ChangesQuerySchema,
  ListQuerySchema,
  matchPath,
  NextQuerySchema,
  openApiText,
  PatchStatusSchema,
  PutTaskSchema,
  ROUTES,
  type ErrorBody,
  type Route,
} from '@govern/statehub';
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

function handlers(store: Store): Record<string, Handler> {
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
      return { status: 200, body: computeNext(all, { kind: q.kind, ...(q.repo !== undefined ? { repo: q.repo } : {}), ...(q.limit !== undefined ? { limit: q.limit } : {}) }) };
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
      if (ifVersion === undefined) throw new StoreError('precondition-required', 428, 'a status change needs the version it is based on: ifVersion in the body or an If-Match header');
      if (input.ifVersion !== undefined && ifMatch !== undefined && input.ifVersion !== ifMatch) {
        throw new StoreError('bad-request', 400, `ifVersion ${input.ifVersion} and If-Match ${ifMatch} disagree`);
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
  /** One line per request (method, path, status, ms); never headers, so never the token. */
  log?: (line: string) => void;
}

/**
 * The node:http request listener: routes by the shared route table, checks the
 * bearer token, parses and validates query and body with the route's zod
 * schemas, and renders every refusal as `{ error: { code, message, details } }`.
 */
export function createHandler(store: Store, opts: HandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const table = handlers(store);
  for (const r of ROUTES) if (!table[r.operationId]) throw new Error(`no handler for ${r.operationId}`);
  const tokenHash = opts.token ? crypto.createHash('sha256').update(opts.token).digest() : null;

  return (req, res) => {
    const started = performance.now();
    void respond(req, table, tokenHash).then((out) => {
      const body = typeof out.body === 'string' ? out.body : `${JSON.stringify(out.body)}\n`;
      res.writeHead(out.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...(out.headers ?? {}) });
      res.end(body);
      opts.log?.(`${req.method} ${(req.url ?? '').split('?')[0]} ${out.status} ${(performance.now() - started).toFixed(1)}ms`);
    });
  };
}

function error(status: number, code: ErrorBody['error']['code'], message: string, details?: Record<string, unknown>, headers?: Record<string, string>): Res {
  return { status, body: { error: { code, message, ...(details ? { details } : {}) } }, ...(headers ? { headers } : {}) };
}

async function respond(req: IncomingMessage, table: Record<string, Handler>, tokenHash: Buffer | null): Promise<Res> {
  try {
    const url = new URL(req.url ?? '/', 'http://statehub.invalid');
    const matches = ROUTES.map((r) => ({ r, params: matchPath(r.path, url.pathname) })).filter((m) => m.params !== null);
    if (!matches.length) return error(404, 'not-found', `no route ${url.pathname}`);
    const hit = matches.find((m) => m.r.method === req.method);
    if (!hit) return error(405, 'method-not-allowed', `${req.method} is not allowed on ${url.pathname}`, { allow: matches.map((m) => m.r.method) }, { allow: matches.map((m) => m.r.method).join(', ') });
    const route: Route = hit.r;
    if (route.auth && tokenHash && !authorized(req, tokenHash)) {
      return error(401, 'unauthorized', 'this StateHub needs Authorization: Bearer <token>', undefined, { 'www-authenticate': 'Bearer realm="statehub"' });
    }
    let query: unknown = {};
    if (route.query) {
      const q = route.query.safeParse(Object.fromEntries(url.searchParams));
      if (!q.success) return error(400, 'bad-request', 'invalid query parameters', { issues: issues(q.error) });
      query = q.data;
    }
    let body: unknown;
    if (route.body) {
      const raw = await readBody(req);
      if (raw === null) return error(413, 'payload-too-large', `request bodies are limited to ${MAX_BODY} bytes`);
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return error(400, 'bad-request', 'the request body is not JSON');
      }
      const b = route.body.safeParse(json);
      if (!b.success) return error(400, 'bad-request', 'the request body does not match the schema', { issues: issues(b.error) });
      body = b.data;
    }
    let ifMatch: number | undefined;
    if (route.ifMatch && req.headers['if-match'] !== undefined) {
      const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(String(req.headers['if-match']));
      if (!m) return error(400, 'bad-request', 'If-Match must be a version number, as "<version>"');
      ifMatch = Number(m[1]);
    }
    return await table[route.operationId]!({ params: hit.params!, query, body, ifMatch });
  } catch (err) {
    if (err instanceof StoreError) {
      return {
        status: err.status,
        body: { error: { code: err.code, message: err.message, ...(Object.keys(err.details).length ? { details: err.details } : {}) }, ...(err.current ? { current: err.current } : {}) },
      };
    }
    return error(500, 'internal', `internal error: ${(err as Error).message}`);
  }
}

function authorized(req: IncomingMessage, tokenHash: Buffer): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  // Compare hashes in constant time: equal lengths, and no early exit on the first differing byte.
  return crypto.timingSafeEqual(crypto.createHash('sha256').update(m[1]!.trim()).digest(), tokenHash);
}

function issues(e: z.ZodError): Array<{ path: string; message: string }> {
  return e.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message }));
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
