/**
 * OTLP/HTTP answers, in the request's encoding: an `ExportTraceServiceResponse`
 * (empty on full success, `partial_success` when spans were rejected) or, for
 * an error status, a `google.rpc.Status`.
 */
export type Wire = 'json' | 'protobuf';

export const CONTENT_TYPES: Record<Wire, string> = { json: 'application/json', protobuf: 'application/x-protobuf' };

/** gRPC status codes used in error bodies. */
export const RPC = { invalidArgument: 3, resourceExhausted: 8, unimplemented: 12, internal: 13, unavailable: 14, unauthenticated: 16 } as const;

/** ExportTraceServiceResponse: `{}` / empty bytes, or partial success with the rejected count and a message. */
export function exportResponse(wire: Wire, rejected: number, errorMessage: string): Buffer {
  if (wire === 'json') return Buffer.from(rejected > 0 ? JSON.stringify({ partialSuccess: { rejectedSpans: String(rejected), errorMessage } }) : '{}');
  if (rejected === 0) return Buffer.alloc(0);
  // ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; } in field 1.
  const inner = Buffer.concat([Buffer.from([0x08]), varint(rejected), field(2, Buffer.from(errorMessage, 'utf8'))]);
  return field(1, inner);
}

/** google.rpc.Status { int32 code = 1; string message = 2; }. */
export function statusResponse(wire: Wire, code: number, message: string): Buffer {
  if (wire === 'json') return Buffer.from(JSON.stringify({ code, message }));
  return Buffer.concat([Buffer.from([0x08]), varint(code), field(2, Buffer.from(message, 'utf8'))]);
}

function field(n: number, bytes: Buffer): Buffer {
  return Buffer.concat([varint((n << 3) | 2), varint(bytes.length), bytes]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}
