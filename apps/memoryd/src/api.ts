import type http from 'node:http';
import { HttpError, readBody, sendError, sendJson } from '@govern/http-service';
import {
  AuditRequestSchema,
  invalidRequest,
  MAX_ATTRIBUTE_DEPTH,
  MemoryApiError,
  nestedDeeperThan,
  NS_PER_MS,
  QueryRequestSchema,
  RetentionRequestSchema,
  StoreError,
  UpsertRequestSchema,
  type Redactor,
} from '@govern/memory-store';
import type { z } from 'zod';
import { healthReport, type HealthSources } from './health.js';
import type { MemorydStore } from './store-thread.js';

/**
 * The memory API over HTTP (docs/memory.md#the-memory-api): JSON in and out,
 * every body validated by its zod schema from @govern/memory-store, every
 * refusal `{ error: { code, message, details } }` with the status of its code.
 *
 * | route | body | answer |
 * |---|---|---|
 * | POST /v1/memory/query | QueryRequest | QueryResponse |
 * | POST /v1/memory/upsert | UpsertRequest | UpsertResponse |
 * | POST /v1/memory/audit | AuditRequest | AuditResponse |
 * | POST /v1/memory/retention | RetentionRequest | RetentionResult |
 * | GET /v1/memory/health, GET /health | — | HealthResponse |
 *
 * Queries read a snapshot on the store's read connection; upserts and
 * retention write on its write connection, queued with ingest. Bodies,
 * the envelope and its statuses are the kernel's (@govern/http-service); the
 * bearer token is checked by the receiver before a request gets here.
 */
export interface ApiContext extends HealthSources {
  store: MemorydStore;
  redactor: Redactor;
  maxBodyBytes: number;
  log: (line: string) => void;
}

interface Route {
  method: 'GET' | 'POST';
  schema?: z.ZodType;
  run(ctx: ApiContext, body: never): Promise<unknown>;
}

const nowNs = () => BigInt(Date.now()) * NS_PER_MS;
const health: Route = { method: 'GET', run: (ctx) => healthReport(ctx) };

const ROUTES: Record<string, Route> = {
  '/v1/memory/query': { method: 'POST', schema: QueryRequestSchema, run: (ctx, body: z.output<typeof QueryRequestSchema>) => ctx.store.query(body, nowNs()) },
  '/v1/memory/upsert': {
    method: 'POST',
    schema: UpsertRequestSchema,
    run: (ctx, body: z.output<typeof UpsertRequestSchema>) => ctx.store.upsert(body, { nowNs: nowNs(), redactor: ctx.redactor }),
  },
  '/v1/memory/audit': { method: 'POST', schema: AuditRequestSchema, run: (ctx, body: z.output<typeof AuditRequestSchema>) => ctx.store.auditLog(body, nowNs()) },
  '/v1/memory/retention': {
    method: 'POST',
    schema: RetentionRequestSchema,
    run: (ctx, body: z.output<typeof RetentionRequestSchema>) => ctx.retention.run(body, body.actor ?? 'api'),
  },
  '/v1/memory/health': health,
  '/health': health,
};

/** True for the paths this module answers. */
export function isApiPath(pathname: string): boolean {
  return pathname === '/health' || pathname.startsWith('/v1/memory/');
}

/** Answers one memory API request. */
export async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, ctx: ApiContext): Promise<void> {
  try {
    const route = ROUTES[pathname];
    if (!route) throw new MemoryApiError('not-found', `no route ${req.method} ${pathname}`, { routes: Object.keys(ROUTES) });
    if (req.method !== route.method) {
      res.setHeader('Allow', route.method);
      throw new MemoryApiError('method-not-allowed', `use ${route.method} ${pathname}`, { allow: route.method });
    }
    let body: unknown;
    if (route.schema) {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') throw new MemoryApiError('unsupported-media-type', `send application/json, not ${type || '(none)'}`, {});
      const raw = await readJson(req, ctx.maxBodyBytes);
      const parsed = route.schema.safeParse(raw);
      if (!parsed.success) throw invalidRequest(`POST ${pathname}`, parsed.error);
      body = parsed.data;
    } else req.resume();
    sendJson(res, 200, await route.run(ctx, body as never));
  } catch (err) {
    req.resume();
    sendApiError(res, toApiError(err, ctx.log));
  }
}

function toApiError(err: unknown, log: (line: string) => void): MemoryApiError | HttpError {
  if (err instanceof MemoryApiError) return err;
  // The kernel's body refusals (413 over the limit, 408 too slow): already coded.
  if (err instanceof HttpError) return err;
  if (err instanceof StoreError && err.code === 'closed') return new MemoryApiError('unavailable', 'memoryd is stopping', {});
  // A bug, or the database failing: the stack goes to the log (no request data in it), not to the caller.
  log(`memoryd: memory API internal error: ${(err as Error)?.stack ?? String(err)}`);
  return new MemoryApiError('internal-error', (err as Error)?.message ?? String(err), {});
}

/**
 * How deeply a request body may nest: an annotation value as deeply as an attribute
 * value (MAX_ATTRIBUTE_DEPTH), inside the request object. Checked (without recursion)
 * before the schema, the redactor and canonical JSON, which recurse: a value nested
 * 30,000 deep overflowed the stack there (an internal error for a bad request).
 */
export const MAX_REQUEST_DEPTH = MAX_ATTRIBUTE_DEPTH + 1;

/** The body as JSON: the kernel reads it (413 over `max`), memoryd parses and bounds it. */
async function readJson(req: http.IncomingMessage, max: number): Promise<unknown> {
  const raw = await readBody(req, { limit: max });
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8') || 'null');
  } catch (err) {
    throw new MemoryApiError('invalid-request', `body is not JSON: ${(err as Error).message}`, {});
  }
  if (nestedDeeperThan(value, MAX_REQUEST_DEPTH)) {
    throw new MemoryApiError('invalid-request', `body nests deeper than ${MAX_REQUEST_DEPTH} levels (an annotation value at most ${MAX_ATTRIBUTE_DEPTH})`, { maxDepth: MAX_REQUEST_DEPTH });
  }
  return value;
}

/**
 * Answers with a refusal's envelope and status, through the kernel (also used by the
 * receiver for an unauthenticated or a too-late API request). A `MemoryApiError` is a
 * `GovernError` carrying its status, which the kernel's `statusOf` keeps.
 */
export function sendApiError(res: http.ServerResponse, e: MemoryApiError | HttpError): void {
  sendError(res, e);
}
