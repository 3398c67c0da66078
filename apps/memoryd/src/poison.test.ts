import fs from 'node:fs';
import path from 'node:path';
import { BackpressureError, HealthResponseSchema, PoisonFrameError, QueryResponseSchema, readFrames, Redactor, Spool, type HealthResponse, type Ingestor } from '@govern/memory-store';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Memoryd } from './daemon.js';
import type { ApiContext } from './api.js';
import { startServer } from './server.js';
import { storeWorkerScript, tempDb, tempMemoryd, type StoreThreadMode } from './testing/daemon.js';
import { deepJsonPayload, deepProtobufPayload, jsonPayload, numberedSpans, protobufPayload, readableSpans } from './testing/otlp.js';

// Payloads that can never be ingested (issue 11, part 4): a real memoryd on 127.0.0.1.
// Before the fix, a span attribute nested 2,000 deep overflowed the stack after the spool
// had given the frame a seq: 503, the frame stuck in the spool, and every later batch
// failed its checkpoint check while /health said ok.

const PB = 'application/x-protobuf';
const JSON_T = 'application/json';
const DEEP = 2000;
const resource = { attributes: { 'service.name': 'govern' } };

function post(d: Memoryd, body: Buffer, contentType: string) {
  return fetch(`${d.url}/v1/traces`, { method: 'POST', body, headers: { 'content-type': contentType } });
}
async function health(d: Memoryd): Promise<HealthResponse> {
  const r = await fetch(`${d.url}/health`);
  expect(r.status).toBe(200);
  return HealthResponseSchema.parse(await r.json());
}
/** The seqs of the frames in memoryd's spool. */
function spooled(d: Memoryd): number[] {
  const dir = d.config.spoolDir;
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => readFrames(fs.readFileSync(path.join(dir, f))).frames.map((x) => x.seq));
}

// numberedSpans: traces start at BASE_S + trace (s); every 3rd span failed, every 5th denied.
const BASE_NS = 1_771_000_000n * 1_000_000_000n;
const WINDOW = { from: String(BASE_NS), to: String(BASE_NS + 86_400n * 1_000_000_000n) };

async function query(d: Memoryd, primitive: string) {
  const r = await fetch(`${d.url}/v1/memory/query`, { method: 'POST', body: JSON.stringify({ primitive, window: WINDOW }), headers: { 'content-type': JSON_T } });
  expect(r.status).toBe(200);
  return QueryResponseSchema.parse(await r.json());
}

