import { describe, expect, test } from 'vitest';
import { parseEnvelopeText } from './envelope-text.js';

// Built at run time so this file holds no literal that scanners flag.
const GH = `ghp_${'x7Kq'.repeat(9)}`;

describe('parseEnvelopeText', () => {
  test('a JSON array: each element with the line it starts on', () => {
    const text = `[\n  {"a": 1,\n   "b": "],["},\n  2,\n\n  [3, {"c": "x\\"]"}]\n]\n`;
    expect(parseEnvelopeText(text)).toEqual([
      { raw: { a: 1, b: '],[' }, line: 2 },
      { raw: 2, line: 4 },
      { raw: [3, { c: 'x"]' }], line: 6 },
    ]);
    expect(parseEnvelopeText('[]')).toEqual([]);
  });

  test('one object, pretty-printed or not, with a byte order mark', () => {
    expect(parseEnvelopeText('\ufeff\n\n{\n  "a": 1\n}\n')).toEqual([{ raw: { a: 1 }, line: 3 }]);
  });

  test('JSON Lines: blank lines skipped, CRLF read, a broken line is an entry and the others still count (the first one too)', () => {
    expect(parseEnvelopeText('{"a":1}\r\n\r\n{"a":\r\n{"a":3}\n')).toEqual([
      { raw: { a: 1 }, line: 1 },
      { error: { code: 'json-invalid', path: '', message: 'not valid JSON: the text ends inside a value' }, line: 3, text: '{"a":' },
      { raw: { a: 3 }, line: 4 },
    ]);
    expect(parseEnvelopeText('{"a":1,,}\n{"a":2}')).toEqual([
      { error: { code: 'json-invalid', path: '', message: 'not valid JSON at line 1, column 8: unexpected text' }, line: 1, text: '{"a":1,,}' },
      { raw: { a: 2 }, line: 2 },
    ]);
  });

  test('a broken pretty-printed document is one error with its position; a broken array too', () => {
    expect(parseEnvelopeText('{\n  "a": 1\n  "b": 2\n}')).toEqual([
      { error: { code: 'json-invalid', path: '', message: 'not valid JSON at line 3, column 3: unexpected text' }, line: 3, text: '{\n  "a": 1\n  "b": 2\n}' },
    ]);
    expect(parseEnvelopeText('[{"a":1},\n{"a":2,}]')).toEqual([
      { error: { code: 'json-invalid', path: '', message: 'not valid JSON at line 2, column 8: unexpected text' }, line: 2, text: '[{"a":1},\n{"a":2,}]' },
    ]);
  });

  test('nothing to read is no entries; a parse error never quotes the input (it may hold a secret)', () => {
    expect(parseEnvelopeText('')).toEqual([]);
    expect(parseEnvelopeText(' \n\t\n')).toEqual([]);
    const entries = parseEnvelopeText(`{"a":1}\n{"token": ${GH}}\n`);
    expect(entries).toEqual([
      { raw: { a: 1 }, line: 1 },
      { error: { code: 'json-invalid', path: '', message: 'not valid JSON: unexpected text' }, line: 2, text: `{"token": ${GH}}` },
    ]);
    // The reason never quotes it; only `text`, the raw record to quarantine (and redact), holds it.
    expect(JSON.stringify(entries.map((e) => ('error' in e ? e.error : e)))).not.toContain(GH);
  });
});
