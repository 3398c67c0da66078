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
