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
import { GovernError } from '@govern/errors';
import { decodeCursor, encodeCursor } from '../cursor.js';
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
const cursor = z
  .string()
  .min(1)
  .max(2000)
  .optional()
  .describe("the previous answer's nextCursor: the next page of the same query (same window, same filters; they may be left out)");
const snapshot = z.looseObject({ ingestSeq: z.int(), auditSeq: z.int() }).describe('same snapshot + same arguments = same rows, same order');
const nextCursor = z.string().nullable().describe('pass as cursor for the next page; null when this page is the last');
const answer = (row: z.ZodObject) =>
  resultSchema({
    primitive: z.string(),
    window: ResolvedWindowSchema.loose(),
    limit: z.int(),
    rows: z.array(row.loose()),
    truncated: z.boolean().describe('more rows matched than this page holds (nextCursor reads them)'),
    snapshot,
    nextCursor,
  });

type Row = Record<string, unknown>;
interface Answer {
  rows: Row[];
  truncated: boolean;
  window: { fromNs: string; toNs: string };
  [k: string]: unknown;
}
/** Fetches one memoryd answer: a window (Unix ns strings or the caller's times), a row count, the filters. */
type Fetch = (window: { from?: string; to?: string }, limit: number, filters: Record<string, string>) => Promise<Answer>;

/**
 * How a list is paged. memoryd answers a window and a limit, without offsets, so the
 * next page is asked for by position: `time` lists (newest first, or in start order for
 * a trace) continue from the last row's time, in the same window, skipping the rows of
 * that same time already given (the order's tie-breakers say which); `offset` lists
 * (the rollups, a few rows per code) ask for the rows up to the end of the next page
 * and skip the first.
 */
type Paging = { kind: 'time'; order: 'desc' | 'asc'; ns: string; key: readonly string[] } | { kind: 'offset' };

interface TimePosition {
  fromNs: string;
  toNs: string;
  ns: string;
  key: string[];
  /** Rows at `ns` given on earlier pages (they come again in the narrowed window). */
  seen: number;
}
interface OffsetPosition {
  fromNs: string;
  toNs: string;
  offset: number;
}

