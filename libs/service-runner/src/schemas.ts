import { AuditEntrySchema, AuditProblemSchema } from '@govern/adapter-kit';
import { QueryRequestSchema, QueryResponseSchema, UpsertRequestSchema, UpsertResponseSchema } from '@govern/memory-contract';
import { STATUSES, StatusSchema } from '@govern/workplan';
import { z } from 'zod';

// The input and output of every operation (zod: the source of the types, of the
// OpenAPI document and of the MCP tools' JSON Schema). Every input and output is an
// object (MCP tools take and give objects); field names are snake_case, the wire
// style of the contracts and of the audit records. `.meta({ id })` names the
// OpenAPI component.

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const ItemId = z.string().min(1).max(200).describe('item id as in graph.query (GV-01, WP-1-T01, kickoff:K0)');
const Reason = z.string().min(1).max(2000);
const Limit = (def: number, max: number) => z.int().min(1).max(max).default(def).describe(`at most this many (default ${def}, max ${max})`);

export const EmptyInput = z.object({}).strict().meta({ id: 'EmptyInput' });

// ------------------------------------------------------------------ health

export const GateSummarySchema = z
  .object({
    name: z.string(),
    enabled: z.boolean(),
    blocked_by: z.array(z.string()).describe('the required milestones that are not done'),
  })
  .meta({ id: 'GateSummary' });

export const HealthOutput = z
  .object({
    ok: z.literal(true),
    service: z.literal('govern-service-runner'),
    api_version: z.string(),
    mode: z.enum(['shadow', 'guided', 'prescriptive']),
    store: z.string().describe('the adapter pack holding the service audit and the review ledger'),
    operations: z.object({ total: z.int(), implemented: z.int(), unsupported: z.int() }),
    gates: z.array(GateSummarySchema).describe('the gates the operations check, as declared in govern.config.yaml (none when the root declares none)'),
  })
  .meta({ id: 'HealthOutput' });

// ------------------------------------------------------------------ graph

export const NodeSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    title: z.string(),
    status: StatusSchema.nullable(),
    status_text: z.string().nullable(),
    depends_on: z.array(z.string()),
    priority: z.string().nullable(),
    document: z.string(),
    file: z.string(),
    line: z.int(),
    evidence_root: z.string().nullable(),
  })
  .meta({ id: 'Node' });

export const GraphQueryInput = z
  .object({
    kind: z.array(z.enum(['milestone', 'task', 'workplan'])).optional().describe('only nodes of these kinds'),
    status: z.array(z.enum([...STATUSES, 'unknown'])).optional().describe('only nodes with these statuses (unknown: none recognized)'),
    id_prefix: z.string().min(1).max(200).optional().describe('only ids starting with this'),
    document: z.string().min(1).optional().describe('only nodes of this document (its id or relative path)'),
    limit: Limit(100, 1000),
    offset: z.int().min(0).default(0),
  })
  .strict()
  .meta({ id: 'GraphQueryInput' });

export const GraphQueryOutput = z
  .object({
    nodes: z.array(NodeSchema),
    total: z.int().describe('nodes matching the filters'),
    next_offset: z.int().nullable().describe('pass as offset for the next page; null on the last'),
    diagnostics: z.object({ errors: z.int(), warnings: z.int() }),
  })
  .meta({ id: 'GraphQueryOutput' });

export const GraphNextInput = z.object({ limit: Limit(20, 1000) }).strict().meta({ id: 'GraphNextInput' });
export const GraphNextOutput = z.object({ nodes: z.array(NodeSchema) }).meta({ id: 'GraphNextOutput' });

// ------------------------------------------------------------------ gates (activation)

export const GatesEvaluateInput = z.object({ name: z.string().min(1).optional().describe('only this gate') }).strict().meta({ id: 'GatesEvaluateInput' });
export const GateStateOutSchema = z
  .object({
    name: z.string(),
    enabled: z.boolean(),
    project: z.string().nullable(),
    requires: z.array(z.object({ id: z.string(), status: StatusSchema.nullable(), done: z.boolean() })),
    blocked_by: z.array(z.string()),
  })
  .meta({ id: 'GateState' });
