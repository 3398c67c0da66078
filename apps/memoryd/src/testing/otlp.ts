import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

/**
 * Test payloads: spans as the OTel SDK hands them to its exporter
 * (ReadableSpan's shape), encoded by the exporter's own serializers from
 * @opentelemetry/otlp-transformer — the bytes an OTLP/HTTP exporter sends.
 */
export interface SpanSpec {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** API SpanKind (0 internal … 4 consumer); OTLP adds 1. */
  kind?: number;
  /** [seconds, nanoseconds], as the SDK keeps times. */
  start: [number, number];
  end: [number, number];
  attributes?: Record<string, unknown>;
  events?: { name: string; time: [number, number]; attributes?: Record<string, unknown> }[];
  status?: { code: 0 | 1 | 2; message?: string };
}

export interface ResourceSpec {
  attributes: Record<string, unknown>;
}

type Serializable = Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0];

/** Spans of one resource and one scope, in the SDK's ReadableSpan shape. */
export function readableSpans(resource: ResourceSpec, specs: SpanSpec[], scope = { name: 'govern', version: '0.1.0' }): Serializable {
  return specs.map((s) => ({
    name: s.name,
    kind: s.kind ?? 0,
    spanContext: () => ({ traceId: s.traceId, spanId: s.spanId, traceFlags: 1 }),
    parentSpanContext: s.parentSpanId ? { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: 1 } : undefined,
    startTime: s.start,
    endTime: s.end,
    status: s.status ?? { code: 0 },
    attributes: s.attributes ?? {},
    links: [],
    events: (s.events ?? []).map((e) => ({ name: e.name, time: e.time, attributes: e.attributes ?? {}, droppedAttributesCount: 0 })),
    duration: [0, 0],
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  })) as unknown as Serializable;
}

export function protobufPayload(spans: Serializable): Buffer {
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
}

export function jsonPayload(spans: Serializable): Buffer {
  return Buffer.from(JsonTraceSerializer.serializeRequest(spans)!);
}

const BASE_S = 1_771_000_000; // 2026-02-13, seconds

/** `n` spans numbered from `first`: 4 per trace, every 3rd failed, every 5th with a guard denial. */
export function numberedSpans(first: number, n: number): SpanSpec[] {
  return Array.from({ length: n }, (_, k) => {
    const i = first + k;
    const trace = Math.floor(i / 4);
    return {
      traceId: (trace + 1).toString(16).padStart(32, '0'),
      spanId: (i + 1).toString(16).padStart(16, '0'),
      ...(i % 4 ? { parentSpanId: (trace * 4 + 1).toString(16).padStart(16, '0') } : {}),
      name: `govern.stage-${i % 4}`,
      start: [BASE_S + trace, i % 4] as [number, number],
      end: [BASE_S + trace, 1000 + i] as [number, number],
      attributes: { 'govern.run.id': `run-${trace}`, 'govern.stage': 'write', 'govern.item.id': `LM-${(i % 9) + 1}`, ...(i % 3 === 0 ? { reason_code: 'check-failed' } : {}) },
      events: i % 5 === 0 ? [{ name: 'guard.denied', time: [BASE_S + trace, 500] as [number, number], attributes: { policy_reason_code: 'gate-disabled' } }] : [],
      status: i % 3 === 0 ? { code: 2 as const, message: 'exit 1' } : { code: 0 as const },
    };
  });
}
