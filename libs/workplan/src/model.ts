import { z } from 'zod';

/**
 * The zod schemas in this file are the single source of the document model.
 * Types are inferred from them (`z.infer`), and JSON Schema for tools and docs is
 * generated from them, so a field is declared exactly once.
 */

export const STATUSES = ['planned', 'in_progress', 'partial', 'blocked', 'done'] as const;
export const StatusSchema = z.enum(STATUSES).describe('Normalized status vocabulary.');
export type Status = z.infer<typeof StatusSchema>;

export const SeveritySchema = z.enum(['error', 'warning', 'info']);
export type Severity = z.infer<typeof SeveritySchema>;

/** A 1-based position inside a file; `file` is relative to the root and `/`-separated. */
export const SourceSchema = z.object({
  file: z.string(),
  line: z.number().int().min(1),
  column: z.number().int().min(1),
});
export type Source = z.infer<typeof SourceSchema>;

export const RelatedSchema = SourceSchema.extend({ message: z.string() });

/**
 * A problem in user content, shaped like unified's vfile-message: what (code,
 * message), where (file, line, column), and optionally what was expected/found.
 * The CLI, MCP and HTTP layers render this same object.
 */
export const DiagnosticSchema = z.object({
  severity: SeveritySchema,
  code: z.string(),
  message: z.string(),
  file: z.string(),
  line: z.number().int().min(1),
  column: z.number().int().min(1),
  expected: z.string().optional(),
  actual: z.string().optional(),
  note: z.string().optional(),
  related: z.array(RelatedSchema).optional(),
});
export type Diagnostic = z.infer<typeof DiagnosticSchema>;

export const CriterionSchema = z.object({
  text: z.string(),
  /** `true`/`false` for `- [x]`/`- [ ]` checklists, `null` for plain bullets. */
  checked: z.boolean().nullable(),
  line: z.number().int(),
  column: z.number().int(),
  /**
   * Commands that verify this criterion, from a `Check: \`cmd\`` line under the bullet
   * (a continuation line or a nested bullet). `govern close` runs them with the item's
   * checks and records which check verified the bullet. Absent when none.
   */
  checks: z.array(z.string()).optional(),
  /** Items whose closure verifies this criterion (`Verified by: GV-WP-0006-T01`). Absent when none. */
  verifiedBy: z.array(z.string()).optional(),
});
export type Criterion = z.infer<typeof CriterionSchema>;

/** A command that must pass for the item to close (`govern close`); run from the repository root. */
export const CheckSchema = z.object({
  command: z.string(),
  line: z.number().int(),
  column: z.number().int(),
});
export type Check = z.infer<typeof CheckSchema>;

export const DependencyRefSchema = z.object({
  /** The id as written (may be a document-local id such as `K0`). */
  id: z.string(),
  origin: z.enum(['table', 'matrix', 'metadata', 'front-matter', 'section']),
  line: z.number().int(),
  column: z.number().int(),
  /**
   * Set when the text could not be read as an id (`id` is then the text as written, with a
   * `dependency-invalid` error at it): the dependency is kept, so the item stays blocked by
   * something no item is, rather than counting as free of it.
   */
  unreadable: z.literal(true).optional(),
});
export type DependencyRef = z.infer<typeof DependencyRefSchema>;

export const ItemKindSchema = z.enum(['milestone', 'task', 'workplan']);
export type ItemKind = z.infer<typeof ItemKindSchema>;

export const ItemSchema = z.object({
  id: z.string(),
  kind: ItemKindSchema,
  /** Id as written in the document, before any qualification by document id. */
  localId: z.string(),
  title: z.string(),
  status: StatusSchema.nullable(),
  statusText: z.string().nullable(),
  /** Where the status token is (for surgical writes and diagnostics). */
  statusSource: z.object({ line: z.number().int(), column: z.number().int() }).nullable(),
  /**
   * `derived`: the item states no status of its own and every item under it is done, so it
   * is done (`statusText` and `statusSource` stay null: nothing is written to replace).
   * Absent when the status is stated (then `statusSource` points at it) or missing.
   */
  statusOrigin: z.literal('derived').optional(),
  priority: z.string().nullable(),
  order: z.number().nullable(),
  dependencies: z.array(DependencyRefSchema),
  criteria: z.array(CriterionSchema),
  /** Checks `govern close` runs; where each family declares them is in docs/formats.md. */
  checks: z.array(CheckSchema),
  evidenceRoot: z.string().nullable(),
  packetId: z.string().nullable(),
  stateHubId: z.string().nullable(),
  /** Issue references found in the status text, e.g. `#27` in `Done (#27)`. */
  refs: z.array(z.string()),
  parent: z.string().nullable(),
  line: z.number().int(),
  column: z.number().int(),
});
export type Item = z.infer<typeof ItemSchema>;

export const FamilySchema = z.enum(['tracker', 'workplan', 'plan', 'unknown']);
export type Family = z.infer<typeof FamilySchema>;

export const LocatedTextSchema = z.object({ text: z.string(), line: z.number().int(), column: z.number().int() });

export const MatrixSchema = z.object({
  kind: z.enum(['dependency', 'cross-repo']),
  title: z.string().nullable(),
  line: z.number().int(),
  rows: z.array(z.string()),
  columns: z.array(z.string()),
  /** Labels of rows/columns as written (`CR-01 dome`). */
  labels: z.record(z.string(), z.string()),
  /** `row depends on column` pairs marked `1`. */
  edges: z.array(z.object({ from: z.string(), to: z.string(), line: z.number().int(), column: z.number().int() })),
});
export type Matrix = z.infer<typeof MatrixSchema>;

/** A sentence of a tracker's prose that states the status of items (`LM-01..LM-09 completed`). */
export const ClaimSchema = z.object({
  ids: z.array(z.string()),
  status: StatusSchema,
  text: z.string(),
  line: z.number().int(),
  column: z.number().int(),
});
export type Claim = z.infer<typeof ClaimSchema>;

/**
 * Where a document's id comes from: its front matter (`id`, or a single-token ccpm
 * `name`), its file name without the extension, or, when another file of the root has
 * the same name, its path relative to the root without the extension.
 */
export const IdSourceSchema = z.enum(['front-matter', 'file-name', 'path']);
export type IdSource = z.infer<typeof IdSourceSchema>;

export const DocumentSchema = z.object({
  /** Relative, `/`-separated path. */
  file: z.string(),
  id: z.string(),
  idSource: IdSourceSchema,
  family: FamilySchema,
  title: z.string(),
  status: StatusSchema.nullable(),
  statusText: z.string().nullable(),
  frontMatter: z.record(z.string(), z.unknown()).nullable(),
  items: z.array(ItemSchema),
  matrices: z.array(MatrixSchema),
  evidenceRoots: z.array(LocatedTextSchema),
  packetIds: z.array(LocatedTextSchema),
  /** Status claims in prose, checked against the items by `govern audit`. */
  claims: z.array(ClaimSchema),
  lineEnding: z.enum(['lf', 'crlf']),
  bom: z.boolean(),
});
export type WorkDocument = z.infer<typeof DocumentSchema>;

export const ParseResultSchema = z.object({
  document: DocumentSchema.nullable(),
  diagnostics: z.array(DiagnosticSchema),
});
export type ParseResult = z.infer<typeof ParseResultSchema>;
