import { MAX_ATTRIBUTE_DEPTH, setAttr, type AttrValue, type Attributes, type DecodedTraces, type ResourceSpans, type ScopeSpans, type Span, type SpanEvent } from '@govern/memory-store';
import { DecodeError, int64Value, Rejections, validBytesId } from './common.js';

/**
 * OTLP/HTTP protobuf (`application/x-protobuf`) → decoded traces: a reader
 * for exactly the messages of `ExportTraceServiceRequest`
 * (opentelemetry/proto/collector/trace/v1, trace/v1, common/v1,
 * resource/v1). Hand-written rather than through protobufjs because times
 * are fixed64 nanoseconds beyond 2^53 (protobufjs gives `Long` objects, or
 * loses precision without the long package) and this is the ingest hot path;
 * @opentelemetry/otlp-transformer only *encodes* requests (its reader is
 * internal and reads responses). Unknown fields are skipped, as protobuf
 * requires. A truncated or malformed message is a DecodeError (400).
 *
 * Bounded: the messages nest to a fixed depth except AnyValue (arrays and
 * maps of values), read at most MAX_ATTRIBUTE_DEPTH levels deep: a deeper
 * value is skipped unread (a length-delimited field) and its span rejected
 * (partial success), or, in a resource, the request refused (DecodeError).
 * Nothing else recurses, and every length is checked against the bytes.
 */
export function decodeProtobufTraces(body: Uint8Array, info?: DecodeInfo): DecodedTraces {
  const r = new Reader(body);
  const rej = new Rejections();
  const resourceSpans: ResourceSpans[] = [];
  let spans = 0;
  try {
    while (r.more(body.length)) {
      const tag = r.varint();
      if (tag === ((1 << 3) | 2)) {
        const rs = resourceSpansMsg(r, r.end(), rej);
        for (const ss of rs.scopeSpans) spans += ss.spans.length;
        resourceSpans.push(rs);
      } else r.skip(tag & 7);
    }
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`malformed protobuf: ${(err as Error).message}`);
  }
  if (info) info.opaque = r.opaque;
  return { resourceSpans, spans, rejected: rej.count, errors: rej.messages };
}

/**
 * What a decode leaves out of the decoded spans. `opaque` counts the parts of
 * the payload that may hold text the decoded spans do not show: skipped
 * length-delimited fields (links, trace_state, schema_url, scope attributes,
 * unknown fields) and bytes-valued attributes (decoded as base64, so a pattern
 * in their raw bytes is not seen by redaction). Ids, times, counts and flags
 * are not text and do not count. When it is 0, every string of the payload is
 * a string of the decoded spans.
 */
export interface DecodeInfo {
  opaque: number;
}

function resourceSpansMsg(r: Reader, end: number, rej: Rejections): ResourceSpans {
  let resource: Attributes = {};
  const scopeSpans: ScopeSpans[] = [];
  while (r.more(end)) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) resource = resourceMsg(r, r.end());
    else if (tag === ((2 << 3) | 2)) scopeSpans.push(scopeSpansMsg(r, r.end(), rej));
    else r.skip(tag & 7);
  }
  return { resource, scopeSpans };
}

function resourceMsg(r: Reader, end: number): Attributes {
  const attrs: Attributes = {};
  r.tooDeep = false;
  while (r.more(end)) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) keyValue(r, r.end(), attrs, 0);
    else r.skip(tag & 7);
  }
  if (r.tooDeep) throw new DecodeError(`a resource attribute value is nested deeper than ${MAX_ATTRIBUTE_DEPTH} levels`);
  return attrs;
}

function scopeSpansMsg(r: Reader, end: number, rej: Rejections): ScopeSpans {
  let name = '';
  let version: string | null = null;
  const spans: Span[] = [];
  while (r.more(end)) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) {
      const e = r.end();
      while (r.more(e)) {
        const t = r.varint();
        // A field sent twice keeps its last value (protobuf): the first one is not in the decoded spans.
        if (t === ((1 << 3) | 2)) name = r.replaced(name, '') + r.string();
        else if (t === ((2 << 3) | 2)) version = r.replaced(version, null) ?? (r.string() || null);
        else r.skip(t & 7);
      }
    } else if (tag === ((2 << 3) | 2)) {
      const span = spanMsg(r, r.end(), rej);
      if (span) spans.push(span);
    } else r.skip(tag & 7);
  }
  return { scope: { name, version }, spans };
}

