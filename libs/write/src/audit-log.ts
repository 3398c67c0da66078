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
  /** `add-task`, `edit-acceptance`, `add-dependency`: the structural writes (structure.ts); `key`/`value` say what changed. */
  /**
   * `adopt`: `govern adopt` recorded a done item as done before govern was adopted, so the
   * audit asks no evidence of it (until a later status write); `to` is its status then and
   * both hashes are its document's, which the record does not change.
   */
  action: z.enum(['set-status', 'close', 'close-failed', 'write-id', 'add-task', 'edit-acceptance', 'add-dependency', 'adopt']),
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
  /**
   * For `write-id`: the metadata key and the value written (a StateHub id). For the
   * structural writes: what changed (`task` and the new heading id, `acceptance` and
   * `+added -removed ~replaced`, `depends_on` and the dependency added).
   */
  key: z.string().optional(),
  value: z.string().optional(),
  /** For closures: the sha256 of the evidence manifest's bytes, binding that manifest into the chain. */
  evidenceSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /**
   * The sha256 of the line before this one in the log (null for the first line): the hash
   * chain that makes an edited, removed or reordered record visible (`audit-chain-broken`).
   * Records written before GV-08 have none; the chain starts at the first that has it.
   */
  prev: z.string().regex(/^[0-9a-f]{64}$/).nullable().optional(),
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
  const drafts = inputs.map(({ at, ...rest }): AuditRecord =>
    AuditRecordSchema.parse({ v: 1, id: crypto.randomUUID(), at: (at ?? new Date()).toISOString(), ...rest }),
  );
  if (!drafts.length) return drafts;
  const file = path.join(root, AUDIT_LOG);
  return withLock(
    root,
    'audit-log',
    () => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const fd = fs.openSync(file, 'a+');
      try {
        // A crash in the middle of a previous append can leave a line without its
        // newline; start on a fresh line so that record stays the only damaged one.
        const { last, newline } = lastLine(fd);
        const prefix = last !== null && !newline ? '\n' : '';
        let prev = last === null ? null : hashLine(last);
        const records = drafts.map((d) => {
          const r: AuditRecord = { ...d, prev };
          prev = hashLine(JSON.stringify(r));
          return r;
        });
        fs.writeSync(fd, `${prefix}${records.map((r) => `${JSON.stringify(r)}\n`).join('')}`);
        fs.fsyncSync(fd);
        return records;
      } finally {
        fs.closeSync(fd);
      }
    },
    lock,
  );
}

const hashLine = (line: string) => crypto.createHash('sha256').update(line, 'utf8').digest('hex');

/** The log's last line (without its newline), read backwards in blocks; null for an empty log. */
function lastLine(fd: number): { last: string | null; newline: boolean } {
  const size = fs.fstatSync(fd).size;
  if (size === 0) return { last: null, newline: true };
  const one = Buffer.alloc(1);
  fs.readSync(fd, one, 0, 1, size - 1);
  const newline = one[0] === 0x0a;
  const end = newline ? size - 1 : size;
  const parts: Buffer[] = [];
  let pos = end;
  while (pos > 0) {
    const len = Math.min(65536, pos);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, pos - len);
    const nl = buf.lastIndexOf(0x0a);
    if (nl !== -1) {
      parts.unshift(buf.subarray(nl + 1));
      break;
    }
    parts.unshift(buf);
    pos -= len;
  }
  return { last: Buffer.concat(parts).toString('utf8'), newline };
}

export interface AuditLogRead {
  records: AuditRecord[];
  diagnostics: Diagnostic[];
}

/**
 * Whether a record writes an item's status: a `set-status`, or a `close` that set one. The
 * item's history is these writes, and such a write ends an `adopt` record before it (from
 * then on the item is audited like any other).
 */
export function isStatusWrite(r: AuditRecord): boolean {
  return (r.action === 'set-status' || r.action === 'close') && r.to !== null;
}

/**
 * The rule of which `adopt` records are in force, as one step of a pass over the audit log
 * in its order: an adoption holds until the next status write of its item
 * ({@link isStatusWrite}); a later `adopt` of the item takes its place. `inForce` maps an
 * item to its adopt record in force. The audit folds every record through this in its one
 * pass over the log, `govern history` only the records of one item.
 */
export function foldAdoption(inForce: Map<string, AuditRecord>, r: AuditRecord): void {
  if (isStatusWrite(r)) inForce.delete(r.item);
  if (r.action === 'adopt') inForce.set(r.item, r);
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
  let previous: string | null = null;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const before = previous;
    previous = line;
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
    if (parsed.success) {
      records.push(parsed.data);
      const prev = parsed.data.prev;
      if (prev !== undefined && prev !== (before === null ? null : hashLine(before))) {
        diagnostics.push({
          severity: 'error',
          code: 'audit-chain-broken',
          message: `audit log line ${i + 1} does not follow the line before it (its prev hash differs): records were edited, removed or reordered`,
          file: AUDIT_LOG,
          line: i + 1,
          column: 1,
        });
      }
    } else {
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
