import { describe, expect, test } from 'vitest';
import { foldAdoption, type AuditRecord } from './audit-log.js';

// The one rule of which adoptions are in force, used by the audit (every record) and by
// `govern history` (one item's records).

const rec = (id: string, item: string, action: AuditRecord['action'], to: 'done' | 'in_progress' | null = 'done'): AuditRecord => ({
  v: 1,
  id,
  at: `2026-01-01T10:0${id}:00.000Z`,
  action,
  actor: 'maintainer',
  via: 'cli',
  item,
  file: 'trackers/t.md',
  from: null,
  to: to === null ? null : { status: to, text: null },
  hashBefore: null,
  hashAfter: null,
  reason: null,
  forced: [],
  evidence: null,
});

function fold(records: AuditRecord[]): Record<string, string> {
  const inForce = new Map<string, AuditRecord>();
  for (const r of records) foldAdoption(inForce, r);
  return Object.fromEntries([...inForce].map(([item, r]) => [item, r.id]));
}

describe('foldAdoption', () => {
  test('an adoption holds until a status write of its item, in log order; other records and other items leave it', () => {
    expect(
      fold([
        rec('1', 'A', 'adopt'),
        rec('2', 'B', 'adopt'),
        rec('3', 'A', 'write-id', null),
        rec('4', 'A', 'close-failed', null),
        rec('5', 'A', 'close', null), // a close that set no status is no status write
        rec('6', 'B', 'set-status', 'in_progress'),
        rec('7', 'C', 'set-status', 'done'),
      ]),
    ).toEqual({ A: '1' });
  });

  test('a later adopt of the item takes the place of the one before; a close that sets a status ends it', () => {
    expect(fold([rec('1', 'A', 'adopt'), rec('2', 'A', 'set-status', 'in_progress'), rec('3', 'A', 'adopt')])).toEqual({ A: '3' });
    expect(fold([rec('1', 'A', 'adopt'), rec('2', 'A', 'close', 'done')])).toEqual({});
    // The log's order decides, not the records' times.
    expect(fold([rec('9', 'A', 'set-status', 'done'), rec('1', 'A', 'adopt')])).toEqual({ A: '1' });
  });
});
