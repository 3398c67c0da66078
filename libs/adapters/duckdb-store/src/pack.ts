import fs from 'node:fs';
import path from 'node:path';
import {
  adapterFailure,
  canonicalJson,
  AuditEntrySchema,
  canonicalSha256,
  classifyError,
  definePack,
  denyWrites,
  ensureOwnedDir,
  EventRecordSchema,
  FAILURE_REASONS,
  GraphSnapshotSchema,
  parsePage,
  parseRecord,
  requireKey,
  sealAuditEntry,
  sealEvents,
  verifyAuditChain,
  type AuditStore,
  type EventStore,
  type GraphSnapshot,
  type GraphStore,
  type PackContext,
} from '@govern/adapter-kit';
import { appliedMigrations, DbError, migrate, num, openDb, type Db, type Migration, type Row } from '@govern/duckdb';
import { isGovernError } from '@govern/errors';
import { duckdbStoreMaintenance } from './maintenance.js';

const NAME = 'duckdb-store';

/** The database file, relative to the root. */
export const DUCKDB_STORE_FILE = '.govern/adapters/duckdb-store/store.duckdb';

/** The tables the pack creates and writes (its ownership boundary in the database). */
export const DUCKDB_STORE_TABLES = ['schema_migrations', 'graph_snapshots', 'event_records', 'audit_entries'] as const;

/**
 * The store's migrations (the kernel's checksummed `schema_migrations`): never
 * edit a released one, add the next. `body` columns hold each record's canonical
 * JSON; the other columns are what queries filter and order on.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'graph snapshots, event records, audit entries',
    statements: [
      'CREATE TABLE graph_snapshots (id VARCHAR PRIMARY KEY, sha256 VARCHAR NOT NULL, taken_at VARCHAR NOT NULL, node_count INTEGER NOT NULL, body VARCHAR NOT NULL)',
      'CREATE TABLE event_records (stream VARCHAR NOT NULL, seq BIGINT NOT NULL, body VARCHAR NOT NULL, PRIMARY KEY (stream, seq))',
      'CREATE TABLE audit_entries (seq BIGINT PRIMARY KEY, hash VARCHAR NOT NULL, body VARCHAR NOT NULL)',
    ],
  },
];

/** The DuckDB store's compatibility manifest. */
export const DUCKDB_STORE_MANIFEST = {
  schema: 'govern.adapter-manifest/v1',
  name: NAME,
  package: '@govern/adapter-duckdb-store',
  version: '0.1.0',
  description: 'graph snapshots, event streams and the audit chain in a DuckDB file through @govern/duckdb, with checksummed migrations',
  capabilities: ['store.graph', 'store.event', 'store.audit'],
  durability: 'persistent',
  // The versions this pack was written against, as literals: a build whose contracts moved to another major
  // fails the pack's contract subcheck until someone reviews the pack and raises them.
  contracts: [
    { name: '@govern/contracts', version: '1.0.0' },
    { name: 'govern-adapter-capabilities', version: '1.0.0' },
  ],
  ownership: { paths: ['.govern/adapters/duckdb-store/**'], tables: [...DUCKDB_STORE_TABLES], remote: [] },
  conformance: ['govern-conformance/1'],
  gate: 'adapter-duckdb-store',
} as const;

/**
 * Every call goes through here: the pack's own refusals pass as they are, the
 * kernel's (`locked`, `schema`, a closed database) and DuckDB's raw errors become
 * failures with the reason split, so no raw exception reaches a caller.
 */
async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isGovernError(err) && classifyError(err).problem === null) throw err;
    const code = err instanceof DbError ? err.code : null;
    const reason = code === 'schema' ? FAILURE_REASONS.schema : FAILURE_REASONS.storeIo;
    throw adapterFailure(reason, `${NAME}: ${what}: ${(err as Error).message}`, code ? { db: code } : {}, err);
  }
}

/**
 * The database of one instance. A read-only instance opens the file in DuckDB's
 * READ_ONLY mode (other readers may share it, nothing can be written, nothing
 * is migrated) and reads nothing when there is no file yet; a writer creates
 * the file (refusing a symlinked directory) and applies the migrations.
 */
