import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { PRIMITIVES, type CapsuleFilter } from '@govern/binder';
import { withBinderAt } from '../../commands/binder.js';
import { resultSchema } from '../schemas.js';
import { defineTool, type ToolContext } from '../tool.js';

/**
 * The binder's read side for agents: status, capsules, quarantine, suggestions and
 * the three query primitives — the library calls `govern binder …` makes, on the
 * served root's binder file (`.govern/binder/binder.duckdb`). Each call asserts the
 * `binder` gate when the root declares one, opens the file, answers and closes it,
 * so a CLI ingest between two calls is seen and never blocked for long. Applying a
 * capsule stays a CLI act (`govern binder apply`): prescriptive use is audited with
 * a named actor and reason.
 */
const READ_ONLY = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const;
const text = z.string().min(1).max(500);
const limit = z.number().int().min(1).max(500).default(50).describe('at most this many (default 50, max 500)');
const filterShape = {
  scope: text.optional().describe('only this TaskSpec scope'),
  target_kind: text.optional(),
  target_id: text.optional(),
  action_kind: text.optional(),
  failure_reason_code: text.optional(),
  upsert_key: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('one capsule by its upsert key'),
};
const capsule = z.looseObject({ upsert_key: z.string(), scope: z.string(), target_kind: z.string(), target_id: z.string(), action_kind: z.string(), failure_reason_code: z.string(), minted: z.boolean() });

function filterOf(args: Partial<Record<keyof typeof filterShape, string | undefined>> & { limit?: number }): CapsuleFilter {
  const f: CapsuleFilter = {};
  for (const k of Object.keys(filterShape) as (keyof typeof filterShape)[]) if (args[k] !== undefined) f[k] = args[k];
  if (args.limit !== undefined) f.limit = args.limit;
  return f;
}

export function registerBinderTools(server: McpServer, tc: ToolContext): void {
  const use = <T>(fn: Parameters<typeof withBinderAt<T>>[2]) => withBinderAt(tc.root, { warn: (w) => tc.log(`${w}\n`) }, fn);

  defineTool(
    server,
    tc,
    'binder_status',
    {
      title: 'Binder status',
      description: 'Counts of stored envelopes (facts), quarantined records, capsules (minted, qualified, eligible) and applications; the rollout and fallback modes.',
      inputSchema: z.object({}),
      outputSchema: resultSchema({ binder_version: z.string(), facts: z.int(), quarantine: z.looseObject({ open: z.int(), resolved: z.int() }), capsules: z.looseObject({ total: z.int() }), config: z.looseObject({}) }),
      annotations: READ_ONLY,
    },
    () => use(async (b) => ({ ...(await b.status()) })),
  );

  defineTool(
    server,
    tc,
    'binder_capsules',
    {
      title: 'Binder capsules',
      description:
        'Capsules (derived knowledge per upsert key: scope, target, action, failure_reason_code, fingerprint) with support and contradiction counts, last seen, ' +
        'confidence and eligibility (with the reasons when not eligible). Minted ones only unless all is true.',
      inputSchema: z.object({ ...filterShape, eligible: z.boolean().optional().describe('only eligible capsules'), all: z.boolean().default(false).describe('include capsules the fallback mode did not mint'), limit }),
      outputSchema: resultSchema({ capsules: z.array(capsule) }),
      annotations: READ_ONLY,
    },
    (args) =>
      use(async (b) => ({ capsules: await b.capsules({ ...filterOf(args), ...(args.all ? {} : { minted: true }), ...(args.eligible !== undefined ? { eligible: args.eligible } : {}) }) })),
  );

  defineTool(
    server,
    tc,
    'binder_suggest',
    {
      title: 'Binder suggestions',
      description:
        'Eligible capsules as suggestions, per the rollout mode of the profile: shadow suggests nothing (reason mode-shadow; qualified counts what would be), ' +
        'guided suggests, prescriptive suggests and allows `govern binder apply` (audited).',
      inputSchema: z.object({ ...filterShape, limit }),
      outputSchema: resultSchema({ rollout: z.string(), reason: z.string().nullable(), applicable: z.boolean(), qualified: z.int(), suggestions: z.array(capsule) }),
      annotations: READ_ONLY,
    },
    (args) => use(async (b) => ({ ...(await b.suggest(filterOf(args))) })),
  );

  defineTool(
    server,
    tc,
    'binder_quarantine',
    {
      title: 'Binder quarantine',
      description: 'Records that were not stored, oldest first, with coded reasons (which field, what was wrong); include_resolved adds those replayed after a fix.',
      inputSchema: z.object({ include_resolved: z.boolean().default(false), limit }),
      outputSchema: resultSchema({ entries: z.array(z.looseObject({ quarantine_id: z.string(), reasons: z.array(z.looseObject({ code: z.string(), path: z.string(), message: z.string() })) })) }),
      annotations: READ_ONLY,
    },
    (args) => use(async (b) => ({ entries: await b.quarantine({ limit: args.limit, includeResolved: args.include_resolved }) })),
  );

  defineTool(
    server,
    tc,
    'binder_query',
    {
      title: 'Binder query primitive',
      description:
        'One query primitive over the TaskSpec-keyed binder tables: mv_recent_failures_by_taskspec, mv_gate_rollup_by_failure_reason_code, mv_guard_denials_by_policy_reason_code. ' +
        'Same facts and filters give the same rows in the same order. Filters are exact matches (from/to: ISO window of observed_at).',
      inputSchema: z.object({ primitive: z.enum(PRIMITIVES), filters: z.record(z.string(), z.string()).default({}), limit }),
      outputSchema: resultSchema({ primitive: z.string(), limit: z.int(), rows: z.array(z.looseObject({})), truncated: z.boolean() }),
      annotations: READ_ONLY,
    },
    (args) => use(async (b) => ({ ...(await b.query(args.primitive, { filters: args.filters, limit: args.limit })) })),
  );
}
