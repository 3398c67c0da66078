import fs from 'node:fs';
import path from 'node:path';
import { DbError, type DbErrorClass } from './errors.js';
import { isLockError, openInstance, type NativeConnection, type NativeInstance, type Param, type Row, type RowAppender } from './node-api.js';

/**
 * A DuckDB database's lifetime and its queued access (node-api.ts explains the
 * DuckDB behaviour behind each rule):
 *
 * - **Lifetime.** {@link openDb} opens a file (creating it and its directory)
 *   or `:memory:`, refusing a file this process already has open; `close()`
 *   waits for queued work, CHECKPOINTs, closes every connection and the
 *   instance and releases the file. It is idempotent; any use after it is
 *   refused (`closed`).
 * - **Write connection 0, a FIFO queue.** `run`, `all`, `transaction`,
 *   `exclusive` and `checkpoint` run one at a time, in order, on it, so no
 *   caller's statement lands inside another's transaction.
 *   `transaction(fn)` is BEGIN … COMMIT around `fn`, ROLLBACK if it throws.
 * - **Write connection 1** (opened on first use) for a pipelined writer:
 *   `writer(i, fn)` holds only connection i's queue, so one transaction can
 *   append while another commits. Every other call holds both queues (1's, then
 *   0's: always the same order), so nothing runs on 1 meanwhile.
 * - **A read connection** (opened on first use) with its own queue: `read` and
 *   `snapshot` see committed data only (MVCC) and do not wait behind a write
 *   transaction; statements are prepared once per SQL text. `Conn.checkpoint()`
 *   waits for the read queue and holds it: DuckDB refuses a CHECKPOINT while
 *   another connection's transaction is open.
 */
export interface Db {
  readonly file: string;
  /** Runs one statement alone; `params` bind `$1`, `$2`, …; returns the rows changed. */
  run(sql: string, params?: readonly Param[]): Promise<number>;
  /** Runs one query alone and returns its rows as plain JS objects. */
  all(sql: string, params?: readonly Param[]): Promise<Row[]>;
  /** Runs `fn` inside BEGIN … COMMIT, alone on the write connections; ROLLBACK (then rethrow) if it throws. */
  transaction<T>(fn: (tx: Conn) => Promise<T>): Promise<T>;
  /** Runs `fn` with write connection 0 to itself; `fn` manages BEGIN/COMMIT/ROLLBACK. */
  exclusive<T>(fn: (conn: Conn) => Promise<T>): Promise<T>;
  /** Runs `fn` on write connection 0 or 1, holding only that connection's queue. */
  writer<T>(i: 0 | 1, fn: (conn: Conn) => Promise<T>): Promise<T>;
  /** CHECKPOINT, alone, between two reads. */
  checkpoint(): Promise<void>;
  /** One read-only query on the read connection (committed data; prepared once per SQL text). */
  read(sql: string, params?: readonly Param[]): Promise<Row[]>;
  /** Runs `fn` in one transaction of the read connection: every query it makes sees the same snapshot. */
  snapshot<T>(fn: (read: (sql: string, params?: readonly Param[]) => Promise<Row[]>) => Promise<T>): Promise<T>;
  /** Waits for queued work, CHECKPOINTs, closes the connections and the instance, releases the file. Idempotent. */
  close(): Promise<void>;
}

/** A write connection while a caller holds its queue. */
export interface Conn {
  run(sql: string, params?: readonly Param[]): Promise<number>;
  all(sql: string, params?: readonly Param[]): Promise<Row[]>;
  /** CHECKPOINT while no read runs (holding the read queue meanwhile). */
  checkpoint(): Promise<void>;
  /** Appends `rows` to `table` (in the open transaction), then flushes; throws on a key violation. */
  append<T>(table: string, rows: readonly T[], write: (a: RowAppender, row: T) => void, catalog?: 'temp'): Promise<void>;
}

export interface OpenOptions {
  /** DuckDB settings (`SET` names), e.g. `{ threads: '2' }`. */
  settings?: Record<string, string>;
  /** The class refusals are thrown as (a subclass of {@link DbError}); default DbError. */
  errorClass?: DbErrorClass;
  /** Appended to the `locked` message: what the user should do (`stop it or use another --db`). */
  lockedHint?: string;
}

const openFiles = new Set<string>();

