import { migrate as runMigrations, type Db, type MigrateResult, type Migration } from '@govern/duckdb';

/**
 * The schema, as numbered migrations, applied by @govern/duckdb's runner: a
 * database records them in `schema_migrations` with the sha256 of their SQL;
 * opening it applies the missing ones in order, each in its own transaction, so
 * a crash mid-migration leaves the previous version. Never edit a released
 * migration (a changed one is refused): add the next one.
 */

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'records and the change feed',
    statements: [
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

/**
 * Applies the migrations `db` has not had yet; refuses (`MigrationError`, code
 * `schema`) a database written by a newer StateHub or whose applied migration
 * changed. A database from before the kernel has its `schema_migrations`
 * (version, name, applied_at) upgraded in place.
 */
export function migrate(db: Db, now?: () => string): Promise<MigrateResult> {
  return runMigrations(db, MIGRATIONS, { upgrade: 'govern', ...(now ? { now } : {}) });
}
