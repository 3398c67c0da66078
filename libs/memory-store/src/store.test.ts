import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDuckDb, StoreError } from './db.js';
import { EVENT_FACTS_ORDER, TASK_FACTS_ORDER, toFacts } from './facts.js';
import { checksum, DbError } from '@govern/duckdb';
import { isGovernError } from '@govern/errors';
import { migrate, MIGRATIONS } from './migrations.js';
import type { ResourceSpans, Span } from './model.js';
import { FAILURE_FACT_COLUMNS, MemoryStore } from './store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function dbFile(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'memory-store-'));
  dirs.push(d);
  return path.join(d, 'memory.duckdb');
}

const T0 = 1_771_000_000_000_000_000n;
function span(i: number, over: Partial<Span> = {}): Span {
  return {
    traceId: (1000 + Math.floor(i / 4)).toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    parentSpanId: null,
    name: `work ${i}`,
    kind: 1,
    startNs: T0 + BigInt(Math.floor(i / 2)), // pairs share a start time: ties to break
    endNs: T0 + 1000n,
    attributes: { 'govern.run.id': `run-${Math.floor(i / 4)}`, ...(i % 3 === 0 ? { failure_reason_code: 'check-failed' } : {}) },
    events: i % 2 === 0 ? [{ timeNs: T0 + 5n, name: 'guard.denied', attributes: { policy_reason_code: 'gate-disabled' } }] : [],
    statusCode: 0,
    statusMessage: null,
    ...over,
  };
}
function traces(spans: Span[], pid = 1): ResourceSpans[] {
  return [{ resource: { 'service.name': 'govern', 'process.pid': pid }, scopeSpans: [{ scope: { name: 'govern', version: null }, spans }] }];
}
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);

async function facts(store: MemoryStore) {
  return {
    tasks: await store.all(`SELECT * EXCLUDE (resource_volatile) FROM task_facts ORDER BY ${TASK_FACTS_ORDER}`),
    events: await store.all(`SELECT * FROM event_facts ORDER BY ${EVENT_FACTS_ORDER}`),
    resources: await store.all('SELECT * FROM resources ORDER BY resource_key'),
  };
}

