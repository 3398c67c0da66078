import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuditRequestSchema, QueryRequestSchema } from '@govern/memory-contract';
import { firstRetentionBySize, tempDbFiles } from './__fixtures__/retention.js';
import { toFacts } from './facts.js';
import { MemoryStore } from './store.js';
import { annotate, counts, SEC, spans, T0 } from './testing.js';

const dbFile = tempDbFiles('retention-');

describe('retention by age', () => {
  it('deletes old task facts with their events and annotations, keeps the rest, audits noop, dry run and applied runs', async () => {
    const store = await MemoryStore.open(dbFile());
    await store.commit(toFacts(spans(0, 100)), { firstSeq: 1, lastSeq: 1 });
    for (const i of [10, 90]) await store.upsert(annotate(i), { nowNs: T0 });
    const now = T0 + 100n * SEC;
    const opts = { nowNs: now, actor: 'test' };

    expect(await store.retention({ maxAgeMs: 200_000 }, opts)).toMatchObject({ outcome: 'noop', reason: 'none', deleted: { task_facts: 0, event_facts: 0, annotations: 0 }, auditId: 3 });
    const dry = await store.retention({ maxAgeMs: 40_000 }, { ...opts, dryRun: true });
    expect(dry).toMatchObject({ outcome: 'dry-run', reason: 'age', cutoffNs: String(now - 40n * SEC), deleted: { task_facts: 0 }, auditId: 4 });
    expect(await counts(store)).toEqual({ tasks: 100, events: 25, annotations: 2 });

    const run = await store.retention({ maxAgeMs: 40_000 }, opts);
    // Spans 0..59 started before now - 40 s.
    expect(run).toMatchObject({ outcome: 'applied', reason: 'age', policy: { maxAgeMs: 40_000 }, deleted: { task_facts: 60, event_facts: 15, annotations: 1 }, auditId: 5 });
    expect(await counts(store)).toEqual({ tasks: 40, events: 10, annotations: 1 });
    expect(await store.all('SELECT min(start_ns) AS first FROM task_facts')).toEqual([{ first: T0 + 60n * SEC }]);

    const audit = await store.auditLog(AuditRequestSchema.parse({ window: { from: String(T0), to: String(now + 1n) }, filters: { op: 'retention' } }), now);
    expect(audit.rows.map((r) => [r.audit_id, r.outcome, r.actor])).toEqual([
      [5, 'applied', 'test'],
      [4, 'dry-run', 'test'],
      [3, 'noop', 'test'],
    ]);
    const { auditId: _id, ...details } = run;
    expect(audit.rows[0]!.details).toEqual(details); // completed with the sizes after the checkpoint
    expect(audit.rows[1]!.details).toMatchObject({ wouldDelete: { task_facts: 60, event_facts: 15, annotations: 1 } });

    // Tables were replaced: the primitives (macros) and the keys still work.
    const q = await store.query(QueryRequestSchema.parse({ primitive: 'recent_failures_by_taskspec', window: { from: String(T0), to: String(now) }, limit: 500 }), now);
    expect(q.rows).toHaveLength(10);
    await store.commit(toFacts(spans(90, 20)), { firstSeq: 2, lastSeq: 2 }); // 10 replays, 10 new: the key dedupes
    expect(await counts(store)).toMatchObject({ tasks: 50 });
    await store.close();
  });
});

describe('retention by size, and the file', () => {
  it('brings used bytes down by size, oldest first: the first run deletes the proportional share and keeps the newest rows', async () => {
    const file = dbFile();
    const N = 4_000;
    const { store, full, fileFull, maxBytes, first } = await firstRetentionBySize(file, N);
    expect(first).toMatchObject({ outcome: 'applied', reason: 'size', policy: { maxBytes }, bytes: { usedBefore: full.usedBytes, fileBefore: fileFull } });
    const deleted = N - Math.floor((N * maxBytes * 0.8) / full.usedBytes); // keeps the newest rows × 0.8 × max / used
    expect(first.deleted.task_facts).toBe(deleted);
    expect(await counts(store)).toMatchObject({ tasks: N - deleted });
    expect(await store.all('SELECT min(start_ns) AS first, max(start_ns) AS last FROM task_facts')).toEqual([{ first: T0 + BigInt(deleted) * SEC, last: T0 + BigInt(N - 1) * SEC }]);
    expect(first.bytes.fileAfter).toBe(fs.statSync(file).size); // measured after the CHECKPOINT emptied the WAL
    await store.close();
  });

  it('queries running during a retention run answer from their snapshot', async () => {
    const store = await MemoryStore.open(dbFile());
    await store.commit(toFacts(spans(0, 5_000)), { firstSeq: 1, lastSeq: 1 });
    const window = { from: String(T0), to: String(T0 + 10_000n * SEC) };
    const query = () => store.query(QueryRequestSchema.parse({ primitive: 'gate_rollup_by_failure_reason_code', window }), T0);
    const [during, ret] = await Promise.all([Promise.all(Array.from({ length: 20 }, query)), store.retention({ maxAgeMs: 1000 }, { nowNs: T0 + 4_000n * SEC, actor: 'test' })]);
    expect(ret.deleted.task_facts).toBe(3_999);
    const failures = (r: Awaited<ReturnType<typeof query>>) => (r.primitive === 'gate_rollup_by_failure_reason_code' ? r.rows[0]!.failures : -1);
    for (const r of during) expect([1250, 250]).toContain(failures(r));
    expect(failures(await query())).toBe(250);
    await store.close();
  }, 60_000);
});
