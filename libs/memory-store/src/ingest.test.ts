import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackpressureError, Ingestor } from './ingest.js';
import type { DecodedTraces, Span } from './model.js';
import { MemoryStore } from './store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function workDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-'));
  dirs.push(d);
  return d;
}

// A stand-in wire format for these tests (memoryd's OTLP decoders are tested in apps/memoryd):
// JSON with bigints as strings.
const T0 = 1_771_000_000_000_000_000n;
function payload(first: number, n: number): { body: Buffer; decoded: DecodedTraces } {
  const spans: Span[] = Array.from({ length: n }, (_, k) => ({
    traceId: (first + k).toString(16).padStart(32, '0'),
    spanId: (first + k).toString(16).padStart(16, '0'),
    parentSpanId: null,
    name: 'work',
    kind: 1,
    startNs: T0 + BigInt(first + k),
    endNs: T0 + BigInt(first + k) + 10n,
    attributes: {},
    events: [],
    statusCode: 0,
    statusMessage: null,
  }));
  const decoded: DecodedTraces = { resourceSpans: [{ resource: { 'service.name': 'test' }, scopeSpans: [{ scope: { name: 't', version: null }, spans }] }], spans: n, rejected: 0, errors: [] };
  return { body: Buffer.from(JSON.stringify(decoded, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))), decoded };
}
function decode(_kind: number, body: Buffer): DecodedTraces {
  return JSON.parse(body.toString('utf8'), (_k, v) => (typeof v === 'string' && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v)) as DecodedTraces;
}
const count = async (store: MemoryStore) => (await store.all('SELECT count(*)::INTEGER AS n, count(DISTINCT span_id)::INTEGER AS d FROM task_facts'))[0];

