import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryStore } from '@govern/memory-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberedSpans, protobufPayload, readableSpans } from './testing/otlp.js';
import { buildDaemon, removeBundle, spawnDaemon, waitForHealth, type DaemonProcess } from './testing/process.js';

// memoryd as a real child process, killed with SIGKILL mid-batch, then restarted on the
// same files. The kills at random moments under load and the SIGTERM under load are in
// kill.soak.ts.

let bundle: string;
const dirs: string[] = [];
const live: DaemonProcess[] = [];
beforeAll(() => {
  bundle = buildDaemon('kill-test');
}, 60_000);
afterAll(() => {
  for (const d of live) if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
  removeBundle(bundle);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function workDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'memoryd-kill-'));
  dirs.push(d);
  return d;
}
function start(db: string, env: Record<string, string> = {}): DaemonProcess {
  const d = spawnDaemon(bundle, ['--db', db], env);
  live.push(d);
  return d;
}
const resource = { attributes: { 'service.name': 'govern', 'process.pid': 7 } };
const payload = (i: number, n: number) => protobufPayload(readableSpans(resource, numberedSpans(i * n, n)));
const post = (url: string, body: Buffer) => fetch(`${url}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });

/** What the file holds, read after memoryd stopped. */
async function inspect(db: string) {
  const store = await MemoryStore.open(db);
  try {
    const [counts] = (await store.all('SELECT count(*)::INTEGER AS rows, count(DISTINCT (trace_id, span_id))::INTEGER AS keys FROM task_facts')) as { rows: number; keys: number }[];
    const batches = (await store.all('SELECT first_seq::INTEGER AS first, last_seq::INTEGER AS last, path FROM ingest_batches ORDER BY batch_id')) as { first: number; last: number; path: string }[];
    const spanIds = new Set((await store.all('SELECT span_id FROM task_facts')).map((r) => r.span_id as string));
    return { counts: counts!, batches, spanIds, checkpoint: store.checkpoint() };
  } finally {
    await store.close();
  }
}

/** Frame ranges that start at 1, follow each other without gap or overlap, and end at the checkpoint. */
function expectContiguous(batches: { first: number; last: number }[], lastSeq: number) {
  let next = 1;
  for (const b of batches) {
    expect(b.first).toBe(next);
    next = b.last + 1;
  }
  expect(next - 1).toBe(lastSeq);
}

describe('a daemon killed mid-batch resumes without loss or duplicates', () => {
  it('SIGKILL inside the transaction of batch 2 (rows appended, checkpoint updated, not committed)', async () => {
    const db = path.join(workDir(), 'memory.duckdb');
    const first = start(db, { MEMORYD_FAULT_PAUSE_BEFORE_COMMIT_MS: '60000', MEMORYD_FAULT_SKIP_BATCHES: '1' });
    const { url } = (await first.waitFor('listening')) as { url: string };

    expect((await post(url, payload(0, 100))).status).toBe(200);
    await waitForHealth(url, (h) => h.checkpoint.lastSeq === 1); // batch 1 committed
    expect((await post(url, payload(1, 100))).status).toBe(200);
    await first.waitFor('before-commit'); // batch 2 is inside its transaction
    // Acknowledged while batch 2 hangs: durable in the spool only.
    expect((await post(url, payload(2, 100))).status).toBe(200);
    expect((await post(url, payload(3, 100))).status).toBe(200);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const second = start(db);
    const listening = await second.waitFor('listening');
    // The uncommitted batch left nothing behind: the checkpoint is batch 1's, and the spool gives back frames 2..4.
    expect(listening).toMatchObject({ recovered: { frames: 3, droppedBytes: 0 }, checkpoint: { lastSeq: 1, batches: 1, spans: 100 } });
    await waitForHealth(listening.url as string, (h) => h.checkpoint.lastSeq === 4 && h.queued.frames === 0);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });

    const r = await inspect(db);
    expect(r.counts).toEqual({ rows: 400, keys: 400 });
    expect(r.checkpoint).toMatchObject({ lastSeq: 4, spans: 400 });
    expectContiguous(r.batches, 4);
    // Every batch went straight in: no frame was ingested twice (a re-ingested frame would have
    // needed the dedupe path, or broken the contiguity check).
    expect(r.batches.every((b) => b.path === 'append')).toBe(true);
    expect(r.batches[0]).toEqual({ first: 1, last: 1, path: 'append' });
  }, 90_000);
});
