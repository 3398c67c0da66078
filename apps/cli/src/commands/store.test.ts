import fs from 'node:fs';
import path from 'node:path';
import { composePacks } from '@govern/adapter-kit';
import { describe, expect, test } from 'vitest';
import { cli, oneJson, tempRoot } from '../test-support.js';

// `govern store migrate|repair` on real file and DuckDB stores in temporary roots,
// written by the packs and then damaged behind their backs.

const now = () => new Date('2026-04-01T00:00:00.000Z');

/** A root holding both stores, each with three audit entries. */
async function root(): Promise<string> {
  // Imported as the command imports them (the CLI loads packs lazily).
  const [{ fileStorePack }, { duckdbStorePack }] = await Promise.all([import('@govern/adapter-file-store'), import('@govern/adapter-duckdb-store')]);
  const r = tempRoot({}, 'govern-store-');
  for (const pack of [fileStorePack, duckdbStorePack]) {
    const client = await composePacks([pack]).open({ root: r, now });
    for (const subject of ['X-1', 'X-2', 'X-3']) await client.get('store.audit').append({ actor: 'me', via: 'cli', action: 'close', subject, outcome: 'applied' });
    await client.close();
  }
  return r;
}

describe('govern store', () => {
  test('repair on healthy stores: no problems, exit 0, nothing moved', async () => {
    const r = await cli(['store', 'repair', '--root', await root(), '--json']);
    expect(r.code).toBe(0);
    expect(oneJson(r.out)).toEqual({ applied: false, trash: null, counts: { corruption: 0, 'missing-reference': 0, 'orphaned-path': 0, 'pending-migration': 0 }, diagnostics: [], moved: [], remaining: [] });
  });

  test('repair distinguishes the four kinds, positioned; without --apply nothing changes, with it the paths move to .govern/trash/<time>/', async () => {
    const dir = await root();
    const fsDir = path.join(dir, '.govern/adapters/file-store');
    fs.rmSync(path.join(fsDir, 'meta.json'));
    fs.writeFileSync(path.join(fsDir, 'audit/.tmp-1-x'), '{');
    fs.writeFileSync(path.join(fsDir, 'audit/000000000002.json'), '{"seq": 2,\n "oops"}\n');
    const { openDb } = await import('@govern/duckdb');
    const db = await openDb(path.join(dir, '.govern/adapters/duckdb-store/store.duckdb'));
    await db.run('DELETE FROM audit_entries WHERE seq = 1');
    await db.close();

    const dry = await cli(['store', 'repair', '--root', dir, '--json']);
    expect(dry.code).toBe(1);
    const body = oneJson(dry.out) as { counts: unknown; diagnostics: { kind: string; file: string; line: number | null; column: number | null; table: string | null; row: string | null }[]; moved: unknown[] };
    expect(body.counts).toEqual({ corruption: 1, 'missing-reference': 1, 'orphaned-path': 1, 'pending-migration': 1 });
    expect(body.diagnostics.map((d) => [d.kind, d.file, d.line, d.column, d.table, d.row])).toEqual([
      ['pending-migration', '.govern/adapters/file-store/meta.json', null, null, null, null],
      ['orphaned-path', '.govern/adapters/file-store/audit/.tmp-1-x', null, null, null, null],
      ['corruption', '.govern/adapters/file-store/audit/000000000002.json', 2, 8, null, null],
      ['missing-reference', '.govern/adapters/duckdb-store/store.duckdb', null, null, 'audit_entries', 'seq=2'],
    ]);
    expect(body.moved).toEqual([]);
    expect(fs.existsSync(path.join(fsDir, 'audit/.tmp-1-x'))).toBe(true);

    const text = await cli(['store', 'repair', '--root', dir]);
    expect(text.out).toContain('.govern/adapters/file-store/audit/000000000002.json:2:8  error  store-corrupt  does not parse');
    expect(text.out).toContain('.govern/adapters/duckdb-store/store.duckdb#audit_entries[seq=2]  error  store-missing-reference');
    expect(text.out).toContain('1 corruption, 1 missing-reference, 1 orphaned-path, 1 pending-migration\n');

    const applied = await cli(['store', 'repair', '--apply', '--root', dir, '--json']);
    expect(applied.code).toBe(1);
    const a = oneJson(applied.out) as { applied: boolean; trash: string; moved: { from: string; to: string }[]; remaining: { kind: string }[] };
    expect(a.applied).toBe(true);
    expect(a.trash).toMatch(/^\.govern\/trash\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    expect(a.moved).toEqual([
      { from: '.govern/adapters/file-store/audit/.tmp-1-x', to: `${a.trash}/.govern/adapters/file-store/audit/.tmp-1-x`, what: 'orphaned-path' },
      { from: '.govern/adapters/file-store/audit/000000000002.json', to: `${a.trash}/.govern/adapters/file-store/audit/000000000002.json`, what: 'corruption' },
    ]);
    expect(fs.readFileSync(path.join(dir, a.moved[1]!.to), 'utf8')).toBe('{"seq": 2,\n "oops"}\n');
    // What moving cannot fix stays: the migration, and the gaps in both chains.
    expect(a.remaining.map((d) => d.kind)).toEqual(['pending-migration', 'missing-reference', 'missing-reference']);
  });

  test('migrate --dry-run plans, migrate applies, and the file store is then at its layout', async () => {
    const dir = await root();
    fs.rmSync(path.join(dir, '.govern/adapters/file-store/meta.json'));
    const dry = await cli(['store', 'migrate', '--dry-run', '--root', dir, '--json']);
    expect(dry.code).toBe(0);
    const planned = [{ version: 1, name: 'record the layout version in meta.json' }];
    expect(oneJson(dry.out)).toEqual({
      dryRun: true,
      stores: [
        { pack: 'file-store', exists: true, recordedIn: '.govern/adapters/file-store/meta.json', version: 0, target: 1, planned, dryRun: true, applied: [] },
        { pack: 'duckdb-store', exists: true, recordedIn: '.govern/adapters/duckdb-store/store.duckdb#schema_migrations', version: 1, target: 1, planned: [], dryRun: true, applied: [] },
      ],
    });
    expect(fs.existsSync(path.join(dir, '.govern/adapters/file-store/meta.json'))).toBe(false);
    const done = await cli(['store', 'migrate', '--pack', 'file-store', '--root', dir]);
    expect(done.code).toBe(0);
    expect(done.out).toBe('file-store  schema version 1 of 1 (.govern/adapters/file-store/meta.json); applied 1 (record the layout version in meta.json)\n');
    expect(fs.existsSync(path.join(dir, '.govern/adapters/file-store/meta.json'))).toBe(true);
  });

  test('--pack naming no store is a usage error', async () => {
    const r = await cli(['store', 'migrate', '--pack', 'github', '--root', tempRoot(), '--json']);
    expect(r.code).toBe(2);
    expect(oneJson(r.out)).toEqual({ error: { code: 'usage', message: '--pack github: no pack with a local store is named so; known: file-store, duckdb-store', details: { pack: 'github', known: ['file-store', 'duckdb-store'] } } });
  });
});
