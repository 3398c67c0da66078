import { describe, expect, it } from 'vitest';
import type { Span } from './model.js';
import { spanReasons } from './reason.js';

function span(attributes: Span['attributes'], events: Span['events'] = [], statusCode: Span['statusCode'] = 0): Span {
  return { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), parentSpanId: null, name: 's', kind: 1, startNs: 1n, endNs: 2n, attributes, events, statusCode, statusMessage: null };
}
const denial = (attributes: Span['attributes']) => ({ timeNs: 2n, name: 'guard.denied', attributes });

describe('reason semantics: failure and policy are separate', () => {
  it('no reason, ok status: ok', () => {
    expect(spanReasons(span({}))).toEqual({ failureReasonCode: null, failureReasonSource: null, policyReasonCode: null, outcome: 'ok' });
  });

  it('failure_reason_code: failed', () => {
    expect(spanReasons(span({ failure_reason_code: 'check-failed' }))).toEqual({
      failureReasonCode: 'check-failed',
      failureReasonSource: 'failure_reason_code',
      policyReasonCode: null,
      outcome: 'failed',
    });
  });

  it('the legacy reason_code is an alias of failure_reason_code; the canonical name wins when both are set', () => {
    expect(spanReasons(span({ reason_code: 'timeout' }))).toEqual({ failureReasonCode: 'timeout', failureReasonSource: 'reason_code', policyReasonCode: null, outcome: 'failed' });
    expect(spanReasons(span({ reason_code: 'timeout', failure_reason_code: 'oom' }))).toMatchObject({ failureReasonCode: 'oom', failureReasonSource: 'failure_reason_code' });
  });

  it('a guard denial sets policy_reason_code only: denied', () => {
    expect(spanReasons(span({}, [denial({ policy_reason_code: 'gate-disabled' })]))).toEqual({
      failureReasonCode: null,
      failureReasonSource: null,
      policyReasonCode: 'gate-disabled',
      outcome: 'denied',
    });
  });

  it('a guard denial never overwrites failure_reason_code (not even with its own reason_code)', () => {
    const s = span({ failure_reason_code: 'check-failed' }, [denial({ policy_reason_code: 'transition-forbidden', reason_code: 'ignored-for-the-span' })], 2);
    expect(spanReasons(s)).toEqual({ failureReasonCode: 'check-failed', failureReasonSource: 'failure_reason_code', policyReasonCode: 'transition-forbidden', outcome: 'failed' });
  });

  it("the span's own policy_reason_code wins over its events'; the first denial event otherwise", () => {
    expect(spanReasons(span({ policy_reason_code: 'own' }, [denial({ policy_reason_code: 'event' })])).policyReasonCode).toBe('own');
    const events = [{ timeNs: 2n, name: 'exception', attributes: {} }, denial({}), denial({ policy_reason_code: 'second' }), { timeNs: 3n, name: 'x', attributes: { policy_reason_code: 'third' } }];
    expect(spanReasons(span({}, events)).policyReasonCode).toBe('second');
  });

  it('an error status without a reason is failed; codes may be numbers; empty strings are no code', () => {
    expect(spanReasons(span({}, [], 2)).outcome).toBe('failed');
    expect(spanReasons(span({ failure_reason_code: 42 })).failureReasonCode).toBe('42');
    expect(spanReasons(span({ failure_reason_code: '', policy_reason_code: '' }))).toMatchObject({ failureReasonCode: null, policyReasonCode: null, outcome: 'ok' });
  });
});
