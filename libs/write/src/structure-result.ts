import { z } from 'zod';
import { AuditRecordSchema } from './audit-log.js';

/** The structural writes: what they record as the audit record's `action`. */
export const STRUCTURE_ACTIONS = ['add-task', 'edit-acceptance', 'add-dependency'] as const;
export const StructureActionSchema = z.enum(STRUCTURE_ACTIONS);
export type StructureAction = z.infer<typeof StructureActionSchema>;

/**
 * What `addTask`, `editAcceptance` and `addDependency` answer: what `govern task add
 * --json` (and `edit-acceptance`, `add-dep`) print and the MCP tools answer. The
 * schema is the source of the type. Nested objects are loose: later versions may add fields.
 */
export const DocumentWriteResultSchema = z.object({
  action: StructureActionSchema,
  item: z.string().describe('the item written: the new task, or the task whose acceptance or dependencies changed'),
  file: z.string().describe("the item's file, relative to the root"),
  changed: z.boolean().describe('false when nothing needed writing (the dependency was already there): nothing written or logged'),
  dryRun: z.boolean().describe('true: planned and verified, nothing written or logged'),
  hashBefore: z.string().describe('sha256 of the file before the write'),
  hashAfter: z.string().describe('sha256 of the file after it (with dryRun: as it would be); the expect of the next write'),
  hunk: z
    .looseObject({ line: z.number().int(), removed: z.array(z.string()), added: z.array(z.string()) })
    .nullable()
    .describe('the lines changed: from line `line`, `removed` replaced by `added` (null when nothing changed)'),
  forced: z.array(z.string()).describe('rules overridden with force, one sentence each'),
  audit: AuditRecordSchema.loose().nullable().describe('the audit record written; null on a dry run or when nothing changed'),
});
export type DocumentWriteResult = z.infer<typeof DocumentWriteResultSchema>;
