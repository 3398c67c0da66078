import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement, DuckDBValue } from '@duckdb/node-api';

/**
 * The only file that touches DuckDB (@duckdb/node-api 1.5.5-r.5, pinned: later
 * releases lack platform binaries on our registry mirror). What it hides:
 *
 * - **One writer per file, across processes and within one.** DuckDB takes an
 *   OS lock on the file: a second *process* opening it fails with
 *   `IO Error: Could not set lock on file …` ({@link StoreError} `locked`).
 *   Within one process nothing stops a second `DuckDBInstance` on the same
 *   file (the OS lock is per process) and two instances would corrupt it, so
 *   {@link openDuckDb} keeps a registry of the files this process has open.
 *   memoryd is that one process; everything else goes through its API.
 * - **One connection, a FIFO queue.** Transactions are per connection, and
 *   statements of concurrent callers would interleave inside each other's
 *   BEGIN…COMMIT. Every call runs alone, in order; {@link Db.exclusive} holds
 *   the queue for a whole transaction. Ingest alone uses a second write
 *   connection ({@link Db.writer}), and every other call holds both queues.
 * - **A failed statement poisons the transaction** ("Current transaction is
 *   aborted (please ROLLBACK)"): `exclusive` callers roll back before
 *   anything else runs.
 * - **The appender** is the fast way in (one native call per value instead of
 *   a parsed INSERT): rows are appended in the open transaction and checked
 *   against PRIMARY KEY constraints when flushed, so a duplicate key throws at
 *   `flush` and the transaction must be rolled back. `closeSync` on a
 *   poisoned transaction throws too; it is swallowed after a failed flush.
 *   Appends and flushes are synchronous and block the event loop;
 *   `run()` statements (COMMIT included) run on DuckDB's threads.
 * - **Types.** BIGINT is a JS `bigint` both ways (a bound JS number is a
 *   DOUBLE, which DuckDB casts on insert and compare). JSON columns are
 *   VARCHAR underneath and take a string. Rows read back through
 *   `getRowObjectsJS()`: BIGINT as bigint, JSON as its text.
 * - **Checkpoint on close.** Commits go to the write-ahead log
 *   (`<file>.wal`), replayed on the next open, so a killed process loses no
 *   committed transaction. {@link Db.close} runs CHECKPOINT, then closes the
 *   connection and the instance, which releases the file lock.
 * - **A read connection.** Queries of the memory API run on a second
 *   connection of the same instance (same process, so no second file lock),
 *   with its own FIFO queue: they see committed data only (DuckDB's MVCC) and
 *   do not wait behind an ingest transaction. Their prepared statements are
 *   cached by SQL text; DuckDB rebinds them when a table they read was
 *   replaced (retention rewrites tables). A CHECKPOINT on the write connection
 *   proceeds while a read transaction is open (tested).
 * - **Loaded on first open.** `@duckdb/node-api` (a native addon) is imported
 *   when a database is opened, not when this module is: the API schemas and
 *   client of this library can be loaded (by the CLI's MCP tools) without it.
 */
