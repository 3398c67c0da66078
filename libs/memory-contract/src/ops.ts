import { z } from 'zod';
import { ResolvedWindowSchema, WindowSchema } from './window.js';

/**
 * Upsert, audit, retention and health: the memory API's operations besides
 * the query primitives (POST /v1/memory/upsert, /audit, /retention;
 * GET /health).
 */

const actor = z.string().min(1).max(200).describe('who asks, for the audit record (default "api")');
const ns = z.string().regex(/^-?\d+$/);

// ---------------------------------------------------------------------------
// Upsert
// ---------------------------------------------------------------------------

/** Annotation names: short, no spaces (they become JSON object keys in query answers). */
export const ANNOTATION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
/** Largest annotation value, as canonical JSON. */
export const MAX_ANNOTATION_BYTES = 16 * 1024;

/**
 * An annotation of a task fact by natural key (trace_id, span_id, name): a
 * triage note, a ticket, a verdict. Written to `task_annotations`, never into
 * the facts themselves (which stay exactly as ingested). The subject may not
 * be ingested yet (ingest lags the API); `subjectExists` says.
 */
export const AnnotationUpsertSchema = z.strictObject({
  kind: z.literal('annotation'),
  trace_id: z.string().regex(/^[0-9a-f]{32}$/, '32 lowercase hex digits'),
  span_id: z.string().regex(/^[0-9a-f]{16}$/, '16 lowercase hex digits'),
  name: z.string().regex(ANNOTATION_NAME, 'letters, digits and _.:- (at most 128)'),
  value: z.json().describe(`any JSON value, at most ${MAX_ANNOTATION_BYTES} bytes as canonical JSON; secrets and emails are redacted before it is stored`),
  actor: actor.optional(),
});

export const UpsertRequestSchema = z.discriminatedUnion('kind', [AnnotationUpsertSchema]).describe('POST /v1/memory/upsert');
export type UpsertRequest = z.output<typeof UpsertRequestSchema>;

export const UpsertResponseSchema = z
  .object({
    kind: z.literal('annotation'),
    key: z.object({ trace_id: z.string(), span_id: z.string(), name: z.string() }),
    outcome: z.enum(['created', 'updated', 'unchanged']).describe('unchanged: the same value was stored already (idempotent replay)'),
    changed: z.boolean(),
    subjectExists: z.boolean().describe('a task fact with this trace_id and span_id is stored'),
    redactions: z.int().describe('secrets or emails replaced in the value before it was stored'),
    auditId: z.int().describe('the audit record of this call (every call has one, unchanged included)'),
  })
  .describe('200 answer of POST /v1/memory/upsert');
export type UpsertResponse = z.infer<typeof UpsertResponseSchema>;

// ---------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------

export const AUDIT_OPS = ['upsert', 'retention'] as const;

export const AuditRequestSchema = z
  .strictObject({
    window: WindowSchema.optional(),
    limit: z.int().min(1).max(500).default(50),
    filters: z.strictObject({ op: z.enum(AUDIT_OPS).optional(), actor: actor.optional() }).default({}),
  })
  .describe('POST /v1/memory/audit');
export type AuditRequest = z.output<typeof AuditRequestSchema>;

export const AuditRowSchema = z.object({
  audit_id: z.int(),
  at_ns: ns,
  at: z.string(),
  op: z.enum(AUDIT_OPS),
  actor: z.string().nullable(),
  subject: z.string().describe('upsert: annotation:<trace_id>/<span_id>/<name>; retention: facts'),
  outcome: z.string().describe('upsert: created, updated, unchanged; retention: applied, noop, dry-run'),
  details: z.record(z.string(), z.unknown()),
});
export type AuditRow = z.infer<typeof AuditRowSchema>;

export const AuditResponseSchema = z
  .object({ window: ResolvedWindowSchema, limit: z.int(), rows: z.array(AuditRowSchema), truncated: z.boolean() })
  .describe('200 answer of POST /v1/memory/audit (newest first)');
export type AuditResponse = z.infer<typeof AuditResponseSchema>;

// ---------------------------------------------------------------------------
// Retention
// ---------------------------------------------------------------------------

export const RetentionPolicySchema = z.strictObject({
  maxAgeMs: z.int().positive().optional().describe('delete task facts (with their events and annotations) that started longer ago than this'),
  maxBytes: z.int().positive().optional().describe('delete the oldest task facts while the data (used blocks of the file) exceeds this'),
});
export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;

export const RetentionRequestSchema = RetentionPolicySchema.extend({
  dryRun: z.boolean().default(false).describe('compute what would be deleted; change nothing (still audited)'),
  actor: actor.optional(),
}).describe('POST /v1/memory/retention; without maxAgeMs and maxBytes, the policy memoryd was started with');
export type RetentionRequest = z.output<typeof RetentionRequestSchema>;

