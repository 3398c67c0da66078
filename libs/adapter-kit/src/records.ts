import { EvidenceRefSchema, ReasonSemanticsSchema } from '@govern/contracts';
import { z } from 'zod';

/**
 * The records the capabilities exchange (zod is the source of the types and of the
 * JSON Schema in `libs/adapter-kit/schemas/`). Store records (graph snapshots,
 * events, audit entries) are a wire format of their own, stored byte for byte by
 * every store pack: snake_case, like the contracts of `@govern/contracts`, and
 * stored as their canonical JSON (RFC 8785) so that a record read back from any
 * pack is the same bytes that went in. The remote capabilities' records mirror
 * the JSON of the API they wrap (StateHub's records, `govern pr open --json`), so
 * they keep that API's camelCase.
 */

/** A record key: a graph snapshot id or an event stream. Safe as a file name and a SQL value; never a path. */
export const KeySchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a key: 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit (never a path)');

/** A reason code (the contracts' own rule: letters, digits and . _ : / -, no spaces). */
export const ReasonCodeSchema = ReasonSemanticsSchema.shape.failure_reason_code.unwrap();

const IsoSchema = z.iso.datetime({ offset: true });
const Hex64Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a hex sha256');
const JsonObjectSchema = z.record(z.string(), z.json());
const Text = z.string().min(1).max(500);

// ---------------------------------------------------------------- store.graph

/** One node of a graph snapshot: a milestone, workplan or task as the graph saw it. */
export const GraphNodeSchema = z
  .object({
    id: z.string().min(1).max(200),
    kind: z.string().min(1).max(50),
    title: z.string().max(1000),
    status: z.string().max(50).nullable(),
    depends_on: z.array(z.string().min(1).max(200)),
  })
  .strict();
export type GraphNode = z.infer<typeof GraphNodeSchema>;

/** A graph snapshot (`store.graph`): immutable once stored; its identity is its id, its content is pinned by sha256. */
export const GraphSnapshotSchema = z
  .object({
    schema: z.literal('govern.graph-snapshot/v1'),
    id: KeySchema,
    taken_at: IsoSchema,
    source: z.object({ repo: Text, commit: z.string().regex(/^[0-9a-f]{40}$/).nullable() }).strict(),
    nodes: z.array(GraphNodeSchema).max(100_000),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.nodes.forEach((n, i) => {
      if (seen.has(n.id)) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'id'], message: `node ${n.id} appears twice` });
      seen.add(n.id);
    });
  })
  .describe('a graph snapshot (store.graph)');
export type GraphSnapshot = z.infer<typeof GraphSnapshotSchema>;

/** What `store.graph` lists: a snapshot's id, content hash, time and size. */
export const GraphSnapshotRefSchema = z.object({ id: KeySchema, sha256: Hex64Schema, taken_at: IsoSchema, node_count: z.int().nonnegative() }).strict();
export type GraphSnapshotRef = z.infer<typeof GraphSnapshotRefSchema>;

/** What `store.graph.put` answers: `created` false when the same bytes were already stored under this id. */
export const GraphPutResultSchema = z.object({ id: KeySchema, sha256: Hex64Schema, created: z.boolean() }).strict();
export type GraphPutResult = z.infer<typeof GraphPutResultSchema>;

// ---------------------------------------------------------------- store.event

/** An event as a caller appends it; `at` defaults to the pack's clock. */
export const EventInputSchema = z
  .object({
    type: ReasonCodeSchema.describe('what happened, as a code (task.started, check.failed, …)'),
    at: IsoSchema.optional(),
    data: JsonObjectSchema.default({}),
  })
  .strict();
export type EventInput = z.input<typeof EventInputSchema>;

/** An event as stored (`store.event`): `seq` is its 1-based position in its stream, gap-free. */
export const EventRecordSchema = z
  .object({
    schema: z.literal('govern.event/v1'),
    stream: KeySchema,
    seq: z.int().min(1),
    type: ReasonCodeSchema,
    at: IsoSchema,
    data: JsonObjectSchema,
  })
  .strict()
  .describe('an event of a stream (store.event)');
export type EventRecord = z.infer<typeof EventRecordSchema>;

/** How `store.event.list` pages: events after `after` (a seq, default 0), at most `limit`. */
export const EventPageSchema = z.object({ after: z.int().min(0).optional(), limit: z.int().min(0).optional() }).strict();
export type EventPage = z.infer<typeof EventPageSchema>;

// ---------------------------------------------------------------- store.audit

/** The outcomes an audit entry records, each with its side of the reason split. */
export const AUDIT_OUTCOMES = ['applied', 'denied', 'failed'] as const;

