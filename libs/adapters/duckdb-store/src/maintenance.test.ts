import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { composePacks } from '@govern/adapter-kit';
import { openDb, SCHEMA_MIGRATIONS_DDL } from '@govern/duckdb';
import { afterAll, describe, expect, test } from 'vitest';
import { DUCKDB_STORE_FILE, duckdbStorePack } from './index.js';

// Migration and repair of real DuckDB store files in temporary roots, through the
// pack's `maintenance`: rows edited, removed and added behind the pack's back.

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});
const now = () => new Date('2026-04-01T00:00:00.000Z');
const m = duckdbStorePack.maintenance!;
const tempRoot = () => {
  const r = fs.mkdtempSync(path.join(os.tmpdir(), 'duckdb-store-maint-'));
  roots.push(r);
  return r;
};

async function store(): Promise<string> {
  const root = tempRoot();
  const client = await composePacks([duckdbStorePack]).open({ root, now });
  await client.get('store.graph').put({ schema: 'govern.graph-snapshot/v1', id: 'main', taken_at: '2026-04-01T00:00:00Z', source: { repo: 'r', commit: null }, nodes: [] });
  await client.get('store.event').append('s1', [{ type: 'a' }, { type: 'b' }, { type: 'c' }]);
  for (const subject of ['X-1', 'X-2', 'X-3']) await client.get('store.audit').append({ actor: 'me', via: 'cli', action: 'close', subject, outcome: 'applied' });
  await client.close();
  return root;
}

async function sql(root: string, ...statements: string[]): Promise<void> {
  const db = await openDb(path.join(root, DUCKDB_STORE_FILE));
  try {
    for (const s of statements) await db.run(s);
  } finally {
    await db.close();
  }
}

const base = { pack: 'duckdb-store', file: DUCKDB_STORE_FILE, line: null, column: null };

