import { StatusSchema } from '@govern/workplan';
import { z } from 'zod';
import { AuditRecordSchema } from './audit-log.js';

// The result of `setStatus` as a zod schema: what `govern task set-status --json` prints
// and the MCP `set_status` tool answers (apps/cli/src/mcp/schemas.ts builds its output
// schema from this one). Nested objects are loose: later versions may add fields.
// `SetStatusResult` (set-status.ts) is the type `setStatus` returns; result.test.ts
// checks the two agree field for field.

/** A status as a token holds it: the normalized status and the text written. */
const StatusValueSchema = z.looseObject({ status: StatusSchema.nullable(), text: z.string().nullable() });

export const SetStatusResultSchema = z.object({
  item: z.string(),
  file: z.string().describe("the item's file, relative to the root"),
  changed: z.boolean().describe('false when the item already had this status: nothing written or logged'),
  from: StatusValueSchema.describe('the status before (both null when the token held none)'),
  to: z.looseObject({ status: StatusSchema, text: z.string() }).describe('the status written (or already there)'),
  hashBefore: z.string().describe('sha256 of the file before the write'),
  hashAfter: z.string().describe('the expect of the next write'),
  forced: z.array(z.string()).describe('lifecycle rules overridden with force, one sentence each'),
  audit: AuditRecordSchema.loose().nullable().describe('the audit record written; null when nothing changed'),
});
