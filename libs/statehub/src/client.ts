import type { z } from 'zod';
import { GovernError, type GovernErrorJSON } from '@govern/errors';
import { fillPath, MAX_LIST_LIMIT, ROUTES, type Route } from './routes.js';
import {
  ChangePageSchema,
  ErrorBodySchema,
  HealthSchema,
  NextResultSchema,
  PatchResultSchema,
  PutResultSchema,
  RecordListSchema,
  RecordSchema,
  type ChangePage,
  type ErrorCode,
  type Health,
  type HubRecord,
  type NextResult,
  type PatchResult,
  type PatchStatus,
  type PutResult,
  type PutTask,
  type PutWorkstream,
  type RecordKind,
} from './schemas.js';

export interface ClientOptions {
  /** Base URL of the StateHub, e.g. `http://127.0.0.1:4870` or `https://hub.example.com/statehub`. */
  url: string;
  /** Bearer token; sent as `Authorization: Bearer …` and never included in errors or logs. */
  token?: string;
  /** Per-request time limit (default 30 s). */
  timeoutMs?: number;
  /** For tests and proxies. */
  fetch?: typeof fetch;
  /** Called with every response before it is used (the bridge's interruption tests hook in here). */
  onResponse?: (operationId: string, status: number) => void | Promise<void>;
  /** Records per request when {@link StateHubClient.list} pages through a list (default and max 1000). */
  pageSize?: number;
}

/** One page of a list endpoint: `next` is the `after` of the following page, null on the last. */
export interface RecordPage {
  records: HubRecord[];
  next: string | null;
}

