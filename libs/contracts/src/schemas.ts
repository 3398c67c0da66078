import { z } from 'zod';

/**
 * The contracts this package owns (seed 002, K0/K1 — the SSOT role seed 002 gives
 * `xtrlv2`): the reason semantics, TaskSpec, the wrapper envelope with its lineage,
 * and guard/transition evaluation records. Every consumer (memory store, binder)
 * pins a version and its hash (see pins.ts); these zod schemas are the source of
 * the types and of the generated JSON Schema in `libs/contracts/schemas/`
 * (registry.ts lists them; docs/contracts.md is the compatibility boundary).
 *
 * Field names are snake_case on purpose: they are wire names shared with spans
 * (OTel attributes) and with other repositories, not TypeScript conventions.
 */

const code = z.string().max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'a reason code: letters, digits and . _ : / - (no spaces)');
const text = z.string().min(1).max(500);

/**
 * The wire names of the reason split (LM-10). `reason_code` is the legacy name of
 * `failure_reason_code`: readers accept it, writers never emit it.
 */
export const REASON_FIELDS = {
  failure: 'failure_reason_code',
  policy: 'policy_reason_code',
  legacyFailureAlias: 'reason_code',
} as const;

/** Which name supplied a `failure_reason_code` on read: the canonical one, or the legacy alias. */
export const FAILURE_REASON_SOURCES = [REASON_FIELDS.failure, REASON_FIELDS.legacyFailureAlias] as const;
export type FailureReasonSource = (typeof FAILURE_REASON_SOURCES)[number];

/**
 * Reason semantics (LM-10). `failure_reason_code` says why something failed;
 * `policy_reason_code` says why a guard denied it. They are separate fields and
 * never overwrite each other: a guard denial sets `policy_reason_code` only.
 * `reason_code` is the legacy input alias of `failure_reason_code`: read, never written.
 */
export const ReasonSemanticsSchema = z
  .object({
    failure_reason_code: code.nullable().describe('why it failed (input alias: reason_code, read only)'),
    policy_reason_code: code.nullable().describe('why a guard or policy denied it; never a failure'),
  })
  .strict()
  .describe('the failure/policy reason split (seed 002 K0, LM-10)');
export type ReasonSemantics = z.infer<typeof ReasonSemanticsSchema>;

/**
 * The read side of the reason split: what a reader of old and new records
 * accepts. `reason_code` (the legacy alias) is read as `failure_reason_code`
 * when the canonical name is absent or null; when both are present the canonical
 * name wins, even if they disagree, because a record's own canonical field is
 * the newer statement. The output says which name supplied the code
 * (`failure_reason_source`) and never contains `reason_code`: the alias is read,
 * never written. Unknown keys are dropped, since a record carries much more than
 * its reasons.
 */
export const ReasonSemanticsReadSchema = z
  .object({
    failure_reason_code: code.nullable().optional(),
    reason_code: code.nullable().optional().describe('legacy alias of failure_reason_code: read when failure_reason_code is absent, never written'),
    policy_reason_code: code.nullable().optional(),
  })
  .transform((r) => {
    const canonical = r.failure_reason_code ?? null;
    const legacy = r.reason_code ?? null;
    const failure_reason_source: FailureReasonSource | null = canonical !== null ? 'failure_reason_code' : legacy !== null ? 'reason_code' : null;
    return { failure_reason_code: canonical ?? legacy, failure_reason_source, policy_reason_code: r.policy_reason_code ?? null };
  })
  .describe('the reason split as a reader accepts it: failure_reason_code, else its legacy alias reason_code; policy_reason_code apart');
export type ReasonSemanticsRead = z.output<typeof ReasonSemanticsReadSchema>;

