import { describe, expect, it } from 'vitest';
import { ReasonSemanticsReadSchema } from '@govern/contracts';
import { compatibilityFixtures } from '@govern/contracts/testing';
import { QueryRequestSchema, type QueryRequestInput, type QueryResponse } from '@govern/memory-contract';
import { toFacts } from './facts.js';
import type { ResourceSpans, Span } from './model.js';
import { spanReasons } from './reason.js';
import { tempStore } from './testing.js';

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

describe("the store reads reasons as the contract's read side does", () => {
  // Every valid reason fixture of @govern/contracts, as the attributes of a span:
  // the store's reading must be the contract's (ReasonSemanticsReadSchema).
  const reasonFixtures = compatibilityFixtures().filter((f) => (f.contract === 'reason-semantics' || f.contract === 'reason-semantics-read') && f.expected.valid);

  it.each(reasonFixtures.map((f) => [f.file, f] as const))('%s', (_file, f) => {
    const attributes = Object.fromEntries(Object.entries(f.input as Record<string, string | null>).filter((e): e is [string, string] => e[1] !== null));
    const r = spanReasons(span(attributes));
    expect({ failure_reason_code: r.failureReasonCode, failure_reason_source: r.failureReasonSource, policy_reason_code: r.policyReasonCode }).toEqual(ReasonSemanticsReadSchema.parse(f.input));
  });

  it('covers the legacy alias, both names, and the split', () => {
    expect(reasonFixtures.map((f) => f.file).sort()).toEqual([
      'valid/reason-semantics-read.canonical-wins.json',
      'valid/reason-semantics-read.legacy-alias-with-denial.json',
      'valid/reason-semantics-read.legacy-alias.json',
      'valid/reason-semantics-read.new-record.json',
      'valid/reason-semantics.denial.json',
      'valid/reason-semantics.failure-and-denial.json',
      'valid/reason-semantics.failure.json',
    ]);
  });
});

