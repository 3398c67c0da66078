import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { composePacks, type StoreDiagnostic } from '@govern/adapter-kit';
import { afterAll, describe, expect, test } from 'vitest';
import { FILE_STORE_DIR, fileStorePack } from './index.js';

// Migration and repair of real file stores in temporary roots, through the pack's
// `maintenance`: a store written by the pack, then damaged the ways crashes and
// hand edits damage one.

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});
const now = () => new Date('2026-04-01T00:00:00.000Z');
const m = fileStorePack.maintenance!;
const at = (root: string, rel: string) => path.join(root, FILE_STORE_DIR, rel);

/** A store with a snapshot, a stream of two batches and three audit entries, written by the pack. */
async function store(): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'file-store-maint-'));
  roots.push(root);
  const client = await composePacks([fileStorePack]).open({ root, now });
  await client.get('store.graph').put({ schema: 'govern.graph-snapshot/v1', id: 'main', taken_at: '2026-04-01T00:00:00Z', source: { repo: 'r', commit: null }, nodes: [] });
  await client.get('store.event').append('s1', [{ type: 'a' }]);
  await client.get('store.event').append('s1', [{ type: 'b' }, { type: 'c' }]);
  for (const subject of ['X-1', 'X-2', 'X-3']) await client.get('store.audit').append({ actor: 'me', via: 'cli', action: 'close', subject, outcome: 'applied' });
  await client.close();
  return root;
}

const diag = (d: Partial<StoreDiagnostic> & Pick<StoreDiagnostic, 'kind' | 'file'>): StoreDiagnostic => ({
  severity: d.kind === 'orphaned-path' ? 'warning' : 'error',
  code: { corruption: 'store-corrupt', 'missing-reference': 'store-missing-reference', 'orphaned-path': 'store-orphaned-path', 'pending-migration': 'store-migration-pending' }[d.kind] as StoreDiagnostic['code'],
  pack: 'file-store',
  message: expect.any(String) as unknown as string,
  line: null,
  column: null,
  table: null,
  row: null,
  repair: d.kind === 'pending-migration' ? 'migrate' : d.kind === 'missing-reference' ? 'none' : 'move-to-trash',
  ...d,
});

