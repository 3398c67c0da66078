import { num, type Db } from './db.js';

/**
 * The schema, as numbered migrations. A database records the migrations it has
 * had in `schema_migrations`; opening it applies the missing ones in order,
 * each in its own transaction (DuckDB runs DDL transactionally), so a crash
 * mid-migration leaves the previous version. Never edit a released migration:
 * add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'records and the change feed',
    sql: [
      // Workstreams and tasks share one table: the API differs only in the path and
      // in tasks carrying workstream_id. external_key is the client's idempotency key.
      `CREATE TABLE records (
        id VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL CHECK (kind IN ('workstream', 'task')),
        external_key VARCHAR NOT NULL,
        repo VARCHAR NOT NULL,
        item_id VARCHAR NOT NULL,
        workstream_id VARCHAR,
        title VARCHAR NOT NULL,
        status VARCHAR,
        priority VARCHAR,
        depends_on VARCHAR NOT NULL,
        version BIGINT NOT NULL,
        created_at VARCHAR NOT NULL,
        updated_at VARCHAR NOT NULL,
        UNIQUE (kind, external_key)
      )`,
      // Append-only: rows are inserted, never updated or deleted. seq is assigned
      // max(seq)+1 inside the writing transaction; there is one writer (db.ts).
      // (`at` is a reserved word in DuckDB's SQL, hence changed_at.)
      `CREATE TABLE changes (
        seq BIGINT PRIMARY KEY,
        changed_at VARCHAR NOT NULL,
        op VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        record_id VARCHAR NOT NULL,
        external_key VARCHAR NOT NULL,
        repo VARCHAR NOT NULL,
        version BIGINT NOT NULL,
        status VARCHAR,
        from_status VARCHAR,
        actor VARCHAR
      )`,
    ],
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Applies the migrations `db` has not had yet; refuses a database written by a newer StateHub. */
export async function migrate(db: Db, now: () => string = () => new Date().toISOString()): Promise<{ from: number; to: number }> {
  await db.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at VARCHAR NOT NULL)');
  const rows = await db.all('SELECT coalesce(max(version), 0) AS v FROM schema_migrations');
  const from = num(rows[0]!.v);
  if (from > SCHEMA_VERSION) {
    throw new Error(`${db.file} has schema version ${from}, newer than this StateHub's ${SCHEMA_VERSION}; upgrade govern`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    await db.transaction(async (tx) => {
      for (const stmt of m.sql) await tx.run(stmt);
      await tx.run('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [m.version, m.name, now()]);
    });
  }
  return { from, to: SCHEMA_VERSION };
}