/** Opens (creating it and its directory if needed) a database file, or `:memory:`. */
export async function openDb(file: string, opts: OpenOptions = {}): Promise<Db> {
  const Err = opts.errorClass ?? DbError;
  const target = file === ':memory:' ? file : path.resolve(file);
  const hint = opts.lockedHint ? `; ${opts.lockedHint}` : '';
  if (target !== ':memory:') {
    if (openFiles.has(target)) throw new Err('locked', `${target} is already open in this process (DuckDB allows one writer per file)${hint}`, { details: { file: target } });
    fs.mkdirSync(path.dirname(target), { recursive: true });
  }
  let instance: NativeInstance;
  let first: NativeConnection;
  try {
    instance = await openInstance(target, opts.settings ?? {});
    first = await instance.connect();
  } catch (err) {
    if (isLockError(err)) throw new Err('locked', `${target} is open in another process (DuckDB allows one writer per file)${hint}`, { details: { file: target }, cause: err });
    throw new Err('open-failed', `cannot open DuckDB database ${target}: ${(err as Error).message}`, { details: { file: target }, cause: err });
  }
  if (target !== ':memory:') openFiles.add(target);

  let closed = false;
  const closedError = () => new Err('closed', `database ${target} is closed`, { details: { file: target } });
  const fifo = () => {
    let queue: Promise<unknown> = Promise.resolve();
    return <T>(job: () => Promise<T>): Promise<T> => {
      const result = queue.then(() => {
        if (closed) throw closedError();
        return job();
      });
      queue = result.catch(() => undefined);
      return result;
    };
  };
  const onFirst = fifo();
  const onSecond = fifo();
  const alone = <T>(job: () => Promise<T>): Promise<T> => onSecond(() => onFirst(job));
  const reader = readConnection(instance, closedError);
  const conn0 = writeConn(first, reader);
  let second: { raw: NativeConnection; conn: Conn } | null = null;
  const secondConn = async () => {
    if (!second) {
      const raw = await instance.connect();
      second = { raw, conn: writeConn(raw, reader) };
    }
    return second.conn;
  };

  return {
    file: target,
    run: (sql, params) => alone(() => conn0.run(sql, params)),
    all: (sql, params) => alone(() => conn0.all(sql, params)),
    transaction: (fn) =>
      alone(async () => {
        await conn0.run('BEGIN TRANSACTION');
        try {
          const out = await fn(conn0);
          await conn0.run('COMMIT');
          return out;
        } catch (err) {
          await conn0.run('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }),
    exclusive: (fn) => alone(() => fn(conn0)),
    writer: (i, fn) => (i === 0 ? onFirst(() => fn(conn0)) : onSecond(async () => fn(await secondConn()))),
    checkpoint: () => alone(() => conn0.checkpoint()),
    read: reader.read,
    snapshot: reader.snapshot,
    close: () =>
      alone(async () => {
        try {
          await reader.close();
          if (target !== ':memory:') await first.run('CHECKPOINT');
        } finally {
          closed = true;
          second?.raw.close();
          first.close();
          instance.close();
          openFiles.delete(target);
        }
      }).catch((err) => {
        if (!(err instanceof DbError && err.code === 'closed')) throw err;
      }),
  };
}

/** A write connection's calls (used while its queue is held). */
function writeConn(conn: NativeConnection, reader: { hold: (fn: () => Promise<void>) => Promise<void> }): Conn {
  return {
    run: (sql, params) => conn.run(sql, params),
    all: (sql, params) => conn.all(sql, params),
    checkpoint: () => reader.hold(async () => void (await conn.run('CHECKPOINT'))),
    append: (table, rows, write, catalog) => conn.append(table, rows, write, catalog),
  };
}

/** The read connection: created on first use, its own FIFO queue. */
function readConnection(instance: NativeInstance, closedError: () => DbError) {
  let conn: NativeConnection | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let closing = false;
  const enqueue = <T>(job: () => Promise<T>): Promise<T> => {
    if (closing) return Promise.reject(closedError());
    const result = queue.then(job);
    queue = result.catch(() => undefined);
    return result;
  };
  const connection = async () => (conn ??= await instance.connect());
  const query = async (sql: string, params?: readonly Param[]) => (await connection()).query(sql, params);
  return {
    read: (sql: string, params?: readonly Param[]) => enqueue(() => query(sql, params)),
    snapshot: <T>(fn: (read: (sql: string, params?: readonly Param[]) => Promise<Row[]>) => Promise<T>) =>
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
      conn?.close();
      conn = null;
    },
  };
}