/** What a planner asked to do, and to what (seed 002 K1: the TaskSpec-required fields). */
export const TaskSpecSchema = z
  .object({
    scope: text.describe('where the task applies: a repository, package or area (e.g. "repo:govern/libs/workplan")'),
    target: z
      .object({
        kind: text.describe('what kind of thing is acted on (file, package, milestone, test, …)'),
        id: text.describe('which one'),
      })
      .strict(),
    action: z
      .object({
        kind: text.describe('what is done to it (edit, run-check, close, migrate, …)'),
      })
      .strict(),
    failure_reason_code: code.describe('the failure class this task is about'),
  })
  .strict()
  .describe('TaskSpec: scope, target.kind, target.id, action.kind and failure_reason_code are required');
export type TaskSpec = z.infer<typeof TaskSpecSchema>;

/** Envelope lineage: where a wrapper record sits in its run (seed 002 K1). */
export const LineageSchema = z
  .object({
    event_id: text.describe('unique id of this envelope'),
    sequence: z.number().int().nonnegative().describe('position of this envelope in its run'),
    run_id: text.describe('the run that produced it'),
  })
  .strict();
export type Lineage = z.infer<typeof LineageSchema>;

/** What the wrapper observed. Only `failure` and `denial` are explicit; `anomaly` is inferred by a trigger. */
export const SIGNALS = ['failure', 'denial', 'anomaly', 'success'] as const;
export type Signal = (typeof SIGNALS)[number];

/** A pointer to evidence: a file (with its sha256), a URL, a span or a log line. */
export const EvidenceRefSchema = z
  .object({
    kind: z.enum(['file', 'url', 'span', 'log']),
    ref: text,
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .strict();
export type EvidenceRef = z.infer<typeof EvidenceRefSchema>;

/**
 * The execution context a fingerprint is computed from. Gates are a set (order
 * does not matter); versions and env are maps. Volatile values (timestamps, pids,
 * temporary paths) do not belong here: the binder excludes `observed_at` and the
 * lineage from fingerprints by construction.
 */
export const FingerprintContextSchema = z
  .object({
    gates: z.array(text).default([]),
    versions: z.record(z.string(), z.string()).default({}),
    env: z.record(z.string(), z.string()).default({}),
  })
  .strict();
export type FingerprintContext = z.infer<typeof FingerprintContextSchema>;

/**
 * A wrapper envelope v1: one observation of one task by a wrapper, with lineage,
 * group, signal, the wrapper's policy and evidence refs (seed 002 K1).
 * `failure` and `denial` need at least one evidence ref; a `denial` needs a
 * `policy_reason_code`; an `anomaly` names its trigger.
 */
export const WrapperEnvelopeSchema = z
  .object({
    schema: z.literal('govern.wrapper-envelope/v1'),
    ...LineageSchema.shape,
    task_id: text.describe('the task (e.g. a workplan item id) this envelope is about'),
    group_id: text.describe('the group of attempts it belongs to (a retry group, a batch)'),
    signal: z.enum(SIGNALS),
    anomaly_trigger: code.optional().describe('for signal=anomaly: the trigger that inferred it (exit-nonzero, timeout, …)'),
    wrapper_policy: z.object({ name: text, version: text }).strict(),
    task_spec: TaskSpecSchema,
    policy_reason_code: code.nullable().default(null),
    context: FingerprintContextSchema.default({ gates: [], versions: {}, env: {} }),
    evidence: z.array(EvidenceRefSchema).max(100),
    observed_at: z.iso.datetime({ offset: true }).describe('when it was observed (volatile: never part of a fingerprint)'),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.signal === 'failure' || e.signal === 'denial') && e.evidence.length === 0)
      ctx.addIssue({ code: 'custom', path: ['evidence'], message: `a ${e.signal} needs at least one evidence ref` });
    if (e.signal === 'denial' && !e.policy_reason_code) ctx.addIssue({ code: 'custom', path: ['policy_reason_code'], message: 'a denial needs policy_reason_code' });
    if (e.signal !== 'denial' && e.policy_reason_code && e.signal !== 'failure')
      ctx.addIssue({ code: 'custom', path: ['policy_reason_code'], message: `policy_reason_code is only for denials and failures that a guard also denied, not ${e.signal}` });
    if (e.signal === 'anomaly' && !e.anomaly_trigger) ctx.addIssue({ code: 'custom', path: ['anomaly_trigger'], message: 'an anomaly names its trigger' });
    if (e.signal !== 'anomaly' && e.anomaly_trigger) ctx.addIssue({ code: 'custom', path: ['anomaly_trigger'], message: 'anomaly_trigger is only for signal=anomaly' });
  })
  .describe('a wrapper envelope v1 (seed 002 K1)');
