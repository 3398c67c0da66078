import type { WrapperEnvelope } from '@govern/contracts';

/** The fallback modes (seed 002 K3): how far the binder trusts inferred (anomaly) signals. */
export const FALLBACK_MODES = ['strict', 'hybrid', 'lenient'] as const;
/** One of {@link FALLBACK_MODES}. */
export type FallbackMode = (typeof FALLBACK_MODES)[number];

/**
 * The version of the fallback rules: the modes' semantics and {@link ANOMALY_TRIGGERS}.
 * Changing a trigger list changes which envelopes mint capsules, so it is a new
 * version, recorded with every derivation the store keeps.
 */
export const FALLBACK_VERSION = 'fallback/1';

/**
 * The anomaly triggers each mode accepts as support (fallback/1). Strict accepts none:
 * only an explicit failure or denial counts. Hybrid accepts the triggers that mean the
 * task itself went wrong (a non-zero exit, a timeout, retries used up), not the ones
 * that may be noise (slow, flaky output). Lenient (`'*'`) accepts every trigger.
 */
export const ANOMALY_TRIGGERS: Record<FallbackMode, readonly string[] | '*'> = {
  strict: [],
  hybrid: ['exit-nonzero', 'timeout', 'retry-exhausted'],
  lenient: '*',
};

/** What an envelope does to the capsule of its upsert key. */
export type Derivation = 'support' | 'contradiction' | 'none';

/** Which fallback/1 rule decided a derivation (stable codes, for records and tests). */
export type DerivationRule = 'explicit-failure' | 'explicit-denial' | 'success-contradicts' | 'anomaly-accepted' | 'anomaly-ignored' | 'signal-unknown';

/** Whether `mode` accepts `trigger` (compared trimmed and lower-cased) as support. */
export function acceptsTrigger(mode: FallbackMode, trigger: string | undefined): boolean {
  const list = ANOMALY_TRIGGERS[mode];
  if (list === '*') return true;
  return trigger !== undefined && list.includes(trigger.trim().toLowerCase());
}

/**
 * The derivation of one envelope under a fallback mode. `minting` says whether this
 * envelope alone may create a capsule; a contradiction never does (it only counts
 * against a capsule that exists).
 *
 * - failure, denial: support and mint in every mode (explicit signals);
 * - success: contradiction in every mode;
 * - anomaly: support and mint when the mode accepts its trigger, else nothing.
 */
export function derive(e: WrapperEnvelope, mode: FallbackMode): { derivation: Derivation; minting: boolean; reason: string; rule: DerivationRule } {
  const at = `${FALLBACK_VERSION} ${mode}`;
  switch (e.signal) {
    case 'failure':
      return { derivation: 'support', minting: true, reason: `${at}: an explicit failure supports and may mint`, rule: 'explicit-failure' };
    case 'denial':
      return { derivation: 'support', minting: true, reason: `${at}: an explicit denial supports and may mint`, rule: 'explicit-denial' };
    case 'success':
      return { derivation: 'contradiction', minting: false, reason: `${at}: a success contradicts and never mints`, rule: 'success-contradicts' };
    case 'anomaly': {
      const trigger = e.anomaly_trigger ?? '(none)';
      return acceptsTrigger(mode, e.anomaly_trigger)
        ? { derivation: 'support', minting: true, reason: `${at}: anomaly trigger "${trigger}" is accepted; it supports and may mint`, rule: 'anomaly-accepted' }
        : { derivation: 'none', minting: false, reason: `${at}: anomaly trigger "${trigger}" is not accepted; it changes nothing`, rule: 'anomaly-ignored' };
    }
    default:
      // Only an envelope that skipped validation gets here; it must not mint either.
      return { derivation: 'none', minting: false, reason: `${at}: an unknown signal changes nothing`, rule: 'signal-unknown' };
  }
}