async function openStore(ctx: PackContext): Promise<Db | null> {
  const file = path.join(ctx.root, DUCKDB_STORE_FILE);
  if (ctx.readOnly) {
    if (!fs.existsSync(file)) return null;
    const db = await guarded('open read-only', () => openDb(file, { settings: { access_mode: 'READ_ONLY' }, lockedHint: 'a writer has it open' }));
    const applied = await guarded('read the schema version', () => appliedMigrations(db)).catch(async (err: unknown) => {
      await db.close();
      throw err;
    });
    const latest = MIGRATIONS.at(-1)!.version;
    const at = applied.at(-1)?.version ?? 0;
    if (at !== latest) {
      await db.close();
      throw adapterFailure(FAILURE_REASONS.schema, `${DUCKDB_STORE_FILE} is at schema version ${at}, this build's is ${latest}: ${at < latest ? 'open it for writing once to migrate it' : 'upgrade govern'}`, { version: at, known: latest });
    }
    return db;
  }
  ensureOwnedDir(ctx.root, path.dirname(DUCKDB_STORE_FILE), NAME);
  const db = await guarded('open', () => openDb(file, { lockedHint: 'close the other govern process using this store' }));
  try {
    // applied_at takes the real time: the context's clock stamps records, and a migration is not one.
    await guarded('migrate', () => migrate(db, MIGRATIONS, { upgrade: 'govern' }));
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

/** A stored record's canonical JSON parsed by `schema`; a row that does not parse is corrupt. */
function fromBody<T>(row: Row, parse: (v: unknown) => T, where: string): T {
  try {
    return parse(JSON.parse(row.body as string));
  } catch (err) {
    throw adapterFailure(FAILURE_REASONS.corrupt, `${DUCKDB_STORE_FILE}: ${where} does not hold a valid record: ${(err as Error).message.split('\n')[0]}`, { where });
  }
}

function graphStore(ctx: PackContext, db: Db | null): GraphStore {
  return {
    put: (snapshot) =>
      guarded('put a graph snapshot', async () => {
        denyWrites(ctx, NAME, 'put a graph snapshot');
        const s = parseRecord(GraphSnapshotSchema, snapshot, 'graph snapshot');
        const sha256 = canonicalSha256(s);
        return db!.transaction(async (tx) => {
          const [row] = await tx.all('SELECT sha256 FROM graph_snapshots WHERE id = $1', [s.id]);
          if (row) {
            if (row.sha256 !== sha256) throw adapterFailure(FAILURE_REASONS.conflict, `graph snapshot ${s.id} exists with other content: snapshots are immutable`, { id: s.id });
            return { id: s.id, sha256, created: false };
          }
          await tx.run('INSERT INTO graph_snapshots VALUES ($1, $2, $3, $4, $5)', [s.id, sha256, s.taken_at, s.nodes.length, canonicalJson(s)]);
          return { id: s.id, sha256, created: true };
        });
      }),
    get: (id) =>
      guarded('get a graph snapshot', async () => {
        requireKey(id, 'graph snapshot id');
        if (!db) return null;
        const [row] = await db.read('SELECT body FROM graph_snapshots WHERE id = $1', [id]);
        return row ? fromBody<GraphSnapshot>(row, (v) => GraphSnapshotSchema.parse(v), `graph snapshot ${id}`) : null;
      }),
    list: () =>
      guarded('list graph snapshots', async () => {
        if (!db) return [];
        const rows = await db.read('SELECT id, sha256, taken_at, node_count FROM graph_snapshots ORDER BY id');
        return rows.map((r) => ({ id: r.id as string, sha256: r.sha256 as string, taken_at: r.taken_at as string, node_count: num(r.node_count) }));
      }),
  };
}

function eventStore(ctx: PackContext, db: Db | null): EventStore {
  return {
    append: (stream, events, opts = {}) =>
      guarded('append events', async () => {
        denyWrites(ctx, NAME, 'append events');
        requireKey(stream, 'stream');
        return db!.transaction(async (tx) => {
          const [row] = await tx.all('SELECT coalesce(max(seq), 0) AS last FROM event_records WHERE stream = $1', [stream]);
          const records = sealEvents(stream, events, num(row!.last), opts.expectedSeq, ctx.now);
          for (const r of records) await tx.run('INSERT INTO event_records VALUES ($1, $2, $3)', [stream, r.seq, canonicalJson(r)]);
          return records;
        });
      }),
    list: (stream, opts = {}) =>
      guarded('list events', async () => {
        requireKey(stream, 'stream');
        const page = parsePage(opts);
        if (!db) return [];
        const rows =
          page.limit === undefined
            ? await db.read('SELECT seq, body FROM event_records WHERE stream = $1 AND seq > $2 ORDER BY seq', [stream, page.after ?? 0])
            : await db.read('SELECT seq, body FROM event_records WHERE stream = $1 AND seq > $2 ORDER BY seq LIMIT $3', [stream, page.after ?? 0, page.limit]);
        return rows.map((r) => fromBody(r, (v) => EventRecordSchema.parse(v), `event ${stream}#${num(r.seq)}`));
      }),
    streams: () =>
      guarded('list streams', async () => {
        if (!db) return [];
        return (await db.read('SELECT DISTINCT stream FROM event_records ORDER BY stream')).map((r) => r.stream as string);
      }),
  };
}

function auditStore(ctx: PackContext, db: Db | null): AuditStore {
  return {
    append: (input) =>
      guarded('append an audit entry', async () => {
        denyWrites(ctx, NAME, 'append an audit entry');
        return db!.transaction(async (tx) => {
          const [row] = await tx.all('SELECT seq, body FROM audit_entries ORDER BY seq DESC LIMIT 1');
          // The new entry chains onto the last one: an unreadable last entry cannot be chained onto.
          const last = row ? fromBody(row, (v) => AuditEntrySchema.parse(v), `audit entry ${num(row.seq)}`) : null;
          const entry = sealAuditEntry(input, last, ctx.now);
          await tx.run('INSERT INTO audit_entries VALUES ($1, $2, $3)', [entry.seq, entry.hash, canonicalJson(entry)]);
          return entry;
        });
      }),
    read: () =>
      guarded('read the audit log', async () => {
        if (!db) return verifyAuditChain([]);
        const rows = await db.read('SELECT seq, body FROM audit_entries ORDER BY seq');
        // Rows that do not parse stay in place, so the chain check positions them.
        return verifyAuditChain(
          rows.map((r) => {
            try {
              return JSON.parse(r.body as string) as unknown;
            } catch {
              return { unreadable: `audit_entries seq ${num(r.seq)}` };
            }
          }),
        );
      }),
  };
}

/** The DuckDB store pack. */
export const duckdbStorePack = definePack({
  manifest: DUCKDB_STORE_MANIFEST,
  module: import.meta.url,
  maintenance: duckdbStoreMaintenance({ file: DUCKDB_STORE_FILE, tables: DUCKDB_STORE_TABLES, migrations: MIGRATIONS }),
  create: async (ctx) => {
    const db = await openStore(ctx);
    return {
      capabilities: { 'store.graph': graphStore(ctx, db), 'store.event': eventStore(ctx, db), 'store.audit': auditStore(ctx, db) },
      close: async () => {
        await db?.close();
      },
    };
  },
});
