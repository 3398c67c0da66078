import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toErrorJSON } from '@govern/errors';
import { canonicalJson, composePacks, CompatibilityManifestSchema, type AdapterClient, type GraphSnapshot } from '@govern/adapter-kit';
import { conformanceSuite } from '@govern/adapter-kit/testing';
import { bundleScript } from '@govern/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { FILE_STORE_DIR, fileStorePack } from './index.js';

// The file store through its manifest, the composed client and the conformance
// standard, on real files in temporary roots; concurrency with real processes.

conformanceSuite(fileStorePack);

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});
function tempRoot(): string {
  const r = fs.mkdtempSync(path.join(os.tmpdir(), 'file-store-'));
  roots.push(r);
  return r;
}
const clock = () => new Date('2026-04-01T00:00:00.000Z');
async function open(root: string, readOnly = false): Promise<AdapterClient> {
  return composePacks([fileStorePack]).open({ root, readOnly, now: clock });
}
async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => toErrorJSON(e),
  );
}
const SNAPSHOT: GraphSnapshot = { schema: 'govern.graph-snapshot/v1', id: 'main', taken_at: '2026-04-01T00:00:00Z', source: { repo: 'r', commit: null }, nodes: [{ id: 'A', kind: 'task', title: 'A', status: 'done', depends_on: [] }] };

