import { isAscii } from 'node:buffer';
import { MAX_ATTRIBUTE_DEPTH, setAttr, type AttrValue, type Attributes, type DecodedTraces, type ResourceSpans, type Span, type SpanEvent } from '@govern/memory-store';
import { DecodeError, int64Value, parentId, Rejections, validId } from './common.js';

/**
 * OTLP/HTTP JSON (`application/json`) → decoded traces, per the OTLP JSON
 * mapping: lowerCamelCase field names, trace and span ids as hex (not base64),
 * 64-bit integers as decimal strings (numbers accepted), enums as integers.
 * The structure is walked by hand, not through zod: this is the ingest hot
 * path. A body that is not a JSON object with a `resourceSpans` array is a
 * DecodeError (400); a span with bad ids or times, or with an attribute value
 * nested deeper than MAX_ATTRIBUTE_DEPTH, is rejected on its own (partial
 * success); a resource attribute nested that deep is a DecodeError.
 *
 * Bounded: JSON.parse is not recursive in V8 (a body nested a million deep
 * parses), and the walk below recurses only into attribute values, at most
 * MAX_ATTRIBUTE_DEPTH levels: a deeper value is not read further.
 */
export function decodeJsonTraces(body: Buffer): DecodedTraces {
  let doc: unknown;
  try {
    // An ASCII body (the usual OTLP/JSON: ids are hex, times decimal) becomes a string by a
    // byte copy; UTF-8 decoding is only needed, and only paid, for anything else.
    doc = JSON.parse(isAscii(body) ? (body as Buffer & { latin1Slice(s: number, e: number): string }).latin1Slice(0, body.length) : body.toString('utf8'));
  } catch (err) {
    throw new DecodeError(`request body is not JSON: ${(err as Error).message}`);
  }
  if (!isObj(doc)) throw new DecodeError('request body is not an ExportTraceServiceRequest object');
  const rsList = doc.resourceSpans ?? [];
  if (!Array.isArray(rsList)) throw new DecodeError('resourceSpans is not an array');
  const rej = new Rejections();
  const out: ResourceSpans[] = [];
  let spans = 0;
  for (const rs of rsList) {
    if (!isObj(rs)) throw new DecodeError('a resourceSpans entry is not an object');
    tooDeep = false;
    const resource = isObj(rs.resource) ? attributes(rs.resource.attributes, 0) : {};
    if (tooDeep) throw new DecodeError(`a resource attribute value is nested deeper than ${MAX_ATTRIBUTE_DEPTH} levels`);
    const scopeSpans: ResourceSpans['scopeSpans'] = [];
    for (const ss of arr(rs.scopeSpans)) {
      if (!isObj(ss)) throw new DecodeError('a scopeSpans entry is not an object');
      const scope = isObj(ss.scope) ? ss.scope : {};
      const list: Span[] = [];
      for (const s of arr(ss.spans)) {
        const span = isObj(s) ? decodeSpan(s, rej) : (rej.reject('a span is not an object'), null);
        if (span) list.push(span);
      }
      spans += list.length;
      scopeSpans.push({ scope: { name: str(scope.name) ?? '', version: str(scope.version) || null }, spans: list });
    }
    out.push({ resource, scopeSpans });
  }
  return { resourceSpans: out, spans, rejected: rej.count, errors: rej.messages };
}

/** Set when a value nested deeper than MAX_ATTRIBUTE_DEPTH was cut (its reader resets and checks it). */
let tooDeep = false;

function decodeSpan(s: Record<string, unknown>, rej: Rejections): Span | null {
  const traceId = validId(str(s.traceId) ?? '', 32);
  const spanId = validId(str(s.spanId) ?? '', 16);
  if (!traceId || !spanId) return rej.reject('span with a missing or invalid traceId/spanId'), null;
  const startNs = nanos(s.startTimeUnixNano);
  const endNs = nanos(s.endTimeUnixNano);
  if (startNs === null || endNs === null || startNs === 0n || endNs < startNs) return rej.reject('span with a missing or invalid startTimeUnixNano/endTimeUnixNano'), null;
  tooDeep = false;
  const attrs = attributes(s.attributes, 0);
  const events: SpanEvent[] = [];
  for (const e of arr(s.events)) {
    if (!isObj(e)) continue;
    events.push({ timeNs: nanos(e.timeUnixNano) ?? 0n, name: str(e.name) ?? '', attributes: attributes(e.attributes, 0) });
  }
  if (tooDeep) return rej.reject(`span with an attribute value nested deeper than ${MAX_ATTRIBUTE_DEPTH} levels`), null;
  const status = isObj(s.status) ? s.status : {};
  const code = Number(status.code ?? 0);
  const kind = Number(s.kind ?? 0);
  return {
    traceId,
    spanId,
    parentSpanId: parentId(str(s.parentSpanId)),
    name: str(s.name) ?? '',
    kind: Number.isInteger(kind) && kind >= 0 && kind <= 5 ? kind : 0,
    startNs,
    endNs,
    attributes: attrs,
    events,
    statusCode: code === 1 || code === 2 ? code : 0,
    statusMessage: str(status.message) || null,
  };
}

/** A KeyValue list; `depth`: the arrays and maps around it. */
function attributes(list: unknown, depth: number): Attributes {
  const out: Attributes = {};
  for (const kv of arr(list)) {
    if (isObj(kv) && typeof kv.key === 'string') setAttr(out, kv.key, anyValue(kv.value, depth));
  }
  return out;
}

/** An AnyValue inside `depth` arrays and maps; an array or map that would be one level too many is cut (null, `tooDeep`). */
function anyValue(v: unknown, depth: number): AttrValue {
  if (!isObj(v)) return null;
  if ('stringValue' in v) return str(v.stringValue) ?? '';
  if ('boolValue' in v) return v.boolValue === true;
  if ('intValue' in v) {
    const i = v.intValue;
    // Beyond 2^53 a number is the JSON encoder's approximation; keep the rule of the protobuf path (decimal string).
    if (typeof i === 'number') return Number.isSafeInteger(i) || !Number.isInteger(i) ? i : int64Value(BigInt(i));
    try {
      return int64Value(BigInt(String(i)));
    } catch {
      return null;
    }
  }
  if ('doubleValue' in v) return typeof v.doubleValue === 'number' ? v.doubleValue : Number(v.doubleValue);
  if ('arrayValue' in v || 'kvlistValue' in v) {
    if (depth >= MAX_ATTRIBUTE_DEPTH) return (tooDeep = true), null;
    if ('arrayValue' in v) return isObj(v.arrayValue) ? arr(v.arrayValue.values).map((x) => anyValue(x, depth + 1)) : [];
    return isObj(v.kvlistValue) ? attributes(v.kvlistValue.values, depth + 1) : {};
  }
  if ('bytesValue' in v) return str(v.bytesValue) ?? '';
  return null;
}

/** A fixed64 time as a decimal string (or a number), exactly. */
function nanos(v: unknown): bigint | null {
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  return null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