export type WrapperEnvelope = z.infer<typeof WrapperEnvelopeSchema>;
export type WrapperEnvelopeInput = z.input<typeof WrapperEnvelopeSchema>;

/** One guard evaluated for one transition: allowed, or denied with a policy reason. */
export const GuardEvaluationSchema = z
  .object({
    guard: text,
    outcome: z.enum(['allowed', 'denied']),
    policy_reason_code: code.nullable(),
    message: z.string().max(2000).optional(),
  })
  .strict()
  .refine((g) => (g.outcome === 'denied') === (g.policy_reason_code !== null), { message: 'a denied guard has a policy_reason_code; an allowed one has none', path: ['policy_reason_code'] });
export type GuardEvaluation = z.infer<typeof GuardEvaluationSchema>;

/**
 * A transition/guard evaluation record: an item moving from one status to another,
 * the guards evaluated, and the outcome. A denial sets `policy_reason_code` (the
 * first denied guard's) and keeps whatever `failure_reason_code` the item already
 * had: a denial is never a failure, and never erases one. `denied` exactly when a
 * guard denied.
 */
export const TransitionRecordSchema = z
  .object({
    item_id: text,
    from: text,
    to: text,
    at: z.iso.datetime({ offset: true }),
    outcome: z.enum(['applied', 'denied']),
    guards: z.array(GuardEvaluationSchema),
    ...ReasonSemanticsSchema.shape,
  })
  .strict()
  .superRefine((t, ctx) => {
    const denied = t.guards.find((g) => g.outcome === 'denied');
    if (t.outcome === 'denied' && !denied) ctx.addIssue({ code: 'custom', path: ['outcome'], message: 'a denied transition has a denied guard' });
    if (t.outcome === 'applied' && denied) ctx.addIssue({ code: 'custom', path: ['outcome'], message: `guard ${denied.guard} denied it: the outcome is denied` });
    const expected = denied?.policy_reason_code ?? null;
    if (t.policy_reason_code !== expected) {
      ctx.addIssue({ code: 'custom', path: ['policy_reason_code'], message: expected === null ? 'no guard denied it: policy_reason_code is null' : `a denial sets policy_reason_code to the first denied guard's: ${expected}` });
    }
  })
  .describe('a transition and the guards evaluated for it');
export type TransitionRecord = z.infer<typeof TransitionRecordSchema>;

/** The guardrails bundle: the guards and policies a consumer enforces, versioned as one unit. */
export const GuardrailsBundleSchema = z
  .object({
    name: text,
    version: text,
    guards: z.array(z.object({ id: text, description: z.string().max(2000), policy_reason_code: code }).strict()),
    policies: z.array(z.object({ name: text, version: text }).strict()),
  })
  .strict()
  .superRefine((b, ctx) => {
    // A guard is named by its id in every denial: two guards with one id would make a denial ambiguous.
    const seen = new Set<string>();
    b.guards.forEach((g, i) => {
      if (seen.has(g.id)) ctx.addIssue({ code: 'custom', path: ['guards', i, 'id'], message: `guard id ${g.id} appears twice` });
      seen.add(g.id);
    });
  })
  .describe('the guardrails bundle: guards with the policy_reason_code each denies with, and the wrapper policies accepted');
export type GuardrailsBundle = z.infer<typeof GuardrailsBundleSchema>;
