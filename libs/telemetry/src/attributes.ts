/**
 * The names govern writes on its spans. memoryd reads the same names
 * (docs/memory.md#attributes), so they are one contract: add names, never
 * rename one.
 */
export const ATTR = {
  /** One id per CLI invocation (a UUID); on every span of the run. */
  runId: 'govern.run.id',
  /** The command path as typed, without options: `graph`, `task set-status`, `audit log`. */
  command: 'govern.command',
  /** The stage a span belongs to (see {@link STAGES}). */
  stage: 'govern.stage',
  /** The phase of the read path a `discover`/`parse`/`graph` span measured (`config`, `discover`, `parse`, …). */
  phase: 'govern.phase',
  /** The item the command is about (`task show|set-status <id>`, `close <id>`, `pr open <id>`). */
  itemId: 'govern.item.id',
  /** The document the command is about: `--doc`, or the document holding the item. */
  documentId: 'govern.document.id',
  /** The process exit code, on the run span. */
  exitCode: 'govern.exit_code',
  /** Why something failed (seed 002, K0). The contract's own name, not namespaced. */
  failureReasonCode: 'failure_reason_code',
  /** Why a guard (a gate, a lifecycle rule) denied it (seed 002, K0). */
  policyReasonCode: 'policy_reason_code',
} as const;

/** The event a guard denial adds to its span, with `policy_reason_code` (and `message`). */
export const GUARD_DENIED_EVENT = 'guard.denied';

/** The stages of a CLI run. `sync` and `pr` belong to the StateHub bridge and the closure PR commands. */
export const STAGES = ['discover', 'parse', 'graph', 'gate', 'write', 'close', 'sync', 'pr'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Refusal codes that are a guard's decision, not a failure: a disabled gate
 * (libs/gates) and the lifecycle rules of status writes and closure
 * (libs/write, libs/closure). They are recorded as `policy_reason_code`;
 * every other error code is a `failure_reason_code`.
 */
export const POLICY_DENIAL_CODES: ReadonlySet<string> = new Set(['gate-disabled', 'closure-required', 'transition-forbidden', 'dependencies-not-done']);

/** A span attribute value (the OTel API's primitive values and homogeneous arrays). */
export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];
export type Attributes = Record<string, AttributeValue | undefined>;

/** What went wrong in a stage: a failure, a guard's denial, or both (they are never merged). */
export interface Outcome {
  failure?: { code: string; message?: string };
  denial?: { code: string; message?: string };
}

/** The failure or denial an error stands for: its `code` decides (see {@link POLICY_DENIAL_CODES}). */
export function outcomeOfError(err: unknown): Outcome {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'internal-error';
  const message = err instanceof Error ? err.message : String(err);
  return POLICY_DENIAL_CODES.has(code) ? { denial: { code, message } } : { failure: { code, message } };
}

/**
 * The outcome of a result shaped like `govern close`'s (`{ passed, failures: [{ code, message }] }`):
 * nothing when it passed; otherwise the first policy code as the denial and the
 * first other code as the failure.
 */
export function outcomeOfChecks(result: { passed: boolean; failures: readonly { code: string; message?: string }[] }): Outcome | undefined {
  if (result.passed) return undefined;
  const out: Outcome = {};
  for (const f of result.failures) {
    const entry = { code: f.code, ...(f.message !== undefined ? { message: f.message } : {}) };
    if (POLICY_DENIAL_CODES.has(f.code)) out.denial ??= entry;
    else out.failure ??= entry;
  }
  if (!out.denial && !out.failure) out.failure = { code: 'failed' };
  return out;
}