export const GatesEvaluateOutput = z.object({ gates: z.array(GateStateOutSchema) }).meta({ id: 'GatesEvaluateOutput' });

// ------------------------------------------------------------------ writes

const StatusValue = z.object({ status: StatusSchema.nullable(), text: z.string().nullable() });

export const SetStatusInput = z
  .object({
    id: ItemId,
    status: StatusSchema.describe('planned, in_progress, partial, blocked (done only through task.close)'),
    expect: Hex64.optional().describe("the file's sha256 as you read it; a different current hash is a conflict"),
    force: z.boolean().default(false).describe('override unfinished dependencies or a transition the profile forbids (recorded)'),
    reason: Reason.optional(),
  })
  .strict()
  .meta({ id: 'SetStatusInput' });

export const StatusWriteOutput = z
  .object({
    item: z.string(),
    file: z.string(),
    changed: z.boolean(),
    from: StatusValue,
    to: StatusValue,
    hash_before: Hex64,
    hash_after: Hex64,
    forced: z.array(z.string()),
  })
  .meta({ id: 'StatusWrite' });

export const CloseInput = z
  .object({
    id: ItemId,
    timeout_seconds: z.int().min(1).max(3600).optional(),
    force: z.boolean().default(false),
    sign_off: z.string().min(1).max(200).optional().describe('who signs off the acceptance bullets no check verifies'),
    reason: Reason.optional(),
  })
  .strict()
  .meta({ id: 'CloseInput' });

export const CloseOutput = z
  .object({
    item: z.string(),
    file: z.string(),
    passed: z.boolean(),
    failures: z.array(z.object({ code: z.string(), message: z.string() })),
    evidence_root: z.string().nullable(),
    manifest: z.string().nullable(),
    checks: z.array(z.object({ command: z.string(), exit_code: z.int().nullable() })),
  })
  .meta({ id: 'CloseOutput' });

export const LifecycleApplyInput = z
  .object({
    id: ItemId,
    status: StatusSchema,
    reason: Reason.describe('why: recorded with the review and the write'),
    expect: Hex64.optional(),
  })
  .strict()
  .meta({ id: 'LifecycleApplyInput' });

export const LifecycleApplyOutput = z
  .object({
    review_id: z.string(),
    approved_by: z.string(),
    write: StatusWriteOutput,
  })
  .meta({ id: 'LifecycleApplyOutput' });

export const ReviewApproveInput = z
  .object({
    review_id: z.string().regex(/^rv-[0-9a-f]{16}$/).describe('the review_id of the review-required denial'),
    reviewer: z.string().min(1).max(200).describe('who approves: not the requester'),
    note: z.string().min(1).max(2000).optional(),
  })
  .strict()
  .meta({ id: 'ReviewApproveInput' });

export const ReviewSchema = z
  .object({
    review_id: z.string(),
    operation: z.string(),
    subject: z.string(),
    input_sha256: Hex64,
    requested_by: z.string(),
    requested_at: z.string(),
    state: z.enum(['pending', 'approved', 'consumed']),
    approved_by: z.string().nullable(),
    approved_at: z.string().nullable(),
  })
  .meta({ id: 'Review' });

// ------------------------------------------------------------------ package.compile

export const PackageCompileInput = z
  .object({ workplan: z.string().min(1).describe('the workplan: its document id (GV-WP-0012) or its path relative to the root') })
  .strict()
  .meta({ id: 'PackageCompileInput' });

export const PackageFileSchema = z
  .object({ path: z.string(), role: z.enum(['document', 'evidence']), sha256: Hex64, bytes: z.int().nonnegative() })
  .meta({ id: 'PackageFile' });

