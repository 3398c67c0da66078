import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.js';

// RFC 8785 (JSON Canonicalization Scheme): the examples of its sections 3.2.2 and 3.2.3.
describe('canonicalJson', () => {
  it('serializes numbers in ECMAScript shortest form, strings with minimal escapes, literals as is (RFC 8785 3.2.2)', () => {
    const input = JSON.parse('{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}');
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('sorts keys by UTF-16 code units, at every level (RFC 8785 3.2.3)', () => {
    const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    expect(canonicalJson({ b: { d: 1, c: [{ z: 0, y: -0 }] }, a: null })).toBe('{"a":null,"b":{"c":[{"y":0,"z":0}],"d":1}}');
  });

  it('refuses what has no JSON form instead of hashing something else', () => {
    expect(() => canonicalJson(undefined)).toThrow('canonicalJson: value has no JSON form (undefined)');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow('NaN is not allowed');
    expect(() => canonicalJson({ n: Infinity })).toThrow('Infinity is not allowed');
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
    // A key whose value is undefined is dropped, as JSON.stringify does.
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});

// canonicalJson writes plain values itself and hands the rest to the `canonicalize`
// package: the two must give the same bytes wherever the package gives any.
describe('canonicalJson fast path (fast-check)', () => {
  const seed = { seed: 8785 };
  const library = (v: unknown): string | undefined => {
    try {
      return canonicalize(v);
    } catch {
      return undefined;
    }
  };

  it('is the library for any array of strings (lone surrogates included)', () => {
    const str = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('\ud800', 'a\udc00b', '"\\\n\u2028\u007f'));
    fc.assert(
      fc.property(fc.array(str, { maxLength: 8 }), (values) => {
        const expected = library(values);
        if (expected !== undefined) expect(canonicalJson(values)).toBe(expected);
      }),
      { ...seed, numRuns: 500 },
    );
  });

  it('is the library for nested strings, numbers, literals, arrays and objects with any keys', () => {
    const str = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('\ud800', 'é', 'Z', 'a', '\u{1f600}', '\uff61'));
    const scalar = fc.oneof(str, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(-0));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(str, tie('value'), { maxKeys: 5 })),
    }));
    fc.assert(
      fc.property(value, (v) => {
        const expected = library(v);
        if (expected !== undefined) expect(canonicalJson(v)).toBe(expected);
      }),
      { ...seed, numRuns: 500 },
    );
  });
});
