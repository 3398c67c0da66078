import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { outcomeOfChecks } from './attributes.js';
import { phaseTrace, recordRunError, setRunAttributes, telemetryActive, withRunTelemetry, withSpan } from './run.js';

// A real OTLP/HTTP endpoint on loopback: records what it receives and answers as told.
interface Receiver {
  url: string;
  bodies: unknown[];
  close(): Promise<void>;
}
const servers: Receiver[] = [];
async function receiver(answer: 'ok' | 500 | 'hang' = 'ok'): Promise<Receiver> {
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.push(req.headers['content-type'] === 'application/json' ? JSON.parse(body.toString('utf8')) : body);
      if (answer === 'hang') return; // accepted, never answered
      res.writeHead(answer === 'ok' ? 200 : answer, { 'content-type': 'application/json' }).end(answer === 'ok' ? '{}' : '{"code":13,"message":"boom"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const r: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(r);
  return r;
}
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
type OtlpSpan = {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: { key: string; value: OtlpValue }[];
  events: { name: string; attributes: { key: string; value: OtlpValue }[] }[];
  status: { code?: number; message?: string };
};
function spansOf(bodies: unknown[]): OtlpSpan[] {
  return (bodies as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }[]).flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
}
const attrs = (kvs: { key: string; value: OtlpValue }[]) => Object.fromEntries(kvs.map((kv) => [kv.key, kv.value.stringValue ?? kv.value.boolValue ?? Number(kv.value.intValue)]));