describe('migrations', () => {
  it('creates the schema once, records it, and the appender order matches the table columns', async () => {
    const file = dbFile();
    const store = await MemoryStore.open(file);
    const applied = await store.all('SELECT version, name, sha256, applied_at FROM schema_migrations ORDER BY version');
    expect(applied).toEqual(MIGRATIONS.map((m, i) => ({ version: m.version, name: m.name, sha256: checksum(m), applied_at: applied[i]!.applied_at })));
    expect(applied.every((r) => typeof r.applied_at === 'string' && !Number.isNaN(Date.parse(r.applied_at)))).toBe(true);
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3, 4, 5]);
    const cols = await store.all("SELECT table_name, column_name FROM information_schema.columns WHERE table_name IN ('task_facts', 'event_facts') ORDER BY table_name, ordinal_position");
    // writeTask / writeEvent append in TaskFactSchema / EventFactSchema key order.
    const { TaskFactSchema, EventFactSchema } = await import('./facts.js');
    expect(cols.filter((c) => c.table_name === 'task_facts').map((c) => c.column_name)).toEqual(Object.keys(TaskFactSchema.shape));
    expect(cols.filter((c) => c.table_name === 'event_facts').map((c) => c.column_name)).toEqual(Object.keys(EventFactSchema.shape));
    const failureCols = await store.all("SELECT column_name FROM information_schema.columns WHERE table_name = 'failure_facts' ORDER BY ordinal_position");
    expect(failureCols.map((c) => c.column_name)).toEqual([...FAILURE_FACT_COLUMNS]);
    await store.close();
    const again = await MemoryStore.open(file);
    expect(await again.all('SELECT count(*)::INTEGER AS n FROM schema_migrations')).toEqual([{ n: 5 }]);
    await again.close();
  });

  it('upgrades a version-1 database in place: its facts stay, the primitives read them', async () => {
    const file = dbFile();
    const db = await openDuckDb(file);
    await migrate(db, MIGRATIONS.slice(0, 1));
    await db.run("INSERT INTO task_facts (trace_id, span_id, name, kind, start_ns, end_ns, duration_ns, status_code, outcome, failure_reason_code, stage, scope_name, resource_key, event_count, attributes, resource_volatile) VALUES ('t', 's', 'govern.close', 'internal', 5, 6, 1, 'error', 'failed', 'check-failed', 'close', 'govern', 'r', 0, '{}', '{}')");
    // The version-1 checkpoint: a row of its own, updated with each batch's record.
    await db.run("INSERT INTO ingest_batches VALUES (1, 1, 2, 1, 1, 0, 0, 'append')");
    await db.run('UPDATE ingest_checkpoint SET last_seq = 2, batches = 1, spans = 1 WHERE id = 1');
    await db.close();
    const store = await MemoryStore.open(file);
    expect(await store.all('SELECT version FROM schema_migrations ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }]);
    // Read from ingest_batches since migration 4: the same checkpoint.
    expect(store.checkpoint()).toEqual({ lastSeq: 2, batches: 1, spans: 1, events: 0 });
    expect(await store.all('SELECT trace_id, failure_reason_code FROM failure_facts')).toEqual([{ trace_id: 't', failure_reason_code: 'check-failed' }]); // backfilled
    expect(await store.all('SELECT stage, failure_reason_code, failures FROM mv_gate_rollup_by_failure_reason_code(0, 10)')).toEqual([{ stage: 'close', failure_reason_code: 'check-failed', failures: 1n }]);
    // Migration 5's span macro reads the facts stored before it.
    expect(await store.all('SELECT trace_id, name, service_name, outcome FROM mv_spans(0, 10)')).toEqual([{ trace_id: 't', name: 'govern.close', service_name: null, outcome: 'failed' }]);
    await store.close();
  });

  it('opens a database made before the DuckDB kernel: its schema_migrations (version, name, checksum) becomes the kernel\'s, its facts stay', async () => {
    const file = dbFile();
    const db = await openDuckDb(file);
    // What the store's own runner did before: its table, migrations 1..4, a committed batch.
    await db.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL)');
    for (const m of MIGRATIONS) {
      for (const sql of m.statements) await db.run(sql);
      await db.run('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [m.version, m.name, checksum(m)]);
    }
    await db.run("INSERT INTO ingest_batches VALUES (1, 1, 3, 2, 2, 0, 0, 'append')");
    await db.close();
    const store = await MemoryStore.open(file);
    expect(await store.all('SELECT version, name, sha256, applied_at FROM schema_migrations ORDER BY version')).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name, sha256: checksum(m), applied_at: null })),
    );
    expect(store.checkpoint()).toEqual({ lastSeq: 3, batches: 1, spans: 2, events: 0 });
    await store.close();
  });

  it('refuses a database whose applied migration changed, or one from a newer build', async () => {
    const file = dbFile();
    await (await MemoryStore.open(file)).close();
    const db = await openDuckDb(file);
    try {
      const edited = [{ ...MIGRATIONS[0]!, statements: [...MIGRATIONS[0]!.statements, 'SELECT 1'] }];
      await expect(migrate(db, edited)).rejects.toThrow(/migration 1 .* differs from the one applied/);
      await db.run("INSERT INTO schema_migrations VALUES (6, 'future', 'x', NULL)");
      await expect(migrate(db)).rejects.toMatchObject({ code: 'schema', message: expect.stringMatching(/schema version 6, newer than this build's 5/) });
    } finally {
      await db.close();
    }
  });
});

describe('commit: rows and checkpoint in one transaction', () => {
  it('appends a batch and advances the checkpoint; replaying it stores nothing twice and changes nothing', async () => {
    const store = await MemoryStore.open(dbFile());
    const batch = toFacts(traces(range(0, 8).map((i) => span(i))));
    expect(await store.commit(batch, { firstSeq: 1, lastSeq: 2 })).toEqual({ batchId: 1, path: 'append', spansReceived: 8, spansInserted: 8, eventsReceived: 4, eventsInserted: 4 });
    const before = await facts(store);
    expect(before.tasks).toHaveLength(8);
    // The same snapshot again (sent again from another process: another pid), plus one new span.
    const replay = toFacts(traces([...range(0, 8).map((i) => span(i)), span(8)], 99));
    expect(await store.commit(replay, { firstSeq: 3, lastSeq: 3 })).toEqual({ batchId: 2, path: 'dedupe', spansReceived: 9, spansInserted: 1, eventsReceived: 5, eventsInserted: 1 });
    const after = await facts(store);
    expect(after.tasks.slice(0, 8)).toEqual(before.tasks);
    expect(after.tasks).toHaveLength(9);
    expect(after.resources).toEqual(before.resources);
    expect(store.checkpoint()).toEqual({ lastSeq: 3, batches: 2, spans: 9, events: 5 });
    expect(await store.all('SELECT * FROM ingest_checkpoint')).toEqual([{ id: 1, last_seq: 3n, batches: 2n, spans: 9n, events: 5n }]);
    expect(await store.all('SELECT batch_id, first_seq, last_seq, path FROM ingest_batches ORDER BY batch_id')).toEqual([
      { batch_id: 1n, first_seq: 1n, last_seq: 2n, path: 'append' },
      { batch_id: 2n, first_seq: 3n, last_seq: 3n, path: 'dedupe' },
    ]);
    await store.close();
  });

  it('failure_facts holds exactly the stored failed task facts, on the append and the dedupe path', async () => {
    const store = await MemoryStore.open(dbFile());
    const failedOf = async () => store.all(`SELECT trace_id, span_id, start_ns, failure_reason_code FROM task_facts WHERE outcome = 'failed' ORDER BY ${TASK_FACTS_ORDER}`);
    const materialized = async () => store.all(`SELECT trace_id, span_id, start_ns, failure_reason_code FROM failure_facts ORDER BY ${TASK_FACTS_ORDER}`);
    await store.commit(toFacts(traces(range(0, 12).map((i) => span(i)))), { firstSeq: 1, lastSeq: 1 });
    expect(await materialized()).toEqual(await failedOf());
    expect(await materialized()).toHaveLength(4);
    // A replay where span 1 now claims a failure (the stored fact says ok: it stays ok), plus a new failed span.
    const replay = [span(1, { attributes: { failure_reason_code: 'late-claim' } }), span(12)];
    expect(await store.commit(toFacts(traces(replay)), { firstSeq: 2, lastSeq: 2 })).toMatchObject({ path: 'dedupe', spansInserted: 1 });
    expect(await materialized()).toEqual(await failedOf());
    expect((await materialized()).map((r) => r.failure_reason_code)).toEqual(Array(5).fill('check-failed'));
    await store.close();
  });

  it('a key twice in one batch is stored once (the first occurrence)', async () => {
    const store = await MemoryStore.open(dbFile());
    const r = await store.commit(toFacts(traces([span(0), span(0, { name: 'second copy' })])), { firstSeq: 1, lastSeq: 1 });
    // The duplicate fails the fast path's flush; the dedupe path keeps the first.
    expect(r).toMatchObject({ path: 'dedupe', spansReceived: 2, spansInserted: 1 });
    expect(await store.all('SELECT name FROM task_facts')).toEqual([{ name: 'work 0' }]);
    await store.close();
  });

  it('a failure before COMMIT leaves neither rows nor checkpoint; the batch can be committed again', async () => {
    let fail = true;
    const store = await MemoryStore.open(dbFile(), {
      beforeCommit: async () => {
        if (fail) throw new Error('killed');
      },
    });
    const batch = toFacts(traces(range(0, 4).map((i) => span(i))));
    await expect(store.commit(batch, { firstSeq: 1, lastSeq: 1 })).rejects.toThrow('killed');
    expect(store.checkpoint().lastSeq).toBe(0);
    expect(await store.all('SELECT count(*)::INTEGER AS n FROM task_facts')).toEqual([{ n: 0 }]);
    fail = false;
    expect(await store.commit(batch, { firstSeq: 1, lastSeq: 1 })).toMatchObject({ path: 'append', spansInserted: 4 });
    await store.close();
  });

  it('a batch handed over while the one before commits: both commit, in order, on the two write connections', async () => {
    const store = await MemoryStore.open(dbFile());
    const [a, b] = await Promise.all([
      store.commit(toFacts(traces(range(0, 6).map((i) => span(i)))), { firstSeq: 1, lastSeq: 2 }),
      store.commit(toFacts(traces(range(6, 10).map((i) => span(i)))), { firstSeq: 3, lastSeq: 3 }),
    ]);
    expect([a.batchId, a.path, a.spansInserted, b.batchId, b.path, b.spansInserted]).toEqual([1, 'append', 6, 2, 'append', 4]);
    expect(store.checkpoint()).toEqual({ lastSeq: 3, batches: 2, spans: 10, events: 5 });
    expect(await store.all('SELECT * FROM ingest_checkpoint')).toEqual([{ id: 1, last_seq: 3n, batches: 2n, spans: 10n, events: 5n }]);
    // The resource is new to both; only the first inserts it (it is marked known when handed over).
    expect(await store.all('SELECT count(*)::INT AS n FROM resources')).toEqual([{ n: 1 }]);
    await store.close();
  });

  it('a key in both of two batches in flight is stored once: the second one\'s COMMIT fails as a duplicate and it takes the dedupe path', async () => {
    const store = await MemoryStore.open(dbFile());
    const [, second] = await Promise.all([
      store.commit(toFacts(traces(range(0, 6).map((i) => span(i)))), { firstSeq: 1, lastSeq: 1 }),
      store.commit(toFacts(traces(range(4, 8).map((i) => span(i)))), { firstSeq: 2, lastSeq: 2 }),
    ]);
    expect([second.path, second.spansReceived, second.spansInserted]).toEqual(['dedupe', 4, 2]);
    expect(await store.all('SELECT count(*)::INT AS n, count(DISTINCT span_id)::INT AS d FROM task_facts')).toEqual([{ n: 8, d: 8 }]);
    await store.close();
  });

  it('when a batch fails, the one handed over after it rolls back too; both can be committed again', async () => {
    let failures = 1;
    const store = await MemoryStore.open(dbFile(), {
      beforeCommit: async () => {
        if (failures-- > 0) throw new Error('killed');
      },
    });
    const first = toFacts(traces(range(0, 4).map((i) => span(i))));
    const second = toFacts(traces(range(4, 8).map((i) => span(i))));
    const settled = await Promise.allSettled([store.commit(first, { firstSeq: 1, lastSeq: 1 }), store.commit(second, { firstSeq: 2, lastSeq: 2 })]);
    expect(settled.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'fulfilled'))).toEqual(['killed', 'batch 2 not committed: the batch before it failed']);
    expect(store.checkpoint().lastSeq).toBe(0);
    expect(await store.all('SELECT (SELECT count(*) FROM task_facts)::INT AS facts, (SELECT count(*) FROM ingest_batches)::INT AS batches')).toEqual([{ facts: 0, batches: 0 }]);
    await store.commit(first, { firstSeq: 1, lastSeq: 1 });
    await store.commit(second, { firstSeq: 2, lastSeq: 2 });
    expect(store.checkpoint()).toMatchObject({ lastSeq: 2, batches: 2, spans: 8 });
    await store.close();
  });

  it('refuses frames that do not follow the checkpoint', async () => {
    const store = await MemoryStore.open(dbFile());
    await expect(store.commit(toFacts([]), { firstSeq: 2, lastSeq: 2 })).rejects.toMatchObject({ code: 'checkpoint' });
    await store.close();
  });

  it('ordering ties are broken by the key: two arrival orders, one ordered result', async () => {
    const spans = range(0, 12).map((i) => span(i));
    const a = await MemoryStore.open(dbFile());
    const b = await MemoryStore.open(dbFile());
    await a.commit(toFacts(traces(spans)), { firstSeq: 1, lastSeq: 1 });
    const reversed = [...spans].reverse();
    await b.commit(toFacts(traces(reversed.slice(0, 6))), { firstSeq: 1, lastSeq: 1 });
    await b.commit(toFacts(traces(reversed.slice(6))), { firstSeq: 2, lastSeq: 2 });
    const fa = await facts(a);
    expect(await facts(b)).toEqual(fa);
    // Equal start times were present, and their order is the key's.
    expect(fa.tasks.map((t) => t.span_id).slice(0, 2)).toEqual(['0000000000000001', '0000000000000002']);
    await a.close();
    await b.close();
  });
});

