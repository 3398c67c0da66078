import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleChild } from '@govern/testkit';
import { BinderError } from './errors.js';
import { openBinder, type Binder, type OpenBinderOptions } from './store.js';

// The real worker entry, bundled as bench/binder.mjs bundles it (a worker thread cannot load TypeScript).
let dir: string;
let workerUrl: URL;
const open: Binder[] = [];
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'binder-pool-'));
  await bundleChild({ entryPoints: [path.join(import.meta.dirname, 'bind-worker.ts')], outfile: path.join(dir, 'bind-worker.mjs'), logLevel: 'silent' });
  workerUrl = pathToFileURL(path.join(dir, 'bind-worker.mjs'));
}, 30_000);
afterAll(async () => {
  for (const b of open.splice(0)) await b.close().catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

const NOW = new Date('2026-02-16T00:00:00.000Z');
const T0 = Date.parse('2026-02-15T10:00:00.000Z');
let files = 0;
async function binder(over: Partial<OpenBinderOptions> = {}): Promise<Binder> {
  const b = await openBinder({ file: path.join(dir, `b${files++}.duckdb`), now: () => NOW, knownSecrets: [{ name: 'DEPLOY_TOKEN', value: 'k3y-V4lue-0f-the-deploy' }], partSize: 10, ...over });
  open.push(b);
  return b;
}

type Raw = Record<string, unknown>;
function envelope(n: number, over: Raw = {}): Raw {
  return {
    schema: 'govern.wrapper-envelope/v1',
    event_id: `ev-${n}`,
    sequence: n,
    run_id: `run-${n}`,
    task_id: `T-${n % 4}`,
    group_id: 'attempt-1',
    signal: ['failure', 'success', 'denial', 'anomaly'][n % 4],
    ...(n % 4 === 3 ? { anomaly_trigger: 'timeout' } : {}),
    wrapper_policy: { name: 'govern-wrap', version: '1.2.0' },
    task_spec: { scope: 'repo:govern/libs/binder', target: { kind: 'file', id: `src/f${n % 3}.ts` }, action: { kind: 'edit' }, failure_reason_code: 'check-failed' },
    policy_reason_code: n % 4 === 2 ? 'gate-disabled' : null,
    context: { gates: ['unit', 'lint'], versions: { node: '20.19.2' }, env: { CI: 'true' } },
    evidence: [{ kind: 'log', ref: `ci/run-${n}.log` }],
    observed_at: new Date(T0 + n * 1000).toISOString(),
    ...over,
  };
}

/** Valid envelopes mixed with every kind of refusal, over four parts of 10. */
function batch(): unknown[] {
  const records: unknown[] = Array.from({ length: 23 }, (_, n) => envelope(n));
  records.push(envelope(100, { sequence: -1 })); // field-invalid
  records.push(envelope(101, { evidence: [{ kind: 'log', ref: `ghp_${'x7Kq'.repeat(9)}` }] })); // secret-in-envelope, redacted in quarantine
  records.push(envelope(102, { context: { gates: [], versions: {}, env: { DEPLOY_TOKEN: 'k3y-V4lue-0f-the-deploy', CI: 'true' } } })); // secret-named env: dropped, stored
  records.push(envelope(103, { event_id: 'ev-k3y-V4lue-0f-the-deploy' })); // a known secret's value
  records.push(envelope(5)); // identical duplicate of record 5, in a later part
  records.push(envelope(6, { event_id: 'other' })); // idempotency conflict with record 6
  records.push(envelope(104, { task_spec: { scope: 'repo:govern/libs/binder', target: { kind: 'file', id: 'a.ts' }, action: { kind: 'edit' }, reason_code: 'check-failed' } })); // legacy alias: zod's path
  records.push(envelope(105, { extra: 1 })); // field-unknown
  records.push('not an object');
  records.push(envelope(106, { task_id: 'lone \ud800' })); // not canonical: does not cross as text, its part is bound on the main thread
  records.push(envelope(107, { observed_at: new Date(T0) })); // a Date: does not cross as text either
  records.push(...Array.from({ length: 6 }, (_, n) => envelope(200 + n)));
  return records;
}

/** Everything a binder file holds that ingest writes: facts, capsules, quarantine. */
async function stored(b: Binder) {
  return { facts: await b.facts(), capsules: await b.capsules(), quarantine: await b.quarantine({ includeResolved: true }) };
}

describe('bind workers', () => {
  it('store the same facts, capsules and quarantine records (coded reasons) as binding on the main thread', async () => {
    // The two binders work side by side (two files): the test's time is the slower one's.
    const [main, worker] = await Promise.all([binder({ workers: 0 }), binder({ workerUrl, workers: 1 })]);
    const records = batch();
    const [a, b] = await Promise.all([main.ingest(records, { source: 'test' }), worker.ingest(records, { source: 'test' })]);
    expect(b).toEqual(a);
    expect([a.received, a.accepted, a.duplicates, a.quarantined, a.conflicts]).toEqual([40, 30, 1, 9, 1]);
    const [s, sm] = await Promise.all([stored(worker), stored(main)]);
    expect(s).toEqual(sm);
    expect(s.quarantine.map((q) => q.reasons.map((r) => r.code))).toEqual([
      ['field-invalid'], ['field-invalid'], ['idempotency-conflict'], ['not-canonical'], ['secret-in-envelope'], ['secret-in-envelope'], ['not-an-object'], ['secret-in-envelope'], ['field-unknown'],
    ]);
    expect(JSON.stringify(s.quarantine)).not.toContain('x7Kqx7Kq');
  });

  it('replay a snapshot exactly once, as binding on the main thread does (the same records again, then a plain snapshot known by its digest)', async () => {
    const [main, worker] = await Promise.all([binder({ workers: 0 }), binder({ workerUrl, workers: 1 })]);
    const records = batch();
    await Promise.all([main.ingest(records, { source: 'test' }), worker.ingest(records, { source: 'test' })]);
    // The same records again (this batch holds a Date, so it has no batch digest): every valid one a duplicate, nothing new.
    const [again, againMain] = await Promise.all([worker.ingest(records, { source: 'test' }), main.ingest(records, { source: 'test' })]);
    expect(again).toEqual(againMain);
    expect([again.path, again.accepted, again.duplicates]).toEqual(['bind', 0, 31]);
    // A plain snapshot bound twice more: duplicates once, then known by its digest.
    const plain = records.slice(0, 23);
    const twice = async (x: Binder) => [(await x.ingest(plain, { source: 'test' })).duplicates, (await x.ingest(plain, { source: 'test' })).path];
    expect(await Promise.all([twice(worker), twice(main)])).toEqual([[23, 'known-batch'], [23, 'known-batch']]);
    const [sw2, sm2] = await Promise.all([stored(worker), stored(main)]);
    expect(sw2).toEqual(sm2);
  });

  it('are used by default when a worker entry is given on three cores or more (not on two), and refuse a bad count', async () => {
    const err = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (e instanceof BinderError ? [e.code, e.message] : e));
    expect(await err(binder({ workers: -1, workerUrl }))).toEqual(['invalid-query', 'workers must be a non-negative integer, not -1']);
    expect(await err(binder({ workers: 1 }))).toEqual(['invalid-query', 'workers: 1 needs workerUrl (the bind worker entry built beside the bundle)']);
    // Whether a default-configured binder binds through the worker: a broken entry makes that visible.
    const broken = pathToFileURL(path.join(dir, 'missing-worker.mjs'));
    const b = await binder({ workerUrl: broken });
    const r = await b.ingest([envelope(1)], { source: 'test' }).then((x) => x.accepted, (x: unknown) => (x instanceof BinderError ? x.code : x));
    expect(r).toBe(os.availableParallelism() >= 3 ? 'worker-failed' : 1);
    // An explicit count uses it whatever the machine.
    const one = await binder({ workerUrl: broken, workers: 1 });
    expect(await one.ingest([envelope(1)], { source: 'test' }).catch((x: unknown) => (x as BinderError).code)).toBe('worker-failed');
  });

  /** The first call's error (code and message), whether anything was stored, and the second call's outcome, with a worker entry written by the test. */
  async function outcome(name: string, source: string) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, source);
    const b = await binder({ workerUrl: pathToFileURL(file), workers: 1 });
    const e = await b.ingest(batch(), { source: 'test' }).catch((x: unknown) => x);
    const second = await b.ingest([envelope(1)], { source: 'test' }).catch((x: unknown) => x);
    return {
      code: e instanceof BinderError ? e.code : String(e),
      message: (e as Error).message,
      stored: (await b.facts()).length + (await b.quarantine()).length,
      second: second instanceof BinderError ? second.code : (second as { accepted: number }).accepted,
    };
  }

  it('surface a worker that throws or exits as worker-failed (no hang) and roll the call back', async () => {
    expect(await outcome('throwing.mjs', "throw new Error('worker broke');\n")).toEqual({ code: 'worker-failed', message: 'the bind worker failed: worker broke', stored: 0, second: 'worker-failed' });
    expect(await outcome('exiting.mjs', "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n")).toEqual({
      code: 'worker-failed',
      message: 'the bind worker exited (code 3)',
      stored: 0,
      second: 'worker-failed',
    });
  });

  it('surface an unreadable answer or a reported failure as worker-failed, and replace a failed worker on the next call', async () => {
    expect(await outcome('garbage.mjs', "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', (m) => parentPort.postMessage({ id: m.id, answer: '{not json' }));\n")).toMatchObject({
      code: 'worker-failed',
      stored: 0,
      second: 'worker-failed',
    });
    expect(await outcome('failing.mjs', "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', (m) => parentPort.postMessage({ id: m.id, error: 'no room' }));\n")).toEqual({
      code: 'worker-failed',
      message: 'the bind worker could not prepare a part: no room',
      stored: 0,
      second: 'worker-failed',
    });
    // Exits on its first part; the worker started for the next call is the real one (the marker file says which).
    const marker = path.join(dir, 'failed-once');
    const once = `import fs from 'node:fs';\nimport { parentPort } from 'node:worker_threads';\nif (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); parentPort.on('message', () => process.exit(4)); }\nelse await import(${JSON.stringify(workerUrl.href)});\n`;
    // Stored: the second call's one fact, nothing of the first.
    expect(await outcome('once.mjs', once)).toEqual({ code: 'worker-failed', message: 'the bind worker exited (code 4)', stored: 1, second: 1 });
  });
});
