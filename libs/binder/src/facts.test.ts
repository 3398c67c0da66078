import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '@govern/duckdb';
import { MemoryStore, toFacts, type Attributes, type Span } from '@govern/memory-store';
import { envelopeFromSpan, isoFromNs } from './facts.js';
import { openBinder, type Binder } from './store.js';
import { checkEnvelope } from './validate.js';

const dirs: string[] = [];
const binders: Binder[] = [];
afterAll(async () => {
  for (const b of binders.splice(0)) await b.close().catch(() => undefined);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'binder-facts-'));
  dirs.push(d);
  return d;
}
async function binder(): Promise<Binder> {
  const b = await openBinder({ file: path.join(tempDir(), 'binder.duckdb'), now: () => new Date('2026-02-16T00:00:00Z'), knownSecrets: [] });
  binders.push(b);
  return b;
}

const T0 = 1_771_149_600_000_000_000n; // 2026-02-15T10:00:00Z in ns
const TRACE = 'a'.repeat(32);
/** The attributes a wrapper puts on its span (govern.wrapper.* and govern.taskspec.*). */
const WRAPPER: Attributes = {
  'govern.wrapper.policy.name': 'govern-wrap',
  'govern.wrapper.policy.version': '1.2.0',
  'govern.taskspec.scope': 'repo:govern/libs/binder',
  'govern.taskspec.target.kind': 'file',
  'govern.taskspec.target.id': 'src/store.ts',
  'govern.taskspec.action.kind': 'edit',
  'govern.gates': 'unit, lint',
  'govern.evidence.refs': '[{"kind":"log","ref":"ci/run-1.log"}]',
};
function span(i: number, attributes: Attributes, over: Partial<Span> = {}): Span {
  return {
    traceId: TRACE,
    spanId: (i + 1).toString(16).padStart(16, '0'),
    parentSpanId: null,
    name: `wrapper ${i}`,
    kind: 1,
    startNs: T0 + BigInt(i) * 1_000_000_000n + 123_456_789n,
    endNs: T0 + BigInt(i) * 1_000_000_000n + 223_456_789n,
    attributes: { 'govern.run.id': 'run-1', ...attributes },
    events: [],
    statusCode: 0,
    statusMessage: null,
    ...over,
  };
}
/** A memory store file holding `spans`, closed (memoryd stopped). */
async function memoryDb(spans: Span[]): Promise<string> {
  const file = path.join(tempDir(), 'memory.duckdb');
  const store = await MemoryStore.open(file);
  await store.commit(toFacts([{ resource: { 'service.name': 'govern' }, scopeSpans: [{ scope: { name: 'govern', version: null }, spans }] }]), { firstSeq: 1, lastSeq: 1 });
  await store.close();
  return file;
}

describe('the attribute mapping', () => {
  it('maps a span row to an envelope field by field', () => {
    const e = envelopeFromSpan({
      trace_id: TRACE,
      span_id: '0000000000000001',
      start_ns: T0 + 123_456_789n,
      outcome: 'failed',
      failure_reason_code: 'check-failed',
      policy_reason_code: null,
      run_id: 'run-1',
      item_id: 'GV-05-T01',
      attributes: JSON.stringify({ ...WRAPPER, 'govern.sequence': '4', 'govern.context.versions': '{"node":"20.19.2"}', 'govern.context.env': { CI: 'true' } }),
      run_rank: 0,
    });
    expect(e).toEqual({
      schema: 'govern.wrapper-envelope/v1',
      event_id: `${TRACE}/0000000000000001`,
      sequence: 4,
      run_id: 'run-1',
      task_id: 'GV-05-T01',
      group_id: TRACE,
      signal: 'failure',
      wrapper_policy: { name: 'govern-wrap', version: '1.2.0' },
      task_spec: { scope: 'repo:govern/libs/binder', target: { kind: 'file', id: 'src/store.ts' }, action: { kind: 'edit' }, failure_reason_code: 'check-failed' },
      policy_reason_code: null,
      context: { gates: ['unit', 'lint'], versions: { node: '20.19.2' }, env: { CI: 'true' } },
      evidence: [
        { kind: 'span', ref: `${TRACE}/0000000000000001` },
        { kind: 'log', ref: 'ci/run-1.log' },
      ],
      observed_at: '2026-02-15T10:00:00.123456789Z',
    });
    expect(checkEnvelope(e).ok).toBe(true);
  });

  it('leaves a missing field out (validation names it) and takes the sequence from the rank without govern.sequence', () => {
    const { 'govern.taskspec.scope': _s, ...noScope } = WRAPPER;
    const e = envelopeFromSpan({
      trace_id: TRACE,
      span_id: '0000000000000002',
      start_ns: T0,
      outcome: 'ok',
      failure_reason_code: null,
      policy_reason_code: null,
      run_id: null,
      item_id: 'T-1',
      attributes: JSON.stringify({ ...noScope, 'govern.group.id': 'retry-2', 'govern.taskspec.failure_reason_code': 'check-failed' }),
      run_rank: 3,
    });
    expect([e.sequence, e.signal, e.group_id, 'run_id' in e, e.task_spec]).toEqual([3, 'success', 'retry-2', false, { target: { kind: 'file', id: 'src/store.ts' }, action: { kind: 'edit' }, failure_reason_code: 'check-failed' }]);
    const c = checkEnvelope(e);
    expect(c.ok ? [] : c.reasons).toEqual([
      { code: 'field-missing', path: 'run_id', message: 'required (string)' },
      { code: 'field-missing', path: 'task_spec.scope', message: 'required (string)' },
    ]);
  });

  it('writes start_ns as ISO 8601 UTC with nanoseconds', () => {
    expect([isoFromNs(T0), isoFromNs(T0 + 1n), isoFromNs(0n), isoFromNs(-1n)]).toEqual([
      '2026-02-15T10:00:00.000000000Z',
      '2026-02-15T10:00:00.000000001Z',
      '1970-01-01T00:00:00.000000000Z',
      '1969-12-31T23:59:59.999999999Z',
    ]);
  });
});

