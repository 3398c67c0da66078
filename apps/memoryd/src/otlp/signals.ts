import { isAscii } from 'node:buffer';
import { DecodeError } from './common.js';
import type { Wire } from './response.js';

/**
 * The OTLP signals memoryd receives but does not store: metrics and logs
 * (docs/memory.md#metrics-and-logs). An SDK configured with one OTLP endpoint
 * sends all three signals to it; memoryd answers `/v1/metrics` and `/v1/logs`
 * with 200 and an OTLP partial success whose rejected count is every data
 * point or log record of the request, and whose message says why. That is the
 * OTLP answer for "accepted, do not retry, this much was dropped": the
 * exporter counts the export as done instead of failing (and retrying) it.
 *
 * To answer that, a request is walked only as far as counting needs: the
 * envelopes down to the data points or log records, never a value inside them.
 * Nothing of the payload is kept, spooled or logged, so a secret in a log body
 * or a metric attribute reaches neither the disk nor memoryd's log.
 */
export type DroppedSignal = 'metrics' | 'logs';

/** What a dropped request held: the count the partial success reports. */
export interface SignalCount {
  /** Data points (metrics) or log records (logs). */
  items: number;
  /** Distinct `service.name` of the request's resources (at most a few), for memoryd's one log line per service. */
  services: string[];
}

const MAX_SERVICES = 8;

/**
 * Counts the data points of an ExportMetricsServiceRequest or the log records
 * of an ExportLogsServiceRequest. A body that is not such a request is a
 * DecodeError (400), as for traces.
 */
export function countSignal(signal: DroppedSignal, wire: Wire, body: Buffer): SignalCount {
  return wire === 'json' ? countJson(signal, body) : countProtobuf(signal, body);
}

// ---------------------------------------------------------------------------
// OTLP/JSON: lowerCamelCase names (snake_case accepted as well, as for any
// protobuf JSON mapping).
// ---------------------------------------------------------------------------

/** The data kinds of a Metric (each holds `dataPoints`). */
const METRIC_DATA = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'exponential_histogram', 'summary'];