export interface Db {
  readonly file: string;
  /** Runs one statement alone on the connection; `params` bind `$1`, `$2`, …; returns the rows changed. */
  run(sql: string, params?: Param[]): Promise<number>;
  /** Runs one query and returns its rows as plain JS objects. */
  all(sql: string, params?: Param[]): Promise<Row[]>;
  /** Runs `fn` with the connection to itself (nothing else runs meanwhile on either write connection). `fn` manages BEGIN/COMMIT/ROLLBACK. */
  exclusive<T>(fn: (conn: Conn) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` on write connection 0 (the one `exclusive` uses) or 1, holding
   * only that connection's queue: two transactions, one on each, can be open
   * at once (ingest appends a batch on one while the other commits). DuckDB
   * resolves them optimistically: inserts do not conflict, an update of a row
   * the other changed does ("Conflict on update"), and a key inserted by both
   * fails the second COMMIT as a duplicate.
   */
  writer<T>(i: 0 | 1, fn: (conn: Conn) => Promise<T>): Promise<T>;
  /** CHECKPOINT, between two reads (see {@link Conn.checkpoint}). */
  checkpoint(): Promise<void>;
  /** Runs one read-only query on the read connection (committed data; prepared once per SQL text). */
  read(sql: string, params?: Param[]): Promise<Row[]>;
  /** Runs `fn` in one transaction of the read connection: every query it makes sees the same snapshot. */
  snapshot<T>(fn: (read: (sql: string, params?: Param[]) => Promise<Row[]>) => Promise<T>): Promise<T>;
  /** CHECKPOINT, close the connections and the instance, release the file. Idempotent. */
  close(): Promise<void>;
}

/** The connection while a caller holds it. */
export interface Conn {
  run(sql: string, params?: Param[]): Promise<number>;
  all(sql: string, params?: Param[]): Promise<Row[]>;
  /**
   * CHECKPOINT while no read is running. DuckDB refuses a CHECKPOINT while another
   * connection's transaction is open ("there are other write transactions active",
   * seen with a read snapshot open across a table replacement), so it waits for the
   * read queue and holds it meanwhile; reads are short.
   */
  checkpoint(): Promise<void>;
  /** Appends `rows` to `table` (in the open transaction) with `write` per row, then flushes. Throws on a key violation. */
  append<T>(table: string, rows: readonly T[], write: (a: RowAppender, row: T) => void, catalog?: 'temp'): Promise<void>;
}

/** The appender calls the store needs, null-aware. */
export interface RowAppender {
  varchar(v: string | null): void;
  bigint(v: bigint): void;
  integer(v: number): void;
  boolean(v: boolean): void;
}

export type Param = string | number | boolean | bigint | null;
export type Row = Record<string, unknown>;

export class StoreError extends Error {
  constructor(
    readonly code: 'locked' | 'open-failed' | 'closed' | 'schema' | 'checkpoint',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** True for DuckDB's PRIMARY KEY / UNIQUE violation (from an appender flush or an INSERT). */
export function isDuplicateKey(err: unknown): boolean {
  return /Duplicate key|PRIMARY KEY or UNIQUE constraint violation|violates primary key constraint/i.test((err as Error)?.message ?? '');
}

const openFiles = new Set<string>();

/** Opens (creating it and its directory if needed) a database file, or `:memory:`, with DuckDB settings (`SET` names). */
export async function openDuckDb(file: string, settings: Record<string, string> = {}): Promise<Db> {
  const target = file === ':memory:' ? file : path.resolve(file);
  if (target !== ':memory:') {
    if (openFiles.has(target)) throw new StoreError('locked', `${target} is already open in this process (DuckDB allows one writer per file)`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
  }
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  try {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    // create(), not fromCache(): the instance is ours alone, and closing it really
    // releases the file (a restart in the same process must be able to reopen it).
    instance = await DuckDBInstance.create(target, settings);
    conn = await instance.connect();
  } catch (err) {
    const msg = (err as Error).message;
    if (/Could not set lock on file/i.test(msg)) throw new StoreError('locked', `${target} is open in another process (DuckDB allows one writer per file; memoryd owns it)`);
    throw new StoreError('open-failed', `cannot open DuckDB database ${target}: ${msg}`);
  }
  if (target !== ':memory:') openFiles.add(target);

  let closed = false;
  const fifo = () => {
    let queue: Promise<unknown> = Promise.resolve();
    return <T>(job: () => Promise<T>): Promise<T> => {
      const result = queue.then(() => {
        if (closed) throw new StoreError('closed', `database ${target} is closed`);
        return job();
      });
      queue = result.catch(() => undefined);
      return result;
    };
  };
  const onFirst = fifo();
  const onSecond = fifo();
  // Everything but a pipelined ingest batch holds both write queues (the second's first,
  // so the order is always the same), so nothing runs on the other write connection meanwhile.
  const alone = <T>(job: () => Promise<T>): Promise<T> => onSecond(() => onFirst(job));
  const reader = readConnection(instance, target);
  const first = writeConn(conn, reader);
  let second: { raw: DuckDBConnection; conn: Conn } | null = null;
  const secondConn = async () => {
    if (!second) {
      const raw = await instance.connect();
      second = { raw, conn: writeConn(raw, reader) };
    }
    return second.conn;
  };

  return {
    file: target,
    run: (sql, params) => alone(() => first.run(sql, params)),
    all: (sql, params) => alone(() => first.all(sql, params)),
    exclusive: (fn) => alone(() => fn(first)),
    writer: (i, fn) => (i === 0 ? onFirst(() => fn(first)) : onSecond(async () => fn(await secondConn()))),
    checkpoint: () => alone(() => first.checkpoint()),
    read: reader.read,
    snapshot: reader.snapshot,
    close: () =>
      alone(async () => {
        try {
          await reader.close();
          if (target !== ':memory:') await conn.run('CHECKPOINT');
        } finally {
          closed = true;
          second?.raw.closeSync();
          conn.closeSync();
          instance.closeSync();
          openFiles.delete(target);
        }
      }).catch((err) => {
        if (!(err instanceof StoreError && err.code === 'closed')) throw err;
      }),
  };
}

/** A write connection's calls (used while its queue is held). */
function writeConn(conn: DuckDBConnection, reader: { hold: (fn: () => Promise<void>) => Promise<void> }): Conn {
  return {
    run: async (sql, params) => (await conn.run(sql, params as DuckDBValue[] | undefined)).rowsChanged,
    all: async (sql, params) => (await conn.runAndReadAll(sql, params as DuckDBValue[] | undefined)).getRowObjectsJS() as Row[],
    checkpoint: () => reader.hold(async () => void (await conn.run('CHECKPOINT'))),
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
        // Drop the rows the failed flush kept. Measured: an appender whose flush failed stays
        // open with its rows, and closing it again later appends them into whatever transaction
        // the connection has open then; cleared, it closes at once and holds nothing.
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
  };
}

/** Most distinct query texts the read connection keeps prepared (the API builds a few dozen at most). */
const MAX_PREPARED = 128;

/** The read connection: created on first use, its own FIFO queue, prepared statements cached by SQL text. */
function readConnection(instance: DuckDBInstance, target: string) {
  let conn: DuckDBConnection | null = null;
  const prepared = new Map<string, DuckDBPreparedStatement>();
  let queue: Promise<unknown> = Promise.resolve();
  let closing = false;
  const enqueue = <T>(job: () => Promise<T>): Promise<T> => {
    if (closing) return Promise.reject(new StoreError('closed', `database ${target} is closed`));
    const result = queue.then(job);
    queue = result.catch(() => undefined);
    return result;
  };
  const connection = async () => (conn ??= await instance.connect());
  const query = async (sql: string, params?: Param[]): Promise<Row[]> => {
    const c = await connection();
    let stmt = prepared.get(sql);
    if (!stmt) {
      stmt = await c.prepare(sql);
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
  };
  return {
    read: (sql: string, params?: Param[]) => enqueue(() => query(sql, params)),
    snapshot: <T>(fn: (read: (sql: string, params?: Param[]) => Promise<Row[]>) => Promise<T>) =>
      enqueue(async () => {
        const c = await connection();
        await c.run('BEGIN TRANSACTION');
        try {
          const out = await fn(query);
          await c.run('COMMIT');
          return out;
        } catch (err) {
          await c.run('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }),
    /** Runs `fn` when the reads queued before it are done, holding the read queue meanwhile. */
    hold: (fn: () => Promise<void>) => (closing ? fn() : enqueue(fn)),
    /** Refuses new reads, waits for the queued ones, then closes the connection. */
    async close(): Promise<void> {
      closing = true;
      await queue;
      for (const s of prepared.values()) s.destroySync();
      prepared.clear();
      conn?.closeSync();
      conn = null;
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
