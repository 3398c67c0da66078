import { z } from 'zod';
import { ResolvedWindowSchema, WindowSchema } from './window.js';

/**
 * The query primitives' requests and answers (POST /v1/memory/query, the MCP
 * memory tools). Each primitive is a table macro of migration 2 (see
 * primitives.ts); a request names it, a window, a limit and exact-match
 * filters on its columns. Filters and rows use the macros' column names.
 *
 * The failure and denial primitives read govern's own spans (the `govern.*`
 * attributes); `recent_spans` and `trace_spans` read every span, whatever
 * service sent it, by service and by trace.
 */
export const DEFAULT_QUERY_LIMIT = 50;
export const MAX_QUERY_LIMIT = 500;

export const PRIMITIVES = ['recent_failures_by_taskspec', 'gate_rollup_by_failure_reason_code', 'guard_denials_by_policy_reason_code', 'recent_spans', 'trace_spans'] as const;
export type Primitive = (typeof PRIMITIVES)[number];

/** A query's `limit`: 1..MAX_QUERY_LIMIT, default DEFAULT_QUERY_LIMIT (the MCP tools take it as is). */
export const QueryLimitSchema = z
  .int()
  .min(1)
  .max(MAX_QUERY_LIMIT)
  .default(DEFAULT_QUERY_LIMIT)
  .describe(`at most this many rows (default ${DEFAULT_QUERY_LIMIT}, max ${MAX_QUERY_LIMIT}); truncated says whether more matched`);
const code = z.string().min(1).max(200);
const ns = z.string().regex(/^-?\d+$/).describe('Unix nanoseconds, exact, as a decimal string');
const iso = z.string().describe('ISO 8601 of the *_ns column beside it (millisecond precision)');

/**
 * LM-10 (docs/contracts.md#lm-10): `reason_code` is the legacy name of
 * `failure_reason_code`. A caller that still filters by it is answered as if it
 * had said `failure_reason_code`: the alias is read here and never appears in a
 * parsed request or an answer. Both names with two different codes is a
 * contradiction the caller must resolve, so it is refused, not guessed.
 */
const legacyReasonFilter = code.optional().describe('legacy alias of failure_reason_code (LM-10): read as failure_reason_code, never in an answer');

function readReasonAlias<F extends { failure_reason_code?: string | undefined; reason_code?: string | undefined }>(filters: F, ctx: z.RefinementCtx): Omit<F, 'reason_code'> {
  const { reason_code, ...rest } = filters;
  if (reason_code === undefined) return rest;
  if (rest.failure_reason_code !== undefined && rest.failure_reason_code !== reason_code) {
    ctx.addIssue({ code: 'custom', path: ['reason_code'], message: 'reason_code is the legacy alias of failure_reason_code: give one of them, or the same code in both' });
    return z.NEVER;
  }
  return { ...rest, failure_reason_code: reason_code };
}

/** The taskspec of a task fact: what was attempted (command, stage) on what (document, item). */
export const TaskspecFiltersSchema = z.strictObject({
  command: code.optional().describe('govern.command, e.g. "task set-status"'),
  stage: code.optional().describe('govern.stage: discover, parse, graph, gate, write, close, sync, pr'),
  document_id: code.optional(),
  item_id: code.optional(),
  run_id: code.optional(),
  failure_reason_code: code.optional(),
  reason_code: legacyReasonFilter,
});

export const RecentFailuresRequestSchema = z.strictObject({
  primitive: z.literal('recent_failures_by_taskspec'),
  window: WindowSchema.optional(),
  limit: QueryLimitSchema,
  filters: TaskspecFiltersSchema.transform(readReasonAlias).prefault({}).describe('exact matches on the columns; all must hold'),
});

export const GateRollupRequestSchema = z.strictObject({
  primitive: z.literal('gate_rollup_by_failure_reason_code'),
  window: WindowSchema.optional(),
  limit: QueryLimitSchema,
  filters: z.strictObject({ stage: code.optional(), failure_reason_code: code.optional(), reason_code: legacyReasonFilter }).transform(readReasonAlias).prefault({}),
});

export const GuardDenialsRequestSchema = z.strictObject({
  primitive: z.literal('guard_denials_by_policy_reason_code'),
  window: WindowSchema.optional(),
  limit: QueryLimitSchema,
  filters: z.strictObject({ stage: code.optional(), policy_reason_code: code.optional() }).default({}),
});

const traceId = z.string().regex(/^[0-9a-f]{32}$/, '32 lowercase hex digits');
const OUTCOMES = ['ok', 'failed', 'denied'] as const;

/** Spans of any service, newest first: what a service did, or what happened to one name or trace. */
export const RecentSpansRequestSchema = z.strictObject({
  primitive: z.literal('recent_spans'),
  window: WindowSchema.optional(),
  limit: QueryLimitSchema,
  filters: z
    .strictObject({
      service_name: code.optional().describe('the resource attribute service.name of the span\'s sender'),
      name: code.optional().describe('the span name'),
      trace_id: traceId.optional(),
      outcome: z.enum(OUTCOMES).optional().describe('ok, failed (status ERROR), denied (a guard denial, not a failure)'),
    })
    .default({})
    .describe('exact matches on the columns; all must hold'),
});

