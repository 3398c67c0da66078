/**
 * The binder's rule-set version. It is part of every idempotency key and upsert key,
 * so bumping it starts a fresh set of keys instead of mixing rows derived under two
 * rule sets. Bump it whenever anything that shapes a key or a fingerprint changes: the
 * normalization rules in fingerprint.ts (volatile env names, version spelling), the key
 * tuples in keys.ts, or the canonical JSON form. fingerprint-vectors.json pins binder/1.
 */
export const BINDER_VERSION = 'binder/1';
