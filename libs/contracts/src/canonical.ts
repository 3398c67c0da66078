import canonicalize from 'canonicalize';

/**
 * Canonical JSON bytes (RFC 8785, JSON Canonicalization Scheme) through the
 * `canonicalize` package (erdtman, the scheme's co-author): keys sorted by UTF-16
 * code units, numbers in ECMAScript shortest form, no insignificant whitespace.
 * Quirk: the package returns `undefined` for `undefined` input and drops keys whose
 * value is `undefined` (as JSON.stringify does); a top-level `undefined`, a bigint
 * or a non-finite number is refused here instead of hashed as something else.
 */
export function canonicalJson(value: unknown): string {
  const out = canonicalize(value);
  if (out === undefined) throw new TypeError('canonicalJson: value has no JSON form (undefined)');
  return out;
}