/** One trace by its id: its spans in start order (parents before their children when they started first). */
export const TraceSpansRequestSchema = z.strictObject({
  primitive: z.literal('trace_spans'),
  window: WindowSchema.optional().describe('the window the trace\'s spans started in (default: the last 7 days; at most 31)'),
  limit: QueryLimitSchema,
  filters: z.strictObject({ trace_id: traceId, service_name: code.optional().describe('only the spans of this service') }).describe('trace_id is required'),
});

export const QueryRequestSchema = z
  .discriminatedUnion('primitive', [RecentFailuresRequestSchema, GateRollupRequestSchema, GuardDenialsRequestSchema, RecentSpansRequestSchema, TraceSpansRequestSchema])
  .describe('POST /v1/memory/query');
export type QueryRequest = z.output<typeof QueryRequestSchema>;
export type QueryRequestInput = z.input<typeof QueryRequestSchema>;

/** A failed task fact with its taskspec: `mv_recent_failures_by_taskspec`, plus the annotations written on it. */
export const RecentFailureRowSchema = z.object({
  command: z.string().nullable(),
  stage: z.string().nullable(),
  document_id: z.string().nullable(),
  item_id: z.string().nullable(),
  failure_reason_code: z.string().nullable().describe('null: the span had status ERROR without a reason code'),
  failure_reason_source: z.enum(['failure_reason_code', 'reason_code']).nullable(),
  policy_reason_code: z.string().nullable().describe('a guard denial on the same span (kept apart, never merged)'),
  trace_id: z.string(),
  span_id: z.string(),
  run_id: z.string().nullable(),
  name: z.string(),
  start_ns: ns,
  start_at: iso,
  duration_ns: ns,
  status_message: z.string().nullable(),
  annotations: z.record(z.string(), z.unknown()).describe('name → value of the annotations upserted on this span ({} when none)'),
});

/** One (stage, failure_reason_code) group of failed task facts: `mv_gate_rollup_by_failure_reason_code`. */
export const GateRollupRowSchema = z.object({
  stage: z.string().nullable().describe('the gate: the stage the failed span belonged to'),
  failure_reason_code: z.string().nullable(),
  failures: z.int(),
  first_ns: ns,
  first_at: iso,
  last_ns: ns,
  last_at: iso,
});

/** One (policy_reason_code, stage) group of guard-denial events: `mv_guard_denials_by_policy_reason_code`. */
export const GuardDenialRowSchema = z.object({
  policy_reason_code: z.string().nullable().describe('null: a guard.denied event without a code'),
  stage: z.string().nullable(),
  denials: z.int(),
  first_ns: ns,
  first_at: iso,
  last_ns: ns,
  last_at: iso,
});

/** A span of any service (table task_facts): `recent_spans` and `trace_spans`. */
export const SpanRowSchema = z.object({
  service_name: z.string().nullable().describe('service.name of the resource that sent it (null: none)'),
  name: z.string(),
  kind: z.enum(['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']),
  trace_id: z.string(),
  span_id: z.string(),
  parent_span_id: z.string().nullable(),
  start_ns: ns,
  start_at: iso,
  duration_ns: ns,
  status_code: z.enum(['unset', 'ok', 'error']),
  status_message: z.string().nullable(),
  outcome: z.enum(OUTCOMES),
  scope_name: z.string().describe('the instrumentation scope that made it'),
  stage: z.string().nullable().describe('govern.stage, for govern\'s own spans'),
  item_id: z.string().nullable().describe('govern.item.id, for govern\'s own spans'),
  event_count: z.int(),
});

const answer = <P extends Primitive, R extends z.ZodType>(primitive: P, row: R) =>
  z.object({
    primitive: z.literal(primitive),
    window: ResolvedWindowSchema,
    limit: z.int(),
    rows: z.array(row),
    truncated: z.boolean().describe('more rows matched than limit'),
    snapshot: z
      .object({
        ingestSeq: z.int().describe('the ingest checkpoint (last spool frame committed) the query read'),
        auditSeq: z.int().describe('the last audit record (upsert, retention) the query read'),
      })
      .describe('the same snapshot and the same request give the same rows, in the same order'),
  });

export const QueryResponseSchema = z
  .discriminatedUnion('primitive', [
    answer('recent_failures_by_taskspec', RecentFailureRowSchema),
    answer('gate_rollup_by_failure_reason_code', GateRollupRowSchema),
    answer('guard_denials_by_policy_reason_code', GuardDenialRowSchema),
    answer('recent_spans', SpanRowSchema),
    answer('trace_spans', SpanRowSchema),
  ])
  .describe('200 answer of POST /v1/memory/query');
export type QueryResponse = z.infer<typeof QueryResponseSchema>;
export type RecentFailureRow = z.infer<typeof RecentFailureRowSchema>;
export type GateRollupRow = z.infer<typeof GateRollupRowSchema>;
export type GuardDenialRow = z.infer<typeof GuardDenialRowSchema>;
export type SpanRow = z.infer<typeof SpanRowSchema>;
