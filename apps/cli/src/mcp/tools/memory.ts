import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { assertEnabledWhereDeclared } from '@govern/gates';
import {
  AlertStateSchema,
  AUDIT_OPS,
  AuditRowSchema,
  DEFAULT_MEMORYD_URL,
  GateRollupRowSchema,
  GuardDenialRowSchema,
  QueryLimitSchema,
  MEMORYD_TOKEN_ENV,
  MEMORYD_URL_ENV,
  MemoryApiError,
  MemoryClient,
  RecentFailureRowSchema,
  ResolvedWindowSchema,
  SpanRowSchema,
  TimeSchema,
  UpsertResponseSchema,
  type QueryRequestInput,
} from '@govern/memory-contract';
import { resultSchema } from '../schemas.js';
import { ToolFailure } from '../results.js';
import { defineTool, type ToolContext } from '../tool.js';

/**
 * The memory tools: memoryd's query primitives (govern's failures and denials,
 * and the spans of any service by service and trace), annotation upserts,
 * health and audit for agents. They talk to memoryd over HTTP (memoryd alone opens the
 * database), at GOVERN_MEMORYD_URL or http://127.0.0.1:4318, with the bearer
 * token in GOVERN_MEMORYD_TOKEN when memoryd has one. When the served
 * root's govern.config.yaml declares a `memory-store` gate, each call first
 * asserts it (a disabled gate is the answer, as `gate-disabled`); a root that
 * declares none is not governed by one. memoryd's refusals come back with
 * their own code and details.
 */
const READ_ONLY = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const;

const code = z.string().min(1).max(200);
const windowFields = {
  from: TimeSchema.optional().describe('window start, inclusive: ISO 8601 (2026-02-15T00:00:00Z) or Unix ns; default 7 days before to'),
  to: TimeSchema.optional().describe("window end, exclusive; default now (memoryd's clock). The window is at most 31 days"),
};
const limit = QueryLimitSchema;
const snapshot = z.looseObject({ ingestSeq: z.int(), auditSeq: z.int() }).describe('same snapshot + same arguments = same rows, same order');
const answer = (row: z.ZodObject) =>
  resultSchema({ primitive: z.string(), window: ResolvedWindowSchema.loose(), limit: z.int(), rows: z.array(row.loose()), truncated: z.boolean(), snapshot });

/** The filters present among `args` (the tools' inputs are flat; the API nests them). */
function pick(args: Record<string, unknown>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => args[k] !== undefined).map((k) => [k, args[k] as string]));
}
function windowOf(args: { from?: string | undefined; to?: string | undefined }) {
  return { ...(args.from !== undefined ? { from: args.from } : {}), ...(args.to !== undefined ? { to: args.to } : {}) };
}