function spanMsg(r: Reader, end: number, rej: Rejections): Span | null {
  let traceId = '';
  let spanId = '';
  let parent = '';
  let name = '';
  let kind = 0;
  let startNs = 0n;
  let endNs = 0n;
  const attributes: Attributes = {};
  const events: SpanEvent[] = [];
  let statusCode: 0 | 1 | 2 = 0;
  let statusMessage: string | null = null;
  r.tooDeep = false;
  while (r.more(end)) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | 2:
        traceId = r.hex();
        break;
      case (2 << 3) | 2:
        spanId = r.hex();
        break;
      case (4 << 3) | 2:
        parent = r.hex();
        break;
      case (5 << 3) | 2:
        name = r.replaced(name, '') + r.string();
        break;
      case (6 << 3) | 0:
        kind = r.varint();
        break;
      case (7 << 3) | 1:
        startNs = r.fixed64();
        break;
      case (8 << 3) | 1:
        endNs = r.fixed64();
        break;
      case (9 << 3) | 2:
        keyValue(r, r.end(), attributes, 0);
        break;
      case (11 << 3) | 2:
        events.push(eventMsg(r, r.end()));
        break;
      case (15 << 3) | 2: {
        const e = r.end();
        while (r.more(e)) {
          const t = r.varint();
          if (t === ((2 << 3) | 2)) statusMessage = r.replaced(statusMessage, null) ?? (r.string() || null);
          else if (t === ((3 << 3) | 0)) {
            const c = r.varint();
            statusCode = c === 1 || c === 2 ? c : 0;
          } else r.skip(t & 7);
        }
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  const tid = validBytesId(traceId, 32);
  const sid = validBytesId(spanId, 16);
  if (!tid || !sid) return rej.reject('span with a missing or invalid trace_id/span_id'), null;
  if (startNs === 0n || endNs < startNs) return rej.reject('span with a missing or invalid start_time_unix_nano/end_time_unix_nano'), null;
  if (r.tooDeep) return rej.reject(`span with an attribute value nested deeper than ${MAX_ATTRIBUTE_DEPTH} levels`), null;
  return {
    traceId: tid,
    spanId: sid,
    parentSpanId: parent ? validBytesId(parent, 16) : null,
    name,
    kind: kind >= 0 && kind <= 5 ? kind : 0,
    startNs,
    endNs,
    attributes,
    events,
    statusCode,
    statusMessage,
  };
}

function eventMsg(r: Reader, end: number): SpanEvent {
  let timeNs = 0n;
  let name = '';
  const attributes: Attributes = {};
  while (r.more(end)) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 1)) timeNs = r.fixed64();
    else if (tag === ((2 << 3) | 2)) name = r.replaced(name, '') + r.string();
    else if (tag === ((3 << 3) | 2)) keyValue(r, r.end(), attributes, 0);
    else r.skip(tag & 7);
  }
  return { timeNs, name, attributes };
}

/** A KeyValue inside `depth` arrays and maps. */
function keyValue(r: Reader, end: number, into: Attributes, depth: number): void {
  let key = '';
  let value: AttrValue = null;
  while (r.more(end)) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) key = r.replaced(key, '') + r.string();
    else if (tag === ((2 << 3) | 2)) value = r.replaced(value, null) ?? anyValue(r, r.end(), depth);
    else r.skip(tag & 7);
  }
  // A key sent twice keeps its last value: the first one is not in the decoded spans.
  if (Object.hasOwn(into, key)) r.opaque++;
  setAttr(into, key, value);
}

