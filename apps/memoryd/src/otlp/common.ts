import { GovernError } from '@govern/errors';

/**
 * What the JSON and protobuf decoders share: the error that makes a whole
 * request unusable (HTTP 400), and the span-level rejections that make it a
 * partial success.
 */

/** The request as a whole cannot be decoded: answered 400 with a google.rpc.Status. */
export class DecodeError extends GovernError<'bad-request'> {
  constructor(message: string) {
    super('bad-request', message);
  }
}

/** Counts rejected spans and keeps a few distinct reasons for `partialSuccess.errorMessage`. */
export class Rejections {
  count = 0;
  readonly messages: string[] = [];

  reject(message: string): void {
    this.count++;
    if (this.messages.length < 5 && !this.messages.includes(message)) this.messages.push(message);
  }
}

/** A trace (32 hex digits) or span (16) id, lowercased; null when absent, malformed or all zeros (invalid in OTLP). */
export function validId(hex: string, digits: 32 | 16): string | null {
  if (hex.length !== digits) return null;
  // One pass over the characters (three ids per span on the JSON ingest path; two regular
  // expressions and a lowercase copy cost more): hex digits only, not all zeros, any uppercase.
  let nonZero = false;
  let upper = false;
  for (let i = 0; i < digits; i++) {
    const c = hex.charCodeAt(i);
    if (c >= 48 && c <= 57) nonZero ||= c !== 48;
    else if (c >= 97 && c <= 102) nonZero = true;
    else if (c >= 65 && c <= 70) nonZero = upper = true;
    else return null;
  }
  if (!nonZero) return null;
  return upper ? hex.toLowerCase() : hex;
}

const ZEROS = { 32: '0'.repeat(32), 16: '0'.repeat(16) } as const;

/** An id decoded from bytes (already lowercase hex): only its length and the all-zero value can be wrong. */
export function validBytesId(hex: string, digits: 32 | 16): string | null {
  return hex.length === digits && hex !== ZEROS[digits] ? hex : null;
}

/** A parent span id: empty means none; a malformed one is treated as none too (the span itself is still valid). */
export function parentId(hex: string | undefined): string | null {
  if (!hex) return null;
  return validId(hex, 16);
}

/** int64 as a JS value: a number when exact, else its decimal string. */
export function int64Value(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}
