import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MemoryApiError, MemoryClient } from '@govern/memory-store';
import { describe, expect, it } from 'vitest';
import { isLoopback } from '@govern/http-service';
import { MemorydConfigError } from './config.js';
import { startMemoryd } from './daemon.js';
import { storeWorkerScript, tempDb, tempMemoryd } from './testing/daemon.js';
import { spawnDaemon } from './testing/process.js';
import { jsonPayload, numberedSpans, protobufPayload, readableSpans } from './testing/otlp.js';

const TOKEN = 's3cret-memoryd-token';
/** Long enough (32 bytes or more) for a non-loopback bind. */
const LONG_TOKEN = 's3cret-memoryd-token-for-a-network-bind';

/** google.rpc.Status from protobuf: field 1 the code, field 2 the message. */
function decodeProtobufStatus(b: Buffer): { code: number; message: string } {
  let pos = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const x = b[pos++]!;
      v |= (x & 0x7f) << shift;
      if (x < 0x80) return v;
    }
  };
  const out = { code: 0, message: '' };
  while (pos < b.length) {
    const tag = varint();
    if (tag === 0x08) out.code = varint();
    else if (tag === 0x12) {
      const len = varint();
      out.message = b.subarray(pos, pos + len).toString('utf8');
      pos += len;
    } else throw new Error(`unexpected tag ${tag}`);
  }
  return out;
}
const spans = (first: number) => readableSpans({ attributes: { 'service.name': 'govern' } }, numberedSpans(first, 4));
const post = (url: string, body: Buffer, type: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/traces`, { method: 'POST', body, headers: { 'content-type': type, ...headers } });

describe('a bearer token', () => {
  it('every request without it, or with another, is refused with 401 in the encoding of its path; with it, ingest and the API work', async () => {
    const d = await tempMemoryd('memoryd-auth-', { token: TOKEN });
    const pb = await post(d.url, protobufPayload(spans(0)), 'application/x-protobuf');
    expect([pb.status, pb.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="memoryd"']);
    expect(decodeProtobufStatus(Buffer.from(await pb.arrayBuffer()))).toMatchObject({ code: 16, message: expect.stringContaining('missing or wrong bearer token') });
    const js = await post(d.url, jsonPayload(spans(0)), 'application/json', { authorization: 'Bearer not-the-token' });
    expect([js.status, ((await js.json()) as { code: number }).code]).toEqual([401, 16]);
    const api = await fetch(`${d.url}/v1/memory/health`);
    expect([api.status, ((await api.json()) as { error: { code: string } }).error.code]).toEqual([401, 'unauthorized']);
    expect((await fetch(`${d.url}/health`, { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } })).status).toBe(401);
    expect(d.status().received.frames).toBe(0);

    expect((await post(d.url, protobufPayload(spans(0)), 'application/x-protobuf', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    // The real exporter, with the header an operator configures (OTEL_EXPORTER_OTLP_HEADERS sets the same).
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ProtobufTraceExporter({ url: `${d.url}/v1/traces`, headers: { authorization: `Bearer ${TOKEN}` } }))], resource: resourceFromAttributes({ 'service.name': 'govern' }) });
    provider.getTracer('t').startSpan('exported').end();
    await provider.forceFlush();
    await provider.shutdown();
    await d.idle();
    expect(d.status().checkpoint.spans).toBe(5);

    expect((await new MemoryClient({ url: d.url, token: TOKEN }).health()).checkpoint.spans).toBe(5);
    const refused = await new MemoryClient({ url: d.url }).health().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MemoryApiError);
    expect([(refused as MemoryApiError).code, (refused as MemoryApiError).status]).toEqual(['unauthorized', 401]);
    expect(JSON.stringify((refused as MemoryApiError).details) + (refused as MemoryApiError).message).not.toContain(TOKEN);
  });

  it('is required to listen anywhere but loopback', async () => {
    await expect(startMemoryd({ db: tempDb('memoryd-auth-'), host: '0.0.0.0', port: 0 })).rejects.toBeInstanceOf(MemorydConfigError);
    await expect(startMemoryd({ db: tempDb('memoryd-auth-'), host: '0.0.0.0', port: 0, token: '  ' })).rejects.toThrow();
    // Reachable from the network, a token under 32 bytes is refused too (the kernel's rule, as StateHub's), naming its length only.
    const short = await startMemoryd({ db: tempDb('memoryd-auth-'), host: '0.0.0.0', port: 0, token: TOKEN }).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(MemorydConfigError);
    expect((short as MemorydConfigError).toJSON()).toEqual({
      code: 'memoryd-config',
      message: `refusing to listen on 0.0.0.0 with a ${TOKEN.length}-byte token: a non-loopback memoryd needs a token of at least 32 bytes (e.g. openssl rand -hex 32)`,
      details: { host: '0.0.0.0', tokenBytes: TOKEN.length, minTokenBytes: 32 },
    });
    const d = await tempMemoryd('memoryd-auth-', { host: '0.0.0.0', token: LONG_TOKEN }, 'main');
    expect(d.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    expect(['127.0.0.1', '127.8.9.1', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'].filter((h) => !isLoopback(h))).toEqual([]);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.org', '128.0.0.1'].filter((h) => isLoopback(h))).toEqual([]);
  });

  it('the command line takes it from the environment (--token-env, default MEMORYD_TOKEN) and refuses a network address without it', async () => {
    const db = tempDb('memoryd-auth-');
    // 'exit' can come before the last of stderr: read it once the stream has ended.
    const stderrAfterExit = async (p: ReturnType<typeof spawnDaemon>) => {
      if (!p.proc.stderr.readableEnded) await new Promise((r) => p.proc.stderr.once('end', r));
      return p.stderr();
    };
    const open = spawnDaemon(storeWorkerScript(), ['--db', db, '--host', '0.0.0.0']);
    expect((await open.exited).code).toBe(2);
    expect(await stderrAfterExit(open)).toContain('refusing to listen on 0.0.0.0 without a token');
    const unset = spawnDaemon(storeWorkerScript(), ['--db', db, '--token-env', 'MEMORYD_TEST_NO_SUCH_VAR']);
    expect((await unset.exited).code).toBe(2);
    expect(await stderrAfterExit(unset)).toContain('the environment variable MEMORYD_TEST_NO_SUCH_VAR is not set');

    const d = spawnDaemon(storeWorkerScript(), ['--db', db], { MEMORYD_TOKEN: TOKEN });
    try {
      const listening = await d.waitFor('listening');
      expect(listening).toMatchObject({ auth: 'bearer' });
      expect(JSON.stringify(d.events) + d.stderr()).not.toContain(TOKEN);
      const url = listening.url as string;
      expect((await fetch(`${url}/health`)).status).toBe(401);
      expect((await fetch(`${url}/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      d.proc.kill('SIGTERM');
      expect((await d.exited).code).toBe(0);
    }
  }, 30_000);
});
