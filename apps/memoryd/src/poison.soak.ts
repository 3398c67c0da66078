import { HealthResponseSchema, Spool } from '@govern/memory-store';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Memoryd } from './daemon.js';
import { storeWorkerScript, tempDb, tempMemoryd } from './testing/daemon.js';
import { deepJsonPayload, deepProtobufPayload, jsonPayload, numberedSpans, protobufPayload, readableSpans, type DeepIn } from './testing/otlp.js';

// Soak (npx nx run @govern/memoryd:soak): payloads that can never be ingested, at random,
// among good ones from concurrent senders, against a real memoryd on 127.0.0.1 with its
// store in a worker thread. Whatever they hold, a bad payload is answered 400 (never 5xx,
// never 200 with its spans lost), ingest never stalls, and every good span is stored once.

const PB = 'application/x-protobuf';
const JSON_T = 'application/json';
const resource = { attributes: { 'service.name': 'govern' } };

/** mulberry32: a seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'good' | 'deep' | 'truncated' | 'garbage';

/** One payload: what it is, its bytes, its content type, and the good spans it carries. */
function payload(r: () => number, first: number): { kind: Kind; body: Buffer; type: string; spans: number } {
  const x = r();
  const json = r() < 0.5;
  const n = 50 + Math.floor(r() * 200);
  const good = readableSpans(resource, numberedSpans(first, n));
  if (x < 0.6) return { kind: 'good', body: json ? jsonPayload(good) : protobufPayload(good), type: json ? JSON_T : PB, spans: n };
  if (x < 0.85) {
    const depth = 33 + Math.floor(r() ** 3 * 20_000);
    const opts = { maps: r() < 0.5, in: (['span', 'event', 'resource'] as DeepIn[])[Math.floor(r() * 3)]! };
    return { kind: 'deep', body: json ? deepJsonPayload(depth, opts) : deepProtobufPayload(depth, opts), type: json ? JSON_T : PB, spans: 0 };
  }
  if (x < 0.95) {
    const full = protobufPayload(good);
    // Cut inside the last span (a cut between whole spans can still be a valid request).
    return { kind: 'truncated', body: full.subarray(0, full.length - 1 - Math.floor(r() * 40)), type: PB, spans: 0 };
  }
  const bytes = Buffer.alloc(1 + Math.floor(r() * 2000));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
  return { kind: 'garbage', body: bytes, type: r() < 0.5 ? JSON_T : PB, spans: 0 };
}

/** Posts until it is not 503 (an exporter retries 503); returns the final status. */
async function send(d: Memoryd, body: Buffer, type: string): Promise<number> {
  for (;;) {
    const res = await fetch(`${d.url}/v1/traces`, { method: 'POST', body, headers: { 'content-type': type } });
    await res.arrayBuffer();
    if (res.status !== 503) return res.status;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function storedSpans(d: Memoryd): Promise<{ n: number; distinct: number }> {
  const [row] = await d.store.all('SELECT count(*)::INT AS n, count(DISTINCT (trace_id, span_id))::INT AS distinct FROM task_facts');
  return row as { n: number; distinct: number };
}

/** Four senders, `each` payloads apiece, span ids from `base` on; returns the good spans sent. */
async function load(d: Memoryd, seed: number, base: number, each: number): Promise<{ good: number; byKind: Record<Kind, number[]> }> {
  const byKind: Record<Kind, number[]> = { good: [], deep: [], truncated: [], garbage: [] };
  let good = 0;
  await Promise.all(
    Array.from({ length: 4 }, async (_, s) => {
      const r = rng(seed * 31 + s);
      for (let i = 0; i < each; i++) {
        // 250 span ids per payload slot: no two payloads share one.
        const p = payload(r, base + (s * each + i) * 250);
        const status = await send(d, p.body, p.type);
        byKind[p.kind].push(status);
        if (p.kind === 'good' && status === 200) good += p.spans;
      }
    }),
  );
  return { good, byKind };
}

describe('soak: payloads that can never be ingested, among good ones', () => {
  beforeAll(() => void storeWorkerScript(), 60_000);

  it('bad payloads are 400, good ones all stored once; a spooled frame that no longer decodes is quarantined across a restart', async () => {
    const db = tempDb('memoryd-poison-soak-');
    const seed = Number(process.env.MEMORYD_SOAK_SEED ?? 11);
    const d = await tempMemoryd('memoryd-poison-soak-', { db, maxBatchSpans: 2000 });
    const first = await load(d, seed, 0, 150);
    expect(first.byKind.good.every((s) => s === 200)).toBe(true);
    for (const k of ['deep', 'truncated', 'garbage'] as const) expect([k, first.byKind[k].filter((s) => s !== 400)]).toEqual([k, []]);
    expect(first.byKind.deep.length).toBeGreaterThan(100);
    await d.idle();
    expect(await storedSpans(d)).toEqual({ n: first.good, distinct: first.good });
    const h1 = HealthResponseSchema.parse(await d.health());
    expect(h1).toMatchObject({ status: 'ok', degraded: [], quarantine: { frames: 0 }, ingest: { lagFrames: 0 } });
    const checkpoint = d.status().checkpoint.lastSeq;
    await d.stop();

    // A frame that no longer decodes, behind the checkpoint (as if spooled by another build).
    const { spool } = await Spool.open(`${db}.spool`, { afterSeq: checkpoint, onDurable: () => undefined });
    await spool.append(2, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), null);
    await spool.close();

    const again = await tempMemoryd('memoryd-poison-soak-', { db, maxBatchSpans: 2000 });
    const second = await load(again, seed + 1, 10_000_000, 60);
    await again.idle();
    expect(await storedSpans(again)).toEqual({ n: first.good + second.good, distinct: first.good + second.good });
    const h2 = HealthResponseSchema.parse(await again.health());
    expect(h2).toMatchObject({ status: 'ok', degraded: [], quarantine: { frames: 1, last: { seq: checkpoint + 1 } } });
    expect(again.status().checkpoint.lastSeq).toBeGreaterThan(checkpoint + 1);
  });
});
