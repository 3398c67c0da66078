/**
 * OTLP/HTTP answers, in the request's encoding: an Export*ServiceResponse
 * (empty on full success, `partial_success` when items were rejected) or, for
 * an error status, a `google.rpc.Status`.
 */
export type Wire = 'json' | 'protobuf';

export const CONTENT_TYPES: Record<Wire, string> = { json: 'application/json', protobuf: 'application/x-protobuf' };

/** gRPC status codes used in error bodies. */
export const RPC = { invalidArgument: 3, resourceExhausted: 8, unimplemented: 12, internal: 13, unavailable: 14, unauthenticated: 16 } as const;

/** The OTLP signal of an export request: its response names the rejected items after it. */
export type Signal = 'traces' | 'metrics' | 'logs';

/** The JSON name of each signal's rejected count (`rejected_spans`, `rejected_data_points`, `rejected_log_records`). */
const REJECTED_FIELD: Record<Signal, string> = { traces: 'rejectedSpans', metrics: 'rejectedDataPoints', logs: 'rejectedLogRecords' };

/**
 * Export<Trace|Metrics|Logs>ServiceResponse: `{}` / empty bytes, or partial
 * success with the rejected count and a message. The three differ only in the
 * name of the count (field 1 of the partial success in each), so the protobuf
 * bytes are the same.
 */
export function exportResponse(wire: Wire, rejected: number, errorMessage: string, signal: Signal = 'traces'): Buffer {
  // int64 is a decimal string in OTLP/JSON.
  if (wire === 'json') return Buffer.from(rejected > 0 ? JSON.stringify({ partialSuccess: { [REJECTED_FIELD[signal]]: String(rejected), errorMessage } }) : '{}');
  if (rejected === 0) return Buffer.alloc(0);
  // Export*PartialSuccess { int64 rejected_<items> = 1; string error_message = 2; } in field 1.
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