describe('DuckDB store maintenance', () => {
  test('a store the pack wrote: at the schema version of this build, nothing planned, nothing to repair', async () => {
    const root = await store();
    expect(await m.metadata(root)).toEqual({ pack: 'duckdb-store', exists: true, recordedIn: `${DUCKDB_STORE_FILE}#schema_migrations`, version: 1, target: 1, planned: [] });
    expect(await m.inspect(root)).toEqual([]);
  });

  test('repair positions corrupt rows, missing rows, orphaned tables and files by table and row; --apply moves them to the trash', async () => {
    const root = await store();
    await sql(
      root,
      "UPDATE audit_entries SET body = replace(body, '\"X-2\"', '\"X-9\"') WHERE seq = 2",
      "INSERT INTO graph_snapshots VALUES ('junk', 'x', 'y', 0, '{not json')",
      "DELETE FROM event_records WHERE stream = 's1' AND seq = 2",
      'CREATE TABLE scratch (a INTEGER)',
      'INSERT INTO scratch VALUES (7)',
    );
    fs.writeFileSync(path.join(root, '.govern/adapters/duckdb-store/store.duckdb.bak'), 'old copy');
    const diagnostics = [
      { ...base, severity: 'warning', code: 'store-orphaned-path', kind: 'orphaned-path', message: ".govern/adapters/duckdb-store/store.duckdb.bak is not the store's database or its write-ahead log", file: '.govern/adapters/duckdb-store/store.duckdb.bak', table: null, row: null, repair: 'move-to-trash' },
      { ...base, severity: 'warning', code: 'store-orphaned-path', kind: 'orphaned-path', message: "table scratch is not one of the store's (schema_migrations, graph_snapshots, event_records, audit_entries)", table: 'scratch', row: null, repair: 'move-to-trash' },
      { ...base, severity: 'error', code: 'store-corrupt', kind: 'corruption', message: expect.stringMatching(/^graph_snapshots id=junk: body does not parse: /) as unknown, table: 'graph_snapshots', row: 'id=junk', repair: 'move-to-trash' },
      { ...base, severity: 'error', code: 'store-missing-reference', kind: 'missing-reference', message: 'event_records stream=s1 seq=3: stream s1 continues at seq 3, but events 2..2 are missing', table: 'event_records', row: 'stream=s1 seq=3', repair: 'none' },
      { ...base, severity: 'error', code: 'store-corrupt', kind: 'corruption', message: 'audit_entries seq=2: audit entry 2 does not match its hash: it was edited after it was written', table: 'audit_entries', row: 'seq=2', repair: 'move-to-trash' },
    ];
    expect(await m.repair(root, { apply: false, trash: '.govern/trash/T' })).toEqual({ pack: 'duckdb-store', applied: false, diagnostics, moved: [], trash: null });

    const r = await m.repair(root, { apply: true, trash: '.govern/trash/T' });
    expect(r).toEqual({
      pack: 'duckdb-store',
      applied: true,
      diagnostics,
      moved: [
        { from: '.govern/adapters/duckdb-store/store.duckdb.bak', to: '.govern/trash/T/.govern/adapters/duckdb-store/store.duckdb.bak', what: 'orphaned-path' },
        { from: `${DUCKDB_STORE_FILE}#graph_snapshots`, to: '.govern/trash/T/.govern/adapters/duckdb-store/store.duckdb#graph_snapshots.jsonl', what: 'corruption (1 row)' },
        { from: `${DUCKDB_STORE_FILE}#audit_entries`, to: '.govern/trash/T/.govern/adapters/duckdb-store/store.duckdb#audit_entries.jsonl', what: 'corruption (1 row)' },
        { from: `${DUCKDB_STORE_FILE}#scratch`, to: '.govern/trash/T/.govern/adapters/duckdb-store/store.duckdb#scratch.jsonl', what: 'orphaned-path (table)' },
      ],
      trash: '.govern/trash/T',
    });
    // The rows are recoverable from the trash, as they were.
    expect(fs.readFileSync(path.join(root, '.govern/trash/T/.govern/adapters/duckdb-store/store.duckdb#graph_snapshots.jsonl'), 'utf8')).toBe('{"id":"junk","sha256":"x","taken_at":"y","node_count":0,"body":"{not json"}\n');
    expect(fs.readFileSync(path.join(root, '.govern/trash/T/.govern/adapters/duckdb-store/store.duckdb#scratch.jsonl'), 'utf8')).toBe('{"a":7}\n');
    // Left: the two gaps nobody can fill by moving things (event 2, and audit entry 3 after entry 2 left).
    expect((await m.inspect(root)).map((d) => [d.kind, d.table, d.row])).toEqual([
      ['missing-reference', 'event_records', 'stream=s1 seq=3'],
      ['missing-reference', 'audit_entries', 'seq=3'],
    ]);
  });

  test('a store at schema version 0 has migration 1 pending; --dry-run changes nothing, migrate applies it and the pack reads the store', async () => {
    const root = tempRoot();
    fs.mkdirSync(path.join(root, path.dirname(DUCKDB_STORE_FILE)), { recursive: true });
    await sql(root, SCHEMA_MIGRATIONS_DDL);
    const planned = [{ version: 1, name: 'graph snapshots, event records, audit entries' }];
    const meta = { pack: 'duckdb-store', exists: true, recordedIn: `${DUCKDB_STORE_FILE}#schema_migrations`, target: 1 };
    expect(await m.inspect(root)).toEqual([
      { ...base, severity: 'error', code: 'store-migration-pending', kind: 'pending-migration', message: `${DUCKDB_STORE_FILE} is at schema version 0, this build's is 1: run govern store migrate`, table: 'schema_migrations', row: null, repair: 'migrate' },
    ]);
    expect(await m.migrate(root, { dryRun: true })).toEqual({ ...meta, version: 0, planned, dryRun: true, applied: [] });
    expect(await m.metadata(root)).toEqual({ ...meta, version: 0, planned });
    expect(await m.migrate(root, { dryRun: false })).toEqual({ ...meta, version: 1, planned: [], dryRun: false, applied: planned });
    const client = await composePacks([duckdbStorePack]).open({ root, readOnly: true, now });
    expect(await client.get('store.graph').list()).toEqual([]);
    await client.close();
  });

  test('a file that is no DuckDB database is corruption of the file', async () => {
    const root = tempRoot();
    fs.mkdirSync(path.join(root, path.dirname(DUCKDB_STORE_FILE)), { recursive: true });
    fs.writeFileSync(path.join(root, DUCKDB_STORE_FILE), 'this is not a database, just text long enough to be read as a header by DuckDB '.repeat(100));
    const d = await m.inspect(root);
    expect(d.map((x) => [x.kind, x.file, x.table])).toEqual([['corruption', DUCKDB_STORE_FILE, null]]);
  });
});
