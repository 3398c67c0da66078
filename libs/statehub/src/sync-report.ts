import { z } from 'zod';
import { HubStatusSchema, RecordKindSchema } from './schemas.js';

/**
 * What `govern statehub sync` did (or, with --dry-run, would do) — the JSON
 * printed with `--json` and the contract documented in docs/cli-contract.md.
 */

const where = {
  kind: RecordKindSchema,
  /** The item id in the repository. */
  item: z.string(),
  /** Its externalKey on StateHub: `<repo>:<item id>`. */
  key: z.string(),
  file: z.string(),
};

export const SyncActionSchema = z.object({
  ...where,
  /** Which side the action changes. */
  side: z.enum(['remote', 'local']),
  /** create/update: a record on StateHub; write-id: the id into the Markdown; status: a status on that side. */
  op: z.enum(['create', 'update', 'write-id', 'status']),
  /** The StateHub id (null for a create not yet made in a dry run). */
  id: z.string().nullable(),
  from: HubStatusSchema.optional(),
  to: HubStatusSchema.optional(),
  /** The record's version after the action (remote side), when known. */
  version: z.number().int().nullable(),
});
export type SyncAction = z.infer<typeof SyncActionSchema>;

export const SyncConflictSchema = z.object({
  ...where,
  id: z.string(),
  local: HubStatusSchema,
  remote: HubStatusSchema,
  /** The status last agreed; null with `hasBase: false` when there is no record of one (first sync of this item here). */
  base: HubStatusSchema,
  hasBase: z.boolean(),
  remoteVersion: z.number().int(),
  message: z.string(),
});
export type SyncConflict = z.infer<typeof SyncConflictSchema>;

export const SyncRefusalSchema = z.object({
  ...where,
  id: z.string(),
  local: HubStatusSchema,
  remote: HubStatusSchema,
  /** The WriteError code of setStatus (closure-required, dependencies-not-done, transition-forbidden, …) or status-null. */
  code: z.string(),
  message: z.string(),
  note: z.string().optional(),
});
export type SyncRefusal = z.infer<typeof SyncRefusalSchema>;

export const SyncPendingSchema = z.object({
  ...where,
  /** The side that would change if the other direction ran. */
  side: z.enum(['remote', 'local']),
  what: z.string(),
});
export type SyncPending = z.infer<typeof SyncPendingSchema>;

export const SyncProblemSchema = z.object({
  item: z.string().nullable(),
  key: z.string().nullable(),
  file: z.string().nullable(),
  code: z.string(),
  message: z.string(),
});
export type SyncProblem = z.infer<typeof SyncProblemSchema>;

export const SyncReportSchema = z.object({
  url: z.string(),
  repo: z.string(),
  mode: z.enum(['both', 'push', 'pull']),
  dryRun: z.boolean(),
  /** Relative to the root. */
  stateFile: z.string(),
  /** Workplans and tasks considered. */
  items: z.number().int(),
  actions: z.array(SyncActionSchema),
  conflicts: z.array(SyncConflictSchema),
  refused: z.array(SyncRefusalSchema),
  /** Changes the other direction would make (`--push` leaves remote changes pending, `--pull` local ones). */
  pending: z.array(SyncPendingSchema),
  problems: z.array(SyncProblemSchema),
  /** Items already in agreement that needed nothing. */
  unchanged: z.number().int(),
  /** True when nothing is in conflict, refused or a problem. */
  ok: z.boolean(),
});
export type SyncReport = z.infer<typeof SyncReportSchema>;
