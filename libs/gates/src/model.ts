import { z } from 'zod';
import { SourceSchema, StatusSchema } from '@govern/workplan';
import type { Config } from '@govern/workspace';

/** A gate as `loadConfig` returns it: its fields plus the position of each in `govern.config.yaml`. */
export type GateConfig = NonNullable<Config['gates']>[string];

/**
 * One milestone a gate requires, resolved against the graph. `file`/`line`/`column`
 * say where its status is written (the status token, else the item's id); for an id
 * that no document defines they point at the entry in `govern.config.yaml`.
 */
export const RequirementSchema = z.object({
  id: z.string(),
  /** `false` when no document defines the id (an error diagnostic says where). */
  found: z.boolean(),
  title: z.string().nullable(),
  status: StatusSchema.nullable(),
  statusText: z.string().nullable(),
  done: z.boolean(),
  file: z.string(),
  line: z.number().int().min(1),
  column: z.number().int().min(1),
});
export type Requirement = z.infer<typeof RequirementSchema>;

/** A gate evaluated against the milestone graph. */
export const GateStateSchema = z.object({
  name: z.string(),
  description: z.string().nullable(),
  /** The Nx project root the gate governs, if any. */
  project: z.string().nullable(),
  /** Every required item is done. */
  enabled: z.boolean(),
  requires: z.array(RequirementSchema),
  /** The requirements that are not done, in the order written: why the gate is disabled. */
  blockedBy: z.array(RequirementSchema),
  /** Where the gate is declared (its name in `govern.config.yaml`). */
  source: SourceSchema,
});
export type GateState = z.infer<typeof GateStateSchema>;

/** A gate as `govern gates` reports it: its state plus whether its project folder exists. */
export const GateReportSchema = GateStateSchema.extend({
  /** `null` when the gate names no project. */
  projectExists: z.boolean().nullable(),
});
export type GateReport = z.infer<typeof GateReportSchema>;
