import type { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement, DuckDBValue } from '@duckdb/node-api';

/**
 * The only file of govern that touches `@duckdb/node-api` (the "Neo" client,
 * 1.5.5-r.5, pinned: later releases lack platform binaries on our registry
 * mirror). Everything above it (db.ts, migrations.ts, the services) sees the
 * narrow {@link NativeInstance} / {@link NativeConnection} below. Its quirks,
 * and what the kernel does about each:
 *
 * - **A native addon, loaded on first open.** The package holds a per-platform
 *   addon (@duckdb/node-bindings-*). {@link openInstance} imports it
 *   dynamically, so code that merely links a service (the bundled `govern` CLI,
 *   the memory contract) pays for it only when a database is opened; bundles
 *   keep `@duckdb/*` external and resolve it from node_modules at run time.
 * - **One writer per file, across processes and within one.** DuckDB takes an
 *   OS lock on the file: a second *process* fails with `IO Error: Could not set
 *   lock on file …` ({@link isLockError}; the kernel's `locked`). Within one
 *   process nothing stops a second instance on the same file (the OS lock is
 *   per process) and two instances corrupt it, so db.ts keeps a registry of the
 *   files this process has open.
 * - **`create()`, never `fromCache()`.** The instance is ours alone, and
 *   closing it really releases the file: a restart in the same process can
 *   reopen it.
 * - **Transactions are per connection.** Statements of concurrent async callers
 *   on one connection would interleave inside each other's BEGIN…COMMIT, so
 *   db.ts gives each connection a FIFO queue. Two connections writing the same
 *   rows get DuckDB's optimistic "Conflict on update"; inserts do not conflict,
 *   and a key inserted by both fails the second COMMIT as a duplicate.
 * - **A failed statement poisons the transaction** ("Current transaction is
 *   aborted (please ROLLBACK)"): the kernel rolls back before the next caller runs.
 * - **Types.** BIGINT is a JS `bigint` both ways; a bound JS number is a DOUBLE,
 *   which DuckDB casts on insert and compare. Rows are read through
 *   `getRowObjectsJS()`: BIGINT as bigint ({@link num} converts back, refusing a
 *   loss of precision), JSON columns as their text (they are VARCHAR
 *   underneath and take a string). TIMESTAMP values come back as wrapper
 *   objects: services store ISO-8601 VARCHAR instead.
 * - **The appender** is the fast way in (one native call per value instead of a
 *   parsed INSERT): rows are appended in the open transaction and checked
 *   against PRIMARY KEY constraints when flushed, so a duplicate key throws at
 *   `flush` ({@link isDuplicateKey}) and the transaction must be rolled back.
 *   An appender whose flush failed stays open with its rows, and closing it
 *   later appends them into whatever transaction is open then: it is cleared
 *   first. `closeSync` on a poisoned transaction throws too; swallowed after a
 *   failed flush. Appends and flushes are synchronous and block the event loop;
 *   `run()` statements (COMMIT included) run on DuckDB's threads.
 * - **Prepared statements** are cached by SQL text ({@link NativeConnection.query});
 *   DuckDB rebinds them when a table they read was replaced. A statement with no
 *   parameters must have its bindings cleared, not bound to `[]`.
 * - **CHECKPOINT** folds the write-ahead log (`<file>.wal`) into the file.
 *   Commits go to the WAL, replayed on the next open, so a killed process loses
 *   no committed transaction; a clean close checkpoints first (db.ts). DuckDB
 *   refuses a CHECKPOINT while another connection's write transaction is open.
 */

export type Param = string | number | boolean | bigint | null;
export type Row = Record<string, unknown>;

/** The appender calls the services need, null-aware. */
export interface RowAppender {
  varchar(v: string | null): void;
  bigint(v: bigint): void;
  integer(v: number): void;
  boolean(v: boolean): void;
}

