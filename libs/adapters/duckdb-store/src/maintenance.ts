import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  adapterFailure,
  AuditEntrySchema,
  auditEntryHash,
  canonicalSha256,
  EventRecordSchema,
  FAILURE_REASONS,
  GraphSnapshotSchema,
  moveToTrash,
  storeDiagnostic,
  type StoreDiagnostic,
  type StoreMaintenance,
  type StoreMetadata,
  type StoreProblemKind,
  type TrashMove,
} from '@govern/adapter-kit';
import { checksum, DbError, migrate, num, openDb, type Db, type Migration, type Row } from '@govern/duckdb';

const NAME = 'duckdb-store';

/**
 * Maintenance of the DuckDB store: its schema version is the kernel's
 * `schema_migrations` (checksummed), the planned migrations are this build's
 * MIGRATIONS after it; rows are positioned by table and key.
 */
export function duckdbStoreMaintenance(opts: { file: string; tables: readonly string[]; migrations: readonly Migration[] }): StoreMaintenance {
  const { file: FILE, tables: TABLES, migrations: MIGRATIONS } = opts;
  const DIR = path.posix.dirname(FILE);
  const TARGET = MIGRATIONS.at(-1)?.version ?? 0;
  const OWN_FILES = new Set([path.posix.basename(FILE), `${path.posix.basename(FILE)}.wal`]);

  /** Opens the store's file (read-only unless `write`), or null when there is none; a file DuckDB cannot open is corrupt. */
  async function open(root: string, write: boolean): Promise<Db | null> {
    const abs = path.join(root, FILE);
    if (!fs.existsSync(abs)) return null;
    try {
      return await openDb(abs, { ...(write ? {} : { settings: { access_mode: 'READ_ONLY' } }), lockedHint: 'close the other govern process using this store' });
    } catch (err) {
      if (err instanceof DbError && err.code === 'locked') throw adapterFailure(FAILURE_REASONS.storeIo, `${FILE}: ${err.message}`, { db: err.code }, err);
      throw new Unopenable((err as Error).message.split('\n')[0] ?? 'not a DuckDB database');
    }
  }

  async function tablesOf(db: Db): Promise<string[]> {
    return (await db.all("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name")).map((r) => String(r.table_name));
  }

  async function versionOf(db: Db): Promise<{ version: number; rows: Row[] }> {
    if (!(await tablesOf(db)).includes('schema_migrations')) return { version: 0, rows: [] };
    const rows = await db.all('SELECT version, name, sha256 FROM schema_migrations ORDER BY version');
    return { version: rows.reduce((v, r) => Math.max(v, num(r.version)), 0), rows };
  }

  async function metadata(root: string): Promise<StoreMetadata> {
    const base = { pack: NAME, recordedIn: `${FILE}#schema_migrations`, target: TARGET };
    let db: Db | null;
    try {
      db = await open(root, false);
    } catch (err) {
      if (err instanceof Unopenable) return { ...base, exists: true, version: 0, planned: [] };
      throw err;
    }
    if (!db) return { ...base, exists: false, version: 0, planned: [] };
    try {
      const { version } = await versionOf(db);
      return { ...base, exists: true, version, planned: MIGRATIONS.filter((m) => m.version > version).map((m) => ({ version: m.version, name: m.name })) };
    } finally {
      await db.close();
    }
  }

  interface Bad {
    table: string;
    key: Row;
  }

  /** Every problem; `bad` collects the corrupt rows and orphaned tables repair moves. */
  async function inspect(root: string, bad: Bad[] = [], orphanTables: string[] = []): Promise<StoreDiagnostic[]> {
    const out: StoreDiagnostic[] = [];
    const add = (kind: StoreProblemKind, message: string, where: { file?: string; table?: string; row?: string; repair?: StoreDiagnostic['repair'] } = {}) =>
      out.push(storeDiagnostic({ kind, pack: NAME, file: where.file ?? FILE, message, ...(where.table ? { table: where.table } : {}), ...(where.row ? { row: where.row } : {}), ...(where.repair ? { repair: where.repair } : {}) }));

    const dirAbs = path.join(root, DIR);
    if (fs.existsSync(dirAbs)) {
      for (const f of fs.readdirSync(dirAbs).sort()) {
        if (!OWN_FILES.has(f)) add('orphaned-path', `${DIR}/${f} is not the store's database or its write-ahead log`, { file: `${DIR}/${f}` });
      }
    }
    let db: Db | null;
    try {
      db = await open(root, false);
    } catch (err) {
      if (!(err instanceof Unopenable)) throw err;
      add('corruption', `${FILE} cannot be opened as a DuckDB database: ${err.message}`);
      return out;
    }
    if (!db) return out;
    try {
      const present = await tablesOf(db);
      const { version, rows: applied } = await versionOf(db);
      if (version > TARGET) add('pending-migration', `${FILE} is at schema version ${version}, newer than this build's ${TARGET}: upgrade govern`, { table: 'schema_migrations', repair: 'none' });
      else if (version < TARGET) add('pending-migration', `${FILE} is at schema version ${version}, this build's is ${TARGET}: run govern store migrate`, { table: 'schema_migrations' });
      for (const r of applied) {
        const m = MIGRATIONS.find((x) => x.version === num(r.version));
        if (m && r.sha256 !== checksum(m)) add('corruption', `migration ${m.version} (${m.name}) was applied with other statements than this build's`, { table: 'schema_migrations', row: `version=${m.version}`, repair: 'none' });
      }
      for (const t of present) {
        if (!TABLES.includes(t)) {
          orphanTables.push(t);
          add('orphaned-path', `table ${t} is not one of the store's (${TABLES.join(', ')})`, { table: t });
        }
      }
      const corrupt = (table: string, key: Row, row: string, why: string) => {
        bad.push({ table, key });
        add('corruption', `${table} ${row}: ${why}`, { table, row });
      };

      if (present.includes('graph_snapshots')) {
        for (const r of await db.all('SELECT * FROM graph_snapshots ORDER BY id')) {
          const row = `id=${String(r.id)}`;
          const v = parse(r.body);
          const s = v.ok ? GraphSnapshotSchema.safeParse(v.value) : null;
          if (!s) corrupt('graph_snapshots', { id: r.id }, row, `body does not parse: ${(v as { error: string }).error}`);
          else if (!s.success) corrupt('graph_snapshots', { id: r.id }, row, 'body is not a valid graph snapshot');
          else if (s.data.id !== r.id || canonicalSha256(s.data) !== r.sha256) corrupt('graph_snapshots', { id: r.id }, row, 'body does not match the row\'s id or sha256');
        }
      }
      if (present.includes('event_records')) {
        let stream: string | null = null;
        let expected = 1;
        for (const r of await db.all('SELECT * FROM event_records ORDER BY stream, seq')) {
          const seq = num(r.seq);
          if (r.stream !== stream) [stream, expected] = [String(r.stream), 1];
          const row = `stream=${String(r.stream)} seq=${seq}`;
          if (seq > expected) add('missing-reference', `event_records ${row}: stream ${String(r.stream)} continues at seq ${seq}, but events ${expected}..${seq - 1} are missing`, { table: 'event_records', row });
          expected = seq + 1;
          const v = parse(r.body);
          const e = v.ok ? EventRecordSchema.safeParse(v.value) : null;
          if (!e || !e.success || e.data.stream !== r.stream || e.data.seq !== seq) corrupt('event_records', { stream: r.stream, seq }, row, e ? 'body is not the event of this row' : `body does not parse: ${(v as { error: string }).error}`);
        }
      }
      if (present.includes('audit_entries')) {
        let prev: { seq: number; hash: string } | null = null;
        for (const r of await db.all('SELECT * FROM audit_entries ORDER BY seq')) {
          const seq = num(r.seq);
          const row = `seq=${seq}`;
          const v = parse(r.body);
          const e = v.ok ? AuditEntrySchema.safeParse(v.value) : null;
          if (!e || !e.success || e.data.seq !== seq) {
            corrupt('audit_entries', { seq }, row, e ? 'body is not the audit entry of this row' : `body does not parse: ${(v as { error: string }).error}`);
            // The row still holds its place in the chain: the next entry is checked against the hash it was written with.
            prev = { seq, hash: String(r.hash) };
            continue;
          }
          if (auditEntryHash(e.data) !== e.data.hash || e.data.hash !== r.hash) {
            corrupt('audit_entries', { seq }, row, `audit entry ${seq} does not match its hash: it was edited after it was written`);
            prev = { seq, hash: String(r.hash) };
            continue;
          }
          const want: number = prev ? prev.seq + 1 : 1;
          if (seq !== want) add('missing-reference', `audit_entries ${row}: entry ${seq} follows entry ${want - 1}: entries ${want}..${seq - 1} are missing`, { table: 'audit_entries', row });
          else if (e.data.prev !== (prev?.hash ?? null)) add('missing-reference', `audit_entries ${row}: entry ${seq} chains onto a hash that is not entry ${want - 1}'s`, { table: 'audit_entries', row });
          prev = { seq, hash: e.data.hash };
        }
      }
    } finally {
      await db.close();
    }
    return out;
  }

  return {
    metadata,
    inspect: (root) => inspect(root),
    async migrate(root, { dryRun }) {
      const before = await metadata(root);
      if (dryRun || !before.exists || !before.planned.length) return { ...before, dryRun, applied: [] };
      const db = await open(root, true);
      try {
        // The kernel applies each migration in its own transaction, recorded with its checksum.
        const r = await migrate(db!, MIGRATIONS, { upgrade: 'govern' });
        const applied = MIGRATIONS.filter((m) => r.applied.includes(m.version)).map((m) => ({ version: m.version, name: m.name }));
        await db!.close();
        return { ...(await metadata(root)), dryRun, applied };
      } catch (err) {
        await db?.close();
        throw err;
      }
    },
    async repair(root, { apply, trash }) {
      const bad: Bad[] = [];
      const orphanTables: string[] = [];
      const diagnostics = await inspect(root, bad, orphanTables);
      const moved: TrashMove[] = [];
      if (apply) {
        for (const d of diagnostics) {
          if (d.kind === 'orphaned-path' && d.table === null && fs.existsSync(path.join(root, d.file))) moved.push({ from: d.file, to: moveToTrash(root, d.file, trash), what: d.kind });
        }
        const byTable = new Map<string, Bad[]>();
        for (const b of bad) byTable.set(b.table, [...(byTable.get(b.table) ?? []), b]);
        if (byTable.size || orphanTables.length) {
          const db = (await open(root, true))!;
          try {
            // Rows are written to the trash (fsynced) before they leave their table: nothing is lost if either step fails.
            for (const [table, rows] of byTable) {
              const keys = Object.keys(rows[0]!.key);
              const where = keys.map((k, i) => `"${k}" = $${i + 1}`).join(' AND ');
              const full: Row[] = [];
              for (const b of rows) full.push(...(await db.all(`SELECT * FROM "${table}" WHERE ${where}`, keys.map((k) => b.key[k] as string | number))));
              const to = writeTrash(root, trash, `${DIR}/${path.posix.basename(FILE)}#${table}.jsonl`, full);
              await db.transaction(async (tx) => {
                for (const b of rows) await tx.run(`DELETE FROM "${table}" WHERE ${where}`, keys.map((k) => b.key[k] as string | number));
              });
              moved.push({ from: `${FILE}#${table}`, to, what: `corruption (${rows.length} row${rows.length === 1 ? '' : 's'})` });
            }
            for (const t of orphanTables) {
              const to = writeTrash(root, trash, `${DIR}/${path.posix.basename(FILE)}#${t}.jsonl`, await db.all(`SELECT * FROM "${t}"`));
              await db.run(`DROP TABLE "${t}"`);
              moved.push({ from: `${FILE}#${t}`, to, what: 'orphaned-path (table)' });
            }
          } finally {
            await db.close();
          }
        }
      }
      return { pack: NAME, applied: apply, diagnostics, moved, trash: moved.length ? trash : null };
    },
  };
}

/** A file that exists but is no DuckDB database DuckDB can open. */
class Unopenable extends Error {}

function parse(body: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(String(body)) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Writes rows as JSON lines to `rel` under the trash (temporary file, fsync, rename), returning its relative path. */
function writeTrash(root: string, trash: string, rel: string, rows: readonly Row[]): string {
  const to = path.posix.join(trash, rel);
  const abs = path.join(root, to);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const fd = fs.openSync(tmp, 'wx');
  try {
    fs.writeSync(fd, rows.map((r) => `${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}\n`).join(''));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, abs);
  return to;
}
