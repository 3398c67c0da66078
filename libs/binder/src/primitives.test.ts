import { describe, expect, it } from 'vitest';
import { BinderError } from './errors.js';
import { PRIMITIVE_FILTERS, PRIMITIVES, primitiveSql } from './primitives.js';

describe('primitiveSql', () => {
  it('binds the window in UTC and the filters in name order, and ends the order with a key', () => {
    expect(primitiveSql('mv_recent_failures_by_taskspec', { filters: { target_id: 'src/a.ts', scope: 'repo:x', from: '2026-02-15T11:00:00+01:00' }, limit: 5 })).toEqual({
      primitive: 'mv_recent_failures_by_taskspec',
      sql: 'SELECT * FROM mv_recent_failures_by_taskspec($1, $2) WHERE scope = $3 AND target_id = $4 ORDER BY observed_ts DESC, idempotency_key ASC LIMIT 6',
      params: ['2026-02-15T10:00:00.000Z', '\u{10FFFF}', 'repo:x', 'src/a.ts'],
      limit: 5,
      filters: { target_id: 'src/a.ts', scope: 'repo:x', from: '2026-02-15T11:00:00+01:00' },
    });
    expect(primitiveSql('mv_guard_denials_by_policy_reason_code')).toEqual({
      primitive: 'mv_guard_denials_by_policy_reason_code',
      sql: 'SELECT * FROM mv_guard_denials_by_policy_reason_code($1, $2) ORDER BY denials DESC, policy_reason_code ASC, scope ASC, target_kind ASC, target_id ASC, action_kind ASC LIMIT 101',
      params: ['', '\u{10FFFF}'],
      limit: 100,
      filters: {},
    });
  });

  it('every primitive has its filters, and refuses what it does not know', () => {
    expect(Object.keys(PRIMITIVE_FILTERS)).toEqual([...PRIMITIVES]);
    const refusal = (f: () => unknown) => {
      try {
        f();
        return null;
      } catch (e) {
        return [e instanceof BinderError, (e as BinderError).code, (e as BinderError).details];
      }
    };
    expect(refusal(() => primitiveSql('mv_gate_rollup_by_failure_reason_code', { filters: { gate: 'lint', signal: 'failure' } }))).toEqual([
      true,
      'invalid-query',
      { primitive: 'mv_gate_rollup_by_failure_reason_code', problems: [{ path: 'signal', message: 'Unrecognized key: "signal"' }] },
    ]);
    expect(refusal(() => primitiveSql('mv_recent_failures_by_taskspec', { filters: { from: 'yesterday' } }))).toEqual([
      true,
      'invalid-query',
      { primitive: 'mv_recent_failures_by_taskspec', problems: [{ path: 'from', message: 'Invalid ISO datetime' }] },
    ]);
    expect(refusal(() => primitiveSql('mv_recent_failures_by_taskspec', { limit: 10_001 }))).toEqual([true, 'invalid-query', { primitive: 'mv_recent_failures_by_taskspec', limit: 10_001 }]);
    expect(refusal(() => primitiveSql('recent_failures'))).toEqual([true, 'invalid-query', { primitive: 'recent_failures', known: [...PRIMITIVES] }]);
  });
});
