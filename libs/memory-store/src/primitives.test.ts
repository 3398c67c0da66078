import { describe, expect, it } from 'vitest';
import { QueryRequestSchema, UpsertRequestSchema, type QueryRequestInput, type QueryResponse } from '@govern/memory-contract';
import type { Param, Row } from '@govern/duckdb';
import { toFacts } from './facts.js';
import type { ResourceSpans, Span } from './model.js';
import { NARROW_ABOVE, primitiveRows } from './primitives.js';
import { tempStore } from './testing.js';

const open = () => tempStore('primitives-');

const MIN = 60_000_000_000n;
const T0 = 1_771_000_000_000_000_000n; // 2026-02-13T16:26:40Z
const NOW = T0 + 24n * 60n * MIN;
const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
/** The span id of span `i`. */
const sid = (i: number) => hex(i + 1, 16);

/** A span `i` minutes after T0 with the run attributes of a govern stage. */
function span(i: number, attrs: Record<string, string>, over: Partial<Span> = {}): Span {
  return {
    traceId: hex(100 + i, 32),
    spanId: sid(i),
    parentSpanId: null,
    name: `govern.${attrs['govern.stage'] ?? 'run'}`,
    kind: 1,
    startNs: T0 + BigInt(i) * MIN,
    endNs: T0 + BigInt(i) * MIN + 5_000_000n,
    attributes: { 'govern.run.id': `run-${i}`, 'govern.command': 'close', ...attrs },
    events: [],
    statusCode: 0,
    statusMessage: null,
    ...over,
  };
}
const denied = (code: string | null): Span['events'][number] => ({ timeNs: 0n, name: 'guard.denied', attributes: code ? { policy_reason_code: code } : {} });

/** Twelve spans: failures, denials, a failure that was also denied, successes; two failures at the same start time. */
function snapshot(): Span[] {
  const s = [
    span(1, { 'govern.stage': 'close', 'govern.item.id': 'LM-03', failure_reason_code: 'check-failed' }, { statusCode: 2, statusMessage: 'exit 1' }),
    span(2, { 'govern.stage': 'close', 'govern.item.id': 'LM-04', reason_code: 'check-failed' }, { statusCode: 2 }),
    span(3, { 'govern.stage': 'write', 'govern.item.id': 'LM-05' }, { events: [denied('dependencies-not-done')] }),
    span(4, { 'govern.stage': 'write', 'govern.item.id': 'LM-05', failure_reason_code: 'lock-timeout' }, { events: [denied('transition-forbidden')] }),
    span(5, { 'govern.stage': 'gate', 'govern.item.id': 'LM-06' }, { events: [denied('gate-disabled')] }),
    span(6, { 'govern.stage': 'gate' }, { events: [denied(null)] }),
    span(7, { 'govern.stage': 'parse' }, { statusCode: 2 }), // ERROR without a reason: failed, no code
    span(8, { 'govern.stage': 'parse' }),
    span(9, { 'govern.stage': 'close', 'govern.item.id': 'LM-07', failure_reason_code: 'check-failed' }),
    span(10, { 'govern.stage': 'close', 'govern.item.id': 'LM-08', failure_reason_code: 'check-failed' }),
    span(11, { 'govern.stage': 'close', 'govern.item.id': 'LM-09' }),
    span(12, { 'govern.stage': 'gate', 'govern.item.id': 'LM-06' }, { events: [denied('gate-disabled'), denied('gate-disabled')] }),
  ];
  // Two failures at the same start time: the key breaks the tie.
  s[9]!.startNs = s[8]!.startNs;
  // Event times follow their spans.
  for (const x of s) x.events.forEach((e, k) => (e.timeNs = x.startNs + BigInt(k + 1)));
  return s;
}
const traces = (spans: Span[]): ResourceSpans[] => [{ resource: { 'service.name': 'govern' }, scopeSpans: [{ scope: { name: 'govern', version: null }, spans }] }];
const q = (r: QueryRequestInput) => QueryRequestSchema.parse(r);
type Failures = Extract<QueryResponse, { primitive: 'recent_failures_by_taskspec' }>;
type Rollup = Extract<QueryResponse, { primitive: 'gate_rollup_by_failure_reason_code' }>;
type Denials = Extract<QueryResponse, { primitive: 'guard_denials_by_policy_reason_code' }>;
type Spans = Extract<QueryResponse, { primitive: 'recent_spans' | 'trace_spans' }>;
const WINDOW = { from: String(T0), to: String(NOW) };

