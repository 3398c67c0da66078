import crypto from 'node:crypto';
import { canonicalJson } from '@govern/contracts';
import { adapterFailure, FAILURE_REASONS } from './errors.js';
import { AuditEntrySchema, AuditInputSchema, type AuditEntry, type AuditInput, type AuditProblem, type AuditRead } from './records.js';

/**
 * The audit chain every `store.audit` pack shares, so that an entry written by
 * one pack verifies in another: an entry's `hash` is the sha256 of the canonical
 * JSON (RFC 8785) of the entry without `hash`, and `prev` is the previous entry's
 * `hash`. Like the repository's audit log (ops/audit, @govern/write), an edited,
 * removed or reordered entry breaks the chain at a known position; unlike it, the
 * chain is over canonical JSON rather than a file's lines, so the storage format
 * (files, DuckDB rows, memory) does not matter.
 */
export function auditEntryHash(entry: Omit<AuditEntry, 'hash'> | AuditEntry): string {
  const { hash: _hash, ...rest } = entry as AuditEntry;
  return crypto.createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/**
 * The entry that follows `last` (null for the first) for `input`: validated
 * (an invalid input is an `adapter.record.invalid` failure), numbered, chained and
 * hashed. `now` stamps it when the input has no `at`.
 */
export function sealAuditEntry(input: AuditInput, last: AuditEntry | null, now: () => Date): AuditEntry {
  const parsed = AuditInputSchema.safeParse(input);
  if (!parsed.success) {
    throw adapterFailure(FAILURE_REASONS.recordInvalid, `audit entry refused: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ')}`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const { at, ...rest } = parsed.data;
  const draft: Omit<AuditEntry, 'hash'> = {
    schema: 'govern.audit-entry/v1',
    seq: (last?.seq ?? 0) + 1,
    at: at ?? now().toISOString(),
    ...rest,
    prev: last?.hash ?? null,
  };
  return { ...draft, hash: auditEntryHash(draft) };
}

/**
 * Verifies entries read back (in the order the store holds them): each parses,
 * `seq` runs 1, 2, 3, …, each `hash` is its own and each `prev` the hash before.
 * Every problem is positioned; the entries that parse are returned in any case.
 */
export function verifyAuditChain(raw: readonly unknown[]): AuditRead {
  const entries: AuditEntry[] = [];
  const problems: AuditProblem[] = [];
  let prevHash: string | null = null;
  // False after an unreadable entry: the chain cannot be followed through it, so the next entry's prev is not checked.
  let chainKnown = true;
  let expectedSeq = 1;
  raw.forEach((value, index) => {
    const parsed = AuditEntrySchema.safeParse(value);
    if (!parsed.success) {
      const seq = typeof (value as { seq?: unknown })?.seq === 'number' && Number.isInteger((value as { seq: number }).seq) && (value as { seq: number }).seq >= 1 ? (value as { seq: number }).seq : null;
      problems.push({ code: 'audit-entry-invalid', index, seq, message: `entry ${index + 1}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ')}` });
      chainKnown = false;
      expectedSeq++;
      return;
    }
    const e = parsed.data;
    entries.push(e);
    if (e.seq !== expectedSeq) problems.push({ code: 'audit-seq-gap', index, seq: e.seq, message: `entry ${index + 1} has seq ${e.seq}, expected ${expectedSeq}: an entry is missing or out of order` });
    if (auditEntryHash(e) !== e.hash) problems.push({ code: 'audit-hash-mismatch', index, seq: e.seq, message: `entry seq ${e.seq}: its hash is not the hash of its content (edited after it was written)` });
    if (chainKnown && e.prev !== prevHash) {
      problems.push({ code: 'audit-chain-broken', index, seq: e.seq, message: `entry seq ${e.seq} does not follow the entry before it (prev differs): entries were edited, removed or reordered` });
    }
    prevHash = e.hash;
    chainKnown = true;
    expectedSeq = e.seq + 1;
  });
  return { entries, verified: problems.length === 0, problems };
}
