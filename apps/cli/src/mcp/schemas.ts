import { z } from 'zod';
import { GateReportSchema } from '@govern/gates';
import { CloseResultSchema } from '@govern/closure';
import { AuditRecordSchema, DocumentWriteResultSchema, MAX_REASON_LENGTH, MAX_TEXT_LENGTH, SetStatusResultSchema } from '@govern/write';
import { CheckSchema, CriterionSchema, DiagnosticSchema, ItemKindSchema, SeveritySchema, SourceSchema, StatusSchema } from '@govern/workplan';
import { STATUS_FILTERS, STATUS_WORDS } from '../vocabulary.js';
import { FileExplanationSchema } from '@govern/workspace';

// The MCP tools' input and output schemas, declared once; the SDK turns them into
// the JSON Schema a client sees in tools/list and validates every call against them.

/** Page size when a call gives none: enough to act on, small enough for an agent's context. */
export const DEFAULT_LIMIT = 50;
/** The largest page a call may ask for. */
export const MAX_LIMIT = 500;

const limit = (what: string) =>
  z.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT).describe(`at most this many ${what} (default ${DEFAULT_LIMIT}, max ${MAX_LIMIT})`);
const offset = z.number().int().min(0).default(0).describe('skip this many (the previous answer\'s nextOffset); default 0');
const severity = SeveritySchema.default('error').describe(
  'lowest severity of the diagnostics listed: error (default), warning (errors and warnings) or info (all); the counts always cover all',
);
const shape = z
  .enum(['compact', 'full'])
  .default('compact')
  .describe('compact (default): id, kind, title, status, dependsOn, source; full: every field of `govern graph --json`');

/** The node filters `graph` and `next` share (those of `govern graph --doc --status --kind`, plus an id prefix). */
const nodeFilters = {
  doc: z.string().min(1).optional().describe('only items of this document: its file relative to the root (trackers/main.md) or its document id'),
  status: z
    .array(z.enum(STATUS_FILTERS))
    .optional()
    .describe('only items with one of these statuses; unknown selects items without a recognized status'),
  kind: z.array(ItemKindSchema).optional().describe('only items of these kinds'),
  idPrefix: z.string().min(1).optional().describe('only items whose id starts with this (GV-0, WP-1-)'),
};

/** `graph`: the bounded, filtered milestone graph. */
export const GraphInput = z.object({
  ...nodeFilters,
  limit: limit('nodes'),
  offset,
  shape,
  severity,
  diagnosticsLimit: z.number().int().min(0).max(MAX_LIMIT).default(DEFAULT_LIMIT).describe(`at most this many diagnostics (default ${DEFAULT_LIMIT}, 0 for none)`),
});

/** `next`: actionable items, bounded. */
export const NextInput = z.object({ ...nodeFilters, limit: limit('items'), offset, shape });

/** `explain`: one document, as `govern explain --json`. */
export const ExplainInput = z.object({
  file: z.string().min(1).describe('a document: its path relative to the root (workplans/plan.md), or its document id'),
});

/** `item`: one item by id. */
export const ItemInput = z.object({ id: z.string().min(1).describe('item id as in graph (GV-01, WP-1-T01, kickoff:K0)') });

/** A reason for the audit log: bounded, as the library bounds it (a longer one is an invalid-arguments refusal naming the limit). */
const reason = z.string().min(1).max(MAX_REASON_LENGTH).optional().describe(`why, for the audit log (at most ${MAX_REASON_LENGTH} characters)`);

/**
 * A status as the write tools take it: the words `govern task set-status` takes (the
 * vocabulary, listed as an enum, or a spelling the profile maps, read by the same
 * readStatusWord), so the two surfaces accept the same words.
 */
const statusWord = z.union([z.enum(STATUS_WORDS), z.string().min(1).max(100)]);
const expect = z
  .string()
  .min(1)
  .optional()
  .describe("sha256 of the item's file as you read it (item's fileHash); if the file changed since, the write is refused with code conflict");
const dryRun = z.boolean().default(false).describe('plan, verify and answer the change (hunk); write nothing, log nothing');
const line = z.string().min(1).max(MAX_TEXT_LENGTH);
const itemId = z.string().min(1).max(200);