describe('file store maintenance', () => {
  test('a store the pack wrote is at its layout, with nothing planned and nothing to repair', async () => {
    const root = await store();
    expect(await m.metadata(root)).toEqual({ pack: 'file-store', exists: true, recordedIn: '.govern/adapters/file-store/meta.json', version: 1, target: 1, planned: [] });
    expect(await m.inspect(root)).toEqual([]);
  });

  test('no store at all: nothing exists, nothing planned, nothing wrong', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'file-store-maint-'));
    roots.push(root);
    expect(await m.metadata(root)).toEqual({ pack: 'file-store', exists: false, recordedIn: '.govern/adapters/file-store/meta.json', version: 0, target: 1, planned: [] });
    expect(await m.repair(root, { apply: true, trash: '.govern/trash/t' })).toEqual({ pack: 'file-store', applied: true, diagnostics: [], moved: [], trash: null });
  });

  test('repair tells corruption, missing references, orphaned paths and a pending migration apart, each positioned; --apply moves, never deletes', async () => {
    const root = await store();
    fs.rmSync(at(root, 'meta.json'));
    fs.writeFileSync(at(root, 'notes.txt'), 'mine\n');
    fs.writeFileSync(at(root, 'graph/.tmp-99-abc'), '{"half');
    fs.writeFileSync(at(root, 'graph/broken.json'), '{\n  "schema": nope\n}\n');
    fs.rmSync(at(root, 'events/s1/000000000001.jsonl'));
    const entry2 = at(root, 'audit/000000000002.json');
    fs.writeFileSync(entry2, fs.readFileSync(entry2, 'utf8').replace('"X-2"', '"X-9"'));
    const eventsBefore = fs.readFileSync(at(root, 'events/s1/000000000002.jsonl'), 'utf8');
    fs.writeFileSync(at(root, 'events/s1/000000000002.jsonl'), `${eventsBefore.split('\n')[0]}\n{"seq": 3,,}\n`);

    const expected = [
      diag({ kind: 'pending-migration', file: `${FILE_STORE_DIR}/meta.json`, message: 'the store is at layout 0, this build\'s is 1: run govern store migrate' }),
      diag({ kind: 'orphaned-path', file: `${FILE_STORE_DIR}/notes.txt` }),
      diag({ kind: 'orphaned-path', file: `${FILE_STORE_DIR}/graph/.tmp-99-abc`, message: `${FILE_STORE_DIR}/graph/.tmp-99-abc is a temporary file a crashed write left; no record of the store is read from it` }),
      diag({ kind: 'corruption', file: `${FILE_STORE_DIR}/graph/broken.json`, line: 2, column: 14 }),
      diag({ kind: 'missing-reference', file: `${FILE_STORE_DIR}/events/s1/000000000002.jsonl`, line: 1, column: 1, message: 'stream s1 continues at seq 2, but events 1..1 are in no batch file' }),
      diag({ kind: 'corruption', file: `${FILE_STORE_DIR}/events/s1/000000000002.jsonl`, line: 2, column: 11 }),
      diag({ kind: 'corruption', file: `${FILE_STORE_DIR}/audit/000000000002.json`, line: 1, column: 1, message: 'audit entry 2 does not match its hash: it was edited after it was written' }),
    ];
    const dry = await m.repair(root, { apply: false, trash: '.govern/trash/2026-04-01T00-00-00-000Z' });
    expect(dry).toEqual({ pack: 'file-store', applied: false, diagnostics: expected, moved: [], trash: null });
    expect(fs.existsSync(at(root, 'notes.txt'))).toBe(true);

    const applied = await m.repair(root, { apply: true, trash: '.govern/trash/2026-04-01T00-00-00-000Z' });
    const t = (rel: string) => `.govern/trash/2026-04-01T00-00-00-000Z/${FILE_STORE_DIR}/${rel}`;
    expect(applied).toEqual({
      pack: 'file-store',
      applied: true,
      diagnostics: expected,
      moved: [
        { from: `${FILE_STORE_DIR}/notes.txt`, to: t('notes.txt'), what: 'orphaned-path' },
        { from: `${FILE_STORE_DIR}/graph/.tmp-99-abc`, to: t('graph/.tmp-99-abc'), what: 'orphaned-path' },
        { from: `${FILE_STORE_DIR}/graph/broken.json`, to: t('graph/broken.json'), what: 'corruption' },
        { from: `${FILE_STORE_DIR}/events/s1/000000000002.jsonl`, to: t('events/s1/000000000002.jsonl'), what: 'missing-reference' },
        { from: `${FILE_STORE_DIR}/audit/000000000002.json`, to: t('audit/000000000002.json'), what: 'corruption' },
      ],
      trash: '.govern/trash/2026-04-01T00-00-00-000Z',
    });
    // Recoverable: the bytes are in the trash, unchanged.
    expect(fs.readFileSync(path.join(root, t('notes.txt')), 'utf8')).toBe('mine\n');
    expect(fs.readFileSync(path.join(root, t('graph/broken.json')), 'utf8')).toBe('{\n  "schema": nope\n}\n');

    // What is left: the migration, and entry 3 whose predecessor is now in the trash.
    expect(await m.inspect(root)).toEqual([
      expected[0],
      diag({ kind: 'orphaned-path', file: `${FILE_STORE_DIR}/events/s1` }),
      diag({ kind: 'missing-reference', file: `${FILE_STORE_DIR}/audit/000000000003.json`, line: 1, column: 1, message: 'audit entry 3 follows entry 1: entries 2..2 are missing' }),
    ]);
  });

  test('migrate: --dry-run plans and writes nothing; then the layout is recorded atomically and the pack reads the store', async () => {
    const root = await store();
    const metaBytes = fs.readFileSync(at(root, 'meta.json'), 'utf8');
    fs.rmSync(at(root, 'meta.json'));
    const planned = [{ version: 1, name: 'record the layout version in meta.json' }];
    expect(await m.migrate(root, { dryRun: true })).toEqual({ pack: 'file-store', exists: true, recordedIn: `${FILE_STORE_DIR}/meta.json`, version: 0, target: 1, planned, dryRun: true, applied: [] });
    expect(fs.existsSync(at(root, 'meta.json'))).toBe(false);
    expect(await m.migrate(root, { dryRun: false })).toEqual({ pack: 'file-store', exists: true, recordedIn: `${FILE_STORE_DIR}/meta.json`, version: 1, target: 1, planned: [], dryRun: false, applied: planned });
    // The same bytes the pack writes on a first write.
    expect(fs.readFileSync(at(root, 'meta.json'), 'utf8')).toBe(metaBytes);
    expect(fs.readdirSync(at(root, '.')).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    expect(await m.migrate(root, { dryRun: false })).toMatchObject({ version: 1, planned: [], applied: [] });
    const client = await composePacks([fileStorePack]).open({ root, readOnly: true, now });
    expect((await client.get('store.audit').read()).verified).toBe(true);
    await client.close();
  });
});
