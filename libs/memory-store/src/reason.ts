import { REASON_FIELDS, type FailureReasonSource } from '@govern/contracts';
import type { Attributes, Span, SpanEvent } from './model.js';

/**
 * Reason semantics (seed 002, K0; the contract is @govern/contracts', see
 * docs/contracts.md): why something *failed* and why a guard *denied* it are
 * two facts, kept in two columns that never overwrite each other.
 *
 * - `failure_reason_code`: why the work failed. The legacy attribute
 *   `reason_code` is accepted as its alias (the API compatibility alias locked
 *   in K0); when both are present the canonical name wins. Which one supplied
 *   the value is kept (`failure_reason_source`), so the migration away from the
 *   alias (LM-10) can be measured.
 * - `policy_reason_code`: why a guard (a gate, a lifecycle rule) denied it. A
 *   guard denial is an event named `guard.denied`, or any event carrying
 *   `policy_reason_code`. A span's policy reason is its own attribute, else
 *   the first denial event's. A denial never supplies or changes a span's
 *   `failure_reason_code`.
 *
 * The names come from the contracts package (`REASON_FIELDS`), so the store
 * reads exactly the names the contract defines; the store never writes
 * `reason_code` (its columns and answers carry `failure_reason_code` and
 * `failure_reason_source`).
 */
export const REASON_ATTRS = {
  failure: REASON_FIELDS.failure,
  legacyFailure: REASON_FIELDS.legacyFailureAlias,
  policy: REASON_FIELDS.policy,
} as const;

export const GUARD_DENIED_EVENT = 'guard.denied';

export type FailureSource = FailureReasonSource;
export type Outcome = 'ok' | 'failed' | 'denied';

export interface SpanReasons {
  failureReasonCode: string | null;
  failureReasonSource: FailureSource | null;
  policyReasonCode: string | null;
  outcome: Outcome;
}

/** A reason code attribute as text: strings, numbers and booleans; empty or structured values are no code. */
function code(v: Attributes[string] | undefined): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** `failure_reason_code`, else its alias `reason_code`, with which one it was. */
export function failureReason(attrs: Attributes): { code: string | null; source: FailureSource | null } {
  const canonical = code(attrs[REASON_ATTRS.failure]);
  if (canonical !== null) return { code: canonical, source: 'failure_reason_code' };
  const legacy = code(attrs[REASON_ATTRS.legacyFailure]);
  return legacy !== null ? { code: legacy, source: 'reason_code' } : { code: null, source: null };
}

export function policyReason(attrs: Attributes): string | null {
  return code(attrs[REASON_ATTRS.policy]);
}

export function isGuardDenial(event: SpanEvent): boolean {
  return event.name === GUARD_DENIED_EVENT || code(event.attributes[REASON_ATTRS.policy]) !== null;
}

/**
 * A span's reasons and outcome: `failed` when it has a failure reason (or an
 * error status without any reason), `denied` when it has only a policy
 * reason, `ok` otherwise.
 */
export function spanReasons(span: Span): SpanReasons {
  const failure = failureReason(span.attributes);
  let policy = policyReason(span.attributes);
  if (policy === null) {
    for (const e of span.events) {
      if (!isGuardDenial(e)) continue;
      policy = policyReason(e.attributes);
      if (policy !== null) break;
    }
  }
  const outcome: Outcome = failure.code !== null ? 'failed' : policy !== null ? 'denied' : span.statusCode === 2 ? 'failed' : 'ok';
  return { failureReasonCode: failure.code, failureReasonSource: failure.source, policyReasonCode: policy, outcome };
}
