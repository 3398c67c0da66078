import fs from 'node:fs';
import path from 'node:path';
import { context, diag, DiagLogLevel, SpanStatusCode, trace, type DiagLogger } from '@opentelemetry/api';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonLogsSerializer, JsonMetricsSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import type { Memoryd } from './daemon.js';
import { DROPPED_MESSAGE } from './server.js';
import { tempMemoryd } from './testing/daemon.js';

// memoryd as a normal OTLP endpoint (issue 17): the OpenTelemetry JS SDK, configured with
// memoryd as its one endpoint, exports traces, metrics and logs over OTLP/HTTP, in JSON and
// in protobuf, to a real memoryd on 127.0.0.1. Every export must succeed as the SDK judges
// it (no error through its diag logger, flushes resolve); traces are stored and found by
// service and by trace id; metrics and logs are answered as dropped, and stored nowhere.

const lines: { level: string; text: string }[] = [];
const capture = (level: string) => (message: string, ...args: unknown[]) => lines.push({ level, text: [message, ...args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a)))].join(' ') });
const logger: DiagLogger = { error: capture('error'), warn: capture('warn'), info: capture('info'), debug: capture('debug'), verbose: capture('verbose') };
diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
afterAll(() => diag.disable());

const SECRET = 'hunter2-in-a-log-body';
const resource = resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.4.0' });

async function exportAll(d: Memoryd): Promise<{ traceId: string }> {
  const traces = new BasicTracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor(new JsonTraceExporter({ url: `${d.url}/v1/traces` })), new SimpleSpanProcessor(new ProtoTraceExporter({ url: `${d.url}/v1/traces` }))],
  });
  const tracer = traces.getTracer('checkout-http', '2.0.0');
  // Explicit start times a millisecond apart: two spans started in the same tick can share one.
  const t0 = Date.now() - 1000;
  const parent = tracer.startSpan('POST /cart', { startTime: t0 });
  const traceId = parent.spanContext().traceId;
  // The parent given as context explicitly: no context manager is registered here.
  const child = tracer.startSpan('SELECT carts', { startTime: t0 + 1 }, trace.setSpan(context.active(), parent));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock' });
  child.end();
  parent.end();
  await traces.forceFlush();

  const meters = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({ exporter: new JsonMetricExporter({ url: `${d.url}/v1/metrics` }), exportIntervalMillis: 60_000 }),
      new PeriodicExportingMetricReader({ exporter: new ProtoMetricExporter({ url: `${d.url}/v1/metrics` }), exportIntervalMillis: 60_000 }),
    ],
  });
  const meter = meters.getMeter('checkout-metrics');
  meter.createCounter('carts.created').add(3, { region: 'eu' });
  meter.createHistogram('cart.value').record(42.5);
  meter.createObservableGauge('queue.depth').addCallback((r) => r.observe(7));
  // forceFlush rejects when an export fails (PeriodicExportingMetricReader).
  await meters.forceFlush();

  const logs = new LoggerProvider({
    resource,
    processors: [new SimpleLogRecordProcessor({ exporter: new JsonLogExporter({ url: `${d.url}/v1/logs` }) }), new SimpleLogRecordProcessor({ exporter: new ProtoLogExporter({ url: `${d.url}/v1/logs` }) })],
  });
  const log = logs.getLogger('checkout-logs');
  log.emit({ body: `login failed for admin, password=${SECRET}`, severityText: 'WARN', attributes: { 'user.email': 'jane@example.org' } });
  log.emit({ body: 'cart saved' });
  await logs.forceFlush();
  await Promise.all([traces.shutdown(), meters.shutdown(), logs.shutdown()]);
  return { traceId };
}