describe('one writer', () => {
  it('a second open in this process is refused', async () => {
    const file = dbFile();
    const store = await MemoryStore.open(file);
    await expect(MemoryStore.open(file)).rejects.toMatchObject({ code: 'locked' });
    await store.close();
    await (await MemoryStore.open(file)).close(); // released on close
  });

  it('another process cannot open the file while memoryd has it', async () => {
    const file = dbFile();
    const store = await MemoryStore.open(file);
    const probe = `import('@duckdb/node-api').then(({ DuckDBInstance }) => DuckDBInstance.create(${JSON.stringify(file)})).then(() => console.log('opened'), (e) => console.log(e.message))`;
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', cwd: path.dirname(new URL(import.meta.url).pathname) });
    expect(r.stdout).toMatch(/Could not set lock on file/);
    await store.close();
  });
});

describe('coded errors', () => {
  it('are GovernErrors keeping their names, codes and details', async () => {
    const { BackpressureError, PoisonFrameError, PoisonFramesError } = await import('./ingest.js');
    const errors = [
      new StoreError('checkpoint', 'batch frames 5..5 do not follow checkpoint 0'),
      new PoisonFrameError(7, 'frame 7 does not decode'),
      new PoisonFramesError([{ seq: 3, reason: 'bad' }]),
      new BackpressureError('ingest queue is full'),
    ];
    expect(errors.map((e) => [e.name, isGovernError(e), e instanceof DbError, e.toJSON()])).toEqual([
      ['StoreError', true, true, { code: 'checkpoint', message: 'batch frames 5..5 do not follow checkpoint 0', details: {} }],
      ['PoisonFrameError', true, false, { code: 'poison-frame', message: 'frame 7 does not decode', details: { seq: 7, reason: 'frame 7 does not decode' } }],
      ['PoisonFramesError', true, false, { code: 'poison-frames', message: 'bad', details: { frames: [{ seq: 3, reason: 'bad' }] } }],
      ['BackpressureError', true, false, { code: 'backpressure', message: 'ingest queue is full', details: {} }],
    ]);
  });

  it('the kernel throws the store\'s own StoreError: a second open is `locked`, use after close is `closed`', async () => {
    const file = dbFile();
    const store = await MemoryStore.open(file);
    const locked = await MemoryStore.open(file).catch((e: unknown) => e);
    expect([locked instanceof StoreError, (locked as StoreError).toJSON()]).toEqual([
      true,
      { code: 'locked', message: `${file} is already open in this process (DuckDB allows one writer per file); memoryd owns it`, details: { file } },
    ]);
    await store.close();
    const closed = await store.all('SELECT 1').catch((e: unknown) => e);
    expect([(closed as Error).name, (closed as StoreError).code]).toEqual(['StoreError', 'closed']);
  });
});