export interface NativeConnection {
  /** Runs one statement; `params` bind `$1`, `$2`, …; returns the rows changed. */
  run(sql: string, params?: readonly Param[]): Promise<number>;
  /** Runs one query; its rows as plain JS objects. */
  all(sql: string, params?: readonly Param[]): Promise<Row[]>;
  /** Like `all`, through a statement prepared once per SQL text (at most {@link MAX_PREPARED} kept). */
  query(sql: string, params?: readonly Param[]): Promise<Row[]>;
  /** Appends `rows` to `table` in the open transaction with `write` per row, then flushes. Throws on a key violation. */
  append<T>(table: string, rows: readonly T[], write: (a: RowAppender, row: T) => void, catalog?: 'temp'): Promise<void>;
  /** Destroys the prepared statements and closes the connection. */
  close(): void;
}

export interface NativeInstance {
  connect(): Promise<NativeConnection>;
  close(): void;
}

/** Most distinct query texts a connection keeps prepared. */
export const MAX_PREPARED = 128;

/** Opens a DuckDB instance on `target` (a path or `:memory:`) with `SET` settings. Raw DuckDB errors propagate. */
export async function openInstance(target: string, settings: Record<string, string>): Promise<NativeInstance> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance: DuckDBInstance = await DuckDBInstance.create(target, settings);
  return {
    connect: async () => wrapConnection(await instance.connect()),
    close: () => instance.closeSync(),
  };
}

/** True for the error of a file locked by another process. */
export function isLockError(err: unknown): boolean {
  return /Could not set lock on file/i.test(messageOf(err));
}

/** True for DuckDB's PRIMARY KEY / UNIQUE violation (from an appender flush or an INSERT). */
export function isDuplicateKey(err: unknown): boolean {
  return /Duplicate key|PRIMARY KEY or UNIQUE constraint violation|violates primary key constraint/i.test(messageOf(err));
}

/** A DuckDB integer (bigint) or number as a JS number; refuses one that would lose precision. */
export function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError(`${value} does not fit a JS number`);
    return Number(value);
  }
  throw new TypeError(`expected an integer column, got ${typeof value}`);
}

function messageOf(err: unknown): string {
  return (err as Error | undefined)?.message ?? String(err);
}

function wrapConnection(conn: DuckDBConnection): NativeConnection {
  const prepared = new Map<string, DuckDBPreparedStatement>();
  return {
    run: async (sql, params) => (await conn.run(sql, params as DuckDBValue[] | undefined)).rowsChanged,
    all: async (sql, params) => (await conn.runAndReadAll(sql, params as DuckDBValue[] | undefined)).getRowObjectsJS() as Row[],
    async query(sql, params) {
      let stmt = prepared.get(sql);
      if (!stmt) {
        stmt = await conn.prepare(sql);
        if (prepared.size >= MAX_PREPARED) {
          const [oldest, old] = prepared.entries().next().value!;
          old.destroySync();
          prepared.delete(oldest);
        }
        prepared.set(sql, stmt);
      }
      if (params?.length) stmt.bind(params as DuckDBValue[]);
      else stmt.clearBindings();
      return (await stmt.runAndReadAll()).getRowObjectsJS() as Row[];
    },
    async append(table, rows, write, catalog) {
      const app = await conn.createAppender(table, catalog ? 'main' : null, catalog ?? null);
      const a = rowAppender(app);
      try {
        for (const row of rows) {
          write(a, row);
          app.endRow();
        }
        app.flushSync();
      } catch (err) {
        try {
          app.clear();
        } catch {
          // nothing to drop
        }
        try {
          app.closeSync();
        } catch {
          // The transaction is aborted; the caller rolls back.
        }
        throw err;
      }
      app.closeSync();
    },
    close() {
      for (const s of prepared.values()) s.destroySync();
      prepared.clear();
      conn.closeSync();
    },
  };
}

function rowAppender(app: DuckDBAppender): RowAppender {
  return {
    varchar: (v) => (v === null ? app.appendNull() : app.appendVarchar(v)),
    bigint: (v) => app.appendBigInt(v),
    integer: (v) => app.appendInteger(v),
    boolean: (v) => app.appendBoolean(v),
  };
}
