import type { Db, Param, Row } from '@govern/duckdb';
import {
  MemoryApiError,
  type GateRollupRow,
  type GuardDenialRow,
  type Primitive,
  type QueryRequest,
  type QueryResponse,
  type RecentFailureRow,
  type SpanRow,
  isoOfNs,
  resolveWindow,
} from '@govern/memory-contract';

/**
 * The query primitives as prepared queries over the `mv_*` table macros of
 * migrations 2, 3 and 5 (the failure primitives read `failure_facts`, the failed
 * task facts materialized at ingest; the denials read `event_facts`; the span
 * primitives, every service's spans, `task_facts`). Deterministic: every ORDER BY ends with the key (a fact's
 * (start_ns, trace_id, span_id); a group's columns), so the same snapshot and
 * the same request give the same rows in the same order. Bounded: a window
 * (window.ts) and a limit; one row more than the limit is read to say whether
 * the answer was truncated. Filters are exact matches, bound as parameters;
 * the SQL text depends only on which filters are present, so it stays
 * prepared on the read connection.
 */
export interface PrimitiveSql {
  macro: string;
  /** The filterable columns, in the order their conditions are written. */
  columns: readonly string[];
  order: string;
}

export const PRIMITIVE_SQL: Record<Primitive, PrimitiveSql> = {
  recent_failures_by_taskspec: {
    macro: 'mv_recent_failures_by_taskspec',
    columns: ['command', 'stage', 'document_id', 'item_id', 'run_id', 'failure_reason_code'],
    order: 'start_ns DESC, trace_id DESC, span_id DESC',
  },
  gate_rollup_by_failure_reason_code: {
    macro: 'mv_gate_rollup_by_failure_reason_code',
    columns: ['stage', 'failure_reason_code'],
    order: 'failures DESC, stage ASC NULLS FIRST, failure_reason_code ASC NULLS FIRST',
  },
  guard_denials_by_policy_reason_code: {
    macro: 'mv_guard_denials_by_policy_reason_code',
    columns: ['stage', 'policy_reason_code'],
    order: 'denials DESC, policy_reason_code ASC NULLS FIRST, stage ASC NULLS FIRST',
  },
  recent_spans: {
    macro: 'mv_spans',
    columns: ['service_name', 'name', 'trace_id', 'outcome'],
    order: 'start_ns DESC, trace_id DESC, span_id DESC',
  },
  // A trace reads in the order its spans started; span_id breaks ties deterministically.
  trace_spans: {
    macro: 'mv_spans',
    columns: ['trace_id', 'service_name'],
    order: 'start_ns ASC, span_id ASC',
  },
};