function countJson(signal: DroppedSignal, body: Buffer): SignalCount {
  let doc: unknown;
  try {
    doc = JSON.parse(isAscii(body) ? body.toString('latin1') : body.toString('utf8'));
  } catch (err) {
    throw new DecodeError(`request body is not JSON: ${(err as Error).message}`);
  }
  const what = signal === 'metrics' ? 'ExportMetricsServiceRequest' : 'ExportLogsServiceRequest';
  if (!isObj(doc)) throw new DecodeError(`request body is not an ${what} object`);
  const top = signal === 'metrics' ? field(doc, 'resourceMetrics', 'resource_metrics') : field(doc, 'resourceLogs', 'resource_logs');
  const services = new Set<string>();
  let items = 0;
  for (const r of list(top, signal === 'metrics' ? 'resourceMetrics' : 'resourceLogs')) {
    const svc = jsonService(r.resource);
    if (svc !== null && services.size < MAX_SERVICES) services.add(svc);
    if (signal === 'logs') {
      for (const s of list(field(r, 'scopeLogs', 'scope_logs'), 'scopeLogs')) items += arrayLength(field(s, 'logRecords', 'log_records'), 'logRecords');
      continue;
    }
    for (const s of list(field(r, 'scopeMetrics', 'scope_metrics'), 'scopeMetrics')) {
      for (const m of list(s.metrics, 'metrics')) {
        for (const kind of METRIC_DATA) if (isObj(m[kind])) items += arrayLength(field(m[kind], 'dataPoints', 'data_points'), 'dataPoints');
      }
    }
  }
  return { items, services: [...services] };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function field(o: Record<string, unknown>, camel: string, snake: string): unknown {
  return o[camel] ?? o[snake];
}
/** The objects of an array field (absent: none); anything else is a DecodeError. */
function list(v: unknown, name: string): Record<string, unknown>[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every(isObj)) throw new DecodeError(`${name} is not an array of objects`);
  return v;
}
function arrayLength(v: unknown, name: string): number {
  if (v === undefined || v === null) return 0;
  if (!Array.isArray(v)) throw new DecodeError(`${name} is not an array`);
  return v.length;
}
function jsonService(resource: unknown): string | null {
  if (!isObj(resource) || !Array.isArray(resource.attributes)) return null;
  for (const kv of resource.attributes as unknown[]) {
    if (isObj(kv) && kv.key === 'service.name' && isObj(kv.value)) {
      const s = field(kv.value, 'stringValue', 'string_value');
      if (typeof s === 'string') return s;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// OTLP/protobuf: only the length-delimited envelopes are entered.
//
// ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
//   ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; }
//   ScopeMetrics { repeated Metric metrics = 2; }
//   Metric { Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9;
//            ExponentialHistogram exponential_histogram = 10; Summary summary = 11; }
//   each of those { repeated <DataPoint> data_points = 1; }
// ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
//   ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; }
//   ScopeLogs { repeated LogRecord log_records = 2; }
// Resource { repeated KeyValue attributes = 1; }  KeyValue { string key = 1; AnyValue value = 2; }
// AnyValue { string string_value = 1; }
// ---------------------------------------------------------------------------

const METRIC_DATA_FIELDS = new Set([5, 7, 9, 10, 11]);

function countProtobuf(signal: DroppedSignal, body: Buffer): SignalCount {
  const services = new Set<string>();
  let items = 0;
  for (const [top, r] of messages(body, 0, body.length)) {
    if (top !== 1) continue;
    for (const [f, inner] of messages(body, r.start, r.end)) {
      if (f === 1) {
        const svc = pbService(body, inner.start, inner.end);
        if (svc !== null && services.size < MAX_SERVICES) services.add(svc);
      } else if (f === 2) {
        for (const [g, leaf] of messages(body, inner.start, inner.end)) {
          if (g !== 2) continue;
          if (signal === 'logs') items++;
          else for (const [k, data] of messages(body, leaf.start, leaf.end)) if (METRIC_DATA_FIELDS.has(k)) for (const [p] of messages(body, data.start, data.end)) if (p === 1) items++;
        }
      }
    }
  }
  return { items, services: [...services] };
}

function pbService(buf: Buffer, start: number, end: number): string | null {
  for (const [f, kv] of messages(buf, start, end)) {
    if (f !== 1) continue;
    let key: string | null = null;
    let value: string | null = null;
    for (const [g, x] of messages(buf, kv.start, kv.end)) {
      if (g === 1) key = buf.toString('utf8', x.start, x.end);
      else if (g === 2) for (const [h, s] of messages(buf, x.start, x.end)) if (h === 1) value = buf.toString('utf8', s.start, s.end);
    }
    if (key === 'service.name' && value !== null) return value;
  }
  return null;
}

/**
 * The length-delimited fields of the message in `buf[start, end)`, as
 * `[field number, { start, end }]`; other wire types are skipped. Malformed or
 * truncated bytes are a DecodeError.
 */
function* messages(buf: Buffer, start: number, end: number): Generator<[number, { start: number; end: number }]> {
  let pos = start;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new DecodeError('malformed protobuf: truncated varint');
      const b = buf[pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new DecodeError('malformed protobuf: varint too long');
  };
  while (pos < end) {
    const tag = varint();
    const wireType = tag % 8;
    const n = Math.floor(tag / 8);
    if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const len = varint();
      const s = pos;
      pos += len;
      if (pos > end) throw new DecodeError('malformed protobuf: truncated message');
      yield [n, { start: s, end: pos }];
      continue;
    } else throw new DecodeError(`malformed protobuf: unsupported wire type ${wireType}`);
    if (pos > end) throw new DecodeError('malformed protobuf: truncated field');
  }
}
