import { EXIT, GovernError, type GovernErrorOptions } from '@govern/errors';

/**
 * The binder's refusals, one code each (the CLI and MCP switch on `code`):
 *
 * - `locked`, `open-failed`, `schema`: the binder file is open elsewhere, cannot
 *   be opened, or its migrations do not match this build (from @govern/duckdb);
 * - `quarantine-not-found`: `replay` was given an id no quarantined record has;
 * - `replay-invalid`: the fixed record of a `replay` is still not a valid
 *   envelope (the quarantined record stays open; `details.reasons` says why);
 * - `replay-conflict`: the fixed record's idempotency key is stored already with
 *   other content, so storing it would change a fact;
 * - `capsule-not-found`: `apply` was given an upsert key no capsule has;
 * - `not-prescriptive`: `apply` while the rollout mode is shadow or guided;
 * - `not-eligible`: `apply` of a capsule that is not eligible (`details.reasons`);
 * - `invalid-query`: an unknown primitive or filter, or a bad limit (a usage error);
 * - `memory-locked`: the memory store's file is open in another process (memoryd
 *   is running on it); `memory-open-failed`: it cannot be opened read-only;
 *   `memory-schema`: it is not a memory store (no `task_facts` of the known layout).
 */
export type BinderErrorCode =
  | 'locked'
  | 'open-failed'
  | 'closed'
  | 'schema'
  | 'quarantine-not-found'
  | 'replay-invalid'
  | 'replay-conflict'
  | 'capsule-not-found'
  | 'not-prescriptive'
  | 'not-eligible'
  | 'invalid-query'
  | 'memory-locked'
  | 'memory-open-failed'
  | 'memory-schema';

/** Codes that mean the caller asked for something malformed (the CLI exits 2 on them). */
const USAGE_CODES: ReadonlySet<BinderErrorCode> = new Set(['invalid-query']);

/** A coded refusal of the binder (a {@link GovernError}: one renderer in the CLI, one mapper in MCP). */
export class BinderError extends GovernError<BinderErrorCode> {
  constructor(code: BinderErrorCode, message: string, options: GovernErrorOptions = {}) {
    super(code, message, { exitCode: USAGE_CODES.has(code) ? EXIT.usage : EXIT.refused, ...options });
  }
}
