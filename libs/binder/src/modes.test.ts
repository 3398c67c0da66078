import { WrapperEnvelopeSchema, type WrapperEnvelope } from '@govern/contracts';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { acceptsTrigger, ANOMALY_TRIGGERS, derive, FALLBACK_MODES, FALLBACK_VERSION, type FallbackMode } from './modes.js';

const BASE = {
  schema: 'govern.wrapper-envelope/v1',
  event_id: 'evt-1',
  sequence: 0,
  run_id: 'run-1',
  task_id: 'T01',
  group_id: 'g-1',
  wrapper_policy: { name: 'govern-wrapper', version: '1.4.0' },
  task_spec: { scope: 'repo:govern', target: { kind: 'test', id: 'a.test.ts' }, action: { kind: 'run-check' }, failure_reason_code: 'test.failed' },
  evidence: [{ kind: 'log', ref: 'run-1.log#L10' }],
  observed_at: '2026-02-15T10:00:00Z',
};
const failure = WrapperEnvelopeSchema.parse({ ...BASE, signal: 'failure' });
const denial = WrapperEnvelopeSchema.parse({ ...BASE, signal: 'denial', policy_reason_code: 'guard.order' });
const success = WrapperEnvelopeSchema.parse({ ...BASE, signal: 'success', evidence: [] });
const anomaly = (trigger: string): WrapperEnvelope => WrapperEnvelopeSchema.parse({ ...BASE, signal: 'anomaly', anomaly_trigger: trigger });
const seed = { seed: Number(process.env.FUZZ_SEED ?? 20_260_215) };

test('the versioned fallback rules: modes, version and trigger lists', () => {
  expect({ FALLBACK_MODES, FALLBACK_VERSION, ANOMALY_TRIGGERS }).toEqual({
    FALLBACK_MODES: ['strict', 'hybrid', 'lenient'],
    FALLBACK_VERSION: 'fallback/1',
    ANOMALY_TRIGGERS: { strict: [], hybrid: ['exit-nonzero', 'timeout', 'retry-exhausted'], lenient: '*' },
  });
});

describe('derive: the wrapper fallback test of seed 002, per mode', () => {
  const cases: Array<[string, WrapperEnvelope]> = [
    ['failure', failure],
    ['denial', denial],
    ['success', success],
    ['anomaly timeout', anomaly('timeout')],
    ['anomaly slow-output', anomaly('slow-output')],
  ];
  const table = (mode: FallbackMode) => Object.fromEntries(cases.map(([name, e]) => [name, derive(e, mode)]));

  test('strict: only explicit failures and denials support and mint; a success contradicts; no anomaly counts', () => {
    expect(table('strict')).toEqual({
      failure: { derivation: 'support', minting: true, rule: 'explicit-failure', reason: 'fallback/1 strict: an explicit failure supports and may mint' },
      denial: { derivation: 'support', minting: true, rule: 'explicit-denial', reason: 'fallback/1 strict: an explicit denial supports and may mint' },
      success: { derivation: 'contradiction', minting: false, rule: 'success-contradicts', reason: 'fallback/1 strict: a success contradicts and never mints' },
      'anomaly timeout': { derivation: 'none', minting: false, rule: 'anomaly-ignored', reason: 'fallback/1 strict: anomaly trigger "timeout" is not accepted; it changes nothing' },
      'anomaly slow-output': { derivation: 'none', minting: false, rule: 'anomaly-ignored', reason: 'fallback/1 strict: anomaly trigger "slow-output" is not accepted; it changes nothing' },
    });
  });

  test('hybrid: listed triggers support and mint too; others change nothing', () => {
    expect(table('hybrid')).toEqual({
      failure: { derivation: 'support', minting: true, rule: 'explicit-failure', reason: 'fallback/1 hybrid: an explicit failure supports and may mint' },
      denial: { derivation: 'support', minting: true, rule: 'explicit-denial', reason: 'fallback/1 hybrid: an explicit denial supports and may mint' },
      success: { derivation: 'contradiction', minting: false, rule: 'success-contradicts', reason: 'fallback/1 hybrid: a success contradicts and never mints' },
      'anomaly timeout': { derivation: 'support', minting: true, rule: 'anomaly-accepted', reason: 'fallback/1 hybrid: anomaly trigger "timeout" is accepted; it supports and may mint' },
      'anomaly slow-output': { derivation: 'none', minting: false, rule: 'anomaly-ignored', reason: 'fallback/1 hybrid: anomaly trigger "slow-output" is not accepted; it changes nothing' },
    });
  });

  test('lenient: every anomaly supports and mints', () => {
    expect(table('lenient')).toEqual({
      failure: { derivation: 'support', minting: true, rule: 'explicit-failure', reason: 'fallback/1 lenient: an explicit failure supports and may mint' },
      denial: { derivation: 'support', minting: true, rule: 'explicit-denial', reason: 'fallback/1 lenient: an explicit denial supports and may mint' },
      success: { derivation: 'contradiction', minting: false, rule: 'success-contradicts', reason: 'fallback/1 lenient: a success contradicts and never mints' },
      'anomaly timeout': { derivation: 'support', minting: true, rule: 'anomaly-accepted', reason: 'fallback/1 lenient: anomaly trigger "timeout" is accepted; it supports and may mint' },
      'anomaly slow-output': { derivation: 'support', minting: true, rule: 'anomaly-accepted', reason: 'fallback/1 lenient: anomaly trigger "slow-output" is accepted; it supports and may mint' },
    });
  });

  test('triggers are compared trimmed and case-insensitively; a missing trigger is accepted only by lenient', () => {
    expect(FALLBACK_MODES.map((m) => [m, acceptsTrigger(m, ' TIMEOUT '), acceptsTrigger(m, 'Retry-Exhausted'), acceptsTrigger(m, undefined)])).toEqual([
      ['strict', false, false, false],
      ['hybrid', true, true, false],
      ['lenient', true, true, true],
    ]);
  });
});

