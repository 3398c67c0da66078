import { describe, expect, it } from 'vitest';
import { toFacts } from './facts.js';
import type { ResourceSpans, Span } from './model.js';
import { canonicalJson, splitResource } from './resource.js';

const T0 = 1_771_000_000_000_000_000n; // 2026-02-13 in ns: beyond 2^53, kept exact

function snapshot(resource: ResourceSpans['resource']): ResourceSpans[] {
  return [
    {
      resource,
      scopeSpans: [
        {
          scope: { name: 'govern', version: '0.1.0' },
          spans: [
            {
              traceId: '0af7651916cd43dd8448eb211c80319c',
              spanId: 'b7ad6b7169203331',
              parentSpanId: '00f067aa0ba902b7',
              name: 'govern.close',
              kind: 1,
              startNs: T0 + 1n,
              endNs: T0 + 501n,
              attributes: {
                'govern.stage': 'close',
                'govern.run.id': 'run-1',
                'govern.item.id': 'LM-02',
                'govern.document.id': 'lm',
                'govern.command': 'close',
                reason_code: 'check-failed',
                task_id: 'T-9',
                'check.exit_code': 1,
              },
              events: [
                { timeNs: T0 + 100n, name: 'guard.denied', attributes: { policy_reason_code: 'dependencies-not-done', message: 'LM-01 is planned' } },
                { timeNs: T0 + 200n, name: 'exception', attributes: { 'exception.type': 'Error' } },
              ],
              statusCode: 2,
              statusMessage: 'exit 1',
            },
          ],
        },
      ],
    },
  ];
}

describe('toFacts', () => {
  it('one task fact per span, one event fact per event, the reason split, times as exact integers', () => {
    const batch = toFacts(snapshot({ 'service.name': 'govern', 'process.pid': 4242, 'host.name': 'box-a' }));
    const resourceKey = splitResource({ 'service.name': 'govern' }).key;
    expect(batch.tasks).toEqual([
      {
        trace_id: '0af7651916cd43dd8448eb211c80319c',
        span_id: 'b7ad6b7169203331',
        parent_span_id: '00f067aa0ba902b7',
        name: 'govern.close',
        kind: 'internal',
        start_ns: 1_771_000_000_000_000_001n,
        end_ns: 1_771_000_000_000_000_501n,
        duration_ns: 500n,
        status_code: 'error',
        status_message: 'exit 1',
        outcome: 'failed',
        failure_reason_code: 'check-failed',
        failure_reason_source: 'reason_code',
        policy_reason_code: 'dependencies-not-done',
        run_id: 'run-1',
        command: 'close',
        stage: 'close',
        document_id: 'lm',
        item_id: 'LM-02',
        service_name: 'govern',
        scope_name: 'govern',
        scope_version: '0.1.0',
        resource_key: resourceKey,
        event_count: 2,
        // What went to a column is not repeated; task_id stays (govern.item.id was the item).
        attributes: '{"check.exit_code":1,"task_id":"T-9"}',
        resource_volatile: '{"host.name":"box-a","process.pid":4242}',
      },
    ]);
    expect(batch.events).toEqual([
      {
        trace_id: '0af7651916cd43dd8448eb211c80319c',
        span_id: 'b7ad6b7169203331',
        event_index: 0,
        name: 'guard.denied',
        time_ns: T0 + 100n,
        is_guard_denial: true,
        failure_reason_code: null,
        failure_reason_source: null,
        policy_reason_code: 'dependencies-not-done',
        run_id: 'run-1',
        item_id: 'LM-02',
        stage: 'close',
        attributes: '{"message":"LM-01 is planned"}',
      },
      {
        trace_id: '0af7651916cd43dd8448eb211c80319c',
        span_id: 'b7ad6b7169203331',
        event_index: 1,
        name: 'exception',
        time_ns: T0 + 200n,
        is_guard_denial: false,
        failure_reason_code: null,
        failure_reason_source: null,
        policy_reason_code: null,
        run_id: 'run-1',
        item_id: 'LM-02',
        stage: 'close',
        attributes: '{"exception.type":"Error"}',
      },
    ]);
    expect([...batch.resources.values()]).toEqual([{ resource_key: resourceKey, service_name: 'govern', attributes: '{"service.name":"govern"}' }]);
  });

  it('volatile resource attributes never reach a key: the same spans from another process are the same facts', () => {
    const a = toFacts(snapshot({ 'service.name': 'govern', 'process.pid': 1, 'host.id': 'h1', 'service.instance.id': 'i1' }));
    const b = toFacts(snapshot({ 'service.instance.id': 'i2', 'host.id': 'h2', 'process.pid': 2, 'service.name': 'govern' }));
    const keyOf = (t: (typeof a.tasks)[number]) => ({ ...t, resource_volatile: undefined });
    expect(b.tasks.map(keyOf)).toEqual(a.tasks.map(keyOf));
    expect(b.events).toEqual(a.events);
    expect([...b.resources.keys()]).toEqual([...a.resources.keys()]);
    // …while a stable attribute does make another resource.
    const c = toFacts(snapshot({ 'service.name': 'govern', 'deployment.environment': 'ci' }));
    expect([...c.resources.keys()]).not.toEqual([...a.resources.keys()]);
  });

  it('the same snapshot gives the same rows, whatever order its attributes arrive in', () => {
    const s1 = snapshot({ 'service.name': 'govern' });
    const s2 = snapshot({ 'service.name': 'govern' });
    const span2 = s2[0]!.scopeSpans[0]!.spans[0]!;
    span2.attributes = Object.fromEntries(Object.entries(span2.attributes).reverse());
    expect(toFacts(s2)).toEqual(toFacts(s1));
  });
});

