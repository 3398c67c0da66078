import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryStore } from '@govern/memory-store';
import { afterAll, beforeAll, expect } from 'vitest';
import { numberedSpans, protobufPayload, readableSpans } from './otlp.js';
import { buildDaemon, removeBundle, spawnDaemon, type DaemonProcess } from './process.js';

/**
 * The harness of the kill tests (kill.test.ts, kill.soak.ts): memoryd bundled once per
 * test file and run as child processes on files in temporary folders; what the file
 * holds once memoryd stopped.
 */
export interface KilledDaemons {
  /** A fresh temporary folder, removed after the test file. */
  workDir(): string;
  /** memoryd on `db`, killed after the test file if it still runs. */
  start(db: string, env?: Record<string, string>): DaemonProcess;
}

/**
 * For a test file's top level: bundles memoryd in `beforeAll`; in `afterAll` kills the
 * daemons still running and removes the bundle and the folders.
 */
export function useKilledDaemons(): KilledDaemons {
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
  return {
    workDir() {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'memoryd-kill-'));
      dirs.push(d);
      return d;
    },
    start(db, env = {}) {
      const d = spawnDaemon(bundle, ['--db', db], env);
      live.push(d);
      return d;
    },
  };
}

const resource = { attributes: { 'service.name': 'govern', 'process.pid': 7 } };
/** OTLP/protobuf of payload `i`: `n` spans numbered from i × n. */
export const payload = (i: number, n: number) => protobufPayload(readableSpans(resource, numberedSpans(i * n, n)));
export const post = (url: string, body: Buffer) => fetch(`${url}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });

/** What the file holds, read after memoryd stopped. */
export async function inspect(db: string) {
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
export function expectContiguous(batches: { first: number; last: number }[], lastSeq: number) {
  let next = 1;
  for (const b of batches) {
    expect(b.first).toBe(next);
    next = b.last + 1;
  }
  expect(next - 1).toBe(lastSeq);
}
