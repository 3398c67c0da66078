/**
 * @govern/duckdb — the one DuckDB kernel of govern's services (the memory store,
 * StateHub): connection lifetime, queued access and transactions (db.ts),
 * checksummed migrations with one `schema_migrations` shape (migrations.ts) and
 * typed errors (errors.ts). node-api.ts is the only file that touches
 * @duckdb/node-api, loaded when a database is first opened.
 */
export { openDb } from './db.js';
export type { Conn, Db, OpenOptions } from './db.js';
export { DbError, MigrationError } from './errors.js';
export type { DbErrorClass, DbErrorCode, MigrationRefusal } from './errors.js';
export { appliedMigrations, checksum, migrate, SCHEMA_MIGRATIONS_DDL } from './migrations.js';
export type { AppliedMigration, MigrateOptions, MigrateResult, Migration } from './migrations.js';
export { isDuplicateKey, num } from './node-api.js';
export type { Param, Row, RowAppender } from './node-api.js';
