import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StatusSchema, type Diagnostic } from '@govern/workplan';
import { z } from 'zod';
import { withLock, type LockOptions } from './lock.js';

/** The append-only audit log, one JSON object per line, committed with the repository. */
export const AUDIT_LOG = 'ops/audit/govern-audit.jsonl';

const StatusValueSchema = z.object({ status: StatusSchema.nullable(), text: z.string().nullable() });

/**
 * One audit record (version 1): who changed what, when, from/to, and the
 * content hash of the file before and after, so a reader can tell which
 * write produced which bytes. The schema is the source of the type.
 */
export const AuditRecordSchema = z.object({
  v: z.literal(1),
  id: z.string(),
  at: z.string(),
  action: z.enum(['set-status', 'close', 'close-failed', 'write-id']),
  /** Who: `GOVERN_ACTOR`, else the OS user name. */
  actor: z.string(),
  /** Through what: `cli`, `mcp`, `library`, ... */
  via: z.string(),
  item: z.string(),
  file: z.string().nullable(),
  from: StatusValueSchema.nullable(),
  to: StatusValueSchema.nullable(),
  hashBefore: z.string().nullable(),
  hashAfter: z.string().nullable(),
  reason: z.string().nullable(),
  /** Lifecycle rules overridden with `--force`, one sentence each. */
  forced: z.array(z.string()),
  /** For closures: the evidence manifest (relative path). */
  evidence: z.string().nullable(),
  /** For failed closures: what failed. */
  failures: z.array(z.string()).optional(),
  /** For `write-id`: the metadata key and the value written (a StateHub id). */
  key: z.string().optional(),
  value: z.string().optional(),
});
export type AuditRecord = z.infer<typeof AuditRecordSchema>;
export type AuditInput = Omit<AuditRecord, 'v' | 'id' | 'at'> & { at?: Date };

/**
 * Appends a record under the audit-log lock: one `write` of one line on an
 * O_APPEND descriptor, then fsync. Called while the written file's own lock is
 * held, so the order of records for a file is the order of its writes.
 */
export async function appendAudit(root: string, input: AuditInput, lock?: LockOptions): Promise<AuditRecord> {
  return (await appendAuditRecords(root, [input], lock))[0]!;
}

/** Appends several records in one locked write and one fsync (a write that changed several things at once). */
export async function appendAuditRecords(root: string, inputs: AuditInput[], lock?: LockOptions): Promise<AuditRecord[]> {
  const records = inputs.map(({ at, ...rest }): AuditRecord =>
    AuditRecordSchema.parse({ v: 1, id: crypto.randomUUID(), at: (at ?? new Date()).toISOString(), ...rest }),
  );
  if (!records.length) return records;
  const file = path.join(root, AUDIT_LOG);
  await withLock(
    root,
    'audit-log',
    () => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const fd = fs.openSync(file, 'a+');
      try {
        // A crash in the middle of a previous append can leave a line without its
        // newline; start on a fresh line so that record stays the only damaged one.
        const size = fs.fstatSync(fd).size;
        let prefix = '';
        if (size > 0) {
          const last = Buffer.alloc(1);
          fs.readSync(fd, last, 0, 1, size - 1);
          if (last[0] !== 0x0a) prefix = '\n';
        }
        fs.writeSync(fd, `${prefix}${records.map((r) => `${JSON.stringify(r)}\n`).join('')}`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    },
    lock,
  );
  return records;
}

export interface AuditLogRead {
  records: AuditRecord[];
  diagnostics: Diagnostic[];
}

/** Reads the audit log back; a damaged line is a diagnostic with its line number, the rest still read. */
export function readAuditLog(root: string): AuditLogRead {
  const file = path.join(root, AUDIT_LOG);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], diagnostics: [] };
    return {
      records: [],
      diagnostics: [{ severity: 'error', code: 'audit-log-unreadable', message: `cannot read the audit log: ${(err as Error).message}`, file: AUDIT_LOG, line: 1, column: 1 }],
    };
  }
  const records: AuditRecord[] = [];
  const diagnostics: Diagnostic[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      diagnostics.push({
        severity: 'warning',
        code: 'audit-record-invalid',
        message: `audit log line ${i + 1} is not JSON (${(err as Error).message}); a writer was probably killed mid-append`,
        file: AUDIT_LOG,
        line: i + 1,
        column: 1,
      });
      return;
    }
    const parsed = AuditRecordSchema.safeParse(value);
    if (parsed.success) records.push(parsed.data);
    else {
      diagnostics.push({
        severity: 'warning',
        code: 'audit-record-invalid',
        message: `audit log line ${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.') || '(record)'}: ${x.message}`).join('; ')}`,
        file: AUDIT_LOG,
        line: i + 1,
        column: 1,
      });
    }
  });
  return { records, diagnostics };
}