/**
 * The reason split on an audit entry (LM-10): `failed` carries a
 * `failure_reason_code`; `denied` carries a `policy_reason_code` and keeps any
 * failure it already had; `applied` carries neither. A policy code never appears
 * on anything but a denial.
 */
function auditSplit(e: { outcome: (typeof AUDIT_OUTCOMES)[number]; failure_reason_code?: string | null; policy_reason_code?: string | null }, ctx: z.RefinementCtx): void {
  const failure = e.failure_reason_code ?? null;
  const policy = e.policy_reason_code ?? null;
  if (e.outcome === 'denied' && policy === null) ctx.addIssue({ code: 'custom', path: ['policy_reason_code'], message: 'a denied entry needs policy_reason_code' });
  if (e.outcome !== 'denied' && policy !== null) ctx.addIssue({ code: 'custom', path: ['policy_reason_code'], message: `policy_reason_code is for denials only, not ${e.outcome}` });
  if (e.outcome === 'failed' && failure === null) ctx.addIssue({ code: 'custom', path: ['failure_reason_code'], message: 'a failed entry needs failure_reason_code' });
  if (e.outcome === 'applied' && failure !== null) ctx.addIssue({ code: 'custom', path: ['failure_reason_code'], message: 'an applied entry has no failure_reason_code' });
}

const auditFields = {
  actor: Text.describe('who: a user or service name'),
  via: Text.describe('through what: cli, mcp, library, service'),
  action: ReasonCodeSchema.describe('what was attempted, as a code (set-status, close, lifecycle.apply, …)'),
  subject: Text.describe('what it was about: an item id, a path, a record key'),
  outcome: z.enum(AUDIT_OUTCOMES),
};

/** An audit entry as a caller appends it; `at` defaults to the pack's clock. */
export const AuditInputSchema = z
  .object({
    at: IsoSchema.optional(),
    ...auditFields,
    failure_reason_code: ReasonCodeSchema.nullable().default(null),
    policy_reason_code: ReasonCodeSchema.nullable().default(null),
    evidence: z.array(EvidenceRefSchema).max(100).default([]),
    data: JsonObjectSchema.default({}),
  })
  .strict()
  .superRefine(auditSplit);
export type AuditInput = z.input<typeof AuditInputSchema>;

/**
 * An audit entry as stored (`store.audit`): gap-free `seq`, `prev` the `hash` of the
 * entry before (null for the first), `hash` the sha256 of the canonical JSON of the
 * entry without `hash`. The chain is over canonical JSON, not over a file's lines,
 * so every store pack (files, DuckDB, memory) verifies the same way.
 */
export const AuditEntrySchema = z
  .object({
    schema: z.literal('govern.audit-entry/v1'),
    seq: z.int().min(1),
    at: IsoSchema,
    ...auditFields,
    ...ReasonSemanticsSchema.shape,
    evidence: z.array(EvidenceRefSchema).max(100),
    data: JsonObjectSchema,
    prev: Hex64Schema.nullable(),
    hash: Hex64Schema,
  })
  .strict()
  .superRefine(auditSplit)
  .describe('an entry of the hash-chained audit log (store.audit)');
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** Why an audit log did not verify, positioned by `index` (0-based position read) and `seq` when known. */
export const AuditProblemSchema = z
  .object({
    code: z.enum(['audit-entry-invalid', 'audit-seq-gap', 'audit-hash-mismatch', 'audit-chain-broken']),
    index: z.int().nonnegative(),
    seq: z.int().min(1).nullable(),
    message: z.string(),
  })
  .strict();
export type AuditProblem = z.infer<typeof AuditProblemSchema>;

/** `store.audit.read`: the entries in `seq` order and whether the chain verified. */
export const AuditReadSchema = z.object({ entries: z.array(AuditEntrySchema), verified: z.boolean(), problems: z.array(AuditProblemSchema) }).strict();
export type AuditRead = z.infer<typeof AuditReadSchema>;

// ---------------------------------------------------------------- statehub

