import { DbError, openDb, type Db } from '@govern/duckdb';

/**
 * The memory store's refusals of its database (@govern/duckdb's codes: `locked`,
 * `open-failed`, `closed`, `schema`, `checkpoint`), under the name memoryd
 * switches on — also across its worker thread, where errors travel by name.
 */
export class StoreError extends DbError {}

/**
 * Opens the memory store's DuckDB file (or `:memory:`) through the kernel, which
 * owns the connections, queues and quirks (libs/duckdb/src/node-api.ts): write
 * connection 0 for everything but ingest, connection 1 for the pipelined batch
 * (`Db.writer`), a read connection for the memory API's queries.
 */
export function openDuckDb(file: string, settings: Record<string, string> = {}): Promise<Db> {
  return openDb(file, { settings, errorClass: StoreError, lockedHint: 'memoryd owns it' });
}