/** `add_task`: the inputs of `govern task add`. */
export const AddTaskInput = z.object({
  workplan: z.string().min(1).describe("the workplan: its document id or its file relative to the root (workplans/plan.md)"),
  title: line.describe("the task's title (one line)"),
  id: itemId.optional().describe('the task id (default <workplan id>-<heading id>)'),
  localId: itemId.optional().describe("the heading id, T06 (default: the number after the workplan's last task)"),
  status: statusWord.optional().describe('planned (default), in_progress, partial or blocked (the words set_status takes); done only through close'),
  priority: itemId.optional().describe('high, medium, low, ...'),
  dependsOn: z.array(itemId).max(100).optional().describe('ids of the items it depends on'),
  acceptance: z.array(line).max(100).optional().describe('acceptance criteria, one line each'),
  checks: z.array(line).max(50).optional().describe('commands close runs'),
  evidenceRoot: line.optional().describe('where close records the evidence (ops/runtime/<id>/)'),
  force: z.boolean().default(false).describe('write dependencies no item has yet, or a started status whose dependencies are not done; recorded'),
  expect,
  dryRun,
  reason: z.string().min(1).max(MAX_REASON_LENGTH).optional().describe(`why, for the audit log (at most ${MAX_REASON_LENGTH} characters)`),
});

/** `edit_acceptance`: the inputs of `govern task edit-acceptance`. */
export const EditAcceptanceInput = z.object({
  id: itemId.describe('item id as in graph'),
  add: z.array(line).max(100).optional().describe('criteria appended after the last one'),
  remove: z.array(z.number().int().min(1)).max(100).optional().describe("criteria removed, by number: their 1-based position in item's node.criteria"),
  replace: z
    .array(z.object({ index: z.number().int().min(1).describe('the criterion number'), text: line.describe('its new text') }).strict())
    .max(100)
    .optional()
    .describe('criteria reworded, by number'),
  expect,
  dryRun,
  reason: z.string().min(1).max(MAX_REASON_LENGTH).optional().describe(`why, for the audit log (at most ${MAX_REASON_LENGTH} characters)`),
});

/** `add_dependency`: the inputs of `govern task add-dep`. */
export const AddDependencyInput = z.object({
  id: itemId.describe('item id as in graph: the item that will wait'),
  dependsOn: itemId.describe('the item it will depend on'),
  force: z.boolean().default(false).describe('write a dependency no item has yet (recorded); a cycle is never written'),
  expect,
  dryRun,
  reason: z.string().min(1).max(MAX_REASON_LENGTH).optional().describe(`why, for the audit log (at most ${MAX_REASON_LENGTH} characters)`),
});

/** `set_status`: the inputs of `govern task set-status`. */
export const SetStatusInput = z.object({
  id: z.string().min(1).describe('item id as in graph'),
  status: statusWord.describe(
    `${STATUS_WORDS.join(', ')}, or a spelling the profile maps (In Progress, wip) — the words \`govern task set-status\` takes; done is set only by the close tool (checks and evidence)`,
  ),
  expect,
  force: z.boolean().default(false).describe('override unfinished dependencies or a transition the profile forbids; recorded in the audit log'),
  reason,
});

/** `close`: the inputs of `govern close`. */
export const CloseInput = z.object({
  id: z.string().min(1).describe('item id as in graph'),
  timeoutSeconds: z.number().int().min(1).max(86_400).optional().describe('time limit per check in seconds (default 600)'),
  force: z.boolean().default(false).describe('close even though a dependency is not done (recorded); never overrides a failing check'),
  signOff: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('who signs off the plain acceptance bullets no check or item verifies (recorded in the manifest); without it such a bullet refuses the closure'),
  reason,
});

/** `gates`: every gate, or one. */
export const GatesInput = z.object({
  name: z.string().min(1).optional().describe('only this gate (an undeclared name is the error gate-unknown)'),
});

/** `audit`: the truthfulness audit, its diagnostics bounded. */
export const AuditInput = z.object({
  severity,
  code: z.string().min(1).optional().describe('only diagnostics with this code (evidence-missing, summary-contradiction, ...)'),
  file: z.string().min(1).optional().describe('only diagnostics in this file (relative to the root)'),
  limit: limit('diagnostics'),
  offset,
});

/** `audit_log`: the append-only record of every write and closure. */
export const AuditLogInput = z.object({
  item: z.string().min(1).optional().describe('only records of this item'),
  limit: limit('records (the newest; listed oldest first)'),
  cursor: z.string().min(1).max(200).optional().describe("the previous answer's nextCursor: the page of records just older than it"),
});

