import canonicalize from 'canonicalize';

/**
 * Canonical JSON bytes (RFC 8785, JSON Canonicalization Scheme): keys sorted by UTF-16
 * code units, numbers in ECMAScript shortest form, no insignificant whitespace.
 *
 * Plain values — well-formed strings, finite numbers, booleans, null, dense arrays and
 * plain objects of such values — are written here: for them RFC 8785 is exactly what
 * `JSON.stringify` writes for each scalar, with object keys in JS's default sort order
 * (UTF-16 code units). That is several times cheaper than the general walk and is what
 * the binder's keys and fingerprints hash a million times per benchmark. Anything else
 * (a lone surrogate, `undefined` members, `toJSON`, sparse arrays) goes to the
 * `canonicalize` package (erdtman, the scheme's co-author); a property test keeps the two
 * equal. Quirk of the package: it returns `undefined` for `undefined` input and drops
 * keys whose value is `undefined`; a top-level `undefined` is refused here instead of
 * hashed as something else.
 */
export function canonicalJson(value: unknown): string {
  const fast = plainCanonical(value);
  if (fast !== null) return fast;
  const out = canonicalize(value);
  if (out === undefined) throw new TypeError('canonicalJson: value has no JSON form (undefined)');
  return out;
}

/** A UTF-16 surrogate not in a pair (with the `u` flag a pair is one code point, not `Cs`). */
export const LONE_SURROGATE = /\p{Cs}/u;

/** RFC 8785 of a plain value (see {@link canonicalJson}), or null when the value is not plain. */
function plainCanonical(value: unknown, depth = 0): string | null {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return LONE_SURROGATE.test(value) ? null : JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : null;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return null;
  }
  // Deep values take the general path (its own limits), never this one's stack.
  if (depth > 64) return null;
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) {
      const p = i in value ? plainCanonical(value[i], depth + 1) : null;
      if (p === null) return null;
      parts.push(p);
    }
    return `[${parts.join(',')}]`;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return null;
  const rec = value as Record<string, unknown>;
  if (typeof rec.toJSON === 'function') return null;
  const parts: string[] = [];
  for (const k of Object.keys(rec).sort()) {
    const v = LONE_SURROGATE.test(k) ? null : plainCanonical(rec[k], depth + 1);
    if (v === null) return null;
    parts.push(`${JSON.stringify(k)}:${v}`);
  }
  return `{${parts.join(',')}}`;
}
