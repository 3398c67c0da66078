import type { DecodedTraces } from '@govern/memory-store';
import { DecodeError } from './common.js';
import { decodeJsonTraces } from './json.js';
import { decodeProtobufTraces } from './protobuf.js';
import type { Wire } from './response.js';

export { DecodeError } from './common.js';
export { decodeJsonTraces } from './json.js';
export { decodeProtobufTraces } from './protobuf.js';
export { CONTENT_TYPES, exportResponse, RPC, statusResponse, type Wire } from './response.js';

/** The spool's `kind` byte for each encoding: a recovered frame is decoded as it was received. */
export const PAYLOAD_KIND: Record<Wire, number> = { json: 1, protobuf: 2 };

/** Decodes a spooled payload by its kind. */
export function decodePayload(kind: number, body: Buffer): DecodedTraces {
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
