import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from './db.js';
import { MigrationError } from './errors.js';
import { appliedMigrations, checksum, migrate, type Migration } from './migrations.js';

const dirs: string[] = [];
const open: Db[] = [];
afterAll(async () => {
  for (const db of open.splice(0)) await db.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
async function tempDb(): Promise<Db> {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'duckdb-migrations-'));
  dirs.push(d);
  const db = await openDb(path.join(d, 'm.duckdb'));
  open.push(db);
  return db;
}

const M1: Migration = { version: 1, name: 'things', statements: ['CREATE TABLE things (id INTEGER PRIMARY KEY, label VARCHAR NOT NULL)', "INSERT INTO things VALUES (1, 'first')"] };
const M2: Migration = { version: 2, name: 'a view', statements: ['CREATE VIEW labels AS SELECT label FROM things'] };
const M3: Migration = { version: 3, name: 'broken', statements: ['CREATE TABLE half (x INTEGER)', 'CREATE TABLE things (id INTEGER)'] };
const clock = (...times: string[]) => () => times.shift() ?? 'out of times';

describe('migrate', () => {
  it('applies the missing migrations in order, each recorded with its sha256 and time, and nothing on the next open', async () => {
    const db = await tempDb();
    expect(await migrate(db, [M1, M2], { now: clock('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z') })).toEqual({ from: 0, to: 2, applied: [1, 2], legacy: null });
    expect(await appliedMigrations(db)).toEqual([
      { version: 1, name: 'things', sha256: checksum(M1), applied_at: '2026-01-01T00:00:00.000Z' },
      { version: 2, name: 'a view', sha256: checksum(M2), applied_at: '2026-01-02T00:00:00.000Z' },
    ]);
    expect(await db.all('SELECT * FROM labels')).toEqual([{ label: 'first' }]);
    expect(await migrate(db, [M1, M2])).toEqual({ from: 2, to: 2, applied: [], legacy: null });
    expect(checksum(M1)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(M1)).not.toBe(checksum({ statements: [...M1.statements, ''] }));
  });

  it('leaves the previous version when a migration fails: its statements and its row roll back together', async () => {
    const db = await tempDb();
    await migrate(db, [M1], { now: clock('t1') });
    await expect(migrate(db, [M1, M2, M3], { now: clock('t2', 't3') })).rejects.toThrow(/things/);
    expect(await appliedMigrations(db)).toEqual([
      { version: 1, name: 'things', sha256: checksum(M1), applied_at: 't1' },
      { version: 2, name: 'a view', sha256: checksum(M2), applied_at: 't2' },
    ]);
    expect(await db.all("SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_name = 'half'")).toEqual([{ n: 0 }]);
  });

  it('refuses an applied migration whose SQL changed, with a typed error, and changes nothing', async () => {
    const db = await tempDb();
    await migrate(db, [M1], { now: clock('t1') });
    const edited = { ...M1, statements: [...M1.statements, "INSERT INTO things VALUES (2, 'second')"] };
    const err = await migrate(db, [edited, M2]).catch((e: unknown) => e);
    expect([err instanceof MigrationError, (err as MigrationError).toJSON()]).toEqual([
      true,
      {
        code: 'schema',
        message: `${db.file}: migration 1 (things) differs from the one applied; released migrations must not change`,
        details: { file: db.file, reason: 'checksum-mismatch', version: 1, name: 'things', recorded: checksum(M1), expected: checksum(edited) },
      },
    ]);
    expect(await appliedMigrations(db)).toEqual([{ version: 1, name: 'things', sha256: checksum(M1), applied_at: 't1' }]);
  });

  it('refuses a database written by a newer build', async () => {
    const db = await tempDb();
    await migrate(db, [M1, M2]);
    const err = await migrate(db, [M1], { upgrade: 'memoryd' }).catch((e: unknown) => e);
    expect([err instanceof MigrationError, (err as MigrationError).toJSON()]).toEqual([
      true,
      { code: 'schema', message: `${db.file} has schema version 2, newer than this build's 1; upgrade memoryd`, details: { file: db.file, reason: 'newer-schema', version: 2, known: 1 } },
    ]);
  });
});

