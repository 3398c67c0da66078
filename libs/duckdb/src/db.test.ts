import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGovernError } from '@govern/errors';
import { openDb, type Db } from './db.js';
import { DbError } from './errors.js';
import { isDuplicateKey, num } from './node-api.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function dbFile(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'duckdb-kernel-'));
  dirs.push(d);
  return path.join(d, 'nested', 'test.duckdb');
}

describe('lifetime', () => {
  it('creates the file and its directory, keeps data across a close and a reopen, and leaves no WAL after close', async () => {
    const file = dbFile();
    const db = await openDb(file);
    expect(db.file).toBe(file);
    await db.run('CREATE TABLE t (k VARCHAR PRIMARY KEY, n BIGINT)');
    expect(await db.run("INSERT INTO t VALUES ('a', 1), ('b', 2)")).toBe(2);
    await db.close();
    expect([fs.existsSync(file), fs.existsSync(`${file}.wal`)]).toEqual([true, false]);
    const again = await openDb(file);
    expect(await again.all('SELECT * FROM t ORDER BY k')).toEqual([
      { k: 'a', n: 1n },
      { k: 'b', n: 2n },
    ]);
    await again.close();
  });

  it('close is idempotent, and every use after it is refused with a DbError `closed`', async () => {
    const file = dbFile();
    const db = await openDb(file);
    await db.all('SELECT 1');
    await db.read('SELECT 1');
    await Promise.all([db.close(), db.close()]);
    await db.close();
    const refusals = await Promise.all(
      [db.run('SELECT 1'), db.all('SELECT 1'), db.read('SELECT 1'), db.transaction(async () => 1), db.snapshot(async () => 1), db.writer(1, async () => 1)].map((p) =>
        p.then(
          () => 'resolved',
          (err: unknown) => [err instanceof DbError, isGovernError(err), (err as DbError).toJSON()],
        ),
      ),
    );
    const closed = [true, true, { code: 'closed', message: `database ${file} is closed`, details: { file } }];
    expect(refusals).toEqual([closed, closed, closed, closed, closed, closed]);
  });

  it('refuses a second open of the same file in this process until the first is closed', async () => {
    const file = dbFile();
    const db = await openDb(file, { lockedHint: 'stop it or use another --db' });
    const err = await openDb(file, { lockedHint: 'stop it or use another --db' }).catch((e: unknown) => e);
    expect([err instanceof DbError, (err as DbError).toJSON()]).toEqual([
      true,
      { code: 'locked', message: `${file} is already open in this process (DuckDB allows one writer per file); stop it or use another --db`, details: { file } },
    ]);
    await db.close();
    await (await openDb(file)).close();
  });

  it('turns the lock of another process into `locked`, thrown as the caller’s error class', async () => {
    const file = dbFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // A child process holds the file open until its stdin closes. A collected instance
    // releases DuckDB's file lock, so the holder keeps it referenced, and collects before it
    // says `held`: a holder that would lose the lock loses it before the test looks.
    const holder = spawn(
      process.execPath,
      ['--expose-gc', '-e', `import('@duckdb/node-api').then(async ({ DuckDBInstance }) => { const instance = await DuckDBInstance.create(${JSON.stringify(file)}); globalThis.held = [instance, await instance.connect()]; for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); } console.log('held'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0)); })`],
      { cwd: path.dirname(new URL(import.meta.url).pathname), stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      class ServiceError extends DbError {}
      const err = await openDb(file, { errorClass: ServiceError }).catch((e: unknown) => e);
      expect([(err as Error).name, err instanceof ServiceError, (err as DbError).toJSON()]).toEqual([
        'ServiceError',
        true,
        { code: 'locked', message: `${file} is open in another process (DuckDB allows one writer per file)`, details: { file } },
      ]);
    } finally {
      holder.stdin.end();
      await new Promise((r) => holder.once('exit', r));
    }
    await (await openDb(file)).close(); // the file is free once the holder is gone
  });

  it('reports a file that is not a database as `open-failed`', async () => {
    const file = dbFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'not a database, just text that is long enough to have a header '.repeat(100));
    const err = (await openDb(file).catch((e: unknown) => e)) as DbError;
    expect([err.code, err.message.startsWith(`cannot open DuckDB database ${file}: `), err.details]).toEqual(['open-failed', true, { file }]);
    await (await openDb(':memory:')).close(); // nothing registered by the failure
    await expect(openDb(file)).rejects.toMatchObject({ code: 'open-failed' });
  });
});

