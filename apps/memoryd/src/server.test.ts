import zlib from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { EVENT_FACTS_ORDER, readFrames, TASK_FACTS_ORDER } from '@govern/memory-store';
import { describe, expect, it } from 'vitest';
import type { Memoryd } from './daemon.js';
import { tempMemoryd } from './testing/daemon.js';
import { jsonPayload, numberedSpans, protobufPayload, readableSpans } from './testing/otlp.js';

const memoryd = (extra: Parameters<typeof tempMemoryd>[1] = {}): Promise<Memoryd> => tempMemoryd('memoryd-', extra);

function post(d: Memoryd, body: Buffer, contentType: string, headers: Record<string, string> = {}, route = '/v1/traces') {
  return fetch(`${d.url}${route}`, { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });
}
const PB = 'application/x-protobuf';
const JSON_T = 'application/json';
const pid = (n: number) => ({ attributes: { 'service.name': 'govern', 'process.pid': n, 'host.id': `host-${n}` } });

async function facts(d: Memoryd) {
  return {
    tasks: await d.store.all(`SELECT * EXCLUDE (resource_volatile) FROM task_facts ORDER BY ${TASK_FACTS_ORDER}`),
    events: await d.store.all(`SELECT * FROM event_facts ORDER BY ${EVENT_FACTS_ORDER}`),
    resources: await d.store.all('SELECT * FROM resources ORDER BY resource_key'),
  };
}