export function registerMemoryTools(server: McpServer, tc: ToolContext): void {
  const token = tc.ctx.env[MEMORYD_TOKEN_ENV]?.trim();
  const client = new MemoryClient({ url: tc.ctx.env[MEMORYD_URL_ENV]?.trim() || DEFAULT_MEMORYD_URL, ...(token ? { token } : {}) });
  /** The gate check, then the call; memoryd's refusals become tool errors with their code. */
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    await assertEnabledWhereDeclared('memory-store', { root: tc.root });
    try {
      return await fn();
    } catch (err) {
      if (err instanceof MemoryApiError) throw new ToolFailure(err.toJSON());
      throw err;
    }
  };
  const query = (req: QueryRequestInput) => call(() => client.query(req)) as Promise<Record<string, unknown>>;

  const failureFilters = ['command', 'stage', 'document_id', 'item_id', 'run_id', 'failure_reason_code'] as const;
  defineTool(
    server,
    tc,
    'memory_recent_failures',
    {
      title: 'Recent failures by taskspec',
      description:
        'Failed task facts (spans) in a time window, newest first, with their taskspec (command, stage, document_id, item_id), failure_reason_code and ' +
        'any annotations. A guard denial alone is not a failure (see memory_guard_denials). Filters are exact matches.',
      inputSchema: z.object({ ...windowFields, limit, ...Object.fromEntries(failureFilters.map((k) => [k, code.optional()])) }),
      outputSchema: answer(RecentFailureRowSchema),
      annotations: READ_ONLY,
    },
    (args) => query({ primitive: 'recent_failures_by_taskspec', window: windowOf(args), limit: args.limit, filters: pick(args, failureFilters) }),
  );

  defineTool(
    server,
    tc,
    'memory_gate_rollup',
    {
      title: 'Failures per gate and failure_reason_code',
      description: 'Failed task facts in a time window, counted per gate (stage) and failure_reason_code, most failures first.',
      inputSchema: z.object({ ...windowFields, limit, stage: code.optional(), failure_reason_code: code.optional() }),
      outputSchema: answer(GateRollupRowSchema),
      annotations: READ_ONLY,
    },
    (args) => query({ primitive: 'gate_rollup_by_failure_reason_code', window: windowOf(args), limit: args.limit, filters: pick(args, ['stage', 'failure_reason_code']) }),
  );

  defineTool(
    server,
    tc,
    'memory_guard_denials',
    {
      title: 'Guard denials per policy_reason_code',
      description: 'Guard-denial events (gate-disabled, dependencies-not-done, …) in a time window, counted per policy_reason_code and stage, most first.',
      inputSchema: z.object({ ...windowFields, limit, stage: code.optional(), policy_reason_code: code.optional() }),
      outputSchema: answer(GuardDenialRowSchema),
      annotations: READ_ONLY,
    },
    (args) => query({ primitive: 'guard_denials_by_policy_reason_code', window: windowOf(args), limit: args.limit, filters: pick(args, ['stage', 'policy_reason_code']) }),
  );

  const traceId = z.string().regex(/^[0-9a-f]{32}$/, '32 lowercase hex digits');
  const service = code.optional().describe('service.name of the sender (any service, not only govern)');
  defineTool(
    server,
    tc,
    'memory_spans',
    {
      title: 'Recent spans of any service',
      description:
        'Spans stored by memoryd in a time window, newest first, from any service that exports traces to it (not only govern): service_name, name, ' +
        'status, outcome, duration, trace_id/span_id/parent_span_id. Filter by service_name, span name, trace_id or outcome (exact matches).',
      inputSchema: z.object({ ...windowFields, limit, service_name: service, name: code.optional(), trace_id: traceId.optional(), outcome: z.enum(['ok', 'failed', 'denied']).optional() }),
      outputSchema: answer(SpanRowSchema),
      annotations: READ_ONLY,
    },
    (args) => query({ primitive: 'recent_spans', window: windowOf(args), limit: args.limit, filters: pick(args, ['service_name', 'name', 'trace_id', 'outcome']) }),
  );

  defineTool(
    server,
    tc,
    'memory_trace',
    {
      title: 'One trace by id',
      description:
        'The spans of one trace (trace_id, from memory_spans or memory_recent_failures, or a service\'s own logs) in start order, with parent_span_id to rebuild the tree; ' +
        'optionally only one service\'s. The window bounds when its spans started (default the last 7 days).',
      inputSchema: z.object({ ...windowFields, limit, trace_id: traceId, service_name: service }),
      outputSchema: answer(SpanRowSchema),
      annotations: READ_ONLY,
    },
    (args) => query({ primitive: 'trace_spans', window: windowOf(args), limit: args.limit, filters: { trace_id: args.trace_id, ...pick(args, ['service_name']) } }),
  );

  defineTool(
    server,
    tc,
    'memory_annotate',
    {
      title: 'Annotate a task fact',
      description:
        'Upserts an annotation (name → JSON value) on a task fact by its trace_id and span_id (from memory_recent_failures). Idempotent: the same value ' +
        'again is outcome unchanged. Every call is audited; secrets and emails in the value are redacted before it is stored.',
      inputSchema: z.object({
        trace_id: z.string().regex(/^[0-9a-f]{32}$/).describe('the fact\'s trace_id'),
        span_id: z.string().regex(/^[0-9a-f]{16}$/).describe('the fact\'s span_id'),
        name: z.string().min(1).max(128).describe('annotation name: letters, digits and _.:- (triage, ticket, verdict)'),
        value: z.json().describe('any JSON value (at most 16 KiB)'),
        actor: z.string().min(1).max(200).optional().describe('who annotates, for the audit record'),
      }),
      outputSchema: resultSchema(UpsertResponseSchema.shape),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (args) => call(() => client.upsert({ kind: 'annotation', ...args })) as Promise<Record<string, unknown>>,
  );

  defineTool(
    server,
    tc,
    'memory_health',
    {
      title: 'memoryd health',
      description: "memoryd's status (ok | alerting | degraded: ingest lagging or its queue full), ingest lag, last checkpoint, database size, retention, alerts and the quarantine of payloads that could never be ingested.",
      inputSchema: z.object({}),
      outputSchema: resultSchema({
        status: z.string(),
        ingest: z.looseObject({ lagFrames: z.int(), lagSpans: z.int(), lagMs: z.number(), lastCommitAt: z.string().nullable() }),
        lastCheckpoint: z.looseObject({ seq: z.int(), committedAt: z.string().nullable(), databaseCheckpointAt: z.string().nullable() }),
        database: z.looseObject({ fileBytes: z.int(), walBytes: z.int(), usedBytes: z.int() }),
        alerts: z.array(AlertStateSchema.loose()),
      }),
      annotations: READ_ONLY,
    },
    () => call(() => client.health()) as Promise<Record<string, unknown>>,
  );

  defineTool(
    server,
    tc,
    'memory_audit',
    {
      title: 'Memory audit',
      description: 'The audit records of annotation upserts and retention runs in a time window, newest first.',
      inputSchema: z.object({ ...windowFields, limit, op: z.enum(AUDIT_OPS).optional(), actor: code.optional() }),
      outputSchema: resultSchema({ window: ResolvedWindowSchema.loose(), limit: z.int(), rows: z.array(AuditRowSchema.loose()), truncated: z.boolean() }),
      annotations: READ_ONLY,
    },
    (args) => call(() => client.audit({ window: windowOf(args), limit: args.limit, filters: pick(args, ['op', 'actor']) })) as Promise<Record<string, unknown>>,
  );
}
