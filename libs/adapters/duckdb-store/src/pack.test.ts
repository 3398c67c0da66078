import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '@govern/duckdb';
import { toErrorJSON } from '@govern/errors';
import { canonicalJson, checkPack, composePacks, CompatibilityManifestSchema, definePack, type ConformanceHarness, type GraphSnapshot } from '@govern/adapter-kit';
import { conformanceSuite } from '@govern/adapter-kit/testing';
import { afterAll, describe, expect, test } from 'vitest';
import { DUCKDB_STORE_FILE, DUCKDB_STORE_MANIFEST, duckdbStorePack } from './index.js';

// The DuckDB store through its manifest, the composed client and the conformance
// standard, on real DuckDB files in temporary roots.

/** Every table of the store's file and a digest of its rows, read with the pack closed. */
async function tables(root: string): Promise<Record<string, string>> {
  const file = path.join(root, DUCKDB_STORE_FILE);
  if (!fs.existsSync(file)) return {};
  const db = await openDb(file, { settings: { access_mode: 'READ_ONLY' } });
  try {
    const out: Record<string, string> = {};
    for (const { table_name } of await db.all("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name")) {
      const rows = (await db.all(`SELECT * FROM "${String(table_name)}"`)).map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).sort();
      out[String(table_name)] = crypto.createHash('sha256').update(rows.join('\n')).digest('hex');
    }
    return out;
  } finally {
    await db.close();
  }
}

const harness: ConformanceHarness = { sandbox: (root) => ({ observe: async () => ({ tables: await tables(root) }) }) };

conformanceSuite(duckdbStorePack, harness);

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});
function tempRoot(): string {
  const r = fs.mkdtempSync(path.join(os.tmpdir(), 'duckdb-store-'));
  roots.push(r);
  return r;
}
const now = () => new Date('2026-04-01T00:00:00.000Z');
const open = (root: string, readOnly = false) => composePacks([duckdbStorePack]).open({ root, readOnly, now });
async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => toErrorJSON(e),
  );
}
const SNAPSHOT: GraphSnapshot = { schema: 'govern.graph-snapshot/v1', id: 'main', taken_at: '2026-04-01T00:00:00Z', source: { repo: 'r', commit: null }, nodes: [] };

