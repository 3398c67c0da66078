import fs from 'node:fs';
import path from 'node:path';
import { PoisonFramesError, Redactor, StoreError } from '@govern/memory-store';
import { describe, expect, it } from 'vitest';
import { StoreThread } from './store-thread.js';
import { storeWorkerScript, tempDb } from './testing/daemon.js';
import { numberedSpans, protobufPayload, readableSpans } from './testing/otlp.js';

/** A fresh temporary directory, removed after the test file. */
const workDir = () => path.dirname(tempDb('store-thread-'));

describe('StoreThread: the store in a worker thread', () => {
  it('a database that cannot be opened fails the open with the store error, and ends the worker', async () => {
    const dir = workDir();
    const db = path.join(dir, 'is-a-directory.duckdb');
    fs.mkdirSync(db);
    const crashes: Error[] = [];
    const err = await StoreThread.open(storeWorkerScript(), db, new Redactor(), (e) => crashes.push(e)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('open-failed');
    expect(crashes).toEqual([]);
  });

  it('a worker that dies fails the pending call and every later one, and reports the crash once', async () => {
    const dir = workDir();
    // A stand-in worker: answers the open, then exits in the middle of the next call.
    const script = path.join(dir, 'dies.mjs');
    fs.writeFileSync(
      script,
      `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.op === 'open') parentPort.postMessage({ id: m.id, redacted: 0, checkpoint: { lastSeq: 7, batches: 1, spans: 3, events: 0 }, ok: true, value: null });
  else process.exit(3);
});`,
    );
    const crashes: Error[] = [];
    const t = await StoreThread.open(script, path.join(dir, 'm.duckdb'), new Redactor(), (e) => crashes.push(e));
    expect(t.checkpoint()).toEqual({ lastSeq: 7, batches: 1, spans: 3, events: 0 });
    await expect(t.stats()).rejects.toThrow('the store worker exited (3)');
    await expect(t.all('SELECT 1')).rejects.toThrow('the store worker exited (3)');
    expect(crashes.map((e) => e.message)).toEqual(['the store worker exited (3)']);
    await t.close();
  });

  it('errors of the store cross back with their class and fields', async () => {
    const dir = workDir();
    const t = await StoreThread.open(storeWorkerScript(), path.join(dir, 'm.duckdb'), new Redactor(), () => undefined);
    try {
      const err = await t.commit([], { firstSeq: 5, lastSeq: 5 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect([(err as StoreError).code, (err as StoreError).message]).toEqual(['checkpoint', 'batch frames 5..5 do not follow checkpoint 0']);
      await expect(t.all('SELECT nope FROM nowhere')).rejects.toThrow(/nowhere/);
      expect(await t.all('SELECT 41 + 1 AS n')).toEqual([{ n: 42 }]);
    } finally {
      await t.close();
    }
  });

  it('recovered frames are decoded and redacted in the worker; one that no longer decodes fails the commit as poison, naming it, and the range commits without it', async () => {
    const dir = workDir();
    const redactor = new Redactor();
    const t = await StoreThread.open(storeWorkerScript(), path.join(dir, 'm.duckdb'), redactor, () => undefined);
    try {
      const spans = readableSpans({ attributes: { 'service.name': 'govern' } }, numberedSpans(0, 2));
      (spans[0] as unknown as { attributes: Record<string, unknown> }).attributes['git.author'] = 'jane.doe@example.org';
      const good = { seq: 1, kind: 2, body: protobufPayload(spans) };
      const err = await t.commit([good, { seq: 2, kind: 2, body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]) }], { firstSeq: 1, lastSeq: 2 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PoisonFramesError);
      expect((err as PoisonFramesError).frames).toEqual([{ seq: 2, reason: expect.stringMatching(/^frame 2 does not decode: .*truncated/) }]);
      // Nothing was written: the ingest loop quarantines frame 2 and commits the range without it.
      expect(t.checkpoint()).toMatchObject({ lastSeq: 0 });
      const r = await t.commit([good], { firstSeq: 1, lastSeq: 2 });
      expect(r).toMatchObject({ spansInserted: 2 });
      expect(t.checkpoint()).toMatchObject({ lastSeq: 2, spans: 2 });
      expect(await t.all("SELECT count(*)::INT AS n FROM task_facts WHERE attributes LIKE '%jane.doe%'")).toEqual([{ n: 0 }]);
      // The worker's redactions are counted where health reads them (frame 1 was redacted by each attempt).
      expect(redactor.replaced).toBe(2);
    } finally {
      await t.close();
    }
  });
});
