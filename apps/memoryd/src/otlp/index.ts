import type { DecodedTraces } from '@govern/memory-store';
import { DecodeError } from './common.js';
import { decodeJsonTraces } from './json.js';
import { decodeProtobufTraces } from './protobuf.js';
import type { Wire } from './response.js';
import { decodeSpooled } from './spooled.js';

export { DecodeError } from './common.js';
export { decodeJsonTraces } from './json.js';
export { decodeProtobufTraces, type DecodeInfo } from './protobuf.js';
export { CONTENT_TYPES, exportResponse, RPC, statusResponse, type Signal, type Wire } from './response.js';
export { countSignal, type DroppedSignal, type SignalCount } from './signals.js';
export { decodeSpooled, encodeSpooled } from './spooled.js';

/**
 * The spool's `kind` byte of each payload encoding: a recovered frame is decoded
 * (and redacted again) as it was written. memoryd writes {@link SPOOLED_KIND}
 * (the redacted spans in its own encoding, spooled.ts), or kind 2 for a
 * protobuf payload whose bytes show nothing the redacted spans do not
 * (server.ts); spools written before redaction existed hold the received
 * bytes (kinds 1 and 2).
 */
export const PAYLOAD_KIND: Record<Wire, number> = { json: 1, protobuf: 2 };
export const SPOOLED_KIND = 3;

/** Decodes a spooled payload by its kind. */
export function decodePayload(kind: number, body: Buffer): DecodedTraces {
  if (kind === SPOOLED_KIND) return decodeSpooled(body);
  if (kind === PAYLOAD_KIND.json) return decodeJsonTraces(body);
  if (kind === PAYLOAD_KIND.protobuf) return decodeProtobufTraces(body);
  throw new DecodeError(`unknown payload kind ${kind}`);
}

/** The encoding a Content-Type names, or null (415). Parameters such as `charset` are ignored. */
export function wireOf(contentType: string | undefined): Wire | null {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (t === 'application/json') return 'json';
  if (t === 'application/x-protobuf' || t === 'application/protobuf') return 'protobuf';
  return null;
}
