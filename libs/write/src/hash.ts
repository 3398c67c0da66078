import crypto from 'node:crypto';

/** sha256 (hex) of bytes or a string (as UTF-8): a file's `expect`, an audit record's hashes. */
export function sha256(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}
