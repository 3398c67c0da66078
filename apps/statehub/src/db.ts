import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/**
 * The only file that touches DuckDB (@duckdb/node-api, the "Neo" client). What
 * it hides, and why:
 *
 * - **Loading.** The package holds a native addon (per-platform
 *   @duckdb/node-bindings-*). It is imported lazily, here, so that code which
 *   merely links this app (the bundled `govern` CLI) pays for it only when a
 *   database is opened; the CLI bundle marks `@duckdb/*` external so the addon
 *   is resolved from node_modules at run time. The version is pinned
 *   (1.5.5-r.5): newer releases lack platform binaries on our registry mirror.
 * - **One instance, one writer.** A database file can be opened read-write by
 *   one *process* at a time: DuckDB takes an OS file lock, and a second process
 *   fails with `IO Error: Could not set lock on file …`, which {@link openDb}
 *   turns into a one-line message naming the file. Within the process we keep
 *   one instance and **one connection** for the server's whole life.
 * - **Transactions are per connection.** Statements of concurrent async
 *   callers on one connection would interleave inside each other's
 *   BEGIN…COMMIT, and two connections writing the same rows get DuckDB's
 *   optimistic "Transaction conflict" errors. So every call goes through a
 *   FIFO queue: one statement or one whole transaction at a time. That is the
 *   "one writer" rule; reads queue too (they are fast, and it keeps
 *   read-your-writes trivially true).
 * - **A failed statement poisons the transaction** ("Current transaction is
 *   aborted (please ROLLBACK)"); {@link Db.transaction} always rolls back on
 *   error before the next caller runs.
 * - **BIGINT comes back as JS `bigint`** (and binding a JS number gives a
 *   DOUBLE, which DuckDB casts to the column type on insert and compare). Row
 *   readers get plain JS values through `getRowObjectsJS()`; {@link num}
 *   converts a bigint back to a number (our versions and sequence numbers stay
 *   far below 2^53) and refuses one that would lose precision.
 * - **Types we avoid.** Timestamps are stored as ISO-8601 VARCHAR (DuckDB's
 *   TIMESTAMP values come back as wrapper objects, and the API speaks ISO
 *   strings anyway) and lists as JSON VARCHAR (binding a JS array needs
 *   explicit list values). A task's workstream is checked in code rather than
 *   by a FOREIGN KEY, so the API can answer 422 naming the missing key instead
 *   of relaying a constraint error.
 * - **Checkpoint on close.** Writes go to a write-ahead log (`<file>.wal`)
 *   first; DuckDB replays it on the next open, so a killed server loses no
 *   committed write. {@link Db.close} runs `CHECKPOINT` so a cleanly stopped
 *   server leaves one self-contained file (no `.wal`), then closes the
 *   connection and the instance, which releases the file lock.
 */
export interface Db {
  readonly file: string;
  /** Runs one statement; `params` bind `$1`, `$2`, … */
  run(sql: string, params?: Param[]): Promise<void>;
  /** Runs one query and returns its rows as plain JS objects (BIGINT as bigint: use {@link num}). */
  all(sql: string, params?: Param[]): Promise<Row[]>;
  /** Runs `fn` inside BEGIN…COMMIT, alone on the connection; rolls back if it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** CHECKPOINT, then closes the connection and the instance. Idempotent. */
  close(): Promise<void>;
}

/** The statements available inside a transaction (the queue is already held). */
export interface Tx {
  run(sql: string, params?: Param[]): Promise<void>;
  all(sql: string, params?: Param[]): Promise<Row[]>;
}

export type Param = string | number | boolean | bigint | null;
export type Row = Record<string, unknown>;

/** Raised when the database cannot be opened or used; `code` distinguishes a file held by another process. */
export class DbError extends Error {
  constructor(
    readonly code: 'locked' | 'open-failed' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'DbError';
  }
}

/** A DuckDB integer (bigint) or number as a JS number. */
export function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError(`${value} does not fit a JS number`);
    return Number(value);
  }
  throw new TypeError(`expected an integer column, got ${typeof value}`);
}

/** Opens (creating if needed) the database file, or `:memory:`. */
export async function openDb(file: string): Promise<Db> {
  const target = file === ':memory:' ? file : path.resolve(file);
  if (target !== ':memory:') fs.mkdirSync(path.dirname(target), { recursive: true });
  const { DuckDBInstance } = await import('@duckdb/node-api');
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  try {
    // create(), not fromCache(): the instance is ours alone, and closing it really
    // releases the file (a restart in the same process must be able to reopen it).
    instance = await DuckDBInstance.create(target);
    conn = await instance.connect();
  } catch (err) {
    const msg = (err as Error).message;
    if (/Could not set lock on file/i.test(msg)) {
      throw new DbError('locked', `${target} is open in another process (DuckDB allows one writer per file); stop it or use another --db`);
    }
    throw new DbError('open-failed', `cannot open DuckDB database ${target}: ${msg}`);
  }

  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  // Runs jobs strictly one after another; a failed job does not stop the queue.
  const enqueue = <T>(job: () => Promise<T>): Promise<T> => {
    const result = queue.then(() => {
      if (closed) throw new DbError('closed', `database ${target} is closed`);
      return job();
    });
    queue = result.catch(() => undefined);
    return result;
  };
  const tx: Tx = {
    async run(sql, params) {
      await conn.run(sql, params ?? []);
    },
    async all(sql, params) {
      const reader = await conn.runAndReadAll(sql, params ?? []);
      return reader.getRowObjectsJS() as Row[];
    },
  };

  return {
    file: target,
    run: (sql, params) => enqueue(() => tx.run(sql, params)),
    all: (sql, params) => enqueue(() => tx.all(sql, params)),
    transaction: (fn) =>
      enqueue(async () => {
        await conn.run('BEGIN TRANSACTION');
        try {
          const out = await fn(tx);
          await conn.run('COMMIT');
          return out;
        } catch (err) {
          await conn.run('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }),
    close: async () => {
      if (closed) return;
      await enqueue(async () => {
        if (target !== ':memory:') await conn.run('CHECKPOINT');
      }).catch(() => undefined);
      closed = true;
      conn.closeSync();
      instance.closeSync();
    },
  };
}
