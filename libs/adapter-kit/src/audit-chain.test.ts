import crypto from 'node:crypto';
import { canonicalJson } from '@govern/contracts';
import { toErrorJSON } from '@govern/errors';
import { describe, expect, test } from 'vitest';
import { auditEntryHash, sealAuditEntry, verifyAuditChain } from './audit-chain.js';
import type { AuditEntry } from './records.js';

const clock = () => new Date('2026-01-01T00:00:00.000Z');
const WHO = { actor: 'ada', via: 'cli' };

function chain(): AuditEntry[] {
  const a = sealAuditEntry({ ...WHO, action: 'set-status', subject: 'GV-01', outcome: 'applied' }, null, clock);
  const b = sealAuditEntry({ ...WHO, action: 'close', subject: 'GV-01', outcome: 'denied', policy_reason_code: 'review.required' }, a, clock);
  const c = sealAuditEntry({ ...WHO, action: 'close', subject: 'GV-01', outcome: 'failed', failure_reason_code: 'check.failed', at: '2026-02-02T00:00:00Z' }, b, clock);
  return [a, b, c];
}

describe('the audit chain', () => {
  test('sealing numbers, stamps, chains and hashes over canonical JSON', () => {
    const [a, b] = chain();
    const { hash: _h, ...body } = a!;
    expect(a).toEqual({
      schema: 'govern.audit-entry/v1',
      seq: 1,
      at: '2026-01-01T00:00:00.000Z',
      actor: 'ada',
      via: 'cli',
      action: 'set-status',
      subject: 'GV-01',
      outcome: 'applied',
      failure_reason_code: null,
      policy_reason_code: null,
      evidence: [],
      data: {},
      prev: null,
      hash: crypto.createHash('sha256').update(canonicalJson(body)).digest('hex'),
    });
    expect({ seq: b!.seq, prev: b!.prev, hash: auditEntryHash(b!) }).toEqual({ seq: 2, prev: a!.hash, hash: b!.hash });
  });

  test('an input breaking the reason split is an adapter.record.invalid failure', () => {
    let err: unknown;
    try {
      sealAuditEntry({ ...WHO, action: 'close', subject: 'GV-01', outcome: 'denied', failure_reason_code: 'check.failed' }, null, clock);
    } catch (e) {
      err = e;
    }
    expect(toErrorJSON(err)).toEqual({
      code: 'adapter-failure',
      message: 'audit entry refused: policy_reason_code: a denied entry needs policy_reason_code',
      details: { issues: [{ path: 'policy_reason_code', message: 'a denied entry needs policy_reason_code' }], failure_reason_code: 'adapter.record.invalid', policy_reason_code: null },
    });
  });

  test('a clean chain verifies; an edit, a removal, a reorder and garbage are each found where they are', () => {
    const [a, b, c] = chain();
    expect(verifyAuditChain([a, b, c])).toEqual({ entries: [a, b, c], verified: true, problems: [] });
    const edited = { ...b!, subject: 'GV-02' };
    expect(verifyAuditChain([a, edited, c]).problems).toEqual([{ code: 'audit-hash-mismatch', index: 1, seq: 2, message: 'entry seq 2: its hash is not the hash of its content (edited after it was written)' }]);
    expect(verifyAuditChain([a, c]).problems).toEqual([
      { code: 'audit-seq-gap', index: 1, seq: 3, message: 'entry 2 has seq 3, expected 2: an entry is missing or out of order' },
      { code: 'audit-chain-broken', index: 1, seq: 3, message: 'entry seq 3 does not follow the entry before it (prev differs): entries were edited, removed or reordered' },
    ]);
    expect(verifyAuditChain([b, a, c]).problems.map((p) => [p.code, p.index])).toEqual([
      ['audit-seq-gap', 0],
      ['audit-chain-broken', 0],
      ['audit-seq-gap', 1],
      ['audit-chain-broken', 1],
      ['audit-seq-gap', 2],
      ['audit-chain-broken', 2],
    ]);
    const r = verifyAuditChain([a, { seq: 2, junk: true }, c]);
    expect({ entries: r.entries.length, verified: r.verified, problems: r.problems.map((p) => [p.code, p.index, p.seq]) }).toEqual({ entries: 2, verified: false, problems: [['audit-entry-invalid', 1, 2]] });
  });
});