describe('derive properties (fast-check)', () => {
  const signal = fc.constantFrom('failure', 'denial', 'anomaly', 'success') as fc.Arbitrary<WrapperEnvelope['signal']>;
  const trigger = fc.oneof(fc.constantFrom('exit-nonzero', 'timeout', 'retry-exhausted', 'TIMEOUT', 'slow-output'), fc.string({ maxLength: 20 }), fc.constant(undefined));
  const mode = fc.constantFrom(...FALLBACK_MODES);

  test('strict never mints without an explicit failure or denial, whatever the trigger', () => {
    fc.assert(
      fc.property(signal, trigger, (s, t) => {
        // Built without validation on purpose: even an envelope with a stray trigger must not mint under strict.
        const e = { ...failure, signal: s, anomaly_trigger: t } as WrapperEnvelope;
        const d = derive(e, 'strict');
        if (s === 'failure' || s === 'denial') expect([d.derivation, d.minting]).toEqual(['support', true]);
        else expect([d.derivation, d.minting]).toEqual([s === 'success' ? 'contradiction' : 'none', false]);
      }),
      { numRuns: 500, ...seed },
    );
  });

  test('in every mode: minting is exactly support, a success never mints, explicit signals always mint', () => {
    fc.assert(
      fc.property(signal, trigger, mode, (s, t, m) => {
        const d = derive({ ...failure, signal: s, anomaly_trigger: t } as WrapperEnvelope, m);
        expect(d.minting).toBe(d.derivation === 'support');
        if (s === 'success') expect(d.derivation).toBe('contradiction');
        if (s === 'failure' || s === 'denial') expect(d.minting).toBe(true);
      }),
      { numRuns: 500, ...seed },
    );
  });

  test('an unvalidated envelope with an unknown signal changes nothing', () => {
    expect(derive({ ...failure, signal: 'panic' } as unknown as WrapperEnvelope, 'lenient')).toEqual({
      derivation: 'none',
      minting: false,
      rule: 'signal-unknown',
      reason: 'fallback/1 lenient: an unknown signal changes nothing',
    });
  });
});
