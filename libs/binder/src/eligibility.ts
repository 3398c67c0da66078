import { parsePolicyRef, type BinderConfig } from './config.js';
import { normalizeVersion } from './fingerprint.js';

/** The counters the store keeps per capsule (seed 002 K3), updated on every binding. */
export interface CapsuleCounters {
  support_count: number;
  contradiction_count: number;
  /** Supports from explicit signals (failure, denial). */
  explicit_count: number;
  /** Supports from accepted anomalies. */
  anomaly_count: number;
  denial_count: number;
  first_seen_ts: string;
  last_seen_ts: string;
  /** `name@version` of every wrapper policy seen, sorted. */
  wrapper_policies: string[];
  /** Every guard denial code seen, sorted. */
  policy_reason_codes: string[];
}

/** Why a capsule is not eligible. Reported in this order. */
export interface EligibilityReason {
  code: 'low-confidence' | 'low-support' | 'stale' | 'contradicted' | 'policy-incompatible' | 'guard-incompatible' | 'mode-shadow';
  message: string;
}

const DAY_MS = 86_400_000;

/** Rounded to 6 decimals, so a value read back from a DOUBLE column compares equal. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * The share of observations that agree with a capsule: support / (support +
 * contradictions), rounded to 6 decimals; 0 for a capsule with no observation. Only
 * counters go in (no clock), so the same counters give the same confidence everywhere;
 * age is judged separately as staleness.
 */
export function confidence(c: CapsuleCounters): number {
  const support = Math.max(0, c.support_count);
  const total = support + Math.max(0, c.contradiction_count);
  return total === 0 ? 0 : round6(support / total);
}

/** Whether one recorded `name@version` is accepted by the config's `policies.accepted` (absent: any). */
export function policyAccepted(policy: string, accepted: readonly string[] | undefined): boolean {
  if (accepted === undefined) return true;
  const at = policy.lastIndexOf('@');
  if (at <= 0) return false;
  const name = policy.slice(0, at);
  const major = /^([0-9]+)/.exec(normalizeVersion(policy.slice(at + 1)))?.[1];
  return accepted.some((ref) => {
    const r = parsePolicyRef(ref);
    return r !== undefined && r.name === name && (r.major === null || (major !== undefined && Number(major) === r.major));
  });
}

/**
 * Whether a capsule may be used beyond recording. `qualified` says it meets every
 * threshold and compatibility rule; `eligible` is `qualified` outside shadow rollout
 * (in shadow nothing is used, and `mode-shadow` says so). Deterministic: a fixed `now`
 * and the same counters and config give the same answer, and more contradictions or
 * an older `last_seen_ts` can only take eligibility away, never give it.
 *
 * Stale: `now - last_seen_ts` is more than `max_staleness_days` (an unreadable
 * timestamp counts as stale; a future one, from clock skew, as age 0).
 */
export function eligibility(
  c: CapsuleCounters,
  cfg: BinderConfig,
  now: Date,
): { eligible: boolean; qualified: boolean; confidence: number; stale: boolean; age_days: number | null; reasons: EligibilityReason[] } {
  const t = cfg.thresholds;
  const conf = confidence(c);
  const reasons: EligibilityReason[] = [];
  if (conf < t.min_confidence) reasons.push({ code: 'low-confidence', message: `confidence ${conf} is below min_confidence ${t.min_confidence}` });
  if (c.support_count < t.min_support) reasons.push({ code: 'low-support', message: `support ${c.support_count} is below min_support ${t.min_support}` });

  const last = Date.parse(c.last_seen_ts);
  const ageMs = Number.isNaN(last) ? null : Math.max(0, now.getTime() - last);
  // Judged on milliseconds, not on the rounded days reported, so rounding cannot hide a stale capsule.
  const stale = ageMs === null || ageMs > t.max_staleness_days * DAY_MS;
  const age_days = ageMs === null ? null : round6(ageMs / DAY_MS);
  if (stale)
    reasons.push({
      code: 'stale',
      message: age_days === null ? 'last_seen_ts is not a timestamp; its age is unknown' : `last seen ${age_days} days ago, more than max_staleness_days ${t.max_staleness_days}`,
    });
  if (c.contradiction_count > t.max_contradictions)
    reasons.push({ code: 'contradicted', message: `${c.contradiction_count} contradictions, more than max_contradictions ${t.max_contradictions}` });

  const accepted = cfg.policies.accepted;
  const refused = c.wrapper_policies.filter((p) => !policyAccepted(p, accepted));
  if (accepted !== undefined && (c.wrapper_policies.length === 0 || refused.length > 0))
    reasons.push({
      code: 'policy-incompatible',
      message: refused.length ? `wrapper policies not accepted: ${refused.join(', ')}` : 'no wrapper policy recorded, and policies.accepted is set',
    });
  const blocked = new Set(cfg.policies.blocked_policy_reason_codes ?? []);
  const hit = c.policy_reason_codes.filter((code) => blocked.has(code));
  if (hit.length) reasons.push({ code: 'guard-incompatible', message: `denied by blocked guard codes: ${hit.join(', ')}` });

  const qualified = reasons.length === 0;
  if (cfg.rollout === 'shadow') reasons.push({ code: 'mode-shadow', message: 'rollout is shadow: capsules are derived and recorded, never used' });
  return { eligible: reasons.length === 0, qualified, confidence: conf, stale, age_days, reasons };
}