describe('recent_failures_by_taskspec', () => {
  it('lists failed task facts newest first, ties broken by the key; a denial alone is not a failure', async () => {
    const store = await open();
    await store.commit(toFacts(traces(snapshot())), { firstSeq: 1, lastSeq: 1 });
    const r = (await store.query(q({ primitive: 'recent_failures_by_taskspec', window: WINDOW }), NOW)) as Failures;
    expect(r.rows.map((x) => [x.span_id, x.item_id, x.failure_reason_code, x.policy_reason_code])).toEqual([
      [sid(10), 'LM-08', 'check-failed', null], // same start as span 9, larger trace id first
      [sid(9), 'LM-07', 'check-failed', null],
      [sid(7), null, null, null],
      [sid(4), 'LM-05', 'lock-timeout', 'transition-forbidden'],
      [sid(2), 'LM-04', 'check-failed', null],
      [sid(1), 'LM-03', 'check-failed', null],
    ]);
    expect(r.rows.at(-1)).toEqual({
      command: 'close',
      stage: 'close',
      document_id: null,
      item_id: 'LM-03',
      failure_reason_code: 'check-failed',
      failure_reason_source: 'failure_reason_code',
      policy_reason_code: null,
      trace_id: hex(101, 32),
      span_id: sid(1),
      run_id: 'run-1',
      name: 'govern.close',
      start_ns: String(T0 + MIN),
      start_at: '2026-02-13T16:27:40.000Z',
      duration_ns: '5000000',
      status_message: 'exit 1',
      annotations: {},
    });
    expect(r.rows[4]!.failure_reason_source).toBe('reason_code');
    expect({ ...r, rows: r.rows.length }).toEqual({
      primitive: 'recent_failures_by_taskspec',
      window: { from: '2026-02-13T16:26:40.000Z', to: '2026-02-14T16:26:40.000Z', fromNs: String(T0), toNs: String(NOW) },
      limit: 50,
      truncated: false,
      snapshot: { ingestSeq: 1, auditSeq: 0 },
      rows: 6,
    });
  });

  it('limit, truncated, filters and the window bounds ([from, to)) hold', async () => {
    const store = await open();
    await store.commit(toFacts(traces(snapshot())), { firstSeq: 1, lastSeq: 1 });
    const ids = async (r: QueryRequestInput) => ((await store.query(q(r), NOW)) as Failures).rows.map((x) => x.span_id);
    const two = (await store.query(q({ primitive: 'recent_failures_by_taskspec', window: WINDOW, limit: 2 }), NOW)) as Failures;
    expect([two.rows.map((x) => x.span_id), two.truncated]).toEqual([[sid(10), sid(9)], true]);
    // The limit falls inside a tie: the two-step query still gives the one-step order.
    expect(await ids({ primitive: 'recent_failures_by_taskspec', window: WINDOW, limit: 1 })).toEqual([sid(10)]);
    expect(await ids({ primitive: 'recent_failures_by_taskspec', window: WINDOW, filters: { stage: 'close', failure_reason_code: 'check-failed' } })).toEqual([
      sid(10),
      sid(9),
      sid(2),
      sid(1),
    ]);
    expect(await ids({ primitive: 'recent_failures_by_taskspec', window: WINDOW, filters: { item_id: 'LM-05', command: 'close' } })).toEqual([sid(4)]);
    expect(await ids({ primitive: 'recent_failures_by_taskspec', window: WINDOW, filters: { item_id: 'nope' } })).toEqual([]);
    // from is inclusive (span 1 starts at T0 + 1 min), to exclusive (spans 9 and 10 start at T0 + 9 min).
    expect(await ids({ primitive: 'recent_failures_by_taskspec', window: { from: String(T0 + MIN), to: String(T0 + 9n * MIN) } })).toEqual([
      sid(7),
      sid(4),
      sid(2),
      sid(1),
    ]);
    // ISO times work too; the default window is the week before `to`.
    expect(await ids({ primitive: 'recent_failures_by_taskspec', window: { from: '2026-02-13T16:28:40Z', to: '2026-02-13T16:31:40Z' } })).toEqual([sid(4), sid(2)]);
    expect((await store.query(q({ primitive: 'recent_failures_by_taskspec' }), NOW)).window.from).toBe('2026-02-07T16:26:40.000Z');
  });

  it('refuses empty, inverted and over-wide windows', async () => {
    const store = await open();
    const run = (window: { from?: string; to?: string }) => store.query(q({ primitive: 'recent_failures_by_taskspec', window }), NOW);
    await expect(run({ from: String(NOW), to: String(NOW) })).rejects.toMatchObject({ code: 'window-invalid', status: 400 });
    await expect(run({ from: '2026-03-01T00:00:00Z', to: '2026-02-01T00:00:00Z' })).rejects.toMatchObject({ code: 'window-invalid' });
    await expect(run({ from: '2026-01-01T00:00:00Z', to: '2026-02-14T00:00:00Z' })).rejects.toMatchObject({
      code: 'window-too-wide',
      details: { maxMs: 31 * 86_400_000, spanMs: 44 * 86_400_000 },
    });
  });
});

