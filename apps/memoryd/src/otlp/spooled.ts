import { MAX_ATTRIBUTE_DEPTH, nestedDeeperThan, type Attributes, type DecodedTraces, type ResourceSpans, type Span } from '@govern/memory-store';
import { DecodeError } from './common.js';

/**
 * memoryd's own encoding of decoded (and redacted) spans, for the spool.
 *
 * The spool holds what memoryd received until it is committed; a secret in a
 * payload must not reach the disk even there. So the receiver decodes,
 * redacts, and spools *this* encoding of the redacted spans instead of the
 * bytes it received (which also hold what the decoder skips: rejected spans,
 * links, unknown fields) — unless those bytes are protobuf that redaction left
 * as it was and that hold nothing the decoder skipped (server.ts). Compact
 * JSON: spans as arrays, times as decimal strings (nanoseconds exceed 2^53).
 * Read only when recovering.
 */
type SpanRow = [string, string, string | null, string, number, string, string, Attributes, [string, string, Attributes][], number, string | null];

interface Spooled {
  v: 1;
  spans: number;
  rejected: number;
  errors: string[];
  rs: { r: Attributes; ss: { n: string; v: string | null; s: SpanRow[] }[] }[];
}

/** The spool frame of a decoded (redacted) payload. */
export function encodeSpooled(d: DecodedTraces): Buffer {
  const doc: Spooled = {
    v: 1,
    spans: d.spans,
    rejected: d.rejected,
    errors: d.errors,
    rs: d.resourceSpans.map((rs) => ({
      r: rs.resource,
      ss: rs.scopeSpans.map((ss) => ({
        n: ss.scope.name,
        v: ss.scope.version,
        s: ss.spans.map((x): SpanRow => [
          x.traceId,
          x.spanId,
          x.parentSpanId,
          x.name,
          x.kind,
          String(x.startNs),
          String(x.endNs),
          x.attributes,
          x.events.map((e) => [String(e.timeNs), e.name, e.attributes]),
          x.statusCode,
          x.statusMessage,
        ]),
      })),
    })),
  };
  return Buffer.from(JSON.stringify(doc));
}

/**
 * The inverse of {@link encodeSpooled}. JSON.parse keeps a `__proto__` key as an own property, as the decoders do.
 * A frame holding an attribute value nested deeper than MAX_ATTRIBUTE_DEPTH (written
 * before the decoders bounded it) is a DecodeError: checked without recursion, before
 * anything recursive (redaction, canonical JSON) meets it.
 */
export function decodeSpooled(body: Buffer): DecodedTraces {
  let doc: Spooled;
  try {
    doc = JSON.parse(body.toString('utf8')) as Spooled;
  } catch (err) {
    throw new DecodeError(`spooled payload is not JSON: ${(err as Error).message}`);
  }
  if (doc?.v !== 1) throw new DecodeError(`spooled payload of unknown version ${String(doc?.v)}`);
  checkDepth(doc);
  const resourceSpans: ResourceSpans[] = doc.rs.map((rs) => ({
    resource: rs.r,
    scopeSpans: rs.ss.map((ss) => ({
      scope: { name: ss.n, version: ss.v },
      spans: ss.s.map(
        (x): Span => ({
          traceId: x[0],
          spanId: x[1],
          parentSpanId: x[2],
          name: x[3],
          kind: x[4],
          startNs: BigInt(x[5]),
          endNs: BigInt(x[6]),
          attributes: x[7],
          events: x[8].map(([t, name, attributes]) => ({ timeNs: BigInt(t), name, attributes })),
          statusCode: x[9] as Span['statusCode'],
          statusMessage: x[10],
        }),
      ),
    })),
  }));
  return { resourceSpans, spans: doc.spans, rejected: doc.rejected, errors: doc.errors };
}

/** Every attribute map of a spooled payload within MAX_ATTRIBUTE_DEPTH, or a DecodeError. */
function checkDepth(doc: Spooled): void {
  // The attribute map is one level around its values.
  const deep = (a: Attributes) => nestedDeeperThan(a, 1 + MAX_ATTRIBUTE_DEPTH);
  for (const rs of doc.rs) {
    if (deep(rs.r)) throw new DecodeError(`spooled payload holds a resource attribute value nested deeper than ${MAX_ATTRIBUTE_DEPTH} levels`);
    for (const ss of rs.ss) {
      for (const x of ss.s) {
        if (deep(x[7]) || x[8].some((e) => deep(e[2]))) throw new DecodeError(`spooled payload holds a span (${x[1]}) with an attribute value nested deeper than ${MAX_ATTRIBUTE_DEPTH} levels`);
      }
    }
  }
}
