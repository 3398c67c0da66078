import fs from 'node:fs';
import {
  ApiErrorEnvelopeSchema,
  AuditResponseSchema,
  HealthResponseSchema,
  QueryResponseSchema,
  RetentionResultSchema,
  UpsertResponseSchema,
} from '@govern/memory-store';
import { describe, expect, it } from 'vitest';
import { startMemoryd, type Memoryd } from './daemon.js';
import { tempDb, tempMemoryd } from './testing/daemon.js';
import { numberedSpans, protobufPayload, readableSpans } from './testing/otlp.js';

// The memory API over real HTTP on 127.0.0.1, against memoryd with a real DuckDB file.
// Every answer is parsed with its contract schema: the server cannot drift from it.

const memoryd = (extra: Parameters<typeof tempMemoryd>[1] = {}): Promise<Memoryd> => tempMemoryd('memoryd-api-', extra);
async function ingest(d: Memoryd, first: number, n: number): Promise<void> {
  const r = await fetch(`${d.url}/v1/traces`, { method: 'POST', body: protobufPayload(readableSpans({ attributes: { 'service.name': 'govern' } }, numberedSpans(first, n))), headers: { 'content-type': 'application/x-protobuf' } });
  expect(r.status).toBe(200);
  await d.idle();
}
async function call(d: Memoryd, route: string, body?: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const r = await fetch(`${d.url}${route}`, body === undefined ? {} : { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

// numberedSpans: traces start at BASE_S + trace (s); every 3rd span failed (reason_code check-failed), every 5th denied.
const BASE_NS = 1_771_000_000n * 1_000_000_000n;
const WINDOW = { from: String(BASE_NS), to: String(BASE_NS + 3600n * 1_000_000_000n) };

describe('POST /v1/memory/query', () => {
  it('answers each primitive within its bounds, identically for the same snapshot and request', async () => {
    const d = await memoryd();
    await ingest(d, 0, 60);
    const failures = await call(d, '/v1/memory/query', { primitive: 'recent_failures_by_taskspec', window: WINDOW, limit: 5, filters: { stage: 'write' } });
    expect(failures.status).toBe(200);
    const parsed = QueryResponseSchema.parse(failures.body);
    expect(parsed).toMatchObject({ primitive: 'recent_failures_by_taskspec', limit: 5, truncated: true, snapshot: { ingestSeq: 1, auditSeq: 0 } });
    expect(parsed.rows).toHaveLength(5);
    expect(parsed.rows[0]).toMatchObject({ span_id: (57 + 1).toString(16).padStart(16, '0'), failure_reason_code: 'check-failed', failure_reason_source: 'reason_code', stage: 'write' });
    expect((await call(d, '/v1/memory/query', { primitive: 'recent_failures_by_taskspec', window: WINDOW, limit: 5, filters: { stage: 'write' } })).body).toEqual(failures.body);

    const rollup = QueryResponseSchema.parse((await call(d, '/v1/memory/query', { primitive: 'gate_rollup_by_failure_reason_code', window: WINDOW })).body);
    expect(rollup.rows).toEqual([
      { stage: 'write', failure_reason_code: 'check-failed', failures: 20, first_ns: String(BASE_NS), first_at: '2026-02-13T16:26:40.000Z', last_ns: String(BASE_NS + 14_000_000_001n), last_at: '2026-02-13T16:26:54.000Z' },
    ]);
    const denials = QueryResponseSchema.parse((await call(d, '/v1/memory/query', { primitive: 'guard_denials_by_policy_reason_code', window: WINDOW })).body);
    expect(denials.rows.map((r) => ['policy_reason_code' in r && r.policy_reason_code, 'denials' in r && r.denials])).toEqual([['gate-disabled', 12]]);
  });

  it('refuses what is out of bounds or malformed with the error envelope', async () => {
    const d = await memoryd({ apiMaxBodyBytes: 2048 });
    const cases: [unknown, number, string][] = [
      [{ primitive: 'recent_failures_by_taskspec', limit: 501 }, 400, 'invalid-request'],
      [{ primitive: 'recent_failures_by_taskspec', filters: { stag: 'write' } }, 400, 'invalid-request'],
      [{ primitive: 'nope' }, 400, 'invalid-request'],
      [{ primitive: 'gate_rollup_by_failure_reason_code', window: { from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' } }, 400, 'window-too-wide'],
      [{ primitive: 'gate_rollup_by_failure_reason_code', window: { from: '2026-03-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } }, 400, 'window-invalid'],
      ['{not json', 400, 'invalid-request'],
      [{ primitive: 'recent_failures_by_taskspec', filters: { stage: 'x'.repeat(3000) } }, 413, 'payload-too-large'],
    ];
    for (const [body, status, code] of cases) {
      const r = await call(d, '/v1/memory/query', body);
      expect([r.status, ApiErrorEnvelopeSchema.parse(r.body).error.code]).toEqual([status, code]);
    }
    expect((await call(d, '/v1/memory/query', { primitive: 'recent_failures_by_taskspec', limit: 501 })).body).toEqual({
      error: { code: 'invalid-request', message: 'POST /v1/memory/query: limit: Too big: expected number to be <=500', details: { issues: [{ path: 'limit', message: 'Too big: expected number to be <=500' }] } },
    });
    expect((await call(d, '/v1/memory/query', '{}', { 'content-type': 'text/plain' })).status).toBe(415);
    const get = await fetch(`${d.url}/v1/memory/query`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await call(d, '/v1/memory/nope', {})).body).toMatchObject({ error: { code: 'not-found' } });
  });
});

describe('upsert, audit, retention, health', () => {
  it('upserts an annotation idempotently, audits each call, shows it on the failure', async () => {
    const d = await memoryd();
    await ingest(d, 0, 3);
    const key = { kind: 'annotation', trace_id: (1).toString(16).padStart(32, '0'), span_id: (1).toString(16).padStart(16, '0'), name: 'triage' };
    const first = UpsertResponseSchema.parse((await call(d, '/v1/memory/upsert', { ...key, value: { verdict: 'flaky' }, actor: 'agent-7' })).body);
    expect(first).toEqual({ kind: 'annotation', key: { trace_id: key.trace_id, span_id: key.span_id, name: 'triage' }, outcome: 'created', changed: true, subjectExists: true, redactions: 0, auditId: 1 });
    expect((await call(d, '/v1/memory/upsert', { ...key, value: { verdict: 'flaky' }, actor: 'agent-7' })).body).toMatchObject({ outcome: 'unchanged', auditId: 2 });
    const audit = AuditResponseSchema.parse((await call(d, '/v1/memory/audit', { filters: { op: 'upsert' } })).body);
    expect(audit.rows.map((r) => [r.audit_id, r.actor, r.outcome])).toEqual([
      [2, 'agent-7', 'unchanged'],
      [1, 'agent-7', 'created'],
    ]);
    const q = QueryResponseSchema.parse((await call(d, '/v1/memory/query', { primitive: 'recent_failures_by_taskspec', window: WINDOW })).body);
    expect(q.rows.map((r) => 'annotations' in r && r.annotations)).toEqual([{ triage: { verdict: 'flaky' } }]);
    expect(q.snapshot).toEqual({ ingestSeq: 1, auditSeq: 2 });

    // A value may nest as deeply as an attribute value (32 levels), not deeper: a bad request,
    // refused before anything recursive meets it (nested 30,000 deep, it was an internal error).
    const nested = (depth: number) => `{"kind":"annotation","trace_id":"${key.trace_id}","span_id":"${key.span_id}","name":"deep","value":${'['.repeat(depth)}1${']'.repeat(depth)}}`;
    expect((await call(d, '/v1/memory/upsert', nested(32))).body).toMatchObject({ outcome: 'created' });
    for (const depth of [33, 30_000]) {
      expect(await call(d, '/v1/memory/upsert', nested(depth))).toEqual({
        status: 400,
        body: { error: { code: 'invalid-request', message: 'body nests deeper than 33 levels (an annotation value at most 32)', details: { maxDepth: 33 } } },
      });
    }
  });

  it('runs retention on request (a policy is required) and reports it in health', async () => {
    const d = await memoryd();
    await ingest(d, 0, 40);
    expect((await call(d, '/v1/memory/retention', {})).body).toMatchObject({ error: { code: 'invalid-request', message: expect.stringMatching(/no retention policy/) } });
    const r = RetentionResultSchema.parse((await call(d, '/v1/memory/retention', { maxAgeMs: 1000, actor: 'ops' })).body);
    expect(r).toMatchObject({ outcome: 'applied', reason: 'age', deleted: { task_facts: 40, event_facts: 8, annotations: 0 }, auditId: 1 });
    const health = HealthResponseSchema.parse((await call(d, '/health')).body);
    expect(health).toMatchObject({
      status: 'ok',
      checkpoint: { lastSeq: 1, spans: 40 },
      ingest: { lagFrames: 0, lagSpans: 0, lagMs: 0, lastCommitAt: expect.any(String) },
      lastCheckpoint: { seq: 1, committedAt: expect.any(String), databaseCheckpointAt: expect.any(String) },
      database: { file: d.config.db, fileBytes: fs.statSync(d.config.db).size },
      retention: { policy: null, intervalMs: null, lastRun: r },
      alerts: [],
    });
    expect(health.database.usedBytes).toBeGreaterThan(0);
    expect(health.redaction.keys).toContain('process.command_args');
    expect((await call(d, '/v1/memory/health')).body).toMatchObject({ status: 'ok', retention: { lastRun: r } });
  });

  it('applies the configured retention at start and reports its policy', async () => {
    const db = tempDb('memoryd-api-');
    const first = await startMemoryd({ db, port: 0 });
    await ingest(first, 0, 20);
    await first.stop();
    const d = await tempMemoryd('memoryd-api-', { db, retention: { maxAgeMs: 86_400_000 } });
    await new Promise((r) => setTimeout(r, 50));
    while (!d.retention.lastRun) await new Promise((r) => setTimeout(r, 20));
    const h = await d.health();
    expect(h.retention).toMatchObject({ policy: { maxAgeMs: 86_400_000 }, intervalMs: 3_600_000, lastRun: { outcome: 'applied', deleted: { task_facts: 20 } } });
    const audit = AuditResponseSchema.parse((await call(d, '/v1/memory/audit', {})).body);
    expect(audit.rows.map((r) => [r.op, r.actor, r.outcome])).toEqual([['retention', 'memoryd', 'applied']]);
  });
});