describe('without configuration', () => {
  it('runs the function directly and starts nothing', async () => {
    const code = await withRunTelemetry({ env: {} }, async () => {
      expect(telemetryActive()).toBe(false);
      expect(await withSpan('write', {}, () => 42)).toBe(42);
      expect(phaseTrace()).toEqual({});
      return 7;
    });
    expect(code).toBe(7);
  });

  it('an unusable configuration warns and runs the function', async () => {
    const warnings: string[] = [];
    const code = await withRunTelemetry({ env: { GOVERN_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, warn: (w) => warnings.push(w) }, async () => 0);
    expect(code).toBe(0);
    expect(warnings).toEqual(['OTLP protocol "grpc" is not supported (use http/protobuf or http/json); spans are not exported']);
  });
});

describe('a run exported over OTLP/HTTP (JSON)', () => {
  it('every span carries the run attributes, known early or late; failures and denials are separate', async () => {
    const rx = await receiver();
    const env = { GOVERN_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    const code = await withRunTelemetry({ env, runId: 'run-1', serviceVersion: '9.9.9' }, async () => {
      setRunAttributes({ command: 'close', itemId: 'GV-01' });
      const { trace } = phaseTrace();
      trace?.('discover', 3);
      trace?.('parse', 4);
      await withSpan('close', { 'govern.item.id': 'GV-01' }, () => ({ passed: false, failures: [{ code: 'check-failed', message: 'exit 1' }] }), outcomeOfChecks);
      const denied = Object.assign(new Error('gate memory-store is disabled'), { code: 'gate-disabled' });
      await expect(withSpan('gate', {}, () => Promise.reject(denied))).rejects.toBe(denied);
      recordRunError(Object.assign(new Error('lock'), { code: 'lock-timeout' }));
      // Known only now (after the read path), yet on every span.
      setRunAttributes({ documentId: 'govern-tracker' });
      return 1;
    });
    expect(code).toBe(1);

    const spans = spansOf(rx.bodies);
    expect(spans.map((s) => s.name).sort()).toEqual(['govern.close', 'govern.discover', 'govern.gate', 'govern.parse', 'govern.run']);
    const byName = new Map(spans.map((s) => [s.name, s]));
    const run = byName.get('govern.run')!;
    for (const s of spans) {
      expect(attrs(s.attributes), s.name).toMatchObject({ 'govern.run.id': 'run-1', 'govern.command': 'close', 'govern.item.id': 'GV-01', 'govern.document.id': 'govern-tracker' });
      expect(s.traceId).toBe(run.traceId);
      if (s !== run) expect(s.parentSpanId).toBe(run.spanId);
    }
    expect(attrs(run.attributes)).toEqual({
      'govern.run.id': 'run-1',
      'govern.command': 'close',
      'govern.item.id': 'GV-01',
      'govern.document.id': 'govern-tracker',
      'govern.exit_code': 1,
      failure_reason_code: 'lock-timeout',
    });
    expect(attrs(byName.get('govern.discover')!.attributes)).toMatchObject({ 'govern.stage': 'discover', 'govern.phase': 'discover' });
    expect(attrs(byName.get('govern.parse')!.attributes)).toMatchObject({ 'govern.stage': 'parse', 'govern.phase': 'parse' });

    const close = byName.get('govern.close')!;
    expect(attrs(close.attributes)).toMatchObject({ 'govern.stage': 'close', failure_reason_code: 'check-failed' });
    expect(attrs(close.attributes)).not.toHaveProperty('policy_reason_code');
    expect(close.status).toMatchObject({ code: 2, message: 'exit 1' });

    const gate = byName.get('govern.gate')!;
    expect(attrs(gate.attributes)).toMatchObject({ 'govern.stage': 'gate', policy_reason_code: 'gate-disabled' });
    expect(attrs(gate.attributes)).not.toHaveProperty('failure_reason_code');
    expect(gate.events.map((e) => ({ name: e.name, attributes: attrs(e.attributes) }))).toEqual([
      { name: 'guard.denied', attributes: { policy_reason_code: 'gate-disabled', message: 'gate memory-store is disabled' } },
    ]);
  });
});

describe('LM-10: the reason split as written on spans', () => {
  it('a stage that failed and was denied carries both codes, neither overwriting the other; no span or event carries reason_code', async () => {
    const rx = await receiver();
    const env = { GOVERN_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    await withRunTelemetry({ env, runId: 'run-2' }, async () => {
      const checks = { passed: false, failures: [{ code: 'check-failed', message: 'exit 1' }, { code: 'dependencies-not-done', message: 'GV-04 is planned' }] };
      await withSpan('close', {}, () => checks, outcomeOfChecks);
      // A denial recorded after a failure on the run span: the failure stays.
      recordRunError(Object.assign(new Error('lock'), { code: 'lock-timeout' }));
      recordRunError(Object.assign(new Error('gate binder is disabled'), { code: 'gate-disabled' }));
      return 1;
    });
    const spans = spansOf(rx.bodies);
    const reasons = (s: OtlpSpan) => {
      const a = attrs(s.attributes);
      return { failure: a.failure_reason_code, policy: a.policy_reason_code, events: s.events.map((e) => ({ name: e.name, attributes: attrs(e.attributes) })) };
    };
    expect(Object.fromEntries(spans.map((s) => [s.name, reasons(s)]))).toEqual({
      'govern.close': { failure: 'check-failed', policy: 'dependencies-not-done', events: [{ name: 'guard.denied', attributes: { policy_reason_code: 'dependencies-not-done', message: 'GV-04 is planned' } }] },
      'govern.run': {
        failure: 'lock-timeout',
        policy: 'gate-disabled',
        events: [{ name: 'guard.denied', attributes: { policy_reason_code: 'gate-disabled', message: 'gate binder is disabled' } }],
      },
    });
    const keys = spans.flatMap((s) => [...s.attributes, ...s.events.flatMap((e) => e.attributes)].map((kv) => kv.key));
    expect(keys.filter((k) => k === 'reason_code')).toEqual([]);
    expect(keys).toContain('failure_reason_code'); // the filter above sees reason attributes when there are some
  });
});

describe('a collector that is down or failing costs at most the flush timeout', () => {
  const FLUSH = 300;
  // Generous: the bound is FLUSH; the rest is scheduling on a loaded 2-core machine.
  const LIMIT = FLUSH + 2700;

  async function timedRun(url: string): Promise<{ ms: number; code: number }> {
    const env = { GOVERN_OTLP_ENDPOINT: url, GOVERN_OTLP_FLUSH_TIMEOUT_MS: String(FLUSH) };
    const t0 = performance.now();
    const code = await withRunTelemetry({ env }, async () => {
      await withSpan('write', {}, () => undefined);
      return 0;
    });
    return { ms: performance.now() - t0, code };
  }

  it('answers 500', async () => {
    const rx = await receiver(500);
    const r = await timedRun(rx.url);
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(LIMIT);
    expect(rx.bodies.length).toBeGreaterThan(0); // it was really called
  });

  it('is down (connection refused)', async () => {
    const rx = await receiver();
    const url = rx.url;
    await rx.close();
    const r = await timedRun(url);
    expect(r).toMatchObject({ code: 0 });
    expect(r.ms).toBeLessThan(LIMIT);
  });

  it('accepts and never answers', async () => {
    const rx = await receiver('hang');
    const r = await timedRun(rx.url);
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(LIMIT);
    // Without the bound, the exporter's own default would wait 10 s.
    expect(r.ms).toBeGreaterThanOrEqual(FLUSH - 50);
  });
});
