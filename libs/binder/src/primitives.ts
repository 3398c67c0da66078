import { z } from 'zod';
import type { Param } from '@govern/duckdb';
import { BinderError } from './errors.js';

/**
 * The binder's query primitives (seed 002 K2): the table macros of migrations.ts,
 * with filters, a total order and a limit. Each order ends with the group's (or
 * the fact's) key, so identical facts and identical filters give identical rows
 * in identical order, whatever the physical layout or the number of threads.
 */
export const PRIMITIVES = ['mv_recent_failures_by_taskspec', 'mv_gate_rollup_by_failure_reason_code', 'mv_guard_denials_by_policy_reason_code'] as const;
export type Primitive = (typeof PRIMITIVES)[number];

/** Largest `limit` a query may ask for; the default is 100. */
export const MAX_LIMIT = 10_000;
export const DEFAULT_LIMIT = 100;

const value = z.string().min(1).max(500);
/** An ISO 8601 instant with an offset; compared in UTC (observed_ts). */
const instant = z.iso.datetime({ offset: true });

const window = { from: instant.optional(), to: instant.optional() };
const taskSpec = { scope: value.optional(), target_kind: value.optional(), target_id: value.optional(), action_kind: value.optional() };

/** The filters each primitive accepts (all optional; unknown ones are refused). `from`/`to`: the window of observed_at, to exclusive. */
export const PRIMITIVE_FILTERS = {
  mv_recent_failures_by_taskspec: z
    .object({ ...window, ...taskSpec, failure_reason_code: value.optional(), signal: z.enum(['failure', 'anomaly']).optional(), run_id: value.optional() })
    .strict(),
  mv_gate_rollup_by_failure_reason_code: z.object({ ...window, gate: value.optional(), failure_reason_code: value.optional() }).strict(),
  mv_guard_denials_by_policy_reason_code: z.object({ ...window, ...taskSpec, policy_reason_code: value.optional() }).strict(),
} as const satisfies Record<Primitive, z.ZodType>;

/** The total order of each primitive's rows (the last terms are a unique key). */
export const PRIMITIVE_ORDER: Record<Primitive, string> = {
  mv_recent_failures_by_taskspec: 'observed_ts DESC, idempotency_key ASC',
  mv_gate_rollup_by_failure_reason_code: 'failures DESC, anomalies DESC, envelopes DESC, gate ASC NULLS LAST, failure_reason_code ASC',
  mv_guard_denials_by_policy_reason_code: 'denials DESC, policy_reason_code ASC, scope ASC, target_kind ASC, target_id ASC, action_kind ASC',
};

export interface QueryOptions {
  filters?: Record<string, unknown>;
  /** 1..{@link MAX_LIMIT}; default {@link DEFAULT_LIMIT}. */
  limit?: number;
}

/** A primitive's answer: its rows in the primitive's order, and whether more rows matched than `limit`. */
export interface QueryResult {
  primitive: Primitive;
  filters: Record<string, string>;
  limit: number;
  rows: Record<string, unknown>[];
  truncated: boolean;
}

/** The lower and upper bounds of observed_ts when no window is given (every ISO instant sorts between them). */
const MIN_TS = '';
const MAX_TS = '\u{10FFFF}';

/** `from`/`to` as observed_ts is written: UTC, milliseconds (Date#toISOString). */
function utc(iso: string): string {
  return new Date(iso).toISOString();
}

/**
 * The SQL and parameters of one primitive query. Refuses (`invalid-query`) an unknown
 * primitive, an unknown or malformed filter, or a limit outside 1..{@link MAX_LIMIT}.
 * One more row than `limit` is read, to tell whether the answer was truncated.
 */
export function primitiveSql(primitive: string, opts: QueryOptions = {}): { sql: string; params: Param[]; limit: number; filters: Record<string, string>; primitive: Primitive } {
  if (!(PRIMITIVES as readonly string[]).includes(primitive)) {
    throw new BinderError('invalid-query', `unknown query primitive ${JSON.stringify(primitive)}; known: ${PRIMITIVES.join(', ')}`, { details: { primitive, known: [...PRIMITIVES] } });
  }
  const p = primitive as Primitive;
  const limit = opts.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new BinderError('invalid-query', `limit must be an integer from 1 to ${MAX_LIMIT}, not ${String(limit)}`, { details: { primitive: p, limit } });
  }
  const parsed = PRIMITIVE_FILTERS[p].safeParse(opts.filters ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(', ') : ''), message: i.message }));
    throw new BinderError('invalid-query', `${p}: ${problems.map((x) => (x.path ? `${x.path}: ${x.message}` : x.message)).join('; ')}`, { details: { primitive: p, problems } });
  }
  const filters = Object.fromEntries(Object.entries(parsed.data).filter((e): e is [string, string] => e[1] !== undefined));
  const params: Param[] = [filters.from !== undefined ? utc(filters.from) : MIN_TS, filters.to !== undefined ? utc(filters.to) : MAX_TS];
  const where: string[] = [];
  // Filter names are the macro's column names (the schema above admits no other key).
  for (const [k, v] of Object.entries(filters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (k === 'from' || k === 'to') continue;
    params.push(v);
    where.push(`${k} = $${params.length}`);
  }
  const sql = `SELECT * FROM ${p}($1, $2)${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${PRIMITIVE_ORDER[p]} LIMIT ${limit + 1}`;
  return { sql, params, limit, filters, primitive: p };
}
