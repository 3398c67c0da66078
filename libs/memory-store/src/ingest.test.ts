import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FactBatch } from './facts.js';
import { BackpressureError, factSink, Ingestor, PoisonFrameError, type FrameSink } from './ingest.js';
import { Quarantine } from './quarantine.js';
import { Spool } from './spool.js';
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

  it('a payload whose facts cannot be made once it is spooled is refused (PoisonFrameError), quarantined with its bytes, and committed past', async () => {
    const dir = workDir();
    const spoolDir = path.join(dir, 'spool');
    const store = await MemoryStore.open(path.join(dir, 'm.duckdb'));
    const local = factSink(store, decode);
    // A sink that cannot make the facts of a payload holding a span named "poison".
    const sink: FrameSink<FactBatch> = {
      ...local,
      prepare(frame) {
        if (frame.meta?.resourceSpans[0]?.scopeSpans[0]?.spans.some((x) => x.name === 'poison')) throw new RangeError('Maximum call stack size exceeded');
        return local.prepare(frame);
      },
    };
    const quarantined: number[] = [];
    const ing = await Ingestor.start({ sink, spoolDir, onQuarantine: (r) => quarantined.push(r.seq) });
    const bad = payload(100, 3);
    bad.decoded.resourceSpans[0]!.scopeSpans[0]!.spans[1]!.name = 'poison';
    const results = await Promise.allSettled([payload(0, 5), bad, payload(5, 5)].map((p) => ing.submit(1, p.body, p.decoded)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason))).toEqual([1, new PoisonFrameError(2, 'frame 2: its facts cannot be made: Maximum call stack size exceeded'), 3]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ seq: 2, code: 'poison-frame' });
    await ing.idle();
    expect(await count(store)).toEqual({ n: 10, d: 10 });
    expect(ing.status()).toMatchObject({
      received: { frames: 2, spans: 10 },
      checkpoint: { lastSeq: 3, spans: 10 },
      quarantine: { frames: 1, last: { seq: 2, kind: 1, reason: 'frame 2: its facts cannot be made: Maximum call stack size exceeded', bytes: bad.body.length } },
    });
    expect(quarantined).toEqual([2]);
    expect(fs.readFileSync(path.join(spoolDir, 'quarantine', '0000000000000002.payload')).equals(bad.body)).toBe(true);
    // Ingest goes on.
    expect(await ing.submit(1, payload(10, 1).body, payload(10, 1).decoded)).toBe(4);
    await ing.idle();
    expect(store.checkpoint()).toMatchObject({ lastSeq: 4, spans: 11 });
    await ing.close();
    await store.close();
  });

  it('a quarantine record of a frame still in the spool (its batch never committed) is dropped at start, and the frame judged again', async () => {
    const dir = workDir();
    const spoolDir = path.join(dir, 'spool');
    const { spool } = await Spool.open(spoolDir, { afterSeq: 0, onDurable: () => undefined });
    const p = payload(0, 4);
    await spool.append(1, p.body, null);
    await spool.close();
    const q = await Quarantine.open(path.join(spoolDir, 'quarantine'));
    await q.add({ seq: 1, kind: 1, body: p.body }, 'judged by a process killed before its commit');
    expect((await Quarantine.open(q.dir)).status().frames).toBe(1);
    const store = await MemoryStore.open(path.join(dir, 'm.duckdb'));
    const ing = await Ingestor.start({ store, spoolDir, decode });
    await ing.idle();
    expect(ing.status()).toMatchObject({ checkpoint: { lastSeq: 1, spans: 4 }, quarantine: { frames: 0, last: null } });
    expect(fs.readdirSync(q.dir)).toEqual([]);
    await ing.close();
    await store.close();
  });

  it('a store that fails every commit for a while is not mistaken for a poison frame: the suspect is cleared and nothing is quarantined', async () => {
    const dir = workDir();
    let commits = 0;
    const seen: { spans: number }[] = [];
    const store = await MemoryStore.open(path.join(dir, 'm.duckdb'), {
      beforeCommit: async (b) => {
        seen.push({ spans: b.spans });
        if (++commits <= 4) throw new Error(`disk full (${commits})`);
      },
    });
    const errors: string[] = [];
    const ing = await Ingestor.start({ store, spoolDir: path.join(dir, 'spool'), decode, onError: (e) => errors.push(e.message) });
    await ing.submit(1, payload(0, 5).body, payload(0, 5).decoded);
    await ing.idle();
    // Three attempts, the attempt without the suspect frame (0 spans) failing too, then the frame again.
    expect(seen).toEqual([{ spans: 5 }, { spans: 5 }, { spans: 5 }, { spans: 0 }, { spans: 5 }]);
    expect(errors).toEqual(['disk full (1)', 'disk full (2)', 'disk full (3)', 'disk full (4)']);
    expect(await count(store)).toEqual({ n: 5, d: 5 });
    expect(ing.status()).toMatchObject({ checkpoint: { lastSeq: 1, spans: 5 }, quarantine: { frames: 0 }, lastError: null });
    await ing.close();
    await store.close();
  });
});