/** A URL as given, with its user and password (if any) replaced by `***`, for messages; also when it does not parse. */
export function redactUrl(url: string): string {
  const redacted = url.replace(/^([a-z][a-z0-9+.-]*:[/\\]{2})[^/?#\\]*@/i, '$1***@');
  // Whatever the pattern missed that the URL parser would still read as credentials goes too;
  // in a string that does not parse, everything before its last `@`.
  if (URL.canParse(redacted)) {
    const u = new URL(redacted);
    if (u.password || (u.username && u.username !== '***')) {
      u.username = '***';
      u.password = '';
      return u.href;
    }
    return redacted;
  }
  return redacted === url && url.includes('@') ? `***@${url.slice(url.lastIndexOf('@') + 1)}` : redacted;
}

/**
 * Why a StateHub URL is refused for carrying credentials (`http://user:pass@host`),
 * or null. They would travel with every request and show wherever the URL is
 * printed (reports, errors, the sync state's keys); the message shows the URL
 * redacted, never the password.
 */
export function urlCredentialsProblem(url: string): string | null {
  const has = URL.canParse(url) ? ((u) => u.username !== '' || u.password !== '')(new URL(url)) : /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url);
  if (!has) return null;
  return `the StateHub URL ${redactUrl(url)} has credentials in it; they are refused, never sent or printed: pass a bearer token instead (govern statehub sync --token-env, default STATEHUB_TOKEN)`;
}

/**
 * A StateHub answer other than success, or no answer. `code` is the server's
 * error code, or `unreachable` (network error, timeout) / `bad-response` (a
 * body the schema rejects) / `invalid-url` (a URL with credentials, refused when
 * the client is made). A 409 carries the record as it is now in `current`. A
 * `GovernError` (exit 1).
 */
export class StateHubError extends GovernError<StateHubErrorCode> {
  constructor(
    code: StateHubErrorCode,
    message: string,
    readonly status: number | null,
    details: Record<string, unknown> = {},
    readonly current: HubRecord | null = null,
  ) {
    super(code, message, { details });
    this.name = 'StateHubError';
  }

  /** `details` plus the HTTP `status` and, on a 409, the record as it is now (`current`). */
  override toJSON(): GovernErrorJSON {
    return { code: this.code, message: this.message, details: { ...this.details, status: this.status, ...(this.current ? { current: this.current } : {}) } };
  }
}

/** The server's error codes, and the client's own: `unreachable`, `bad-response`, `invalid-url`. */
export type StateHubErrorCode = ErrorCode | 'unreachable' | 'bad-response' | 'invalid-url';

const routeById = new Map(ROUTES.map((r) => [r.operationId, r]));
const plural = (kind: RecordKind) => (kind === 'task' ? 'Task' : 'Workstream');

/**
 * The typed HTTP client of the StateHub API. Every response is checked against
 * its zod schema; the bridge talks to StateHub only through this class, so a
 * remote StateHub is a URL and a token away.
 */
export class StateHubClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly onResponse: ClientOptions['onResponse'];
  private readonly pageSize: number;

  constructor(opts: ClientOptions) {
    const credentials = urlCredentialsProblem(opts.url);
    if (credentials) throw new StateHubError('invalid-url', credentials, null);
    this.url = opts.url.replace(/\/+$/, '');
    this.pageSize = Math.min(Math.max(1, Math.floor(opts.pageSize ?? MAX_LIST_LIMIT)), MAX_LIST_LIMIT);
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fetchFn = opts.fetch ?? fetch;
    this.onResponse = opts.onResponse;
  }

  health(): Promise<Health> {
    return this.call('health', {}, HealthSchema);
  }

  /** Every record of `kind` (of `repo`), ordered by externalKey: pages through the list, one request per page. */
  async list(kind: RecordKind, repo?: string): Promise<HubRecord[]> {
    const all: HubRecord[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.listPage(kind, { ...(repo !== undefined ? { repo } : {}), limit: this.pageSize, ...(after !== undefined ? { after } : {}) });
      all.push(...page.records);
      if (page.next === null) return all;
      if (page.next === after || page.records.length === 0) {
        throw new StateHubError('bad-response', `StateHub's list of ${kind}s did not advance past ${after ?? 'its start'}`, 200, { operation: `list${plural(kind)}s` });
      }
      after = page.next;
    }
  }

  /** One page of records (`GET /{kind}s?repo&limit&after`). */
  listPage(kind: RecordKind, query: { repo?: string; limit?: number; after?: string } = {}): Promise<RecordPage> {
    const q: Record<string, string> = {};
    if (query.repo !== undefined) q.repo = query.repo;
    if (query.limit !== undefined) q.limit = String(query.limit);
    if (query.after !== undefined) q.after = query.after;
    return this.call(`list${plural(kind)}s`, { query: q }, RecordListSchema);
  }

  get(kind: RecordKind, id: string): Promise<HubRecord> {
    return this.call(`get${plural(kind)}`, { params: { id } }, RecordSchema);
  }

  /** Create-or-update by idempotency key (`PUT /{kind}s/by-key/{key}`). */
  putByKey(kind: 'workstream', key: string, body: PutWorkstream): Promise<PutResult>;
  putByKey(kind: 'task', key: string, body: PutTask): Promise<PutResult>;
  putByKey(kind: RecordKind, key: string, body: PutWorkstream | PutTask): Promise<PutResult> {
    return this.call(`put${plural(kind)}ByKey`, { params: { key }, body }, PutResultSchema);
  }

  /** A status change at `body.ifVersion`; a stale version throws a `version-conflict` StateHubError with `current`. */
  setStatus(kind: RecordKind, id: string, body: PatchStatus): Promise<PatchResult> {
    return this.call(`patch${plural(kind)}`, { params: { id }, body }, PatchResultSchema);
  }

  changes(since = 0, limit?: number): Promise<ChangePage> {
    return this.call('listChanges', { query: { since: String(since), ...(limit ? { limit: String(limit) } : {}) } }, ChangePageSchema);
  }

  next(query: { kind?: RecordKind; repo?: string; limit?: number } = {}): Promise<NextResult> {
    const q: Record<string, string> = {};
    if (query.kind) q.kind = query.kind;
    if (query.repo !== undefined) q.repo = query.repo;
    if (query.limit !== undefined) q.limit = String(query.limit);
    return this.call('next', { query: q }, NextResultSchema);
  }

  /** The server's OpenAPI document, unparsed. */
  async openapi(): Promise<unknown> {
    return this.call('openapi', {}, null);
  }

  private async call<S extends z.ZodType>(
    operationId: string,
    req: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown },
    schema: S | null,
  ): Promise<z.infer<S>> {
    const route = routeById.get(operationId) as Route | undefined;
    if (!route) throw new Error(`unknown StateHub operation ${operationId}`);
    const qs = new URLSearchParams(req.query ?? {}).toString();
    const target = `${this.url}${fillPath(route.path, req.params ?? {})}${qs ? `?${qs}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(target, {
        method: route.method,
        headers,
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new StateHubError('unreachable', `StateHub at ${this.url} did not answer ${route.method} ${route.path}: ${(err as Error).message}`, null, {
        operation: operationId,
      });
    }
    await this.onResponse?.(operationId, res.status);
    let json: unknown;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      throw new StateHubError('bad-response', `StateHub answered ${route.method} ${route.path} with ${res.status} and a body that is not JSON`, res.status, {
        operation: operationId,
      });
    }
    if (!res.ok) {
      const e = ErrorBodySchema.safeParse(json);
      if (!e.success) {
        throw new StateHubError('bad-response', `StateHub answered ${route.method} ${route.path} with ${res.status} and no error body`, res.status, { operation: operationId });
      }
      throw new StateHubError(e.data.error.code, e.data.error.message, res.status, { operation: operationId, ...(e.data.error.details ?? {}) }, e.data.current ?? null);
    }
    if (!schema) return json as z.infer<S>;
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new StateHubError('bad-response', `StateHub's answer to ${route.method} ${route.path} does not match the API schema`, res.status, {
        operation: operationId,
        issues: parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    return parsed.data;
  }
}