/** An AnyValue inside `depth` arrays and maps; an array or map that would be one level too many is skipped unread (null, `tooDeep`). */
function anyValue(r: Reader, end: number, depth: number): AttrValue {
  let value: AttrValue = null;
  while (r.more(end)) {
    const tag = r.varint();
    r.replaced(value, null);
    switch (tag) {
      case (1 << 3) | 2:
        value = r.string();
        break;
      case (2 << 3) | 0:
        value = r.varint() !== 0;
        break;
      case (3 << 3) | 0:
        value = int64Value(BigInt.asIntN(64, r.varint64()));
        break;
      case (4 << 3) | 1:
        value = r.double();
        break;
      case (5 << 3) | 2: {
        const e = r.end();
        if (depth >= MAX_ATTRIBUTE_DEPTH) {
          r.cut(e);
          value = null;
          break;
        }
        const list: AttrValue[] = [];
        while (r.more(e)) {
          const t = r.varint();
          if (t === ((1 << 3) | 2)) list.push(anyValue(r, r.end(), depth + 1));
          else r.skip(t & 7);
        }
        value = list;
        break;
      }
      case (6 << 3) | 2: {
        const e = r.end();
        if (depth >= MAX_ATTRIBUTE_DEPTH) {
          r.cut(e);
          value = null;
          break;
        }
        const kv: Attributes = {};
        while (r.more(e)) {
          const t = r.varint();
          if (t === ((1 << 3) | 2)) keyValue(r, r.end(), kv, depth + 1);
          else r.skip(t & 7);
        }
        value = kv;
        break;
      }
      case (7 << 3) | 2:
        value = r.base64();
        r.opaque++;
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return value;
}

/**
 * Node's Buffer slice decoders. `buf.toString(encoding, start, end)` checks its
 * arguments and dispatches on the encoding name before calling these; on the
 * hot path (several short strings per span) that wrapper cost more than the
 * decoding. They exist on every Buffer (they are what toString calls) but are
 * not in @types/node.
 */
type SliceDecoders = Buffer & { utf8Slice(start: number, end: number): string; hexSlice(start: number, end: number): string; base64Slice(start: number, end: number): string };

/**
 * Short strings repeat from span to span (attribute keys, span names, stages,
 * commands, run ids within a run). A direct-mapped table from their bytes to
 * the string already made returns the same string instead of decoding a new
 * one: less decoding and less garbage on the ingest path. A collision just
 * replaces the slot; the table's size is fixed.
 */
const INTERN_MAX_BYTES = 48;
const INTERN_SLOTS = 4096;
const internBytes: (Uint8Array | undefined)[] = new Array(INTERN_SLOTS);
const internStrings: (string | undefined)[] = new Array(INTERN_SLOTS);

/** A cursor over the bytes. `end()` reads a length prefix and returns where that message ends. */
class Reader {
  pos = 0;
  /** Length-delimited fields skipped and bytes values read (see {@link DecodeInfo}). */
  opaque = 0;
  /** A value nested deeper than MAX_ATTRIBUTE_DEPTH was skipped (reset and checked per span and per resource). */
  tooDeep = false;
  private readonly view: DataView;
  private readonly buf: SliceDecoders;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as SliceDecoders;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * Counts a field about to be read again as opaque when it already holds a value
   * (`v !== unset`): protobuf keeps the last one, so the earlier text is not in
   * the decoded spans. Returns `unset`'s "nothing" so callers can chain it:
   * `''` for strings, `null` otherwise.
   */
  replaced<T extends '' | null>(v: unknown, unset: T): T {
    if (v !== unset) this.opaque++;
    return unset;
  }

  /** Skips a value nested too deep, unread, to `end`. */
  cut(end: number): void {
    this.pos = end;
    this.opaque++;
    this.tooDeep = true;
  }

  more(end: number): boolean {
    if (this.pos > end) throw new DecodeError('malformed protobuf: a field overruns its message');
    return this.pos < end;
  }

  /** A varint that fits 32 bits (tags, lengths, enums, bools); larger ones keep their low bits. */
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length) throw new DecodeError('malformed protobuf: truncated varint');
      const b = this.buf[this.pos++]!;
      if (shift < 32) result |= (b & 0x7f) << shift;
      if (b < 0x80) return result >>> 0;
      shift += 7;
      if (shift > 63) throw new DecodeError('malformed protobuf: varint too long');
    }
  }

  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new DecodeError('malformed protobuf: truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
      shift += 7n;
      if (shift > 63n) throw new DecodeError('malformed protobuf: varint too long');
    }
  }

  end(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.buf.length) throw new DecodeError('malformed protobuf: truncated message');
    return end;
  }

  fixed64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A string field; short ones come from the intern table (see below) when their bytes were seen before. */
  string(): string {
    const end = this.end();
    const start = this.pos;
    this.pos = end;
    const len = end - start;
    if (len === 0) return '';
    const b = this.buf;
    if (len > INTERN_MAX_BYTES) return b.utf8Slice(start, end);
    // FNV-1a over the bytes.
    let h = len;
    for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 16777619);
    const slot = (h >>> 0) & (INTERN_SLOTS - 1);
    const seen = internBytes[slot];
    if (seen !== undefined && seen.length === len) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (seen[i] !== b[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return internStrings[slot]!;
    }
    const s = b.utf8Slice(start, end);
    // A copy: Buffer#slice is a view, and the request's memory may be reused (Node's pool).
    internBytes[slot] = new Uint8Array(b.subarray(start, end));
    internStrings[slot] = s;
    return s;
  }

  /** An id as lowercase hex. (Interning ids as well measured slower: hashing 16 bytes costs more than hexSlice.) */
  hex(): string {
    const end = this.end();
    const s = this.buf.hexSlice(this.pos, end);
    this.pos = end;
    return s;
  }

  base64(): string {
    const end = this.end();
    const s = this.buf.base64Slice(this.pos, end);
    this.pos = end;
    return s;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint64();
    else if (wireType === 1) this.advance(8);
    else if (wireType === 2) {
      this.pos = this.end();
      this.opaque++;
    }
    else if (wireType === 5) this.advance(4);
    else throw new DecodeError(`malformed protobuf: unsupported wire type ${wireType}`);
  }

  private advance(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DecodeError('malformed protobuf: truncated field');
  }
}