async function query(d: Memoryd, body: unknown) {
  const r = await fetch(`${d.url}/v1/memory/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as { rows: Record<string, unknown>[] } };
}

describe('an OpenTelemetry SDK exporting traces, metrics and logs to memoryd', () => {
  it('logs no export error; the traces are found by service and trace id, metrics and logs are answered as dropped and stored nowhere', async () => {
    const memorydLog: string[] = [];
    // The store on the main thread: no worker bundle to build, the same receiver and store.
    const d = await tempMemoryd('memoryd-sdk-', {}, 'main', { log: (l) => memorydLog.push(l) });
    const { traceId } = await exportAll(d);
    await d.idle();

    // No error at all; the only warnings are the partial successes of the dropped signals.
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    const warns = lines.filter((l) => l.level === 'warn').map((l) => l.text);
    expect(warns.length).toBeGreaterThan(0);
    for (const w of warns) expect(w).toMatch(/^Received Partial Success response: \{"(rejectedDataPoints|rejectedLogRecords)":"?\d+"?,"errorMessage":"memoryd stores traces only/);

    // Each span twice (two exporters): stored once; the foreign service's name and spans are there.
    const spans = await query(d, { primitive: 'recent_spans', filters: { service_name: 'checkout' } });
    expect(spans.status).toBe(200);
    // Newest first: the child started after its parent.
    expect(spans.body.rows.map((r) => [r.service_name, r.name, r.outcome, r.scope_name])).toEqual([
      ['checkout', 'SELECT carts', 'failed', 'checkout-http'],
      ['checkout', 'POST /cart', 'ok', 'checkout-http'],
    ]);
    expect((await query(d, { primitive: 'recent_spans', filters: { service_name: 'billing' } })).body.rows).toEqual([]);

    const found = await query(d, { primitive: 'trace_spans', filters: { trace_id: traceId } });
    expect(found.body.rows.map((r) => [r.name, r.status_code, r.status_message, r.trace_id])).toEqual([
      ['POST /cart', 'unset', null, traceId],
      ['SELECT carts', 'error', 'deadlock', traceId],
    ]);
    expect(found.body.rows[1]!.parent_span_id).toBe(found.body.rows[0]!.span_id);

    // The log body's secret reached neither the database, nor the spool, nor memoryd's log.
    const files = [d.config.db, ...fs.readdirSync(d.config.spoolDir).map((f) => path.join(d.config.spoolDir, f))];
    for (const f of files) if (fs.existsSync(f)) expect(fs.readFileSync(f).includes(SECRET)).toBe(false);
    expect(memorydLog.join('\n')).not.toContain(SECRET);
    // One line per (signal, service), however many exports.
    expect(memorydLog.filter((l) => l.includes('answered as dropped'))).toEqual([
      'memoryd: metrics from "checkout" are answered as dropped (partial success): memoryd stores traces only',
      'memoryd: logs from "checkout" are answered as dropped (partial success): memoryd stores traces only',
    ]);
  });

  it('answers each dropped request 200 with the response the SDK decodes: rejected counts and why, in JSON and protobuf', async () => {
    const d = await tempMemoryd('memoryd-sdk-', {}, 'main');
    const post = (route: string, body: Uint8Array, type: string) => fetch(`${d.url}${route}`, { method: 'POST', headers: { 'content-type': type }, body });
    const scope = { name: 's', version: '1' };
    const gauge = { descriptor: { name: 'g', description: '', unit: '', type: 'OBSERVABLE_GAUGE', valueType: 1 }, aggregationTemporality: 1, dataPointType: 2, isMonotonic: false, dataPoints: [1, 2, 3].map((v) => ({ startTime: [1, 0], endTime: [2, 0], attributes: {}, value: v })) };
    const metrics = { resource, scopeMetrics: [{ scope, metrics: [gauge] }] } as unknown as Parameters<typeof JsonMetricsSerializer.serializeRequest>[0];
    const record = { hrTime: [1, 0], hrTimeObserved: [1, 0], body: 'x', attributes: {}, resource, instrumentationScope: scope, droppedAttributesCount: 0, spanContext: undefined };
    const logs = [record, record] as unknown as Parameters<typeof JsonLogsSerializer.serializeRequest>[0];
    for (const [route, serializer, type, data, expected] of [
      ['/v1/metrics', JsonMetricsSerializer, 'application/json', metrics, { rejectedDataPoints: '3', errorMessage: DROPPED_MESSAGE.metrics }],
      ['/v1/metrics', ProtobufMetricsSerializer, 'application/x-protobuf', metrics, { rejectedDataPoints: 3, errorMessage: DROPPED_MESSAGE.metrics }],
      ['/v1/logs', JsonLogsSerializer, 'application/json', logs, { rejectedLogRecords: '2', errorMessage: DROPPED_MESSAGE.logs }],
      ['/v1/logs', ProtobufLogsSerializer, 'application/x-protobuf', logs, { rejectedLogRecords: 2, errorMessage: DROPPED_MESSAGE.logs }],
    ] as const) {
      const s = serializer as unknown as { serializeRequest(d: unknown): Uint8Array; deserializeResponse(b: Uint8Array): { partialSuccess?: Record<string, unknown> } };
      const r = await post(route, s.serializeRequest(data), type);
      expect([route, type, r.status, r.headers.get('content-type')]).toEqual([route, type, 200, type]);
      const decoded = s.deserializeResponse(new Uint8Array(await r.arrayBuffer()));
      // protobufjs decodes int64 as a Long: compared as a number.
      const partial = Object.fromEntries(Object.entries(decoded.partialSuccess ?? {}).map(([k, v]) => [k, typeof v === 'object' && v !== null ? Number(v) : v]));
      expect(partial).toEqual(expected);
    }
    // Nothing to drop: full success. Not an export request: 400, as for traces. GET: 405.
    const empty = await post('/v1/logs', Buffer.from('{"resourceLogs":[]}'), 'application/json');
    expect([empty.status, await empty.json()]).toEqual([200, {}]);
    const bad = await post('/v1/metrics', Buffer.from('{"resourceMetrics":{}}'), 'application/json');
    expect([bad.status, await bad.json()]).toEqual([400, { code: 3, message: 'resourceMetrics is not an array of objects' }]);
    expect((await post('/v1/logs', Buffer.from([0x0a, 0x50, 0x01]), 'application/x-protobuf')).status).toBe(400);
    expect((await fetch(`${d.url}/v1/metrics`)).status).toBe(405);
  });
});
