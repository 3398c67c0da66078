import type { Attributes, DecodedTraces, ResourceSpans, Span } from '@govern/memory-store';
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

/** The inverse of {@link encodeSpooled}. JSON.parse keeps a `__proto__` key as an own property, as the decoders do. */
export function decodeSpooled(body: Buffer): DecodedTraces {
  let doc: Spooled;
  try {
    doc = JSON.parse(body.toString('utf8')) as Spooled;
  } catch (err) {
    throw new DecodeError(`spooled payload is not JSON: ${(err as Error).message}`);
  }
  if (doc?.v !== 1) throw new DecodeError(`spooled payload of unknown version ${String(doc?.v)}`);
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