describe('older schema_migrations layouts', () => {
  it('the memory store’s (version, name, checksum): checksums kept, applied_at unknown, then the missing migrations', async () => {
    const db = await tempDb();
    // As libs/memory-store/src/migrations.ts created and filled it before the kernel.
    await db.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL)');
    for (const s of M1.statements) await db.run(s);
    await db.run('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [1, M1.name, checksum(M1)]);
    expect(await migrate(db, [M1, M2], { now: clock('t2') })).toEqual({ from: 1, to: 2, applied: [2], legacy: 'checksum' });
    expect(await appliedMigrations(db)).toEqual([
      { version: 1, name: 'things', sha256: checksum(M1), applied_at: null },
      { version: 2, name: 'a view', sha256: checksum(M2), applied_at: 't2' },
    ]);
    expect(await db.all("SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'schema_migrations' ORDER BY ordinal_position")).toEqual([
      { column_name: 'version', data_type: 'INTEGER', is_nullable: 'NO' },
      { column_name: 'name', data_type: 'VARCHAR', is_nullable: 'NO' },
      { column_name: 'sha256', data_type: 'VARCHAR', is_nullable: 'NO' },
      { column_name: 'applied_at', data_type: 'VARCHAR', is_nullable: 'YES' },
    ]);
    expect(await migrate(db, [M1, M2])).toEqual({ from: 2, to: 2, applied: [], legacy: null });
  });

  it('the memory store’s layout still refuses an edited migration after the upgrade', async () => {
    const db = await tempDb();
    await db.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL)');
    await db.run("INSERT INTO schema_migrations VALUES (1, 'things', 'an-old-checksum')");
    await expect(migrate(db, [M1])).rejects.toMatchObject({ code: 'schema', details: { reason: 'checksum-mismatch', recorded: 'an-old-checksum' } });
  });

  it('StateHub’s (version, name, applied_at): times kept, sha256 of this build’s migration', async () => {
    const db = await tempDb();
    // As libs/statehub-server/src/migrations.ts created and filled it before the kernel.
    await db.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at VARCHAR NOT NULL)');
    for (const s of M1.statements) await db.run(s);
    await db.run('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [1, M1.name, '2025-06-01T10:00:00.000Z']);
    expect(await migrate(db, [M1, M2], { now: clock('t2') })).toEqual({ from: 1, to: 2, applied: [2], legacy: 'applied_at' });
    expect(await appliedMigrations(db)).toEqual([
      { version: 1, name: 'things', sha256: checksum(M1), applied_at: '2025-06-01T10:00:00.000Z' },
      { version: 2, name: 'a view', sha256: checksum(M2), applied_at: 't2' },
    ]);
  });

  it('an older layout from a newer build is refused before anything is rewritten', async () => {
    const db = await tempDb();
    await db.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at VARCHAR NOT NULL)');
    await db.run("INSERT INTO schema_migrations VALUES (1, 'things', 'a'), (7, 'future', 'b')");
    await expect(migrate(db, [M1], { upgrade: 'govern' })).rejects.toMatchObject({ code: 'schema', details: { reason: 'newer-schema', version: 7 } });
    expect(await db.all('SELECT * FROM schema_migrations ORDER BY version')).toEqual([
      { version: 1, name: 'things', applied_at: 'a' },
      { version: 7, name: 'future', applied_at: 'b' },
    ]);
  });

  it('refuses a layout it does not know', async () => {
    const db = await tempDb();
    await db.run('CREATE TABLE schema_migrations (id INTEGER, what VARCHAR)');
    const err = (await migrate(db, [M1]).catch((e: unknown) => e)) as MigrationError;
    expect(err.toJSON()).toEqual({
      code: 'schema',
      message: `${db.file}: schema_migrations has columns id, what, a layout this build does not know`,
      details: { file: db.file, reason: 'unknown-layout', columns: ['id', 'what'] },
    });
  });
});