// LM-10 end to end in the store: old records (reason_code only) and new ones
// (failure_reason_code) side by side, old API callers filtering by reason_code,
// and a denial next to a failure. docs/contracts.md#lm-10 lists these tests.
describe('LM-10: the alias is read, never written', () => {
  const T0 = 1_771_000_000_000_000_000n;
  const MIN = 60_000_000_000n;
  const NOW = T0 + 60n * MIN;
  const WINDOW = { from: String(T0), to: String(NOW) };
  const at = (i: number, attributes: Span['attributes'], events: Span['events'] = [], statusCode: Span['statusCode'] = 2): Span => ({
    ...span({ 'govern.stage': 'close', ...attributes }, events, statusCode),
    traceId: (100 + i).toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    startNs: T0 + BigInt(i) * MIN,
    endNs: T0 + BigInt(i) * MIN + 10n,
  });
  const traces = (spans: Span[]): ResourceSpans[] => [{ resource: { 'service.name': 'govern' }, scopeSpans: [{ scope: { name: 'govern', version: null }, spans }] }];
  const spans = () => [
    at(1, { reason_code: 'check-failed', 'govern.item.id': 'OLD-1' }), // an old record: the alias only
    at(2, { failure_reason_code: 'check-failed', 'govern.item.id': 'NEW-1' }), // a new record
    at(3, { failure_reason_code: 'check-failed', 'govern.item.id': 'NEW-2' }, [{ timeNs: T0 + 3n * MIN + 1n, name: 'guard.denied', attributes: { policy_reason_code: 'closure-required', reason_code: 'not-a-failure' } }]),
    at(4, { failure_reason_code: 'timeout', 'govern.item.id': 'NEW-3' }),
  ];
  type Failures = Extract<QueryResponse, { primitive: 'recent_failures_by_taskspec' }>;
  const query = async (r: QueryRequestInput) => {
    const store = await tempStore('lm10-');
    await store.commit(toFacts(traces(spans())), { firstSeq: 1, lastSeq: 1 });
    return store.query(QueryRequestSchema.parse(r), NOW);
  };

  it('old records are read through the alias (source reason_code), new ones through the canonical name; no row has a reason_code field', async () => {
    const r = (await query({ primitive: 'recent_failures_by_taskspec', window: WINDOW })) as Failures;
    expect(r.rows.map((x) => ({ item_id: x.item_id, failure_reason_code: x.failure_reason_code, failure_reason_source: x.failure_reason_source, policy_reason_code: x.policy_reason_code }))).toEqual([
      { item_id: 'NEW-3', failure_reason_code: 'timeout', failure_reason_source: 'failure_reason_code', policy_reason_code: null },
      // The denial set policy_reason_code and left the failure as it was; its event's own reason_code did not reach the span.
      { item_id: 'NEW-2', failure_reason_code: 'check-failed', failure_reason_source: 'failure_reason_code', policy_reason_code: 'closure-required' },
      { item_id: 'NEW-1', failure_reason_code: 'check-failed', failure_reason_source: 'failure_reason_code', policy_reason_code: null },
      { item_id: 'OLD-1', failure_reason_code: 'check-failed', failure_reason_source: 'reason_code', policy_reason_code: null },
    ]);
    expect(r.rows.filter((x) => 'reason_code' in x)).toEqual([]);
  });

  it('an old caller filtering by reason_code gets the answer of failure_reason_code, for failures and for the rollup', async () => {
    const legacy = await query({ primitive: 'recent_failures_by_taskspec', window: WINDOW, filters: { reason_code: 'check-failed' } });
    const canonical = await query({ primitive: 'recent_failures_by_taskspec', window: WINDOW, filters: { failure_reason_code: 'check-failed' } });
    expect(legacy).toEqual(canonical);
    expect(legacy.rows.map((x) => (x as Failures['rows'][number]).item_id)).toEqual(['NEW-2', 'NEW-1', 'OLD-1']);
    const rollup = await query({ primitive: 'gate_rollup_by_failure_reason_code', window: WINDOW, filters: { reason_code: 'timeout' } });
    expect(rollup).toEqual(await query({ primitive: 'gate_rollup_by_failure_reason_code', window: WINDOW, filters: { failure_reason_code: 'timeout' } }));
    expect(rollup.rows).toEqual([{ stage: 'close', failure_reason_code: 'timeout', failures: 1, first_ns: String(T0 + 4n * MIN), first_at: '2026-02-13T16:30:40.000Z', last_ns: String(T0 + 4n * MIN), last_at: '2026-02-13T16:30:40.000Z' }]);
  });

  it('the parsed request carries failure_reason_code only; the two names with different codes are refused', () => {
    expect(QueryRequestSchema.parse({ primitive: 'recent_failures_by_taskspec', filters: { reason_code: 'check-failed', stage: 'close' } })).toEqual({
      primitive: 'recent_failures_by_taskspec',
      limit: 50,
      filters: { stage: 'close', failure_reason_code: 'check-failed' },
    });
    expect(QueryRequestSchema.parse({ primitive: 'gate_rollup_by_failure_reason_code', filters: { reason_code: 'x', failure_reason_code: 'x' } }).filters).toEqual({ failure_reason_code: 'x' });
    const both = QueryRequestSchema.safeParse({ primitive: 'gate_rollup_by_failure_reason_code', filters: { reason_code: 'timeout', failure_reason_code: 'oom' } });
    expect(both.error?.issues.map((i) => ({ path: i.path, message: i.message }))).toEqual([
      { path: ['filters', 'reason_code'], message: 'reason_code is the legacy alias of failure_reason_code: give one of them, or the same code in both' },
    ]);
    // The guard denials primitive has no failure filter, so no alias either.
    expect(QueryRequestSchema.safeParse({ primitive: 'guard_denials_by_policy_reason_code', filters: { reason_code: 'x' } }).success).toBe(false);
  });
});