describe('toFacts: the reason_code alias (LM-10)', () => {
  const one = (attributes: Span['attributes'], events: Span['events'] = []) =>
    toFacts([
      {
        resource: { 'service.name': 'govern' },
        scopeSpans: [{ scope: { name: 'govern', version: null }, spans: [{ traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), parentSpanId: null, name: 'govern.write', kind: 1, startNs: T0, endNs: T0 + 1n, attributes, events, statusCode: 0, statusMessage: null }] }],
      },
    ]);
  const reasons = (f: { failure_reason_code: string | null; failure_reason_source: string | null; policy_reason_code: string | null; attributes: string }) => ({
    failure_reason_code: f.failure_reason_code,
    failure_reason_source: f.failure_reason_source,
    policy_reason_code: f.policy_reason_code,
    attributes: f.attributes,
  });

  it("an old event's reason_code is its failure_reason_code (source reason_code), and is not repeated in its attributes", () => {
    const b = one({}, [{ timeNs: T0, name: 'retry', attributes: { reason_code: 'timeout', attempt: 2 } }]);
    expect(b.events.map(reasons)).toEqual([{ failure_reason_code: 'timeout', failure_reason_source: 'reason_code', policy_reason_code: null, attributes: '{"attempt":2}' }]);
    // An event's failure reason is the event's own: the span is not failed by it.
    expect(b.tasks.map((t) => ({ outcome: t.outcome, ...reasons(t) }))).toEqual([{ outcome: 'ok', failure_reason_code: null, failure_reason_source: null, policy_reason_code: null, attributes: '{}' }]);
  });

  it('both names on a span: the canonical one is the column; the alias that lost stays in the attributes exactly as received', () => {
    const b = one({ failure_reason_code: 'oom', reason_code: 'timeout' });
    expect(b.tasks.map((t) => ({ outcome: t.outcome, ...reasons(t) }))).toEqual([
      { outcome: 'failed', failure_reason_code: 'oom', failure_reason_source: 'failure_reason_code', policy_reason_code: null, attributes: '{"reason_code":"timeout"}' },
    ]);
  });

  it('a denial event beside a failure: the span keeps its failure and gains the policy code; the event is a denial, not a failure', () => {
    const b = one({ failure_reason_code: 'check-failed' }, [{ timeNs: T0, name: 'guard.denied', attributes: { policy_reason_code: 'gate-disabled' } }]);
    expect(b.tasks.map((t) => ({ outcome: t.outcome, ...reasons(t) }))).toEqual([
      { outcome: 'failed', failure_reason_code: 'check-failed', failure_reason_source: 'failure_reason_code', policy_reason_code: 'gate-disabled', attributes: '{}' },
    ]);
    expect(b.events.map((e) => ({ is_guard_denial: e.is_guard_denial, ...reasons(e) }))).toEqual([
      { is_guard_denial: true, failure_reason_code: null, failure_reason_source: null, policy_reason_code: 'gate-disabled', attributes: '{}' },
    ]);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ z: ['x', 2, true], a: 'é"' })).toBe('{"a":"é\\"","z":["x",2,true]}');
  });

  it('a key named __proto__ is a key like any other', () => {
    const attrs = JSON.parse('{"__proto__": {"polluted": true}, "b": 1}');
    expect(canonicalJson(attrs)).toBe('{"__proto__":{"polluted":true},"b":1}');
    expect(splitResource(attrs).stable).toBe('{"__proto__":{"polluted":true},"b":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