describe('queued access and transactions', () => {
  async function counter(): Promise<Db> {
    const db = await openDb(dbFile());
    await db.run('CREATE TABLE c (seq BIGINT PRIMARY KEY, who VARCHAR NOT NULL)');
    return db;
  }
  /** A read-then-write transaction that would collide if two interleaved on one connection. */
  const next = (db: Db, who: string) =>
    db.transaction(async (tx) => {
      const seq = num((await tx.all('SELECT coalesce(max(seq), 0) + 1 AS seq FROM c'))[0]!.seq);
      await new Promise((r) => setTimeout(r, 2));
      await tx.run('INSERT INTO c VALUES ($1, $2)', [seq, who]);
      return seq;
    });

  it('runs concurrent transactions one at a time, in order', async () => {
    const db = await counter();
    const seqs = await Promise.all(['a', 'b', 'c', 'd'].map((w) => next(db, w)));
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect(await db.all('SELECT seq, who FROM c ORDER BY seq')).toEqual([
      { seq: 1n, who: 'a' },
      { seq: 2n, who: 'b' },
      { seq: 3n, who: 'c' },
      { seq: 4n, who: 'd' },
    ]);
    await db.close();
  });

  it('rolls a transaction back when its callback throws, and the next caller runs on a clean connection', async () => {
    const db = await counter();
    const failed = db.transaction(async (tx) => {
      await tx.run("INSERT INTO c VALUES (1, 'lost')");
      await tx.run("INSERT INTO c VALUES (1, 'duplicate')"); // poisons the transaction
    });
    const after = next(db, 'after');
    const err = await failed.catch((e: unknown) => e);
    expect(isDuplicateKey(err)).toBe(true);
    expect(await after).toBe(1);
    expect(await db.all('SELECT seq, who FROM c')).toEqual([{ seq: 1n, who: 'after' }]);
    await db.close();
  });

  it('appends rows in a transaction; a duplicate key fails the flush and the rollback keeps nothing', async () => {
    const db = await counter();
    const rows = [
      { seq: 1n, who: 'x' },
      { seq: 2n, who: 'y' },
    ];
    const write = (a: { bigint(v: bigint): void; varchar(v: string | null): void }, r: { seq: bigint; who: string }) => {
      a.bigint(r.seq);
      a.varchar(r.who);
    };
    await db.transaction((tx) => tx.append('c', rows, write));
    const err = await db.transaction((tx) => tx.append('c', [{ seq: 3n, who: 'z' }, rows[0]!], write)).catch((e: unknown) => e);
    expect(isDuplicateKey(err)).toBe(true);
    await db.transaction((tx) => tx.append('c', [{ seq: 3n, who: 'z' }], write)); // the failed appender left nothing behind
    expect(await db.all('SELECT seq, who FROM c ORDER BY seq')).toEqual([...rows, { seq: 3n, who: 'z' }]);
    await db.close();
  });

  it('reads committed data on the read connection; a snapshot sees one state while a write commits', async () => {
    const db = await counter();
    await next(db, 'a');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const snap = db.snapshot(async (read) => {
      const before = await read('SELECT count(*)::INTEGER AS n FROM c');
      await gate;
      const after = await read('SELECT count(*)::INTEGER AS n FROM c');
      return [before, after];
    });
    await next(db, 'b'); // commits while the snapshot is open: the write queue does not wait for reads
    release();
    expect(await snap).toEqual([[{ n: 1 }], [{ n: 1 }]]);
    expect(await db.read('SELECT count(*)::INTEGER AS n FROM c WHERE seq >= $1', [1n])).toEqual([{ n: 2 }]);
    await db.close();
  });

  it('writer(1) holds only its own queue: a transaction appends there while connection 0 commits', async () => {
    const db = await counter();
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let appended!: () => void;
    const isAppended = new Promise<void>((r) => (appended = r));
    const one = db.writer(1, async (c) => {
      await c.run('BEGIN TRANSACTION');
      await c.run("INSERT INTO c VALUES (10, 'one')");
      order.push('one appended');
      appended();
      await held;
      await c.run('COMMIT');
      order.push('one committed');
    });
    const zero = db.writer(0, async (c) => {
      await isAppended; // would deadlock if writer(1) held connection 0's queue
      await c.run("INSERT INTO c VALUES (20, 'zero')");
      order.push('zero committed');
      release();
    });
    await Promise.all([one, zero]);
    expect(order).toEqual(['one appended', 'zero committed', 'one committed']);
    expect(await db.all('SELECT seq FROM c ORDER BY seq')).toEqual([{ seq: 10n }, { seq: 20n }]);
    await db.close();
  });
});

describe('num', () => {
  it('turns BIGINT values into numbers and refuses what would lose precision', () => {
    expect([num(5n), num(7)]).toEqual([5, 7]);
    expect(() => num(2n ** 60n)).toThrow(RangeError);
    expect(() => num('5')).toThrow(TypeError);
  });
});