describe('Ingestor', () => {
  it('acknowledged payloads are committed in batches of whole frames, with contiguous frame ranges', async () => {
    const dir = workDir();
    const store = await MemoryStore.open(path.join(dir, 'm.duckdb'));
    const ing = await Ingestor.start({ store, spoolDir: path.join(dir, 'spool'), decode, maxBatchSpans: 25 });
    const seqs = await Promise.all(Array.from({ length: 10 }, (_, i) => payload(i * 10, 10)).map((p) => ing.submit(1, p.body, p.decoded)));
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await ing.idle();
    expect(await count(store)).toEqual({ n: 100, d: 100 });
    const batches = await store.all('SELECT first_seq, last_seq, spans_inserted FROM ingest_batches ORDER BY batch_id');
    let next = 1n;
    for (const b of batches) {
      expect(b.first_seq).toBe(next);
      expect(b.spans_inserted).toBeLessThanOrEqual(25);
      next = (b.last_seq as bigint) + 1n;
    }
    expect(next).toBe(11n);
    expect(ing.status()).toMatchObject({ received: { frames: 10, spans: 100 }, queued: { frames: 0, spans: 0 }, checkpoint: { lastSeq: 10, spans: 100 }, lastError: null });
    await ing.close();
    await store.close();
  });

  it('payloads acknowledged but not committed when the process stopped are recovered from the spool, once', async () => {
    const dir = workDir();
    const file = path.join(dir, 'm.duckdb');
    const spoolDir = path.join(dir, 'spool');
    // First life: every commit fails before COMMIT (as if killed there).
    const failing = await MemoryStore.open(file, {
      beforeCommit: async () => {
        throw new Error('killed before COMMIT');
      },
    });
    const errors: string[] = [];
    const ing1 = await Ingestor.start({ store: failing, spoolDir, decode, onError: (e) => errors.push(e.message) });
    await ing1.submit(1, payload(0, 5).body, payload(0, 5).decoded);
    await ing1.submit(1, payload(5, 5).body, payload(5, 5).decoded);
    await new Promise((r) => setTimeout(r, 50));
    await ing1.close();
    await failing.close();
    expect(errors[0]).toBe('killed before COMMIT');
    expect(await (async () => {
      const s = await MemoryStore.open(file);
      const n = await count(s);
      await s.close();
      return n;
    })()).toEqual({ n: 0, d: 0 });

    // Second life: the spool gives both frames back.
    const store = await MemoryStore.open(file);
    const ing2 = await Ingestor.start({ store, spoolDir, decode });
    expect(ing2.status().recovered).toEqual({ frames: 2, droppedBytes: 0 });
    await ing2.idle();
    expect(await count(store)).toEqual({ n: 10, d: 10 });
    expect(store.checkpoint().lastSeq).toBe(2);
    // New payloads continue the sequence.
    expect(await ing2.submit(1, payload(10, 1).body, payload(10, 1).decoded)).toBe(3);
    await ing2.idle();
    await ing2.close();
    await store.close();

    // Third life: nothing left to recover, nothing doubled.
    const again = await MemoryStore.open(file);
    const ing3 = await Ingestor.start({ store: again, spoolDir, decode });
    expect(ing3.status().recovered.frames).toBe(0);
    expect(await count(again)).toEqual({ n: 11, d: 11 });
    await ing3.close();
    await again.close();
  });

  it('with two batches in flight, a failure of either is retried from the first uncommitted frame: every frame once, in order', async () => {
    const dir = workDir();
    let commits = 0;
    const errors: string[] = [];
    // The 2nd and 5th COMMITs fail (each time the batch after it is in flight or about to be).
    const store = await MemoryStore.open(path.join(dir, 'm.duckdb'), {
      beforeCommit: async () => {
        commits++;
        await new Promise((r) => setTimeout(r, 5));
        if (commits === 2 || commits === 5) throw new Error(`commit ${commits} failed`);
      },
    });
    // The store, counting the batches handed to it and not yet settled.
    let inFlight = 0;
    let most = 0;
    const counted = {
      checkpoint: () => store.checkpoint(),
      maintain: () => store.maintain(),
      async commit(batch: Parameters<MemoryStore['commit']>[0], frames: Parameters<MemoryStore['commit']>[1]) {
        most = Math.max(most, ++inFlight);
        try {
          return await store.commit(batch, frames);
        } finally {
          inFlight--;
        }
      },
    };
    const ing = await Ingestor.start({ store: counted, spoolDir: path.join(dir, 'spool'), decode, maxBatchSpans: 20, onError: (e) => errors.push(e.message) });
    await Promise.all(Array.from({ length: 12 }, (_, i) => payload(i * 10, 10)).map((p) => ing.submit(1, p.body, p.decoded)));
    await ing.idle();
    expect(most).toBe(2);
    expect(errors.filter((e) => /commit \d failed/.test(e))).toEqual(['commit 2 failed', 'commit 5 failed']);
    expect(await count(store)).toEqual({ n: 120, d: 120 });
    const batches = await store.all('SELECT first_seq, last_seq FROM ingest_batches ORDER BY batch_id');
    let next = 1n;
    for (const b of batches) {
      expect(b.first_seq).toBe(next);
      next = (b.last_seq as bigint) + 1n;
    }
    expect(next).toBe(13n);
    expect(ing.status()).toMatchObject({ queued: { frames: 0, spans: 0 }, checkpoint: { lastSeq: 12, spans: 120 } });
    await ing.close();
    await store.close();
  });

  it('refuses new payloads while too many spans wait (the receiver answers 503, the exporter retries)', async () => {
    const dir = workDir();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store = await MemoryStore.open(path.join(dir, 'm.duckdb'), { beforeCommit: () => gate });
    const ing = await Ingestor.start({ store, spoolDir: path.join(dir, 'spool'), decode, maxQueuedSpans: 15 });
    await ing.submit(1, payload(0, 10).body, payload(0, 10).decoded);
    await ing.submit(1, payload(10, 10).body, payload(10, 10).decoded);
    expect(ing.accepting).toBe(false);
    await expect(ing.submit(1, payload(20, 1).body, payload(20, 1).decoded)).rejects.toBeInstanceOf(BackpressureError);
    release();
    await ing.idle();
    expect(ing.accepting).toBe(true);
    await ing.close();
    await store.close();
  });
});
