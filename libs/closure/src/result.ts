import { z } from 'zod';
import { SetStatusResultSchema } from '@govern/write';
import { CheckRecordSchema } from './manifest.js';

// The result of `closeItem` as a zod schema: what `govern close --json` prints and the
// MCP `close` tool answers (apps/cli/src/mcp/schemas.ts builds its output schema from
// this one). Nested objects are loose: later versions may add fields. `CloseResult`
// (close.ts) is the type `closeItem` returns; a test in apps/cli/src/mcp checks that a
// real result parses with this schema made strict.

/** One reason a closure did not pass; `line` points into the item's file when it can. */
export const CloseFailureSchema = z.looseObject({
  code: z.string().describe('evidence-root-missing, tree-dirty, check-failed, criteria-unchecked, dependencies-not-done, …'),
  message: z.string(),
  line: z.number().int().optional(),
});

export const CloseResultSchema = z.object({
  item: z.string(),
  file: z.string().describe("the item's file, relative to the root"),
  passed: z.boolean().describe('closed (done, manifest written); false: the status is unchanged and failures says why'),
  failures: z.array(CloseFailureSchema),
  evidenceRoot: z.string().nullable().describe('the evidence root (relative), when one could be used'),
  attemptManifest: z.string().nullable().describe("this attempt's manifest (relative to the root), once checks ran"),
  manifest: z.string().nullable().describe("the evidence root's manifest.json, written only when the closure passed"),
  checks: z.array(CheckRecordSchema.loose()),
  status: SetStatusResultSchema.loose().nullable().describe('the status write, when the closure passed'),
});
