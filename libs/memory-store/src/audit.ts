import type { Conn, Db, Param } from '@govern/duckdb';
import { type AuditRequest, type AuditResponse, type AuditRow, isoOfNs, resolveWindow } from '@govern/memory-contract';
import type { AttrValue } from './model.js';
import { canonicalJson } from './resource.js';

/**
 * The memory audit (`memory_audit`): one record per upsert call and per
 * retention run, written in the same transaction as what it records, so a
 * change without its record (or the reverse) cannot be committed. Ids are
 * max + 1 under the single writer: gapless and in commit order.
 */
export interface AuditEntry {
  /** Wall clock (ns): when the operation ran. Not a fact time. */
  atNs: bigint;
  op: AuditRow['op'];
  actor: string | null;
  subject: string;
  outcome: string;
  details: Record<string, unknown>;
}

/** Appends a record inside the caller's transaction; returns its id. */
export async function appendAudit(c: Conn, e: AuditEntry): Promise<number> {
  const [r] = await c.all('SELECT coalesce(max(audit_id), 0) + 1 AS id FROM memory_audit');
  const id = BigInt(r!.id as bigint);
  await c.run('INSERT INTO memory_audit VALUES ($1, $2, $3, $4, $5, $6, $7)', [id, e.atNs, e.op, e.actor, e.subject, e.outcome, canonicalJson(e.details as AttrValue)]);
  return Number(id);
}

/** Audit records in a window of `at_ns`, newest first, bounded. */
export async function listAudit(db: Db, req: AuditRequest, nowNs: bigint): Promise<AuditResponse> {
  const { fromNs, toNs, window } = resolveWindow(req.window, nowNs);
  const conds: string[] = [];
  const params: Param[] = [fromNs, toNs];
  for (const [col, v] of [
    ['op', req.filters.op],
    ['actor', req.filters.actor],
  ] as const) {
    if (v === undefined) continue;
    params.push(v);
    conds.push(`AND ${col} = $${params.length}`);
  }
  const rows = await db.read(`SELECT * FROM memory_audit WHERE at_ns >= $1 AND at_ns < $2 ${conds.join(' ')} ORDER BY audit_id DESC LIMIT ${req.limit + 1}`, params);
  const truncated = rows.length > req.limit;
  return {
    window,
    limit: req.limit,
    truncated,
    rows: (truncated ? rows.slice(0, req.limit) : rows).map((r) => ({
      audit_id: Number(r.audit_id),
      at_ns: String(r.at_ns),
      at: isoOfNs(r.at_ns as bigint),
      op: r.op as AuditRow['op'],
      actor: (r.actor as string | null) ?? null,
      subject: String(r.subject),
      outcome: String(r.outcome),
      details: JSON.parse(r.details as string) as Record<string, unknown>,
    })),
  };
}
