import type { z } from 'zod';
import { ApiErrorEnvelopeSchema, MemoryApiError } from './errors.js';
import { AuditResponseSchema, HealthResponseSchema, RetentionResultSchema, UpsertResponseSchema } from './ops.js';
import type { AuditResponse, HealthResponse, RetentionResult, UpsertResponse } from './ops.js';
import { QueryResponseSchema, type QueryRequestInput, type QueryResponse } from './query.js';

/** memoryd's default address (the OTLP/HTTP port on loopback). */
export const DEFAULT_MEMORYD_URL = 'http://127.0.0.1:4318';
/** The environment variable govern's memory tools read memoryd's URL from. */
export const MEMORYD_URL_ENV = 'GOVERN_MEMORYD_URL';
/** The environment variable govern's memory tools read memoryd's bearer token from (when memoryd has one). */
export const MEMORYD_TOKEN_ENV = 'GOVERN_MEMORYD_TOKEN';

export interface MemoryClientOptions {
  /** memoryd's base URL (default {@link DEFAULT_MEMORYD_URL}). */
  url?: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** memoryd's bearer token, when it has one. Sent on every request; never in an error's message or details. */
  token?: string;
}

/**
 * The memory API's HTTP client: what the MCP tools (and any other process)
 * use, since memoryd alone opens the database. Each answer is checked against
 * its contract schema; every failure is a {@link MemoryApiError}: memoryd's
 * own refusal (its code and details), `memoryd-unavailable` when it cannot be
 * reached, `memoryd-timeout`, or `contract-mismatch` when an answer does not
 * match the schema this build was compiled with.
 */
export class MemoryClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly auth: Record<string, string>;

  constructor(opts: MemoryClientOptions = {}) {
    this.url = (opts.url ?? DEFAULT_MEMORYD_URL).replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    const token = opts.token?.trim();
    this.auth = token ? { authorization: `Bearer ${token}` } : {};
  }

  query(req: QueryRequestInput): Promise<QueryResponse> {
    return this.call('POST', '/v1/memory/query', req, QueryResponseSchema);
  }

  upsert(req: unknown): Promise<UpsertResponse> {
    return this.call('POST', '/v1/memory/upsert', req, UpsertResponseSchema);
  }

  audit(req: unknown = {}): Promise<AuditResponse> {
    return this.call('POST', '/v1/memory/audit', req, AuditResponseSchema);
  }

  retention(req: unknown = {}): Promise<RetentionResult> {
    return this.call('POST', '/v1/memory/retention', req, RetentionResultSchema);
  }

  health(): Promise<HealthResponse> {
    return this.call('GET', '/v1/memory/health', undefined, HealthResponseSchema);
  }

  private async call<S extends z.ZodType>(method: 'GET' | 'POST', route: string, body: unknown, schema: S): Promise<z.output<S>> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${route}`, {
        method,
        headers: { ...this.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError') throw new MemoryApiError('memoryd-timeout', `memoryd at ${this.url} did not answer ${method} ${route} within ${this.timeoutMs} ms`, { url: this.url }, 504);
      const why = e.cause?.code ?? e.message;
      throw new MemoryApiError('memoryd-unavailable', `memoryd is not reachable at ${this.url} (${why}); start it with \`memoryd serve\` or set ${MEMORYD_URL_ENV}`, { url: this.url, cause: why }, 503);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new MemoryApiError('contract-mismatch', `${method} ${route} answered ${res.status} with a body that is not JSON`, { status: res.status }, 502);
    }
    if (!res.ok) {
      const env = ApiErrorEnvelopeSchema.safeParse(json);
      if (env.success) throw new MemoryApiError(env.data.error.code, env.data.error.message, env.data.error.details, res.status);
      throw new MemoryApiError('contract-mismatch', `${method} ${route} answered ${res.status} without an error envelope`, { status: res.status }, 502);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
      throw new MemoryApiError('contract-mismatch', `${method} ${route}: the answer does not match this build's schema (memoryd and the client differ in version?)`, { issues }, 502);
    }
    return parsed.data;
  }
}