const bytes = z.int().min(0);
export const RetentionResultSchema = z
  .object({
    outcome: z.enum(['applied', 'noop', 'dry-run']),
    reason: z.enum(['age', 'size', 'age+size', 'none']).describe('which limit set the cutoff (none: nothing to delete, or no policy)'),
    policy: RetentionPolicySchema,
    cutoffNs: ns.nullable().describe('task facts with start_ns below this were (or would be) deleted'),
    deleted: z.object({ task_facts: bytes, event_facts: bytes, annotations: bytes }),
    bytes: z.object({ fileBefore: bytes, fileAfter: bytes, usedBefore: bytes, usedAfter: bytes }),
    durationMs: z.number(),
    auditId: z.int(),
  })
  .describe('200 answer of POST /v1/memory/retention, and health.retention.lastRun');
export type RetentionResult = z.infer<typeof RetentionResultSchema>;

// ---------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------

export const ALERT_NAMES = ['ingest_lag_ms', 'queued_spans', 'database_bytes'] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

export const AlertStateSchema = z.object({
  name: z.enum(ALERT_NAMES),
  state: z.enum(['ok', 'firing']),
  value: z.number(),
  threshold: z.number(),
  since: z.string().nullable().describe('when it started firing (ISO 8601)'),
});
export type AlertState = z.infer<typeof AlertStateSchema>;

/** Why health is `degraded`: ingest lags behind what was acknowledged. */
export const DEGRADED_CODES = ['ingest-lag', 'queue-full'] as const;
export type DegradedCode = (typeof DEGRADED_CODES)[number];

const count = z.object({ frames: z.int(), spans: z.int() });
export const HealthResponseSchema = z
  .object({
    status: z
      .enum(['ok', 'degraded', 'alerting'])
      .describe('degraded: ingest lags (see degraded), whatever the alerts; alerting: an alert is firing and ingest does not lag; ok: neither'),
    degraded: z
      .array(z.object({ code: z.enum(DEGRADED_CODES), message: z.string() }))
      .describe(
        'why status is degraded, empty when it is not: ingest-lag (the oldest acknowledged, uncommitted payload is older than memoryd\'s --degraded-lag), queue-full (the uncommitted spans reached --max-queued-spans: new payloads are answered 503)',
      ),
    received: count.describe('acknowledged since start'),
    queued: count.describe('acknowledged, not committed yet'),
    checkpoint: z.object({ lastSeq: z.int(), batches: z.int(), spans: z.int(), events: z.int() }),
    recovered: z.object({ frames: z.int(), droppedBytes: z.int() }),
    dedupeBatches: z.int(),
    lastError: z.string().nullable(),
    ingest: z.object({
      lagFrames: z.int().describe('acknowledged frames not committed yet'),
      lagSpans: z.int(),
      lagMs: z.number().describe('age of the oldest acknowledged, uncommitted frame (0 when none)'),
      lastCommitAt: z.string().nullable(),
    }),
    lastCheckpoint: z.object({
      seq: z.int().describe('the ingest checkpoint: last spool frame committed'),
      committedAt: z.string().nullable().describe('when this process last committed a batch'),
      databaseCheckpointAt: z.string().nullable().describe('when this process last ran a DuckDB CHECKPOINT (WAL folded into the file)'),
    }),
    database: z.object({ file: z.string(), fileBytes: bytes, walBytes: bytes, usedBytes: bytes.describe('used blocks × block size: the data, without free blocks') }),
    redaction: z.object({ keys: z.array(z.string()), valuesRedacted: z.int().describe('values replaced since start') }),
    retention: z.object({ policy: RetentionPolicySchema.nullable(), intervalMs: z.int().nullable(), lastRun: RetentionResultSchema.nullable() }),
    alerts: z.array(AlertStateSchema),
    quarantine: z
      .object({
        dir: z.string().describe('where quarantined frames are kept: <seq>.payload (the bytes as spooled) and <seq>.json (the record)'),
        frames: z.int().describe('frames in the quarantine directory'),
        last: z
          .object({ seq: z.int(), kind: z.int().describe('the spool frame kind'), reason: z.string(), at: z.string(), bytes: bytes })
          .nullable()
          .describe('the quarantined frame of the highest seq'),
      })
      .describe('spool frames that can never be ingested (they do not decode, or their facts or their commit fail while the batch without them commits): kept aside, and ingest moved past them'),
  })
  .describe('200 answer of GET /health and GET /v1/memory/health');
export type HealthResponse = z.infer<typeof HealthResponseSchema>;
