import type { z } from 'zod';
import { fillPath, ROUTES, type Route } from './routes.js';
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
}

/**
 * A StateHub answer other than success, or no answer. `code` is the server's
 * error code, or `unreachable` (network error, timeout) / `bad-response` (a
 * body the schema rejects). A 409 carries the record as it is now in `current`.
 */
export class StateHubError extends Error {
  constructor(
    readonly code: ErrorCode | 'unreachable' | 'bad-response',
    message: string,
    readonly status: number | null,
    readonly details: Record<string, unknown> = {},
    readonly current: HubRecord | null = null,
  ) {
    super(message);
    this.name = 'StateHubError';
  }

  toJSON(): { code: string; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: { ...this.details, status: this.status, ...(this.current ? { current: this.current } : {}) } };
  }
}

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

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fetchFn = opts.fetch ?? fetch;
    this.onResponse = opts.onResponse;
  }

  health(): Promise<Health> {
    return this.call('health', {}, HealthSchema);
  }

  list(kind: RecordKind, repo?: string): Promise<HubRecord[]> {
    return this.call(`list${plural(kind)}s`, { query: repo !== undefined ? { repo } : {} }, RecordListSchema).then((r) => r.records);
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
