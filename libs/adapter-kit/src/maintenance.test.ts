import { describe, expect, test } from 'vitest';
import { jsonErrorPosition, storeDiagnostic, trashDir } from './maintenance.js';

describe('store maintenance helpers', () => {
  test('jsonErrorPosition: the first character that is not JSON, whatever V8 says', () => {
    expect([
      jsonErrorPosition('{\n  "a": nope\n}'),
      jsonErrorPosition('{"seq": 3,,}'),
      jsonErrorPosition('[1, 2'),
      jsonErrorPosition('{"a": "b\nc"}'),
      jsonErrorPosition('{"a": 1} x'),
      jsonErrorPosition('{"a": [true, false, null, -1.5e3, "\\u00e9"]}'),
    ]).toEqual([
      { line: 2, column: 9 },
      { line: 1, column: 11 },
      { line: 1, column: 6 },
      { line: 1, column: 9 },
      { line: 1, column: 10 },
      { line: 1, column: 45 },
    ]);
  });

  test('a diagnostic gets the code, severity and repair of its kind', () => {
    expect(storeDiagnostic({ kind: 'orphaned-path', pack: 'p', file: 'x', message: 'm' })).toEqual({ severity: 'warning', code: 'store-orphaned-path', kind: 'orphaned-path', pack: 'p', message: 'm', file: 'x', line: null, column: null, table: null, row: null, repair: 'move-to-trash' });
    expect(storeDiagnostic({ kind: 'missing-reference', pack: 'p', file: 'db', table: 't', row: 'seq 2', message: 'm' })).toMatchObject({ severity: 'error', code: 'store-missing-reference', table: 't', row: 'seq 2', repair: 'none' });
  });

  test('the trash is named by the time, without colons', () => {
    expect(trashDir(new Date('2026-04-01T01:02:03.004Z'))).toBe('.govern/trash/2026-04-01T01-02-03-004Z');
  });
});
