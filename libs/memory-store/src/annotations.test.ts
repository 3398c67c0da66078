import { describe, expect, it } from 'vitest';
import { AuditRequestSchema, UpsertRequestSchema, QueryRequestSchema } from '@govern/memory-contract';
import { toFacts } from './facts.js';
import { Redactor } from './redact.js';
import { tempStore } from './testing.js';

const open = () => tempStore('annotations-');

const T0 = 1_771_000_000_000_000_000n;
const TRACE = 'a'.repeat(32);
const SPAN = 'b'.repeat(16);
const failed = toFacts([
  {
    resource: { 'service.name': 'govern' },
    scopeSpans: [
      {
        scope: { name: 'govern', version: null },
        spans: [
          {
            traceId: TRACE,
            spanId: SPAN,
            parentSpanId: null,
            name: 'govern.close',
            kind: 1,
            startNs: T0,
            endNs: T0 + 1000n,
            attributes: { 'govern.stage': 'close', 'govern.item.id': 'LM-03', failure_reason_code: 'check-failed' },
            events: [],
            statusCode: 2,
            statusMessage: null,
          },
        ],
      },
    ],
  },
]);
const upsert = (value: unknown, extra: Record<string, unknown> = {}) => UpsertRequestSchema.parse({ kind: 'annotation', trace_id: TRACE, span_id: SPAN, name: 'triage', value, ...extra });

describe('upsert: annotations by natural key', () => {
  it('creates, is idempotent for the same value (whatever its key order), updates a different one; every call is audited', async () => {
    const store = await open();
    const at = (k: number) => ({ nowNs: T0 + BigInt(k) });
    const key = { trace_id: TRACE, span_id: SPAN, name: 'triage' };
    expect(await store.upsert(upsert({ verdict: 'flaky', ticket: 12 }, { actor: 'agent-1' }), at(1))).toEqual({
      kind: 'annotation',
      key,
      outcome: 'created',
      changed: true,
      subjectExists: false, // not ingested yet
      redactions: 0,
      auditId: 1,
    });
    await store.commit(failed, { firstSeq: 1, lastSeq: 1 });
    expect(await store.upsert(upsert({ ticket: 12, verdict: 'flaky' }), at(2))).toMatchObject({ outcome: 'unchanged', changed: false, subjectExists: true, auditId: 2 });
    expect(await store.upsert(upsert({ verdict: 'real', ticket: 12 }), at(3))).toMatchObject({ outcome: 'updated', changed: true, auditId: 3 });
    expect(await store.all('SELECT name, value::VARCHAR AS value, actor, audit_id FROM task_annotations')).toEqual([
      { name: 'triage', value: '{"ticket":12,"verdict":"real"}', actor: 'api', audit_id: 3n },
    ]);

    const log = await store.auditLog(AuditRequestSchema.parse({ window: { from: String(T0), to: String(T0 + 10n) } }), T0);
    expect(log.rows.map((r) => [r.audit_id, r.op, r.actor, r.outcome, r.subject])).toEqual([
      [3, 'upsert', 'api', 'updated', `annotation:${TRACE}/${SPAN}/triage`],
      [2, 'upsert', 'api', 'unchanged', `annotation:${TRACE}/${SPAN}/triage`],
      [1, 'upsert', 'agent-1', 'created', `annotation:${TRACE}/${SPAN}/triage`],
    ]);
    expect(log.rows[0]!.details).toEqual({
      kind: 'annotation',
      ...key,
      valueSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      previousSha256: log.rows[1]!.details.valueSha256,
      subjectExists: true,
      redactions: 0,
    });
    expect((await store.auditLog(AuditRequestSchema.parse({ window: { from: String(T0), to: String(T0 + 10n) }, filters: { actor: 'agent-1' } }), T0)).rows).toHaveLength(1);

    // The annotation travels with the failure in the query primitive.
    const r = await store.query(QueryRequestSchema.parse({ primitive: 'recent_failures_by_taskspec', window: { from: String(T0), to: String(T0 + 10n) } }), T0);
    expect(r.primitive === 'recent_failures_by_taskspec' && r.rows.map((x) => x.annotations)).toEqual([{ triage: { ticket: 12, verdict: 'real' } }]);
    expect(r.snapshot).toEqual({ ingestSeq: 1, auditSeq: 3 });
  });

  it('redacts the value before it is compared or stored; refuses a value over the size limit', async () => {
    const store = await open();
    const redactor = new Redactor();
    const token = `ghp_${'x1'.repeat(18)}`;
    const r = await store.upsert(upsert({ note: `rerun with ${token} by ops@example.com` }), { nowNs: T0, redactor });
    expect(r).toMatchObject({ outcome: 'created', redactions: 1 });
    const [row] = await store.all('SELECT value::VARCHAR AS value FROM task_annotations');
    expect(row!.value).toBe('{"note":"rerun with [REDACTED:github-token] by [REDACTED:email]"}');
    await expect(store.upsert(upsert('x'.repeat(17 * 1024)), { nowNs: T0 })).rejects.toMatchObject({ code: 'invalid-request', details: { max: 16384 } });
    expect(await store.all('SELECT count(*)::INTEGER AS n FROM memory_audit')).toEqual([{ n: 1 }]); // the refused call changed nothing
  });

  it('the request schema refuses a malformed key', () => {
    expect(UpsertRequestSchema.safeParse({ kind: 'annotation', trace_id: 'A'.repeat(32), span_id: SPAN, name: 'x', value: 1 }).success).toBe(false);
    expect(UpsertRequestSchema.safeParse({ kind: 'annotation', trace_id: TRACE, span_id: SPAN, name: 'has space', value: 1 }).success).toBe(false);
    expect(UpsertRequestSchema.safeParse({ kind: 'annotation', trace_id: TRACE, span_id: SPAN, name: 'x', value: 1, extra: true }).success).toBe(false);
  });
});