describe('ingestMemoryFacts', () => {
  it('binds the wrapper spans of a stopped memoryd database, quarantines the incomplete ones, skips the others; re-running changes nothing', async () => {
    const { 'govern.taskspec.scope': _s, ...noScope } = WRAPPER;
    const file = await memoryDb([
      span(0, { ...WRAPPER, 'govern.item.id': 'T-1', failure_reason_code: 'check-failed', 'govern.sequence': 0 }),
      span(1, { ...WRAPPER, 'govern.item.id': 'T-2', 'govern.taskspec.failure_reason_code': 'check-failed' }),
      span(2, { ...WRAPPER, 'govern.item.id': 'T-3', 'govern.taskspec.failure_reason_code': 'check-failed' }, {
        events: [{ timeNs: T0 + 2_500_000_000n, name: 'guard.denied', attributes: { policy_reason_code: 'gate-disabled' } }],
      }),
      span(3, { ...noScope, 'govern.item.id': 'T-4', failure_reason_code: 'check-failed' }),
      span(4, { 'govern.item.id': 'T-5', 'govern.stage': 'write' }),
      span(5, { ...WRAPPER, 'govern.item.id': 'T-6', 'govern.wrapper.signal': 'anomaly', 'govern.wrapper.anomaly_trigger': 'timeout', 'govern.taskspec.failure_reason_code': 'check-failed' }),
    ]);
    const b = await binder();
    const r = await b.ingestFacts(file);
    const q = await b.quarantine();
    expect(r).toEqual({
      received: 5,
      accepted: 4,
      duplicates: 0,
      quarantined: 1,
      conflicts: 0,
      quarantineIds: [q[0]!.quarantine_id],
      capsules: { created: 1, updated: 0, minted: 1 },
      path: 'bind',
      ingestId: 1,
      spans: 6,
      wrapperSpans: 5,
      skipped: 1,
      batches: 1,
    });
    expect(q.map((e) => [e.source, e.reasons])).toEqual([[`memoryd:${file}`, [{ code: 'field-missing', path: 'task_spec.scope', message: 'required (string)' }]]]);
    expect((await b.facts()).map((f) => [f.task_id, f.signal, f.sequence, f.policy_reason_code, f.observed_at]).sort()).toEqual([
      ['T-1', 'failure', 0, null, '2026-02-15T10:00:00.123456789Z'],
      ['T-2', 'success', 1, null, '2026-02-15T10:00:01.123456789Z'],
      ['T-3', 'denial', 2, 'gate-disabled', '2026-02-15T10:00:02.123456789Z'],
      ['T-6', 'anomaly', 4, null, '2026-02-15T10:00:05.123456789Z'],
    ]);
    // One TaskSpec and context: one capsule; the success contradicts it, the anomaly is ignored in Strict.
    expect((await b.capsules()).map((c) => [c.envelope_count, c.counters.support_count, c.counters.contradiction_count, c.counters.denial_count, c.minted])).toEqual([[4, 2, 1, 1, true]]);
    expect(await b.ingestFacts(file)).toMatchObject({ received: 5, accepted: 0, duplicates: 4, quarantined: 1, path: 'known-batch', capsules: { created: 0, updated: 0, minted: 0 } });
    expect((await b.status()).facts).toBe(4);
  });

  it('refuses a database memoryd has open (here, or in another process), one that is not a memory store, and a missing file', async () => {
    const b = await binder();
    const file = await memoryDb([span(0, WRAPPER)]);
    const store = await MemoryStore.open(file);
    const err = (p: Promise<unknown>) => p.then(() => null, (e: { code: string; message: string }) => [e.code, e.message]);
    const locked = ['memory-locked', `${file} is locked: memoryd must not be running on it; stop memoryd, or ingest from a copy of the file`];
    expect(await err(b.ingestFacts(file))).toEqual(locked);
    await store.close();

    // Another process holds it (as memoryd would), until told to let go.
    const holder = spawn(
      process.execPath,
      // Kept referenced, and collected before it says `open`: a collected instance releases the lock.
      ['--expose-gc', '--input-type=module', '-e', `const { DuckDBInstance } = await import('@duckdb/node-api'); const instance = await DuckDBInstance.create(${JSON.stringify(file)}); globalThis.held = [instance, await instance.connect()]; for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); } console.log('open'); process.stdin.once('data', () => process.exit(0));`],
      { cwd: path.dirname(fileURLToPath(import.meta.url)), stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    expect(await err(b.ingestFacts(file))).toEqual(locked);
    holder.stdin.write('x');
    await new Promise((resolve) => holder.once('exit', resolve));

    const other = path.join(tempDir(), 'other.duckdb');
    const db = await openDb(other);
    await db.run('CREATE TABLE t (x INTEGER)');
    await db.close();
    expect(await err(b.ingestFacts(other))).toEqual(['memory-schema', `${other} is not a memory store database: task_facts does not exist`]);
    expect(await err(b.ingestFacts(path.join(tempDir(), 'none.duckdb')))).toEqual(['memory-open-failed', `${path.join(dirs.at(-1)!, 'none.duckdb')}: no such memory store database`]);
  });
});