const MAX_ROWS = 500;
// The orders of memory-store's primitives (PRIMITIVE_SQL), whose tie-breakers make a position exact.
const newestFirst: Paging = { kind: 'time', order: 'desc', ns: 'start_ns', key: ['trace_id', 'span_id'] };
const IN_START_ORDER: Paging = { kind: 'time', order: 'asc', ns: 'start_ns', key: ['span_id'] };
const BY_COUNT: Paging = { kind: 'offset' };
// The memory audit is newest audit_id first; ids grow with time, so a record's time and id place it.
const AUDIT_ORDER: Paging = { kind: 'time', order: 'desc', ns: 'at_ns', key: ['audit_id'] };
// Numbers (audit_id) are padded so that comparing the strings compares the numbers.
const keyOf = (row: Row, cols: readonly string[]) => cols.map((c) => (typeof row[c] === 'number' ? String(row[c]).padStart(20, '0') : String(row[c] ?? '')));
const cmpKey = (a: string[], b: string[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
};

/**
 * One page of a memory list with its `nextCursor`. Without a cursor: the caller's
 * window and filters. With one: the window and filters of the first call (arguments
 * given again must equal them) and the position after the last row given.
 */
async function paged(tool: string, p: Paging, args: { from?: string | undefined; to?: string | undefined; limit: number; cursor?: string | undefined }, given: Record<string, string>, fetch: Fetch) {
  const asked = { ...given, from: args.from, to: args.to };
  let filters = given;
  // What the next cursor is made for: this call's arguments, or those of the first call.
  let carried: Record<string, unknown> = asked;
  let pos: (TimePosition & OffsetPosition) | null = null;
  if (args.cursor !== undefined) {
    const c = decodeCursor<TimePosition & OffsetPosition>(tool, args.cursor, asked);
    pos = c.at;
    carried = c.filters;
    filters = Object.fromEntries(Object.entries(c.filters).filter(([k]) => k !== 'from' && k !== 'to')) as Record<string, string>;
  }
  const limit = args.limit;
  if (p.kind === 'offset') {
    const offset = pos?.offset ?? 0;
    if (offset + limit > MAX_ROWS) {
      throw new GovernError('cursor-too-deep', `${tool} pages by count: rows past ${MAX_ROWS} of one window cannot be read; narrow the window (from, to) or the filters`, {
        details: { offset, limit, max: MAX_ROWS },
      });
    }
    const ans = await fetch(pos ? { from: pos.fromNs, to: pos.toNs } : windowOf(args), offset + limit, filters);
    const rows = ans.rows.slice(offset, offset + limit);
    const more = ans.truncated || ans.rows.length > offset + limit;
    const at: OffsetPosition = { fromNs: pos?.fromNs ?? ans.window.fromNs, toNs: pos?.toNs ?? ans.window.toNs, offset: offset + rows.length };
    return { ...ans, limit, rows, truncated: more, nextCursor: more && rows.length ? encodeCursor(tool, carried, at) : null };
  }
  const seen = pos?.seen ?? 0;
  if (limit + seen > MAX_ROWS) {
    throw new GovernError('cursor-too-deep', `more than ${MAX_ROWS - limit} rows of ${tool} share one time; narrow the filters`, { details: { seen, limit, max: MAX_ROWS } });
  }
  const window = !pos
    ? windowOf(args)
    : p.order === 'desc'
      ? { from: pos.fromNs, to: String(BigInt(pos.ns) + 1n) }
      : { from: pos.ns, to: pos.toNs };
  const ans = await fetch(window, limit + seen, filters);
  // Rows not given yet: after the position in the list's order.
  const after = !pos
    ? ans.rows
    : ans.rows.filter((r) => {
        const ns = BigInt(String(r[p.ns]));
        const at = BigInt(pos.ns);
        if (ns !== at) return p.order === 'desc' ? ns < at : ns > at;
        const c = cmpKey(keyOf(r, p.key), pos.key);
        return p.order === 'desc' ? c < 0 : c > 0;
      });
  const rows = after.slice(0, limit);
  const more = ans.truncated || after.length > limit;
  const last = rows.at(-1);
  let next: string | null = null;
  if (more && last) {
    const ns = String(last[p.ns]);
    const at: TimePosition = {
      fromNs: pos?.fromNs ?? ans.window.fromNs,
      toNs: pos?.toNs ?? ans.window.toNs,
      ns,
      key: keyOf(last, p.key),
      seen: rows.filter((r) => String(r[p.ns]) === ns).length + (pos && pos.ns === ns ? pos.seen : 0),
    };
    next = encodeCursor(tool, carried, at);
  }
  return { ...ans, window: pos ? { ...ans.window, ...resolvedOf(pos) } : ans.window, limit, rows, truncated: more, nextCursor: next };
}

/** The window of the first page, in the answer's spelling (later pages ask memoryd for a narrower one). */
function resolvedOf(pos: { fromNs: string; toNs: string }) {
  const iso = (ns: string) => new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
  return { from: iso(pos.fromNs), to: iso(pos.toNs), fromNs: pos.fromNs, toNs: pos.toNs };
}

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
  const query = (req: QueryRequestInput) => call(() => client.query(req)) as unknown as Promise<Answer>;

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
      inputSchema: z.object({ ...windowFields, limit, cursor, ...Object.fromEntries(failureFilters.map((k) => [k, code.optional()])) }),
      outputSchema: answer(RecentFailureRowSchema),
      annotations: READ_ONLY,
    },
    (args) => paged('memory_recent_failures', newestFirst, args, pick(args, failureFilters), (window, n, filters) => query({ primitive: 'recent_failures_by_taskspec', window, limit: n, filters })),
  );

  defineTool(
    server,
    tc,
    'memory_gate_rollup',
    {
      title: 'Failures per gate and failure_reason_code',
      description: 'Failed task facts in a time window, counted per gate (stage) and failure_reason_code, most failures first.',
      inputSchema: z.object({ ...windowFields, limit, cursor, stage: code.optional(), failure_reason_code: code.optional() }),
      outputSchema: answer(GateRollupRowSchema),
      annotations: READ_ONLY,
    },
    (args) =>
      paged('memory_gate_rollup', BY_COUNT, args, pick(args, ['stage', 'failure_reason_code']), (window, n, filters) =>
        query({ primitive: 'gate_rollup_by_failure_reason_code', window, limit: n, filters }),
      ),
  );

  defineTool(
    server,
    tc,
    'memory_guard_denials',
    {
      title: 'Guard denials per policy_reason_code',
      description: 'Guard-denial events (gate-disabled, dependencies-not-done, …) in a time window, counted per policy_reason_code and stage, most first.',
      inputSchema: z.object({ ...windowFields, limit, cursor, stage: code.optional(), policy_reason_code: code.optional() }),
      outputSchema: answer(GuardDenialRowSchema),
      annotations: READ_ONLY,
    },
    (args) =>
      paged('memory_guard_denials', BY_COUNT, args, pick(args, ['stage', 'policy_reason_code']), (window, n, filters) =>
        query({ primitive: 'guard_denials_by_policy_reason_code', window, limit: n, filters }),
      ),
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
      inputSchema: z.object({
        ...windowFields,
        limit,
        cursor,
        service_name: service,
        name: code.optional(),
        trace_id: traceId.optional(),
        outcome: z.enum(['ok', 'failed', 'denied']).optional(),
      }),
      outputSchema: answer(SpanRowSchema),
      annotations: READ_ONLY,
    },
    (args) =>
      paged('memory_spans', newestFirst, args, pick(args, ['service_name', 'name', 'trace_id', 'outcome']), (window, n, filters) =>
        query({ primitive: 'recent_spans', window, limit: n, filters }),
      ),
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
      inputSchema: z.object({ ...windowFields, limit, cursor, trace_id: traceId, service_name: service }),
      outputSchema: answer(SpanRowSchema),
      annotations: READ_ONLY,
    },
    (args) =>
      paged('memory_trace', IN_START_ORDER, args, pick(args, ['trace_id', 'service_name']), (window, n, filters) =>
        query({ primitive: 'trace_spans', window, limit: n, filters: filters as { trace_id: string } }),
      ),
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
      inputSchema: z.object({ ...windowFields, limit, cursor, op: z.enum(AUDIT_OPS).optional(), actor: code.optional() }),
      outputSchema: resultSchema({ window: ResolvedWindowSchema.loose(), limit: z.int(), rows: z.array(AuditRowSchema.loose()), truncated: z.boolean(), nextCursor }),
      annotations: READ_ONLY,
    },
    (args) =>
      paged('memory_audit', AUDIT_ORDER, args, pick(args, ['op', 'actor']), (window, n, filters) =>
        call(() => client.audit({ window, limit: n, filters })) as unknown as Promise<Answer>,
      ),
  );
}
