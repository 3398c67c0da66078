import { openDb as openKernelDb, type Db } from '@govern/duckdb';

/**
 * StateHub's database, through @govern/duckdb (the kernel owns the DuckDB
 * connection, the FIFO queue, transactions and the quirks: see
 * libs/duckdb/src/node-api.ts). StateHub stores timestamps as ISO-8601 VARCHAR
 * and lists as JSON VARCHAR (DuckDB's TIMESTAMP and LIST values come back as
 * wrapper objects), and checks a task's workstream in code rather than by a
 * FOREIGN KEY, so the API can answer 422 naming the missing key.
 */
export { DbError, num } from '@govern/duckdb';
export type { Conn as Tx, Db, Param, Row } from '@govern/duckdb';

/** Opens (creating if needed) the database file, or `:memory:`; a file held by another process is `locked`. */
export function openDb(file: string): Promise<Db> {
  return openKernelDb(file, { lockedHint: 'stop it or use another --db' });
}