/** `WHERE` conditions and parameters ($3, $4, …; $1 and $2 are the window) of the filters present. */
export function filterSql(spec: PrimitiveSql, filters: Record<string, string | undefined>): { where: string; params: string[] } {
  const conds: string[] = [];
  const params: string[] = [];
  for (const col of spec.columns) {
    const v = filters[col];
    if (v === undefined) continue;
    params.push(v);
    conds.push(`${col} = $${params.length + 2}`);
  }
  return { where: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}

/**
 * Buckets of recent failures' first step: a histogram of the window's matching
 * failures by start time, in this many equal-width buckets (0–254: the key is a
 * UTINYINT, which DuckDB counts in a perfect hash table instead of a hash table).
 */
export const WINDOW_BUCKETS = 255n;

/**
 * Matching rows beyond the limit + 1 that recent failures' second step may read
 * before a third statement narrows its window to the exact start of the newest
 * limit + 1: the rows statement's ORDER BY … LIMIT costs ~0.6 µs per wide row, the
 * boundary statement ~0.2 µs per start time plus ~1 ms for the statement itself
 * (over a million facts, one thread), so this is about where the extra statement
 * starts to pay.
 */
export const NARROW_ABOVE = 2048n;

/**
 * The statements a request runs (exposed for the benchmark, which times the
 * same SQL directly on DuckDB; {@link primitiveRows} runs them). Parameters:
 * $1 and $2 the window, then the filters, then one more (the row count, limit +
 * 1, or the histogram's bucket width), so the SQL text depends only on which
 * filters are present.
 *
 * Recent failures read the (limit + 1) newest failures of the window, and an
 * `ORDER BY start_ns DESC … LIMIT` over the whole window is the slow case of
 * DuckDB's top-N: failures are stored in about the order they started (ingest
 * appends), so every row scanned is newer than those kept so far and displaces
 * one (over a million facts, unfiltered, a month: ~10 ms for the start times
 * alone, ~35 ms with the wide rows; the same top-N over shuffled rows, ~1 ms).
 * So the window is narrowed first: `histogram` counts the window's matching
 * failures in {@link WINDOW_BUCKETS} buckets by start time (one scan of the start
 * times, no sort: ~2 ms for the month); the newest buckets that together hold
 * limit + 1 rows give a start from which `rows` reads, a superset of the answer
 * that holds every row newer than it. If that range holds many more rows than
 * needed (failures in a burst), `boundary` — the oldest start time among the
 * (limit + 1) newest from there — narrows it to the exact start first.
 */
export function primitiveStatements(req: QueryRequest): { histogram: string | null; boundary: string | null; rows: string; unannotatedRows: string; params: Param[] } {
  const spec = PRIMITIVE_SQL[req.primitive];
  const { where, params } = filterSql(spec, req.filters as Record<string, string | undefined>);
  const n = `$${params.length + 3}`;
  const all: Param[] = [...params, BigInt(req.limit + 1)];
  const plain = `SELECT * FROM ${spec.macro}($1, $2) ${where} ORDER BY ${spec.order} LIMIT ${n}`;
  if (req.primitive !== 'recent_failures_by_taskspec') return { histogram: null, boundary: null, rows: plain, unannotatedRows: plain, params: all };
  // The casts type the parameters (untyped, the arithmetic is not BIGINT's and is ~15× slower).
  const histogram = `SELECT ((start_ns - $1::BIGINT) // ${n}::BIGINT)::UTINYINT AS k, count(*) AS c FROM ${spec.macro}($1, $2) ${where} GROUP BY k ORDER BY k DESC`;
  const boundary = `SELECT min(start_ns) AS start_ns FROM (SELECT start_ns FROM ${spec.macro}($1, $2) ${where} ORDER BY start_ns DESC LIMIT ${n})`;
  const rows =
    `WITH f AS (SELECT * FROM ${spec.macro}($1, $2) ${where} ORDER BY ${spec.order} LIMIT ${n}), ` +
    `a AS (SELECT t.trace_id, t.span_id, json_group_object(t.name, t.value)::VARCHAR AS annotations FROM task_annotations t ` +
    `SEMI JOIN f ON t.trace_id = f.trace_id AND t.span_id = f.span_id GROUP BY t.trace_id, t.span_id) ` +
    `SELECT f.*, a.annotations FROM f LEFT JOIN a USING (trace_id, span_id) ORDER BY ${spec.order}`;
  return { histogram, boundary, rows, unannotatedRows: plain, params: all };
}

/** Runs one statement with its parameters (a read of the snapshot, or the benchmark's prepared statements). */
export type ReadFn = (sql: string, params: Param[]) => Promise<Row[]>;

/**
 * The rows of a request over [fromNs, toNs): the statements of
 * {@link primitiveStatements}, in order, through `read`. Recent failures read
 * from the start the histogram gives (see there): every row newer than it is
 * read, and at least limit + 1 of them when the window holds as many, so the
 * answer is the same rows in the same order as one `ORDER BY … LIMIT` over the
 * whole window. Nothing is read after an empty histogram.
 *
 * `annotated: false` says the snapshot holds no annotation at all; recent
 * failures then read their rows without the join to task_annotations, which
 * would give every row none. The join costs ~2 ms per request whatever the
 * table holds (over a million facts, one thread, 201 rows: 6.3 ms median with
 * it, 4.3 without), most of it planning: DuckDB binds and optimizes a prepared
 * statement with parameters again on every run.
 */
export async function primitiveRows(read: ReadFn, req: QueryRequest, fromNs: bigint, toNs: bigint, annotated = true): Promise<Row[]> {
  const { histogram, boundary, rows: joined, unannotatedRows, params } = primitiveStatements(req);
  const rows = annotated ? joined : unannotatedRows;
  if (!histogram || !boundary) return read(rows, [fromNs, toNs, ...params]);
  const want = BigInt(req.limit + 1);
  const width = (toNs - fromNs) / WINDOW_BUCKETS + 1n;
  // Newest bucket first (the histogram's ORDER BY k DESC).
  const buckets = (await read(histogram, [fromNs, toNs, ...params.slice(0, -1), width])).map((b) => ({ k: BigInt(b.k as number), c: BigInt(b.c as bigint) }));
  if (buckets.length === 0) return [];
  // Newest buckets first, until they hold limit + 1 rows (or the window runs out).
  let start = fromNs;
  let held = 0n;
  for (const b of buckets) {
    held += b.c;
    start = fromNs + b.k * width;
    if (held >= want) break;
  }
  if (held > want + NARROW_ABOVE) {
    const [b] = await read(boundary, [start, toNs, ...params]);
    start = b!.start_ns as bigint;
  }
  return read(rows, [start, toNs, ...params]);
}

/** Runs a query primitive in one read snapshot of `db`. `nowNs` is the default end of the window. */
export async function runQuery(db: Db, req: QueryRequest, nowNs: bigint): Promise<QueryResponse> {
  const { fromNs, toNs, window } = resolveWindow(req.window, nowNs);
  const { rows, snapshot } = await db.snapshot(async (read) => {
    const [s] = await read(SNAPSHOT_SQL);
    const snapshot = { ingestSeq: Number(s!.ingest_seq), auditSeq: Number(s!.audit_seq) };
    return { rows: await primitiveRows(read, req, fromNs, toNs, s!.annotated as boolean), snapshot };
  });
  const truncated = rows.length > req.limit;
  const kept = truncated ? rows.slice(0, req.limit) : rows;
  const base = { window, limit: req.limit, truncated, snapshot };
  switch (req.primitive) {
    case 'recent_failures_by_taskspec':
      return { primitive: req.primitive, ...base, rows: kept.map(failureRow) };
    case 'gate_rollup_by_failure_reason_code':
      return { primitive: req.primitive, ...base, rows: kept.map(gateRow) };
    case 'guard_denials_by_policy_reason_code':
      return { primitive: req.primitive, ...base, rows: kept.map(denialRow) };
    case 'recent_spans':
    case 'trace_spans':
      return { primitive: req.primitive, ...base, rows: kept.map(spanRow) };
    default:
      throw new MemoryApiError('invalid-request', `unknown primitive ${(req as { primitive: string }).primitive}`);
  }
}

const SNAPSHOT_SQL =
  'SELECT (SELECT last_seq FROM ingest_checkpoint WHERE id = 1) AS ingest_seq, (SELECT coalesce(max(audit_id), 0) FROM memory_audit) AS audit_seq, EXISTS (SELECT 1 FROM task_annotations) AS annotated';

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

function failureRow(r: Row): RecentFailureRow {
  const start = r.start_ns as bigint;
  return {
    command: str(r.command),
    stage: str(r.stage),
    document_id: str(r.document_id),
    item_id: str(r.item_id),
    failure_reason_code: str(r.failure_reason_code),
    failure_reason_source: str(r.failure_reason_source) as RecentFailureRow['failure_reason_source'],
    policy_reason_code: str(r.policy_reason_code),
    trace_id: String(r.trace_id),
    span_id: String(r.span_id),
    run_id: str(r.run_id),
    name: String(r.name),
    start_ns: String(start),
    start_at: isoOfNs(start),
    duration_ns: String(r.duration_ns),
    status_message: str(r.status_message),
    annotations: sortedObject(r.annotations ? (JSON.parse(r.annotations as string) as Record<string, unknown>) : {}),
  };
}

function span(r: Row) {
  const first = r.first_ns as bigint;
  const last = r.last_ns as bigint;
  return { first_ns: String(first), first_at: isoOfNs(first), last_ns: String(last), last_at: isoOfNs(last) };
}

function gateRow(r: Row): GateRollupRow {
  return { stage: str(r.stage), failure_reason_code: str(r.failure_reason_code), failures: Number(r.failures), ...span(r) };
}

function denialRow(r: Row): GuardDenialRow {
  return { policy_reason_code: str(r.policy_reason_code), stage: str(r.stage), denials: Number(r.denials), ...span(r) };
}

function spanRow(r: Row): SpanRow {
  const start = r.start_ns as bigint;
  return {
    service_name: str(r.service_name),
    name: String(r.name),
    kind: String(r.kind) as SpanRow['kind'],
    trace_id: String(r.trace_id),
    span_id: String(r.span_id),
    parent_span_id: str(r.parent_span_id),
    start_ns: String(start),
    start_at: isoOfNs(start),
    duration_ns: String(r.duration_ns),
    status_code: String(r.status_code) as SpanRow['status_code'],
    status_message: str(r.status_message),
    outcome: String(r.outcome) as SpanRow['outcome'],
    scope_name: String(r.scope_name),
    stage: str(r.stage),
    item_id: str(r.item_id),
    event_count: Number(r.event_count),
  };
}

/** Keys in order: json_group_object's order is the aggregation's, which is not defined. */
function sortedObject(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) Object.defineProperty(out, k, { value: o[k], enumerable: true, writable: true, configurable: true });
  return out;
}