// ---------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------

// Output objects are loose (additional properties allowed): the CLI contract adds
// fields in later versions, and a client validating against an older tools/list
// must not reject them.

/** `{ code, message, details }`: every refusal and failure, in structuredContent.error with isError. */
export const ToolErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type ToolError = z.infer<typeof ToolErrorSchema>;

/**
 * A tool's output schema: the success fields, each optional, plus `error`. A
 * success result has every success field and no `error`; an error result
 * (isError) only `error`. The success fields cannot be required: the SDK's client
 * (1.32) validates structuredContent against the output schema even when isError
 * is set, so a schema without `error` would turn every refusal into a protocol
 * error the agent never sees.
 */
export function resultSchema<S extends z.ZodRawShape>(success: S) {
  return z
    .object(success)
    .partial()
    .extend({ error: ToolErrorSchema.optional().describe('present only on an error result (isError: true)') })
    .loose();
}

/** The compact node; full nodes carry more fields (see docs/cli-contract.md#node). */
export const NodeSchema = z.looseObject({
  id: z.string(),
  kind: ItemKindSchema,
  title: z.string(),
  status: StatusSchema.nullable(),
  dependsOn: z.array(z.string()),
  source: SourceSchema,
});

const FullNodeSchema = NodeSchema.extend({
  statusText: z.string().nullable(),
  document: z.string(),
  criteria: z.array(CriterionSchema.loose()),
  checks: z.array(CheckSchema.loose()),
  evidenceRoot: z.string().nullable(),
}).loose();

const Diagnostic = DiagnosticSchema.loose();
const Summary = { errors: z.number().int(), warnings: z.number().int(), infos: z.number().int() };
const nextOffset = z.number().int().nullable().describe('pass as offset for the next page; null when this page is the last');

export const GraphOutput = resultSchema({
  nodes: z.array(NodeSchema),
  total: z.number().int().describe('items matching the filters, over all pages'),
  offset: z.number().int(),
  nextOffset,
  diagnostics: z.array(Diagnostic).describe('the first diagnostics of the chosen severity or worse'),
  diagnosticsTotal: z.number().int().describe('diagnostics of the chosen severity or worse, listed or not'),
  summary: z.object(Summary).loose().describe('every diagnostic of the workspace, counted by severity'),
});

export const NextOutput = resultSchema({ nodes: z.array(NodeSchema), total: z.number().int(), offset: z.number().int(), nextOffset });

const BlockerSchema = z.looseObject({ id: z.string(), status: StatusSchema.nullable(), exists: z.boolean(), via: z.string().optional() });

export const ItemOutput = resultSchema({
  node: FullNodeSchema,
  fileHash: z.string().nullable().describe("sha256 of the item's file: set_status's expect"),
  blockers: z.array(BlockerSchema),
  dependents: z.array(z.string()),
});

/** `explain` answers @govern/workspace's FileExplanation (its schema, loose like every output). */
export const ExplainOutput = resultSchema(FileExplanationSchema.shape);

const AuditRecord = AuditRecordSchema.loose();

/** `set_status` and `close` answer their library's result (schemas in @govern/write and @govern/closure). */
export const SetStatusOutput = resultSchema(SetStatusResultSchema.shape);
/** `add_task`, `edit_acceptance` and `add_dependency` answer @govern/write's DocumentWriteResult. */
export const DocumentWriteOutput = resultSchema(DocumentWriteResultSchema.shape);
export const CloseOutput = resultSchema(CloseResultSchema.shape);

export const GatesOutput = resultSchema({ gates: z.array(GateReportSchema.loose()), diagnostics: z.array(Diagnostic) });

export const AuditOutput = resultSchema({
  ok: z.boolean().describe('no error diagnostic'),
  checked: z.looseObject({ doneItems: z.number().int(), evidenceRoots: z.number().int(), claims: z.number().int() }),
  ...Summary,
  diagnostics: z.array(Diagnostic),
  total: z.number().int().describe('diagnostics matching severity, code and file, over all pages'),
  offset: z.number().int(),
  nextOffset,
});

export const AuditLogOutput = resultSchema({
  records: z.array(AuditRecord),
  total: z.number().int().describe('records matching item, listed or not'),
  nextCursor: z.string().nullable().describe('pass as cursor for the page of older records; null when this page holds the oldest'),
  diagnostics: z.array(Diagnostic).describe('damaged lines of the log'),
});