describe('recent_failures_by_taskspec over many failures', () => {
  const DAY = 1440n * MIN;
  const STAGES = ['close', 'write', 'gate'];
  /**
   * Failures in start order, as ingest appends them: 1,200 every 30 minutes from T0
   * (25 days), then a burst of 3,000 within 1.5 s on day 26, two by two at the same
   * start time (ties the key breaks).
   */
  function failures(): ResourceSpans[] {
    const spread = Array.from({ length: 1200 }, (_, i) => span(i, { 'govern.stage': STAGES[i % 3]! }, { statusCode: 2, startNs: T0 + BigInt(i) * 30n * MIN }));
    const burst = Array.from({ length: 3000 }, (_, j) =>
      span(2000 + j, { 'govern.stage': STAGES[j % 3]! }, { statusCode: 2, startNs: T0 + 26n * DAY + BigInt(j >> 1) * 1_000_000n }),
    );
    return traces([...spread, ...burst]);
  }
  const reference = (s: Awaited<ReturnType<typeof open>>, from: bigint, to: bigint, limit: number, stage?: string) =>
    s.all(
      `SELECT span_id FROM failure_facts WHERE start_ns >= $1 AND start_ns < $2 ${stage ? 'AND stage = $4' : ''} ORDER BY start_ns DESC, trace_id DESC, span_id DESC LIMIT $3`,
      stage ? [from, to, limit, stage] : [from, to, limit],
    );

  it('answers as one ORDER BY … LIMIT over the whole window, for any window, limit and filter', async () => {
    const store = await open();
    await store.commit(toFacts(failures()), { firstSeq: 1, lastSeq: 1 });
    const windows: [bigint, bigint][] = [
      [T0, T0 + 31n * DAY], // the burst is newest
      [T0, T0 + 25n * DAY], // spread only
      [T0 + 20n * DAY, T0 + 51n * DAY], // ends long after the newest failure
      [T0 + 26n * DAY, T0 + 26n * DAY + 700_000_000n], // inside the burst, cutting a tie pair
      [T0 + 3n * DAY, T0 + 3n * DAY + 90n * MIN],
      [T0 - 5n * DAY, T0 + MIN], // one failure
      [T0 - 5n * DAY, T0], // none
    ];
    for (const [from, to] of windows) {
      for (const limit of [1, 10, 50, 200, 500]) {
        for (const stage of [undefined, 'write']) {
          const r = (await store.query(q({ primitive: 'recent_failures_by_taskspec', window: { from: String(from), to: String(to) }, limit, filters: stage ? { stage } : {} }), NOW)) as Failures;
          const want = await reference(store, from, to, limit + 1, stage);
          expect([r.rows.map((x) => x.span_id), r.truncated], `${from}..${to} limit ${limit} ${stage ?? ''}`).toEqual([
            want.slice(0, limit).map((x) => x.span_id),
            want.length > limit,
          ]);
        }
      }
    }
    // With an annotation in the store, the rows are read with the join: the same rows, the annotation on its own.
    const month = { from: String(T0), to: String(T0 + 31n * DAY) };
    const before = (await store.query(q({ primitive: 'recent_failures_by_taskspec', window: month, limit: 200 }), NOW)) as Failures;
    const newest = before.rows[0]!;
    await store.upsert(UpsertRequestSchema.parse({ kind: 'annotation', trace_id: newest.trace_id, span_id: newest.span_id, name: 'triage', value: 'real' }), { nowNs: NOW });
    const after = (await store.query(q({ primitive: 'recent_failures_by_taskspec', window: month, limit: 200 }), NOW)) as Failures;
    expect(after.rows).toEqual([{ ...newest, annotations: { triage: 'real' } }, ...before.rows.slice(1)]);
  });

  it('reads the wide rows only from the newest failures of the window, not the whole window', async () => {
    const store = await open();
    await store.commit(toFacts(failures()), { firstSeq: 1, lastSeq: 1 });
    const calls: { sql: string; params: Param[] }[] = [];
    const histograms: bigint[][] = [];
    const read = async (sql: string, params: Param[]): Promise<Row[]> => {
      calls.push({ sql, params });
      const rows = await store.all(sql, params as (string | bigint)[]);
      if (sql.includes('GROUP BY k')) histograms.push(rows.map((b) => BigInt(b.k as number)));
      return rows;
    };
    const steps = () => calls.splice(0).map((c) => [c.sql.startsWith('WITH f') ? 'rows' : c.sql.includes('GROUP BY k') ? 'histogram' : 'boundary', c.params[0]]);
    const run = (from: bigint, to: bigint, limit: number) => primitiveRows(read, q({ primitive: 'recent_failures_by_taskspec', window: { from: String(from), to: String(to) }, limit }), from, to);

    // Spread only (one failure per 30 min): the rows are read from the start of the
    // newest histogram bucket that completes limit + 1, far into the window.
    const spread = await run(T0, T0 + 25n * DAY, 10);
    const [[h, hFrom], [r, rFrom]] = steps() as [[string, bigint], [string, bigint]];
    expect([h, r, hFrom]).toEqual(['histogram', 'rows', T0]);
    expect(rFrom).toBeGreaterThan(T0 + 24n * DAY);
    expect(rFrom).toBeLessThanOrEqual(spread.at(-1)!.start_ns as bigint);

    // The newest 201 are in the burst, whose bucket holds 3,000: more than NARROW_ABOVE
    // beyond the limit, so the boundary statement narrows to the exact start first.
    expect(3000n).toBeGreaterThan(201n + NARROW_ABOVE);
    const burst = await run(T0, T0 + 31n * DAY, 200);
    const s = steps() as [string, bigint][];
    expect(s.map((x) => x[0])).toEqual(['histogram', 'boundary', 'rows']);
    expect([burst.length, s[2]![1]]).toEqual([201, burst.at(-1)!.start_ns]); // the 201st row's start: exact
    // The histogram comes newest bucket first from DuckDB (ORDER BY k DESC): primitiveRows does not sort it.
    for (const ks of histograms) expect(ks).toEqual([...ks].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
    expect(histograms.map((ks) => ks.length > 1)).toEqual([true, true]);
    // Nothing matches: only the histogram runs.
    expect(await run(T0 - 5n * DAY, T0, 10)).toEqual([]);
    expect(steps().map((x) => x[0])).toEqual(['histogram']);
  });
});

describe('rollups', () => {
  it('gate_rollup_by_failure_reason_code: failures per stage and code; denials do not count', async () => {
    const store = await open();
    await store.commit(toFacts(traces(snapshot())), { firstSeq: 1, lastSeq: 1 });
    const r = (await store.query(q({ primitive: 'gate_rollup_by_failure_reason_code', window: WINDOW }), NOW)) as Rollup;
    const at = (m: number) => ({ ns: String(T0 + BigInt(m) * MIN) });
    expect(r.rows.map((x) => [x.stage, x.failure_reason_code, x.failures, x.first_ns, x.last_ns])).toEqual([
      ['close', 'check-failed', 4, at(1).ns, at(9).ns],
      ['parse', null, 1, at(7).ns, at(7).ns],
      ['write', 'lock-timeout', 1, at(4).ns, at(4).ns],
    ]);
    expect(r.rows[1]).toEqual({ stage: 'parse', failure_reason_code: null, failures: 1, first_ns: at(7).ns, first_at: '2026-02-13T16:33:40.000Z', last_ns: at(7).ns, last_at: '2026-02-13T16:33:40.000Z' });
    const write = (await store.query(q({ primitive: 'gate_rollup_by_failure_reason_code', window: WINDOW, filters: { stage: 'write' }, limit: 1 }), NOW)) as Rollup;
    expect([write.rows.map((x) => x.failure_reason_code), write.truncated]).toEqual([['lock-timeout'], false]);
    const gate = await store.query(q({ primitive: 'gate_rollup_by_failure_reason_code', window: WINDOW, filters: { stage: 'gate' } }), NOW);
    expect(gate.rows).toEqual([]); // three denied gate spans, no failure
  });

  it('guard_denials_by_policy_reason_code: denial events per code and stage, a missing code as null', async () => {
    const store = await open();
    await store.commit(toFacts(traces(snapshot())), { firstSeq: 1, lastSeq: 1 });
    const r = (await store.query(q({ primitive: 'guard_denials_by_policy_reason_code', window: WINDOW }), NOW)) as Denials;
    expect(r.rows.map((x) => [x.policy_reason_code, x.stage, x.denials])).toEqual([
      ['gate-disabled', 'gate', 3],
      [null, 'gate', 1],
      ['dependencies-not-done', 'write', 1],
      ['transition-forbidden', 'write', 1],
    ]);
    const one = await store.query(q({ primitive: 'guard_denials_by_policy_reason_code', window: WINDOW, limit: 1, filters: { stage: 'gate' } }), NOW);
    expect([one.rows.length, one.truncated]).toEqual([1, true]);
  });
});

describe('the span primitives: every service\'s spans', () => {
  /** A foreign service's trace: a server span and two children, the second failed; none has a govern.* attribute. */
  function checkout(): ResourceSpans {
    const trace = 'c'.repeat(32);
    const at = (m: number, id: number, name: string, over: Partial<Span> = {}): Span => ({
      traceId: trace,
      spanId: hex(0xc00 + id, 16),
      parentSpanId: id === 1 ? null : hex(0xc01, 16),
      name,
      kind: id === 1 ? 2 : 3,
      startNs: T0 + BigInt(m) * MIN,
      endNs: T0 + BigInt(m) * MIN + 2_000_000n,
      attributes: { 'http.route': '/cart' },
      events: [],
      statusCode: 0,
      statusMessage: null,
      ...over,
    });
    return {
      resource: { 'service.name': 'checkout' },
      scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-http', version: '0.1' }, spans: [at(20, 1, 'POST /cart'), at(20, 2, 'SELECT carts'), at(21, 3, 'UPDATE carts', { statusCode: 2, statusMessage: 'deadlock' })] }],
    };
  }

  it('recent_spans: newest first across services, filtered by service, name, trace and outcome', async () => {
    const store = await open();
    await store.commit(toFacts([...traces(snapshot()), checkout()]), { firstSeq: 1, lastSeq: 1 });
    const spans = async (filters: Record<string, string>, limit = 50) => (await store.query(q({ primitive: 'recent_spans', window: WINDOW, limit, filters } as QueryRequestInput), NOW)) as Spans;
    const all = await spans({});
    expect(all.rows).toHaveLength(15);
    expect(all.rows.slice(0, 4).map((r) => [r.service_name, r.name])).toEqual([
      ['checkout', 'UPDATE carts'],
      // Same start: the larger span id first (the key breaks the tie).
      ['checkout', 'SELECT carts'],
      ['checkout', 'POST /cart'],
      ['govern', 'govern.gate'],
    ]);
    expect(all.rows[0]).toEqual({
      service_name: 'checkout',
      name: 'UPDATE carts',
      kind: 'client',
      trace_id: 'c'.repeat(32),
      span_id: hex(0xc03, 16),
      parent_span_id: hex(0xc01, 16),
      start_ns: String(T0 + 21n * MIN),
      start_at: '2026-02-13T16:47:40.000Z',
      duration_ns: '2000000',
      status_code: 'error',
      status_message: 'deadlock',
      outcome: 'failed',
      scope_name: '@opentelemetry/instrumentation-http',
      stage: null,
      item_id: null,
      event_count: 0,
    });
    expect((await spans({ service_name: 'checkout' })).rows.map((r) => r.name)).toEqual(['UPDATE carts', 'SELECT carts', 'POST /cart']);
    expect((await spans({ service_name: 'checkout', outcome: 'failed' })).rows.map((r) => r.name)).toEqual(['UPDATE carts']);
    expect((await spans({ name: 'govern.write' })).rows.map((r) => r.span_id)).toEqual([sid(4), sid(3)]);
    expect((await spans({ trace_id: hex(103, 32) })).rows.map((r) => [r.span_id, r.outcome, r.event_count])).toEqual([[sid(3), 'denied', 1]]);
    const two = await spans({ service_name: 'govern' }, 2);
    expect([two.rows.map((r) => r.span_id), two.truncated]).toEqual([[sid(12), sid(11)], true]);
  });

  it('trace_spans: one trace by id, in start order; trace_id required, a malformed one refused', async () => {
    const store = await open();
    await store.commit(toFacts([...traces(snapshot()), checkout()]), { firstSeq: 1, lastSeq: 1 });
    const r = (await store.query(q({ primitive: 'trace_spans', window: WINDOW, filters: { trace_id: 'c'.repeat(32) } }), NOW)) as Spans;
    expect(r.rows.map((x) => [x.name, x.span_id, x.parent_span_id])).toEqual([
      ['POST /cart', hex(0xc01, 16), null],
      ['SELECT carts', hex(0xc02, 16), hex(0xc01, 16)],
      ['UPDATE carts', hex(0xc03, 16), hex(0xc01, 16)],
    ]);
    expect(((await store.query(q({ primitive: 'trace_spans', window: WINDOW, filters: { trace_id: 'c'.repeat(32), service_name: 'govern' } }), NOW)) as Spans).rows).toEqual([]);
    expect(QueryRequestSchema.safeParse({ primitive: 'trace_spans' }).success).toBe(false);
    expect(QueryRequestSchema.safeParse({ primitive: 'trace_spans', filters: { trace_id: 'C'.repeat(32) } }).success).toBe(false);
    expect(QueryRequestSchema.safeParse({ primitive: 'recent_spans', filters: { stage: 'close' } }).success).toBe(false);
  });
});

describe('determinism', () => {
  it('the same facts, ingested in another order and batching, answer every primitive identically', async () => {
    const a = await open();
    const b = await open();
    const spans = snapshot();
    await a.commit(toFacts(traces(spans)), { firstSeq: 1, lastSeq: 1 });
    const rev = [...spans].reverse();
    await b.commit(toFacts(traces(rev.slice(0, 5))), { firstSeq: 1, lastSeq: 1 });
    await b.commit(toFacts(traces(rev.slice(5))), { firstSeq: 2, lastSeq: 2 });
    await b.commit(toFacts(traces(spans)), { firstSeq: 3, lastSeq: 3 }); // a replay: stores nothing
    for (const primitive of ['recent_failures_by_taskspec', 'gate_rollup_by_failure_reason_code', 'guard_denials_by_policy_reason_code', 'recent_spans'] as const) {
      for (const limit of [1, 3, 50]) {
        const ra = await a.query(q({ primitive, window: WINDOW, limit }), NOW);
        const rb = await b.query(q({ primitive, window: WINDOW, limit }), NOW);
        expect({ ...rb, snapshot: null }).toEqual({ ...ra, snapshot: null });
        // Same snapshot, same request: same answer.
        expect(await b.query(q({ primitive, window: WINDOW, limit }), NOW)).toEqual(rb);
      }
    }
  });
});
