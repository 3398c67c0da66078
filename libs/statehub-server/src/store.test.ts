import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appliedMigrations, checksum, openDb as openKernelDb } from '@govern/duckdb';
import { isGovernError } from '@govern/errors';
import { DbError, openDb } from './db.js';
import { MIGRATIONS } from './migrations.js';
import { Store, StoreError } from './store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function dbFile(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'statehub-store-'));
  dirs.push(d);
  return path.join(d, 'statehub.duckdb');
}
const NOW = () => new Date('2026-03-01T12:00:00.000Z');
const WS = { repo: 'r', itemId: 'WS-1', title: 'One', priority: null, dependsOn: [], status: 'planned' as const };

describe('the StateHub store on the DuckDB kernel', () => {
  it('opens a database made before the kernel: schema_migrations (version, name, applied_at) is upgraded, records and feed stay', async () => {
    const file = dbFile();
    // What StateHub's own runner did before: its table, migration 1, a record and its change.
    const old = await openKernelDb(file);
    await old.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at VARCHAR NOT NULL)');
    for (const sql of MIGRATIONS[0]!.statements) await old.run(sql);
    await old.run('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [1, MIGRATIONS[0]!.name, '2025-12-24T08:00:00.000Z']);
    await old.run(
      `INSERT INTO records VALUES ('id-1', 'workstream', 'r:WS-1', 'r', 'WS-1', NULL, 'One', 'planned', NULL, '[]', 1, '2025-12-24T08:00:01.000Z', '2025-12-24T08:00:01.000Z')`,
    );
    await old.run(`INSERT INTO changes VALUES (1, '2025-12-24T08:00:01.000Z', 'created', 'workstream', 'id-1', 'r:WS-1', 'r', 1, 'planned', NULL, NULL)`);
    await old.close();

    const store = await Store.open(file, { now: NOW });
    expect(await store.list('workstream')).toEqual([
      {
        id: 'id-1',
        kind: 'workstream',
        externalKey: 'r:WS-1',
        repo: 'r',
        itemId: 'WS-1',
        workstreamId: null,
        title: 'One',
        status: 'planned',
        priority: null,
        dependsOn: [],
        version: 1,
        createdAt: '2025-12-24T08:00:01.000Z',
        updatedAt: '2025-12-24T08:00:01.000Z',
      },
    ]);
    const put = await store.putByKey('workstream', 'r:WS-1', { ...WS, title: 'One, renamed' });
    expect([put.changed, put.record.version, (await store.changes(0, 10)).changes.map((c) => [c.seq, c.op])]).toEqual([
      true,
      2,
      [
        [1, 'created'],
        [2, 'updated'],
      ],
    ]);
    await store.close();

    const db = await openDb(file);
    expect(await appliedMigrations(db)).toEqual([{ version: 1, name: MIGRATIONS[0]!.name, sha256: checksum(MIGRATIONS[0]!), applied_at: '2025-12-24T08:00:00.000Z' }]);
    await db.close();
  });

  it('refuses a second open of the file with a DbError `locked` naming what to do', async () => {
    const file = dbFile();
    const store = await Store.open(file);
    const err = await Store.open(file).catch((e: unknown) => e);
    expect([err instanceof DbError, (err as DbError).toJSON()]).toEqual([
      true,
      { code: 'locked', message: `${file} is already open in this process (DuckDB allows one writer per file); stop it or use another --db`, details: { file } },
    ]);
    await store.close();
  });

  it('refusals are GovernErrors with their code, status, details and the current record', async () => {
    const store = await Store.open(dbFile(), { now: NOW });
    const { record } = await store.putByKey('workstream', 'r:WS-1', WS);
    const err = (await store.setStatus('workstream', record.id, { status: 'done', ifVersion: 7 }).catch((e: unknown) => e)) as StoreError;
    expect([err instanceof StoreError, isGovernError(err), err.name, err.status, err.current, err.toJSON()]).toEqual([
      true,
      true,
      'StoreError',
      409,
      record,
      { code: 'version-conflict', message: 'workstream r:WS-1 is at version 1, not 7', details: { ifVersion: 7 } },
    ]);
    await store.close();
  });
});