describe('POST /v1/traces', () => {
  it('accepts protobuf and JSON, answers as OTLP expects, and stores the facts', async () => {
    const d = await memoryd();
    const pb = await post(d, protobufPayload(readableSpans(pid(1), numberedSpans(0, 20))), PB);
    expect([pb.status, pb.headers.get('content-type'), (await pb.arrayBuffer()).byteLength]).toEqual([200, PB, 0]);
    const js = await post(d, jsonPayload(readableSpans(pid(1), numberedSpans(20, 20))), `${JSON_T}; charset=utf-8`);
    expect([js.status, await js.json()]).toEqual([200, {}]);
    const gz = await post(d, zlib.gzipSync(protobufPayload(readableSpans(pid(1), numberedSpans(40, 10)))), PB, { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(200);
    await d.idle();
    const f = await facts(d);
    expect(f.tasks).toHaveLength(50);
    expect(f.tasks.filter((t) => t.failure_reason_code === 'check-failed').map((t) => t.failure_reason_source)).toEqual(Array(17).fill('reason_code'));
    expect(f.events.map((e) => [e.is_guard_denial, e.policy_reason_code])).toEqual(Array(10).fill([true, 'gate-disabled']));
    const health = await (await fetch(`${d.url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', received: { frames: 3, spans: 50 }, queued: { frames: 0, spans: 0 }, checkpoint: { lastSeq: 3, spans: 50, events: 10 } });
  });

  it('spools a protobuf payload as received only when it holds nothing the redacted spans do not', async () => {
    const d = await memoryd();
    const clean = protobufPayload(readableSpans(pid(1), numberedSpans(0, 4)));
    const secret = readableSpans(pid(1), numberedSpans(4, 1));
    (secret[0] as unknown as { attributes: Record<string, unknown> }).attributes['git.author'] = 'jane.doe@example.org';
    for (const [body, type] of [[clean, PB], [protobufPayload(secret), PB], [jsonPayload(readableSpans(pid(1), numberedSpans(5, 1))), JSON_T]] as const) {
      expect((await post(d, body, type)).status).toBe(200);
    }
    await d.idle();
    const dir = d.config.spoolDir;
    const frames = fs.readdirSync(dir).flatMap((f) => readFrames(fs.readFileSync(path.join(dir, f))).frames);
    // 2: the protobuf bytes received; 3: memoryd's encoding of the redacted spans.
    expect(frames.map((f) => [f.seq, f.kind])).toEqual([[1, 2], [2, 3], [3, 3]]);
    expect(frames[0]!.body.equals(clean)).toBe(true);
    expect(frames[1]!.body.includes('jane.doe')).toBe(false);
    expect((await d.store.all("SELECT count(*)::INT AS n FROM task_facts WHERE attributes LIKE '%[REDACTED:email]%'"))[0]).toEqual({ n: 1 });
  });

  it('partial success names the rejected spans; a request of only bad spans, or not a request, is 400', async () => {
    const d = await memoryd();
    const body = JSON.parse(jsonPayload(readableSpans(pid(1), numberedSpans(0, 3))).toString());
    body.resourceSpans[0].scopeSpans[0].spans[1].traceId = 'xyz';
    const r = await post(d, Buffer.from(JSON.stringify(body)), JSON_T);
    expect([r.status, await r.json()]).toEqual([200, { partialSuccess: { rejectedSpans: '1', errorMessage: 'span with a missing or invalid traceId/spanId' } }]);
    body.resourceSpans[0].scopeSpans[0].spans = [body.resourceSpans[0].scopeSpans[0].spans[1]];
    const bad = await post(d, Buffer.from(JSON.stringify(body)), JSON_T);
    expect([bad.status, await bad.json()]).toEqual([400, { code: 3, message: 'every span was rejected: span with a missing or invalid traceId/spanId' }]);
    const junk = await post(d, Buffer.from([0x0a, 0x50, 0x01]), PB);
    expect([junk.status, junk.headers.get('content-type')]).toEqual([400, PB]);
    const empty = await post(d, Buffer.from('{"resourceSpans":[]}'), JSON_T);
    expect([empty.status, await empty.json()]).toEqual([200, {}]);
    await d.idle();
    expect(d.status().checkpoint).toMatchObject({ lastSeq: 1, spans: 2 });
  });

  it('refuses what it cannot take: content type, encoding, size, other paths and methods', async () => {
    const d = await memoryd({ maxBodyBytes: 1000 });
    expect((await post(d, Buffer.from('x'), 'text/plain')).status).toBe(415);
    expect((await post(d, Buffer.from('x'), PB, { 'content-encoding': 'br' })).status).toBe(415);
    expect((await post(d, Buffer.alloc(5000), PB)).status).toBe(413);
    expect((await post(d, zlib.gzipSync(Buffer.alloc(5000)), PB, { 'content-encoding': 'gzip' })).status).toBe(413);
    // Metrics and logs are answered (sdk.test.ts); a path that is no signal is not.
    const other = await post(d, Buffer.from('{}'), JSON_T, {}, '/v1/profiles');
    expect([other.status, await other.json()]).toEqual([404, { code: 12, message: 'no route POST /v1/profiles' }]);
    expect((await fetch(`${d.url}/v1/traces`)).status).toBe(405);
  });
});

describe('replay stability', () => {
  it('the same snapshot, ingested twice (once per encoding, from two processes), gives the facts of ingesting it once', async () => {
    const snapshot = numberedSpans(0, 40);
    const once = await memoryd();
    expect((await post(once, protobufPayload(readableSpans(pid(1), snapshot)), PB)).status).toBe(200);
    await once.idle();

    const twice = await memoryd();
    // Another batching, another encoding, another pid and host id: same facts.
    expect((await post(twice, jsonPayload(readableSpans(pid(2), snapshot.slice(0, 25))), JSON_T)).status).toBe(200);
    await twice.idle();
    expect((await post(twice, protobufPayload(readableSpans(pid(3), snapshot.slice(25))), PB)).status).toBe(200);
    await twice.idle();
    expect((await post(twice, protobufPayload(readableSpans(pid(4), [...snapshot].reverse())), PB)).status).toBe(200);
    await twice.idle();

    expect(await facts(twice)).toEqual(await facts(once));
    expect(twice.status()).toMatchObject({ checkpoint: { lastSeq: 3, spans: 40 }, dedupeBatches: 1 });
  });
});
