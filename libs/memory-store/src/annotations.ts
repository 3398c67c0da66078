import crypto from 'node:crypto';
import type { Db } from '@govern/duckdb';
import { MemoryApiError, MAX_ANNOTATION_BYTES, type UpsertRequest, type UpsertResponse } from '@govern/memory-contract';
import { appendAudit } from './audit.js';
import type { AttrValue } from './model.js';
import type { Redactor } from './redact.js';
import { canonicalJson } from './resource.js';

export interface UpsertOptions {
  /** Wall clock (ns) of the call, for the audit record. */
  nowNs: bigint;
  /** Applied to the value before it is compared or stored. */
  redactor?: Redactor;
}

/**
 * Upserts an annotation by its natural key (trace_id, span_id, name), with an
 * audit record, in one transaction on the write connection (so it queues with
 * ingest batches). Idempotent: the same value again is `unchanged` and writes
 * only its audit record. Values are compared as canonical JSON (key order does
 * not matter), after redaction.
 */
export async function upsertAnnotation(db: Db, req: UpsertRequest, opts: UpsertOptions): Promise<UpsertResponse> {
  const before = opts.redactor?.replaced ?? 0;
  const value = opts.redactor ? opts.redactor.value(structuredClone(req.value) as AttrValue) : (req.value as AttrValue);
  const redactions = (opts.redactor?.replaced ?? 0) - before;
  const json = canonicalJson(value);
  const size = Buffer.byteLength(json);
  if (size > MAX_ANNOTATION_BYTES) throw new MemoryApiError('invalid-request', `value is ${size} bytes as canonical JSON; at most ${MAX_ANNOTATION_BYTES}`, { bytes: size, max: MAX_ANNOTATION_BYTES });
  const key = { trace_id: req.trace_id, span_id: req.span_id, name: req.name };
  const actor = req.actor ?? 'api';
  return db.exclusive(async (c) => {
    await c.run('BEGIN TRANSACTION');
    try {
      const [old] = await c.all('SELECT value::VARCHAR AS value FROM task_annotations WHERE trace_id = $1 AND span_id = $2 AND name = $3', [key.trace_id, key.span_id, key.name]);
      const [subject] = await c.all('SELECT 1 AS x FROM task_facts WHERE trace_id = $1 AND span_id = $2', [key.trace_id, key.span_id]);
      const outcome = !old ? 'created' : old.value === json ? 'unchanged' : 'updated';
      const auditId = await appendAudit(c, {
        atNs: opts.nowNs,
        op: 'upsert',
        actor,
        subject: `annotation:${key.trace_id}/${key.span_id}/${key.name}`,
        outcome,
        details: { kind: 'annotation', ...key, valueSha256: sha256(json), previousSha256: old ? sha256(old.value as string) : null, subjectExists: !!subject, redactions },
      });
      if (outcome === 'created') await c.run('INSERT INTO task_annotations VALUES ($1, $2, $3, $4, $5, $6)', [key.trace_id, key.span_id, key.name, json, actor, BigInt(auditId)]);
      else if (outcome === 'updated') {
        await c.run('UPDATE task_annotations SET value = $4, actor = $5, audit_id = $6 WHERE trace_id = $1 AND span_id = $2 AND name = $3', [key.trace_id, key.span_id, key.name, json, actor, BigInt(auditId)]);
      }
      await c.run('COMMIT');
      return { kind: 'annotation', key, outcome, changed: outcome !== 'unchanged', subjectExists: !!subject, redactions, auditId };
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

function sha256(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}
