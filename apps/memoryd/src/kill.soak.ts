import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryStore } from '@govern/memory-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberedSpans, protobufPayload, readableSpans } from './testing/otlp.js';
import { buildDaemon, removeBundle, spawnDaemon, waitForHealth, type DaemonProcess } from './testing/process.js';

// Soak (GOVERN_SOAK=1, `nx run @govern/memoryd:soak`): memoryd as a real child process
// killed with SIGKILL at random moments under load, and stopped with SIGTERM under load,
// then restarted on the same files. kill.test.ts keeps the deterministic mid-batch kill.

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

describe('a daemon killed under load resumes without loss or duplicates', () => {
  it('SIGKILL at random moments under concurrent load, three times: every acknowledged span is stored exactly once', async () => {
    const db = path.join(workDir(), 'memory.duckdb');
    const SPANS = 50;
    const acked = new Set<number>();
    const sent: number[] = [];
    let next = 0;
    for (let round = 0; round < 3; round++) {
      const d = start(db, {});
      const { url } = (await d.waitFor('listening')) as { url: string };
      const killAfter = 80 + Math.floor(Math.random() * 250);
      const killer = new Promise<void>((resolve) =>
        setTimeout(() => {
          d.proc.kill('SIGKILL');
          resolve();
        }, killAfter),
      );
      let killed = false;
      void killer.then(() => (killed = true));
      // Four senders, one payload at a time each, until the kill.
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (!killed) {
            const i = next++;
            sent.push(i);
            try {
              const res = await post(url, payload(i, SPANS));
              if (res.status === 200) acked.add(i);
            } catch {
              // connection reset by the kill: not acknowledged
            }
          }
        }),
      );
      await d.exited;
    }
    expect(acked.size).toBeGreaterThan(0);

    const last = start(db);
    const { url } = (await last.waitFor('listening')) as { url: string };
    await waitForHealth(url, (h) => h.queued.frames === 0);
    last.proc.kill('SIGTERM');
    expect((await last.exited).code).toBe(0);

    const r = await inspect(db);
    expect(r.counts.rows).toBe(r.counts.keys); // no duplicates
    for (const i of acked) {
      for (const s of numberedSpans(i * SPANS, SPANS)) expect(r.spanIds.has(s.spanId), `span ${s.spanId} of acknowledged payload ${i}`).toBe(true);
    }
    // Nothing that was never sent; unacknowledged payloads may or may not have made it.
    expect(r.counts.rows).toBeLessThanOrEqual(sent.length * SPANS);
    expect(r.counts.rows).toBeGreaterThanOrEqual(acked.size * SPANS);
    expectContiguous(r.batches, r.checkpoint.lastSeq);
    expect(r.batches.every((b) => b.path === 'append')).toBe(true);
  }, 120_000);

  it('SIGTERM under load from kept-alive senders: it stops without waiting for them, every acknowledged payload committed, exit 0', async () => {
    const db = path.join(workDir(), 'memory.duckdb');
    const SPANS = 200;
    const d = start(db);
    const { url } = (await d.waitFor('listening')) as { url: string };
    const acked = new Set<number>();
    let next = 0;
    let stopped = false;
    const senders = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stopped) {
          const i = next++;
          try {
            const res = await post(url, payload(i, SPANS));
            if (res.status === 200) acked.add(i);
            else await res.arrayBuffer();
          } catch {
            // the server closed: not acknowledged
            return;
          }
        }
      }),
    );
    // Stop while batches are being appended and committed (two in flight).
    await new Promise((r) => setTimeout(r, 400));
    const t0 = Date.now();
    d.proc.kill('SIGTERM');
    const exit = await d.exited;
    const stopMs = Date.now() - t0;
    stopped = true;
    await senders;
    expect(exit.code).toBe(0);
    // Not a timing target: a stop that waits for the senders' kept-alive connections to time
    // out (30 s) instead of closing them took 28 s here before the fix; measured now ~0.1 s.
    expect(stopMs).toBeLessThan(10_000);
    expect(acked.size).toBeGreaterThan(3);

    const r = await inspect(db);
    expect(r.counts.rows).toBe(r.counts.keys);
    expect(r.counts.rows).toBe(acked.size * SPANS); // a clean stop commits every acknowledged payload before it exits
    for (const i of acked) expect(r.spanIds.has(numberedSpans(i * SPANS, 1)[0]!.spanId)).toBe(true);
    expectContiguous(r.batches, r.checkpoint.lastSeq);
  }, 60_000);
});