export const PackageManifestSchema = z
  .object({
    schema: z.literal('govern.package/v1'),
    workplan: z.object({ id: z.string(), file: z.string(), title: z.string() }),
    items: z.array(z.object({ id: z.string(), status: StatusSchema.nullable(), evidence_root: z.string().nullable() })),
    files: z.array(PackageFileSchema).describe('every file of the bundle, sorted by path, with its sha256'),
  })
  .meta({ id: 'PackageManifest' });

export const PackageCompileOutput = z
  .object({
    bundle_id: Hex64.describe('sha256 of the canonical JSON of the manifest: the bundle is content-addressed'),
    path: z.string().describe('the bundle directory, relative to the root'),
    created: z.boolean().describe('false when a bundle with this id already existed (nothing written)'),
    manifest: PackageManifestSchema,
  })
  .meta({ id: 'PackageCompileOutput' });

// ------------------------------------------------------------------ audit.query

export const RetentionSchema = z
  .object({
    policy: z.object({ max_age_days: z.int().min(1).nullable(), max_entries: z.int().min(1).nullable() }),
    evaluated_at: z.string(),
    total: z.int().describe('entries in the log'),
    retained: z.int().describe('entries inside the retention window (what queries see)'),
    expired: z.int().describe('entries outside it: kept in the hash chain, not returned'),
    oldest_retained_at: z.string().nullable(),
  })
  .meta({ id: 'Retention' });

export const AuditQueryInput = z
  .object({
    operation: z.string().min(1).optional().describe('only entries of this operation (the action field)'),
    outcome: z.enum(['applied', 'denied', 'failed']).optional(),
    subject: z.string().min(1).optional(),
    policy_reason_code: z.string().min(1).optional(),
    failure_reason_code: z.string().min(1).optional(),
    review_id: z.string().min(1).optional().describe('only entries of this review (data.review_id)'),
    limit: Limit(100, 1000),
  })
  .strict()
  .meta({ id: 'AuditQueryInput' });

export const AuditQueryOutput = z
  .object({
    store: z.string(),
    entries: z.array(AuditEntrySchema).describe('the newest matching retained entries, oldest first'),
    matched: z.int(),
    verified: z.boolean().describe('the hash chain verified'),
    problems: z.array(AuditProblemSchema),
    retention: RetentionSchema,
  })
  .meta({ id: 'AuditQueryOutput' });

// ------------------------------------------------------------------ memory, binder

export const MemoryQueryInput = z.object({ query: QueryRequestSchema }).strict().meta({ id: 'MemoryQueryInput' });
export const MemoryQueryOutput = z.object({ answer: QueryResponseSchema }).meta({ id: 'MemoryQueryOutput' });
export const MemoryUpsertInput = z.object({ upsert: UpsertRequestSchema }).strict().meta({ id: 'MemoryUpsertInput' });
export const MemoryUpsertOutput = z.object({ result: UpsertResponseSchema }).meta({ id: 'MemoryUpsertOutput' });

export const BinderSuggestInput = z
  .object({
    scope: z.string().min(1).optional(),
    target_kind: z.string().min(1).optional(),
    target_id: z.string().min(1).optional(),
    action_kind: z.string().min(1).optional(),
    failure_reason_code: z.string().min(1).optional(),
    limit: Limit(20, 500),
  })
  .strict()
  .meta({ id: 'BinderSuggestInput' });

export const BinderSuggestOutput = z
  .object({
    rollout: z.enum(['shadow', 'guided', 'prescriptive']),
    fallback: z.string(),
    reason: z.enum(['mode-shadow']).nullable(),
    applicable: z.boolean(),
    qualified: z.int(),
    suggestions: z.array(z.record(z.string(), z.json())).describe('capsules, as `govern binder suggest --json` prints them'),
  })
  .meta({ id: 'BinderSuggestOutput' });

export const GraphImportInput = z
  .object({ source: z.string().min(1).describe('where the graph would come from') })
  .strict()
  .meta({ id: 'GraphImportInput' });
export const GraphImportOutput = z.object({ imported: z.int() }).meta({ id: 'GraphImportOutput' });