describe('the file store pack', () => {
  test('its manifest: the three store capabilities, persistent, owning its directory only', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    expect(CompatibilityManifestSchema.parse(fileStorePack.manifest)).toEqual({
      schema: 'govern.adapter-manifest/v1',
      name: 'file-store',
      package: pkg.name,
      version: pkg.version,
      description: 'graph snapshots, event streams and the audit chain as canonical JSON files under .govern/adapters/file-store, written atomically',
      capabilities: ['store.graph', 'store.event', 'store.audit'],
      durability: 'persistent',
      contracts: [
        { name: '@govern/contracts', version: '1.0.0' },
        { name: 'govern-adapter-capabilities', version: '1.0.0' },
      ],
      ownership: { paths: ['.govern/adapters/file-store/**'], tables: [], remote: [] },
      conformance: ['govern-conformance/1'],
      gate: 'adapter-file-store',
    });
  });

  test('records are canonical JSON files, one per snapshot, per event batch and per audit entry; no temporary file is left', async () => {
    const root = tempRoot();
    const c = await open(root);
    await c.get('store.graph').put(SNAPSHOT);
    const events = await c.get('store.event').append('run-1', [{ type: 'a.b' }, { type: 'c.d' }]);
    const entry = await c.get('store.audit').append({ actor: 'ada', via: 'cli', action: 'close', subject: 'GV-01', outcome: 'applied' });
    await c.close();
    const dir = path.join(root, FILE_STORE_DIR);
    const files: Record<string, string> = {};
    const walk = (rel: string) => {
      for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(r);
        else files[r] = fs.readFileSync(path.join(dir, r), 'utf8');
      }
    };
    walk('');
    expect(files).toEqual({
      'meta.json': '{"layout":1,"schema":"govern.adapter-file-store/v1"}\n',
      'graph/main.json': `${canonicalJson(SNAPSHOT)}\n`,
      'events/run-1/000000000001.jsonl': `${canonicalJson(events[0])}\n${canonicalJson(events[1])}\n`,
      'audit/000000000001.json': `${canonicalJson(entry)}\n`,
    });
  });

  test('two processes appending at once: every event and entry lands once, in a gap-free sequence and an intact chain', async () => {
    const root = tempRoot();
    const here = fileURLToPath(new URL('.', import.meta.url));
    const script = await bundleScript(
      `import { fileStorePack } from './index.ts';
const [root, who] = process.argv.slice(-2);
const i = await fileStorePack.create({ root });
for (let n = 1; n <= 15; n++) {
  await i.capabilities['store.event'].append('shared', [{ type: 'tick', data: { who, n } }]);
  await i.capabilities['store.audit'].append({ actor: who, via: 'library', action: 'tick', subject: String(n), outcome: 'applied' });
}
await i.close();`,
      here,
    );
    const run = (who: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-', root, who], { cwd: here });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stderr }));
        child.stdin.end(script);
      });
    expect(await Promise.all([run('p1'), run('p2')])).toEqual([
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
    ]);
    const c = await open(root, true);
    const events = await c.get('store.event').list('shared');
    const audit = await c.get('store.audit').read();
    await c.close();
    const mine = (who: string) => events.filter((e) => e.data.who === who).map((e) => e.data.n);
    expect({
      seqs: events.map((e) => e.seq),
      p1: mine('p1'),
      p2: mine('p2'),
      audit: { n: audit.entries.length, verified: audit.verified, problems: audit.problems },
      leftovers: fs.readdirSync(path.join(root, FILE_STORE_DIR, 'events/shared')).filter((f) => f.startsWith('.tmp-')),
    }).toEqual({
      seqs: Array.from({ length: 30 }, (_, i) => i + 1),
      p1: Array.from({ length: 15 }, (_, i) => i + 1),
      p2: Array.from({ length: 15 }, (_, i) => i + 1),
      audit: { n: 30, verified: true, problems: [] },
      leftovers: [],
    });
  });

  test('damage is reported, positioned, never misread: a truncated snapshot, an edited audit entry, a missing event batch', async () => {
    const root = tempRoot();
    const c = await open(root);
    await c.get('store.graph').put(SNAPSHOT);
    await c.get('store.event').append('run-1', [{ type: 'a.b' }]);
    await c.get('store.event').append('run-1', [{ type: 'c.d' }]);
    for (const subject of ['A', 'B', 'C']) await c.get('store.audit').append({ actor: 'ada', via: 'cli', action: 'close', subject, outcome: 'applied' });
    const dir = path.join(root, FILE_STORE_DIR);
    fs.writeFileSync(path.join(dir, 'graph/main.json'), '{"schema":"govern.graph-snap');
    const second = path.join(dir, 'audit/000000000002.json');
    fs.writeFileSync(second, fs.readFileSync(second, 'utf8').replace('"subject":"B"', '"subject":"X"'));
    fs.rmSync(path.join(dir, 'events/run-1/000000000001.jsonl'));
    // A crashed writer's temporary file is not a record.
    fs.writeFileSync(path.join(dir, 'graph/.tmp-123-abc'), 'half a snap');
    expect(await refusal(c.get('store.graph').get('main'))).toEqual({
      code: 'adapter-failure',
      message: expect.stringMatching(/^\.govern\/adapters\/file-store\/graph\/main\.json does not hold a valid record: /),
      details: { path: '.govern/adapters/file-store/graph/main.json', failure_reason_code: 'adapter.store.corrupt', policy_reason_code: null },
    });
    expect(await refusal(c.get('store.event').list('run-1'))).toEqual({
      code: 'adapter-failure',
      message: '.govern/adapters/file-store/events/run-1/000000000002.jsonl holds run-1#2 where run-1#1 belongs',
      details: { path: '.govern/adapters/file-store/events/run-1/000000000002.jsonl', failure_reason_code: 'adapter.store.corrupt', policy_reason_code: null },
    });
    const audit = await c.get('store.audit').read();
    expect({ verified: audit.verified, problems: audit.problems }).toEqual({
      verified: false,
      problems: [{ code: 'audit-hash-mismatch', index: 1, seq: 2, message: 'entry seq 2: its hash is not the hash of its content (edited after it was written)' }],
    });
    await c.close();
  });

  test('a symlink on the way to the store is refused as outside the boundary, and nothing is written through it', async () => {
    const root = tempRoot();
    const elsewhere = tempRoot();
    fs.symlinkSync(elsewhere, path.join(root, '.govern'));
    const c = await open(root);
    expect(await refusal(c.get('store.event').append('run-1', [{ type: 'a.b' }]))).toEqual({
      code: 'adapter-denial',
      message: 'file-store: .govern is a symlink; the pack writes only to real directories under its root',
      details: { path: '.govern', failure_reason_code: null, policy_reason_code: 'adapter.outside-boundary' },
    });
    await c.close();
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  test('a store written by a newer layout is refused, not misread', async () => {
    const root = tempRoot();
    fs.mkdirSync(path.join(root, FILE_STORE_DIR), { recursive: true });
    fs.writeFileSync(path.join(root, FILE_STORE_DIR, 'meta.json'), '{"layout":2,"schema":"govern.adapter-file-store/v1"}\n');
    expect(await refusal(open(root))).toEqual({
      code: 'adapter-failure',
      message: ".govern/adapters/file-store has layout 2, newer than this build's 1: upgrade govern",
      details: { layout: 2, known: 1, failure_reason_code: 'adapter.store.schema', policy_reason_code: null },
    });
  });
});