describe('a payload that can never be ingested', () => {
  // The store worker's script (memoryd's bundle), built once, outside the tests' time.
  beforeAll(() => void storeWorkerScript(), 30_000);

  it('an attribute nested 2,000 deep is answered 400 before the spool (JSON and protobuf); 6,000 good spans after it are all queryable', async () => {
    const d = await tempMemoryd('memoryd-poison-');
    // Soft: before the fix, what went wrong after these answers is the point.
    const json = await post(d, deepJsonPayload(DEEP), JSON_T);
    expect.soft([json.status, await json.json()]).toEqual([400, { code: 3, message: 'every span was rejected: span with an attribute value nested deeper than 32 levels' }]);
    const pb = await post(d, deepProtobufPayload(DEEP, { maps: true }), PB);
    expect.soft([pb.status, pb.headers.get('content-type')]).toEqual([400, PB]);
    expect.soft(Buffer.from(await pb.arrayBuffer()).toString()).toContain('nested deeper than 32 levels');
    // Beside good spans, only the deep one is refused (OTLP partial success).
    const good = (JSON.parse(jsonPayload(readableSpans(resource, numberedSpans(6000, 1))).toString()) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] }).resourceSpans[0]!.scopeSpans[0]!.spans[0];
    const mixed = await post(d, Buffer.from(deepJsonPayload(DEEP).toString().replace('"spans":[', `"spans":[${JSON.stringify(good)},`)), JSON_T);
    expect.soft([mixed.status, await mixed.json()]).toEqual([200, { partialSuccess: { rejectedSpans: '1', errorMessage: 'span with an attribute value nested deeper than 32 levels' } }]);
    expect.soft(spooled(d)).toEqual([1]);

    // 6,000 good spans, 12 payloads sent at once, both encodings.
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => {
        const spans = readableSpans(resource, numberedSpans(i * 500, 500));
        return i % 2 ? post(d, jsonPayload(spans), JSON_T) : post(d, protobufPayload(spans), PB);
      }),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(12).fill(200));
    // Committed within a few seconds (before the fix, never: every batch failed its checkpoint check).
    await Promise.race([d.idle(), new Promise((r) => setTimeout(r, 2500))]);
    expect(d.status()).toMatchObject({ checkpoint: { lastSeq: 13, spans: 6001 }, queued: { frames: 0 } });
    // All queryable through the memory API: every 3rd of the 6,001 spans failed, every 5th was denied.
    const rollup = await query(d, 'gate_rollup_by_failure_reason_code');
    expect(rollup.rows).toMatchObject([{ stage: 'write', failure_reason_code: 'check-failed', failures: 2001 }]);
    expect(rollup.snapshot.ingestSeq).toBe(13);
    expect((await query(d, 'guard_denials_by_policy_reason_code')).rows).toMatchObject([{ policy_reason_code: 'gate-disabled', denials: 1201 }]);
    expect(await health(d)).toMatchObject({
      status: 'ok',
      degraded: [],
      lastError: null,
      checkpoint: { lastSeq: 13, spans: 6001 },
      ingest: { lagFrames: 0 },
      quarantine: { frames: 0, last: null },
    });
  });

  for (const mode of ['worker', 'main'] as StoreThreadMode[]) {
    it(`a spooled frame that no longer decodes is quarantined with its seq and reason, and the frames after it commit (store in ${mode} thread)`, async () => {
      const db = tempDb('memoryd-poison-');
      const { spool } = await Spool.open(`${db}.spool`, { afterSeq: 0, onDurable: () => undefined });
      const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]);
      await spool.append(2, protobufPayload(readableSpans(resource, numberedSpans(0, 10))), null);
      await spool.append(2, garbage, null);
      await spool.append(2, protobufPayload(readableSpans(resource, numberedSpans(10, 10))), null);
      await spool.close();

      const d = await tempMemoryd('memoryd-poison-', { db }, mode);
      await d.idle();
      expect(d.status().checkpoint).toMatchObject({ lastSeq: 3, spans: 20 });
      const h = await health(d);
      expect(h).toMatchObject({ status: 'ok', quarantine: { frames: 1, last: { seq: 2, kind: 2, bytes: garbage.length } } });
      expect(h.quarantine.last!.reason).toMatch(/^frame 2 does not decode: malformed protobuf: truncated/);
      // The quarantine keeps the frame's bytes and why, next to the spool.
      const q = h.quarantine.dir;
      expect(path.dirname(q)).toBe(d.config.spoolDir);
      expect(fs.readFileSync(path.join(q, '0000000000000002.payload')).equals(garbage)).toBe(true);
      expect(JSON.parse(fs.readFileSync(path.join(q, '0000000000000002.json'), 'utf8'))).toMatchObject({ seq: 2, kind: 2, reason: h.quarantine.last!.reason });

      expect((await post(d, protobufPayload(readableSpans(resource, numberedSpans(20, 5))), PB)).status).toBe(200);
      await d.idle();
      expect(d.status().checkpoint).toMatchObject({ lastSeq: 4, spans: 25 });

      // A restart recovers nothing, and still reports the quarantine.
      await d.stop();
      const again = await tempMemoryd('memoryd-poison-', { db }, mode);
      expect(again.status().recovered.frames).toBe(0);
      expect((await health(again)).quarantine).toMatchObject({ frames: 1, last: { seq: 2 } });
    });
  }

  it('a frame whose batch never commits is isolated and quarantined; the frames after it commit', async () => {
    const errors: string[] = [];
    // The store refuses every batch holding frame 2's rows (as a constraint it violates would).
    const d = await tempMemoryd(
      'memoryd-poison-',
      {},
      'main',
      {
        log: (line) => errors.push(line),
        beforeCommit: async ({ frames, spans }) => {
          if (spans > 0 && frames.firstSeq <= 2 && frames.lastSeq >= 2) throw new Error('frame 2 violates a constraint');
        },
      },
    );
    const answers = await Promise.all([0, 10, 20].map((first) => post(d, protobufPayload(readableSpans(resource, numberedSpans(first, 10))), PB)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    await d.idle();
    expect(d.status().checkpoint).toMatchObject({ lastSeq: 3, spans: 20 });
    expect(errors.some((e) => e.includes('frame 2 violates a constraint'))).toBe(true);
    const h = await health(d);
    expect(h).toMatchObject({ status: 'ok', quarantine: { frames: 1, last: { seq: 2, kind: 2 } } });
    expect(h.quarantine.last!.reason).toMatch(/^frame 2 did not commit in 3 attempts on its own: frame 2 violates a constraint$/);
    expect((await post(d, protobufPayload(readableSpans(resource, numberedSpans(30, 10))), PB)).status).toBe(200);
    await d.idle();
    expect(d.status().checkpoint).toMatchObject({ lastSeq: 4, spans: 30 });
  });

  it('a payload refused after it was spooled is 400 (permanent); only a full queue or a failed spool write is 503 (transient)', async () => {
    const failures: Error[] = [
      new PoisonFrameError(7, 'frame 7: its facts cannot be made: Maximum call stack size exceeded'),
      new BackpressureError('ingest queue is full'),
      Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
    ];
    const logs: string[] = [];
    const ingestor = { submit: () => Promise.reject(failures.shift()!) } as unknown as Ingestor;
    const server = await startServer({ ingestor, redactor: new Redactor(), api: {} as ApiContext, host: '127.0.0.1', port: 0, maxBodyBytes: 1 << 20, log: (l) => logs.push(l) });
    try {
      const body = jsonPayload(readableSpans(resource, numberedSpans(0, 2)));
      const answers = [];
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${server.url}/v1/traces`, { method: 'POST', body, headers: { 'content-type': JSON_T } });
        answers.push([r.status, r.headers.get('retry-after'), await r.json()]);
      }
      expect(answers).toEqual([
        [400, null, { code: 3, message: 'payload cannot be ingested (quarantined as frame 7): frame 7: its facts cannot be made: Maximum call stack size exceeded' }],
        [503, '1', { code: 14, message: 'ingest queue is full' }],
        [503, '1', { code: 14, message: 'ENOSPC: no space left on device, write' }],
      ]);
      expect(logs).toEqual([
        'memoryd: payload refused after it was spooled; frame 7 is quarantined: frame 7: its facts cannot be made: Maximum call stack size exceeded',
        'memoryd: spool write failed: ENOSPC: no space left on device, write',
      ]);
    } finally {
      await server.close();
    }
  });

  it('health is degraded while ingest lags (the oldest acknowledged payload waits too long, or the queue is full) and ok once it caught up', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const d = await tempMemoryd('memoryd-poison-', { degradedLagMs: 150, maxQueuedSpans: 15 }, 'main', { beforeCommit: () => gate });
    expect((await post(d, protobufPayload(readableSpans(resource, numberedSpans(0, 10))), PB)).status).toBe(200);
    expect((await post(d, protobufPayload(readableSpans(resource, numberedSpans(10, 10))), PB)).status).toBe(200);
    expect((await post(d, protobufPayload(readableSpans(resource, numberedSpans(20, 10))), PB)).status).toBe(503);
    await new Promise((r) => setTimeout(r, 200));
    const h = await health(d);
    expect(h.status).toBe('degraded');
    expect(h.degraded.map((x) => x.code)).toEqual(['ingest-lag', 'queue-full']);
    expect(h.degraded[0]!.message).toMatch(/^the oldest acknowledged payload has waited \d+ ms for its commit \(degraded after 150 ms\)$/);
    release();
    await d.idle();
    expect(await health(d)).toMatchObject({ status: 'ok', degraded: [], checkpoint: { lastSeq: 2, spans: 20 } });
  });
});