/** A StateHub record (a workstream or a task), as the StateHub API answers it. */
export const StateHubRecordSchema = z
  .object({
    id: z.string().min(1).max(200),
    kind: z.enum(['workstream', 'task']),
    externalKey: z.string(),
    repo: z.string(),
    itemId: z.string(),
    workstreamId: z.string().nullable(),
    title: z.string(),
    status: z.string().nullable(),
    priority: z.string().nullable(),
    dependsOn: z.array(z.string()),
    version: z.int().min(1),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .strict()
  .describe('a StateHub record (statehub)');
export type StateHubRecord = z.infer<typeof StateHubRecordSchema>;

/** What `statehub.put` sends: the pack makes the key `<repo>:<itemId>` (and a task's workstream key) from it. */
export const StateHubPutSchema = z
  .object({
    repo: z.string().min(1),
    itemId: z.string().min(1),
    title: z.string(),
    status: z.string().nullable().default(null),
    priority: z.string().nullable().default(null),
    dependsOn: z.array(z.string()).default([]),
    /** Adopt this id on creation (a document that already carries one). */
    id: z.string().min(1).max(200).optional(),
    /** Tasks only: the itemId of the workstream they belong to (same repo). */
    workstreamItemId: z.string().min(1).optional(),
  })
  .strict();
export type StateHubPut = z.input<typeof StateHubPutSchema>;

/** What `statehub.put` answers: `created` on a new key, `changed` when the version grew. */
export const StateHubPutResultSchema = z.object({ record: StateHubRecordSchema, created: z.boolean(), changed: z.boolean() }).strict();
export type StateHubPutResult = z.infer<typeof StateHubPutResultSchema>;

/** What `statehub.setStatus` answers. */
export const StateHubPatchResultSchema = z.object({ record: StateHubRecordSchema, changed: z.boolean() }).strict();
export type StateHubPatchResult = z.infer<typeof StateHubPatchResultSchema>;

/** One entry of the StateHub change feed. */
export const StateHubChangeSchema = z
  .object({
    seq: z.int().min(1),
    at: z.string(),
    op: z.enum(['created', 'updated', 'status']),
    kind: z.enum(['workstream', 'task']),
    recordId: z.string(),
    externalKey: z.string(),
    repo: z.string(),
    version: z.int().min(1),
    status: z.string().nullable(),
    fromStatus: z.string().nullable(),
    actor: z.string().nullable(),
  })
  .strict();
export type StateHubChange = z.infer<typeof StateHubChangeSchema>;

/** What `statehub.changes` answers: the pack's repository's changes after `since`. */
export const StateHubChangePageSchema = z.object({ changes: z.array(StateHubChangeSchema), next: z.int().min(0), hasMore: z.boolean() }).strict();
export type StateHubChangePage = z.infer<typeof StateHubChangePageSchema>;

/** What `statehub.health` answers. */
export const StateHubHealthSchema = z.object({ ok: z.literal(true), service: z.literal('statehub'), apiVersion: z.string(), schemaVersion: z.int() }).strict();
export type StateHubHealth = z.infer<typeof StateHubHealthSchema>;

// ---------------------------------------------------------------- github

/** What the `github` capability did for one closure pull request (a projection of `govern pr open --json`). */
export const ClosurePrRecordSchema = z
  .object({
    item: z.string(),
    action: z.enum(['opened', 'updated', 'reopened', 'unchanged', 'dry-run']),
    dryRun: z.boolean(),
    repo: z.string(),
    base: z.string(),
    branch: z.string(),
    title: z.string(),
    commit: z.string().nullable(),
    ref: z.enum(['created', 'updated', 'unchanged']).nullable(),
    pr: z.object({ number: z.int(), url: z.string(), state: z.enum(['open', 'closed']), merged: z.boolean(), draft: z.boolean(), labels: z.array(z.string()) }).strict().nullable(),
    files: z.array(z.object({ path: z.string(), sha256: Hex64Schema, gitSha: z.string() }).strict()),
    requests: z.object({ reads: z.int().nonnegative(), writes: z.int().nonnegative() }).strict(),
  })
  .strict()
  .describe('a closure pull request opened, updated or planned (github)');
export type ClosurePrRecord = z.infer<typeof ClosurePrRecordSchema>;

/**
 * Every record schema by name: the contract subcheck validates each record a pack
 * returns against the schema of its name, and the JSON Schema artifacts are
 * generated from this list.
 */
export const RECORD_SCHEMAS = {
  'graph-snapshot': GraphSnapshotSchema,
  'graph-snapshot-ref': GraphSnapshotRefSchema,
  'graph-put-result': GraphPutResultSchema,
  'event-record': EventRecordSchema,
  'audit-entry': AuditEntrySchema,
  'audit-read': AuditReadSchema,
  'statehub-record': StateHubRecordSchema,
  'statehub-put-result': StateHubPutResultSchema,
  'statehub-patch-result': StateHubPatchResultSchema,
  'statehub-change-page': StateHubChangePageSchema,
  'statehub-health': StateHubHealthSchema,
  'closure-pr': ClosurePrRecordSchema,
} as const;
export type RecordSchemaName = keyof typeof RECORD_SCHEMAS;