describe('the DuckDB store pack', () => {
  test('its manifest: the three store capabilities, persistent, owning its directory and its four tables', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    expect(CompatibilityManifestSchema.parse(duckdbStorePack.manifest)).toEqual({
      schema: 'govern.adapter-manifest/v1',
      name: 'duckdb-store',
      package: pkg.name,
      version: pkg.version,
      description: 'graph snapshots, event streams and the audit chain in a DuckDB file through @govern/duckdb, with checksummed migrations',
      capabilities: ['store.graph', 'store.event', 'store.audit'],
      durability: 'persistent',
      contracts: [
        { name: '@govern/contracts', version: '1.0.0' },
        { name: 'govern-adapter-capabilities', version: '1.0.0' },
      ],
      ownership: { paths: ['.govern/adapters/duckdb-store/**'], tables: ['schema_migrations', 'graph_snapshots', 'event_records', 'audit_entries'], remote: [] },
      conformance: ['govern-conformance/1'],
      gate: 'adapter-duckdb-store',
    });
  });

  test('a manifest that leaves a table out is caught by the side-effect policy, naming the table', async () => {
    const underDeclared = definePack({
      manifest: { ...DUCKDB_STORE_MANIFEST, name: 'duckdb-store-under-declared', ownership: { ...DUCKDB_STORE_MANIFEST.ownership, tables: ['schema_migrations', 'graph_snapshots', 'event_records'] } },
      module: null,
      create: (ctx) => duckdbStorePack.create(ctx),
    });
    const report = await checkPack(underDeclared, { harness, subchecks: ['side-effect-policy'] });
    expect(report.subchecks.map((s) => ({ name: s.name, ok: s.ok, problems: s.problems, tables: s.details.tables_changed }))).toEqual([
      {
        name: 'side-effect-policy',
        ok: false,
        problems: ['table audit_entries: created or changed, not in the ownership tables (schema_migrations, graph_snapshots, event_records)'],
        tables: ['audit_entries', 'event_records', 'graph_snapshots', 'schema_migrations'],
      },
    ]);
  });

  test('records are stored as their canonical JSON; a read-only instance reads them, a missing store reads as empty and is not created', async () => {
    const root = tempRoot();
    const empty = await open(root, true);
    expect({ list: await empty.get('store.graph').list(), audit: await empty.get('store.audit').read(), exists: fs.existsSync(path.join(root, '.govern')) }).toEqual({
      list: [],
      audit: { entries: [], verified: true, problems: [] },
      exists: false,
    });
    await empty.close();
    const c = await open(root);
    await c.get('store.graph').put(SNAPSHOT);
    const [event] = await c.get('store.event').append('run-1', [{ type: 'a.b', data: { n: 1.5 } }]);
    const entry = await c.get('store.audit').append({ actor: 'ada', via: 'cli', action: 'close', subject: 'GV-01', outcome: 'applied' });
    await c.close();
    const db = await openDb(path.join(root, DUCKDB_STORE_FILE), { settings: { access_mode: 'READ_ONLY' } });
    const bodies = {
      graph: (await db.all('SELECT body FROM graph_snapshots'))[0]!.body,
      event: (await db.all('SELECT body FROM event_records'))[0]!.body,
      audit: (await db.all('SELECT body FROM audit_entries'))[0]!.body,
      migrations: (await db.all('SELECT version, name FROM schema_migrations')).map((r) => [Number(r.version), r.name]),
    };
    await db.close();
    expect(bodies).toEqual({ graph: canonicalJson(SNAPSHOT), event: canonicalJson(event), audit: canonicalJson(entry), migrations: [[1, 'graph snapshots, event records, audit entries']] });
    const reader = await open(root, true);
    expect(await reader.get('store.graph').get('main')).toEqual(SNAPSHOT);
    await reader.close();
  });

  test("the kernel's refusals arrive as failures with the reason split: a store open elsewhere, an edited migration, a corrupt row", async () => {
    const root = tempRoot();
    const first = await open(root);
    expect(await refusal(open(root))).toEqual({
      code: 'adapter-failure',
      message: expect.stringMatching(/^duckdb-store: open: .*store\.duckdb is already open in this process \(DuckDB allows one writer per file\); close the other govern process using this store$/),
      details: { db: 'locked', failure_reason_code: 'adapter.store.io', policy_reason_code: null },
    });
    await first.get('store.graph').put(SNAPSHOT);
    await first.close();

    const file = path.join(root, DUCKDB_STORE_FILE);
    const db = await openDb(file);
    await db.run("UPDATE graph_snapshots SET body = '{\"schema\":' WHERE id = 'main'");
    await db.close();
    const c = await open(root);
    expect(await refusal(c.get('store.graph').get('main'))).toEqual({
      code: 'adapter-failure',
      message: expect.stringMatching(/^\.govern\/adapters\/duckdb-store\/store\.duckdb: graph snapshot main does not hold a valid record: /),
      details: { where: 'graph snapshot main', failure_reason_code: 'adapter.store.corrupt', policy_reason_code: null },
    });
    await c.close();

    const db2 = await openDb(file);
    await db2.run("UPDATE schema_migrations SET sha256 = 'edited' WHERE version = 1");
    await db2.close();
    expect(await refusal(open(root))).toEqual({
      code: 'adapter-failure',
      message: expect.stringMatching(/^duckdb-store: migrate: .*migration 1 \(graph snapshots, event records, audit entries\) differs from the one applied; released migrations must not change$/),
      details: { db: 'schema', failure_reason_code: 'adapter.store.schema', policy_reason_code: null },
    });
  });
});
