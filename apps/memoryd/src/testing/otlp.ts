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

/** Where {@link deepJsonPayload} and {@link deepProtobufPayload} put the deep value: a span attribute, a span event's, or the resource's. */
export type DeepIn = 'span' | 'event' | 'resource';

/**
 * A request of one span whose attribute `deep` (in the span, its event or its resource)
 * nests `depth` arrays — or arrays and maps in turn, with `maps` — around a string, as
 * OTLP/JSON. Built as text: JSON.stringify itself overflows the stack on a deep value.
 */
export function deepJsonPayload(depth: number, opts: { maps?: boolean; in?: DeepIn } = {}): Buffer {
  type Doc = { resourceSpans: { resource: { attributes: unknown[] }; scopeSpans: { spans: { attributes: unknown[]; events: { attributes: unknown[] }[] }[] }[] }[] };
  // Span 900000: every 5th numbered span has an event.
  const doc = JSON.parse(jsonPayload(readableSpans({ attributes: { 'service.name': 'govern' } }, numberedSpans(900_000, 1))).toString()) as Doc;
  const rs = doc.resourceSpans[0]!;
  const span = rs.scopeSpans[0]!.spans[0]!;
  const list = opts.in === 'resource' ? rs.resource.attributes : opts.in === 'event' ? span.events[0]!.attributes : span.attributes;
  list.push({ key: 'deep', value: '@DEEP@' });
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    if (opts.maps && i % 2) {
      open += '{"kvlistValue":{"values":[{"key":"k","value":';
      close = `}]}}${close}`;
    } else {
      open += '{"arrayValue":{"values":[';
      close = `]}}${close}`;
    }
  }
  return Buffer.from(JSON.stringify(doc).replace('"@DEEP@"', `${open}{"stringValue":"leaf"}${close}`));
}

function pbVarint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const pbField = (n: number, bytes: Buffer) => Buffer.concat([Buffer.from(pbVarint((n << 3) | 2)), Buffer.from(pbVarint(bytes.length)), bytes]);
const pbString = (n: number, s: string) => pbField(n, Buffer.from(s));
function pbFixed64(n: number, v: bigint): Buffer {
  const b = Buffer.alloc(9);
  b[0] = (n << 3) | 1;
  b.writeBigUInt64LE(v, 1);
  return b;
}

/**
 * The AnyValue bytes of {@link deepJsonPayload}'s value: AnyValue.array_value (5) =
 * ArrayValue { values (1) }, or AnyValue.kvlist_value (6) = KeyValueList { values (1) =
 * KeyValue { key (1), value (2) } }. Made in time linear in the depth (the lengths are
 * known from the inside out).
 */
export function deepProtobufValue(depth: number, maps = false): Buffer {
  const leaf = pbString(1, 'leaf');
  const prefixes: Buffer[] = [];
  let size = leaf.length;
  for (let i = 0; i < depth; i++) {
    let p: number[];
    if (maps && i % 2) {
      // KeyValue { key = "k", value = <inner> }, in KeyValueList.values, in AnyValue.kvlist_value.
      const kv = [0x0a, 1, 0x6b, 0x12, ...pbVarint(size)];
      const list = [0x0a, ...pbVarint(kv.length + size)];
      p = [(6 << 3) | 2, ...pbVarint(list.length + kv.length + size), ...list, ...kv];
    } else {
      const list = [0x0a, ...pbVarint(size)];
      p = [(5 << 3) | 2, ...pbVarint(list.length + size), ...list];
    }
    prefixes.push(Buffer.from(p));
    size += p.length;
  }
  return Buffer.concat([...prefixes.reverse(), leaf]);
}

/** {@link deepJsonPayload} as OTLP/protobuf, by hand (the OTel serializer recurses too). */
export function deepProtobufPayload(depth: number, opts: { maps?: boolean; in?: DeepIn } = {}): Buffer {
  // KeyValue { key = "deep", value = AnyValue }: field 9 of Span, 3 of Span.Event, 1 of Resource.
  const kv = Buffer.concat([pbString(1, 'deep'), pbField(2, deepProtobufValue(depth, opts.maps))]);
  const where = opts.in ?? 'span';
  const t0 = 1_771_000_000_000_000_000n;
  const span = Buffer.concat([
    pbField(1, Buffer.from('0000000000000000000000000000abcd', 'hex')),
    pbField(2, Buffer.from('000000000000abcd', 'hex')),
    pbString(5, 'govern.deep'),
    pbFixed64(7, t0),
    pbFixed64(8, t0 + 1000n),
    ...(where === 'span' ? [pbField(9, kv)] : []),
    ...(where === 'event' ? [pbField(11, Buffer.concat([pbFixed64(1, t0 + 10n), pbString(2, 'guard.denied'), pbField(3, kv)]))] : []),
  ]);
  const service = pbField(1, Buffer.concat([pbString(1, 'service.name'), pbField(2, pbString(1, 'govern'))]));
  const resource = pbField(1, Buffer.concat([service, ...(where === 'resource' ? [pbField(1, kv)] : [])]));
  return pbField(1, Buffer.concat([resource, pbField(2, Buffer.concat([pbField(1, pbString(1, 'govern')), pbField(2, span)]))]));
}
