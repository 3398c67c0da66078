import { z } from 'zod';
import {
  ChangePageSchema,
  ErrorBodySchema,
  HealthSchema,
  NextResultSchema,
  PatchResultSchema,
  PatchStatusSchema,
  PutResultSchema,
  PutTaskSchema,
  PutWorkstreamSchema,
  RecordKindSchema,
  RecordListSchema,
  RecordSchema,
} from './schemas.js';

/**
 * The StateHub API as data: every route with its parameters, body and answers.
 * The server dispatches on it (and must implement every `operationId`), the
 * OpenAPI document is generated from it, and the client builds its paths from
 * it, so the three cannot disagree.
 */
export interface Route {
  operationId: string;
  method: 'GET' | 'PUT' | 'PATCH';
  /** OpenAPI path template: `{name}` is one path segment (percent-encoded). */
  path: string;
  summary: string;
  /** False for the two routes a load balancer or a client probes before it has a token. */
  auth: boolean;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** `If-Match: "<version>"` is accepted in place of the body's `ifVersion`. */
  ifMatch?: boolean;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

const err = (description: string) => ({ description, schema: ErrorBodySchema });
const UNAUTHORIZED = { 401: err('missing or wrong bearer token') };
const BAD = { 400: err('malformed JSON or a body/query the schema rejects (details.issues)') };

/** Page size of the list endpoints when a request gives none, and the largest it may ask for. */
export const DEFAULT_LIST_LIMIT = 500;
export const MAX_LIST_LIMIT = 1000;

export const ListQuerySchema = z.object({
  repo: z.string().optional().describe('only records of this repository'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIST_LIMIT)
    .default(DEFAULT_LIST_LIMIT)
    .describe(`at most this many records (default ${DEFAULT_LIST_LIMIT}, max ${MAX_LIST_LIMIT})`),
  after: z.string().min(1).optional().describe("return records whose externalKey sorts after this: the previous page's next"),
});
export const ChangesQuerySchema = z.object({
  since: z.coerce.number().int().min(0).default(0).describe('return changes with seq greater than this'),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});
export const NextQuerySchema = z.object({
  kind: RecordKindSchema.default('workstream'),
  repo: z.string().optional().describe('only records of this repository (dependencies are resolved across all)'),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

function recordRoutes(kind: 'workstreams' | 'tasks', put: z.ZodType, label: string): Route[] {
  return [
    {
      operationId: `list${kind === 'tasks' ? 'Tasks' : 'Workstreams'}`,
      method: 'GET',
      path: `/${kind}`,
      summary: `list ${label}s, ordered by externalKey, one page at a time (limit; after = the previous page's next)`,
      auth: true,
      query: ListQuerySchema,
      responses: { 200: { description: `a page of ${label}s; next is null on the last`, schema: RecordListSchema }, ...UNAUTHORIZED, ...BAD },
    },
    {
      operationId: `get${kind === 'tasks' ? 'Task' : 'Workstream'}`,
      method: 'GET',
      path: `/${kind}/{id}`,
      summary: `one ${label}; the ETag header is its version`,
      auth: true,
      responses: { 200: { description: `the ${label}`, schema: RecordSchema }, ...UNAUTHORIZED, 404: err(`no ${label} with this id`) },
    },
    {
      operationId: `put${kind === 'tasks' ? 'Task' : 'Workstream'}ByKey`,
      method: 'PUT',
      path: `/${kind}/by-key/{key}`,
      summary: `create the ${label} with this idempotency key (\`<repo>:<itemId>\` of the body), or update its structure (title, priority, dependencies); repeating a request changes nothing`,
      auth: true,
      body: put,
      responses: {
        200: { description: 'it existed (changed tells whether its structure was updated)', schema: PutResultSchema },
        201: { description: 'created', schema: PutResultSchema },
        ...BAD,
        ...UNAUTHORIZED,
        409: err('ifVersion is stale (version-conflict), the adopted id belongs to another record (id-taken) or the key has another id (id-mismatch); current is the record'),
        422: err(`the key is not the body's <repo>:<itemId>${kind === 'tasks' ? ', or no workstream has workstreamKey' : ''} (unprocessable)`),
      },
    },
    {
      operationId: `patch${kind === 'tasks' ? 'Task' : 'Workstream'}`,
      method: 'PATCH',
      path: `/${kind}/{id}`,
      summary: `set the ${label}'s status at a known version (ifVersion or If-Match)`,
      auth: true,
      body: PatchStatusSchema,
      ifMatch: true,
      responses: {
        200: { description: 'the record (changed is false when it already had this status)', schema: PatchResultSchema },
        ...BAD,
        ...UNAUTHORIZED,
        404: err(`no ${label} with this id`),
        409: err('the record is at another version; current is the record as it is'),
        428: err('neither ifVersion nor If-Match was given'),
      },
    },
  ];
}

export const ROUTES: readonly Route[] = [
  {
    operationId: 'health',
    method: 'GET',
    path: '/health',
    summary: 'liveness and the schema version; no token needed',
    auth: false,
    responses: { 200: { description: 'up', schema: HealthSchema } },
  },
  {
    operationId: 'openapi',
    method: 'GET',
    path: '/openapi.json',
    summary: 'this API as an OpenAPI 3.1 document; no token needed',
    auth: false,
    responses: { 200: { description: 'the OpenAPI document' } },
  },
  ...recordRoutes('workstreams', PutWorkstreamSchema, 'workstream'),
  ...recordRoutes('tasks', PutTaskSchema, 'task'),
  {
    operationId: 'listChanges',
    method: 'GET',
    path: '/changes',
    summary: 'the append-only change feed: every create, structural update and status change, in seq order',
    auth: true,
    query: ChangesQuerySchema,
    responses: { 200: { description: 'a page of changes', schema: ChangePageSchema }, ...UNAUTHORIZED, ...BAD },
  },
  {
    operationId: 'next',
    method: 'GET',
    path: '/next',
    summary: 'the next actionable workstreams (or tasks) from the pushed dependency graph',
    auth: true,
    query: NextQuerySchema,
    responses: { 200: { description: 'actionable and blocked records', schema: NextResultSchema }, ...UNAUTHORIZED, ...BAD },
  },
];

/** The API version the OpenAPI document and `/health` report; bump on any contract change. */
export const API_VERSION = '1.1.0';

/** Matches a request path against a route template; returns the decoded `{name}` segments. */
export function matchPath(template: string, pathname: string): Record<string, string> | null {
  const t = template.split('/');
  const p = pathname.split('/');
  if (t.length !== p.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const seg = t[i]!;
    if (seg.startsWith('{') && seg.endsWith('}')) {
      if (p[i] === '') return null;
      try {
        params[seg.slice(1, -1)] = decodeURIComponent(p[i]!);
      } catch {
        return null;
      }
    } else if (seg !== p[i]) return null;
  }
  return params;
}

/** Fills a route template: every `{name}` is replaced by its percent-encoded value. */
export function fillPath(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(v);
  });
}
