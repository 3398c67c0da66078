import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readSyncState, StateHubClient, StateHubError, syncStateHub, type HubRecord, type SyncOptions } from '@govern/statehub';
import { readAuditLog, setStatus } from '@govern/write';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeRepo, twoWorkplans, workplan } from './__fixtures__/repos.js';
import { startStateHub, type RunningStateHub } from './server.js';

// The bridge against the real server (127.0.0.1, ephemeral port, a temporary
// DuckDB file), over HTTP, on temporary repositories; Markdown checked byte by byte.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'statehub-bridge-'));
let hub: RunningStateHub;
let client: StateHubClient;
beforeAll(async () => {
  hub = await startStateHub({ db: path.join(tmp, 'hub.duckdb'), port: 0 });
  client = new StateHubClient({ url: hub.url });
});
afterAll(async () => {
  await hub.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
/** A fresh repository with its own repo name, so every test has its own keys on the shared hub. */
function repo(files: Record<string, string>): { root: string; name: string; read: (rel: string) => string } {
  const name = `repo${++n}`;
  const root = makeRepo(tmp, name, files);
  return { root, name, read: (rel) => fs.readFileSync(path.join(root, rel), 'utf8') };
}

const sync = (root: string, extra: Partial<SyncOptions> = {}) => syncStateHub({ root, client, cacheDir: null, actor: 'bridge-test', ...extra });

/** The expected Markdown: the original with one id line inserted after each `id:` line. */
function withIds(text: string, ids: Record<string, string>): string {
  let out = text;
  for (const [item, id] of Object.entries(ids)) {
    const key = /-T\d+$/.test(item) ? 'state_hub_task_id' : 'state_hub_workstream_id';
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const anchor = `id: ${item}${eol}`;
    expect(out.split(anchor).length, `one id: line for ${item}`).toBe(2);
    out = out.replace(anchor, `${anchor}${key}: "${id}"${eol}`);
  }
  return out;
}

async function records(name: string): Promise<Map<string, HubRecord>> {
  const all = [...(await client.list('workstream', name)), ...(await client.list('task', name))];
  return new Map(all.map((r) => [r.itemId, r]));
}
const idsOf = (recs: Map<string, HubRecord>) => Object.fromEntries([...recs].map(([k, r]) => [k, r.id]));

describe('push', () => {
  test('creates workstreams and tasks with statuses and dependencies, writes the assigned ids back, and a second sync changes nothing', async () => {
    const files = twoWorkplans();
    const r = repo(files);
    const report = await sync(r.root);
    const recs = await records(r.name);
    expect([...recs.keys()]).toEqual(['WP-1', 'WP-2', 'WP-1-T01', 'WP-1-T02', 'WP-2-T01']);
    expect([...recs.values()].map((x) => [x.externalKey, x.kind, x.status, x.dependsOn, x.version, x.priority])).toEqual([
      [`${r.name}:WP-1`, 'workstream', 'in_progress', [], 1, null],
      [`${r.name}:WP-2`, 'workstream', 'planned', [`${r.name}:WP-1`], 1, null],
      [`${r.name}:WP-1-T01`, 'task', 'in_progress', [], 1, 'high'],
      [`${r.name}:WP-1-T02`, 'task', 'planned', [`${r.name}:WP-1-T01`], 1, 'high'],
      [`${r.name}:WP-2-T01`, 'task', 'planned', [], 1, 'high'],
    ]);
    expect(recs.get('WP-1-T01')!.workstreamId).toBe(recs.get('WP-1')!.id);
    expect(recs.get('WP-2-T01')!.workstreamId).toBe(recs.get('WP-2')!.id);

    const ids = idsOf(recs);
    expect(r.read('workplans/WP-1.md')).toBe(withIds(files['workplans/WP-1.md']!, { 'WP-1': ids['WP-1']!, 'WP-1-T01': ids['WP-1-T01']!, 'WP-1-T02': ids['WP-1-T02']! }));
    expect(r.read('workplans/WP-2.md')).toBe(withIds(files['workplans/WP-2.md']!, { 'WP-2': ids['WP-2']!, 'WP-2-T01': ids['WP-2-T01']! }));

    expect(report.actions.map((a) => [a.side, a.op, a.item])).toEqual([
      ['remote', 'create', 'WP-1'],
      ['remote', 'create', 'WP-2'],
      ['remote', 'create', 'WP-1-T01'],
      ['remote', 'create', 'WP-1-T02'],
      ['remote', 'create', 'WP-2-T01'],
      ['local', 'write-id', 'WP-1'],
      ['local', 'write-id', 'WP-1-T01'],
      ['local', 'write-id', 'WP-1-T02'],
      ['local', 'write-id', 'WP-2'],
      ['local', 'write-id', 'WP-2-T01'],
    ]);
    expect([report.ok, report.conflicts, report.refused, report.problems, report.pending, report.unchanged, report.items]).toEqual([true, [], [], [], [], 0, 5]);
    const state = readSyncState(r.root).state.hubs[hub.url]!;
    expect(Object.values(state.items).map((s) => [s.item, s.id, s.status, s.version])).toEqual(
      [...recs.values()].map((x) => [x.itemId, x.id, x.status, 1]).sort((a, b) => (`${r.name}:${a[0]}` < `${r.name}:${b[0]}` ? -1 : 1)),
    );

    // StateHub answers what is next from the pushed graph.
    const next = await client.next({ repo: r.name });
    expect([next.next.map((x) => x.itemId), next.blocked.map((b) => [b.record.itemId, b.waitingOn.map((w) => w.externalKey)])]).toEqual([
      ['WP-1'],
      [['WP-2', [`${r.name}:WP-1`]]],
    ]);

    const before = { a: r.read('workplans/WP-1.md'), b: r.read('workplans/WP-2.md'), feed: (await client.changes(0)).next };
    const again = await sync(r.root);
    expect([again.actions, again.conflicts, again.unchanged, again.ok]).toEqual([[], [], 5, true]);
    expect({ a: r.read('workplans/WP-1.md'), b: r.read('workplans/WP-2.md'), feed: (await client.changes(0)).next }).toEqual(before);
  });

  test('the bridge reads StateHub\'s lists page by page: with one record per page, a second sync still changes nothing', async () => {
    const r = repo(twoWorkplans());
    const ops: string[] = [];
    const paged = new StateHubClient({ url: hub.url, pageSize: 1, onResponse: (op) => void ops.push(op) });
    expect((await syncStateHub({ root: r.root, client: paged, cacheDir: null })).actions).toHaveLength(10);
    ops.length = 0;
    const again = await syncStateHub({ root: r.root, client: paged, cacheDir: null });
    expect([again.actions, again.conflicts, again.unchanged, again.ok]).toEqual([[], [], 5, true]);
    // Two workstreams and three tasks, one per page.
    expect(ops.filter((o) => o === 'listWorkstreams')).toHaveLength(2);
    expect(ops.filter((o) => o === 'listTasks')).toHaveLength(3);
  });

  test('CRLF and a BOM are kept byte for byte when ids are written', async () => {
    const text = `\ufeff${workplan('WP-3', { status: 'planned', tasks: [{ n: 1, status: 'planned' }] }).replaceAll('\n', '\r\n')}`;
    const r = repo({ 'workplans/WP-3.md': text });
    await sync(r.root);
    const ids = idsOf(await records(r.name));
    expect(Buffer.from(r.read('workplans/WP-3.md')).equals(Buffer.from(withIds(text, ids)))).toBe(true);
  });

  test('ids already in the Markdown (seed 003) are adopted by the creates; nothing is written', async () => {
    const text = workplan('WP-4', {
      status: 'done',
      front: ['state_hub_workstream_id: a427c05f-0ff5-49d1-b719-7dfd4f1f8571'],
      tasks: [{ n: 1, status: 'done', extra: ['state_hub_task_id: "2b3c6eb4-8d3f-4c73-ab53-74e1bed8b93f"'] }],
    });
    const r = repo({ 'workplans/WP-4.md': text });
    const report = await sync(r.root);
    expect(idsOf(await records(r.name))).toEqual({ 'WP-4': 'a427c05f-0ff5-49d1-b719-7dfd4f1f8571', 'WP-4-T01': '2b3c6eb4-8d3f-4c73-ab53-74e1bed8b93f' });
    expect(report.actions.map((a) => [a.op, a.item, a.id])).toEqual([
      ['create', 'WP-4', 'a427c05f-0ff5-49d1-b719-7dfd4f1f8571'],
      ['create', 'WP-4-T01', '2b3c6eb4-8d3f-4c73-ab53-74e1bed8b93f'],
    ]);
    expect(r.read('workplans/WP-4.md')).toBe(text);
  });

  test('a local status change is pushed at the version it was read; a structural change updates the record', async () => {
    const files = twoWorkplans();
    const r = repo(files);
    await sync(r.root);
    await setStatus({ root: r.root, id: 'WP-2-T01', status: 'blocked', cacheDir: null });
    const wpB = r.read('workplans/WP-2.md');
    fs.writeFileSync(path.join(r.root, 'workplans/WP-2.md'), wpB.replace('title: Plan WP-2', 'title: Plan B, renamed'));
    const report = await sync(r.root);
    expect(report.actions.map((a) => [a.side, a.op, a.item, a.from, a.to, a.version])).toEqual([
      ['remote', 'update', 'WP-2', undefined, undefined, 2],
      ['remote', 'status', 'WP-2-T01', 'planned', 'blocked', 2],
    ]);
    const recs = await records(r.name);
    expect([recs.get('WP-2')!.title, recs.get('WP-2-T01')!.status]).toEqual(['Plan B, renamed', 'blocked']);
    const feed = (await client.changes(0)).changes.filter((c) => c.repo === r.name).slice(-2);
    expect(feed.map((c) => [c.op, c.externalKey, c.status, c.fromStatus, c.actor])).toEqual([
      ['updated', `${r.name}:WP-2`, 'planned', null, 'bridge-test'],
      ['status', `${r.name}:WP-2-T01`, 'blocked', 'planned', 'bridge-test'],
    ]);
  });

  test('an id in the Markdown that StateHub has under another id is reported, not overwritten', async () => {
    const r = repo(twoWorkplans());
    await sync(r.root);
    const file = path.join(r.root, 'workplans/WP-2.md');
    const recs = await records(r.name);
    const changed = fs.readFileSync(file, 'utf8').replace(recs.get('WP-2-T01')!.id, 'some-other-id');
    fs.writeFileSync(file, changed);
    const report = await sync(r.root);
    expect(report.problems.map((p) => [p.code, p.item])).toEqual([['id-mismatch', 'WP-2-T01']]);
    expect([report.ok, fs.readFileSync(file, 'utf8')]).toEqual([false, changed]);
  });
});

describe('pull', () => {
  test('a remote status change is written through setStatus: only the status token changes, audited as via statehub', async () => {
    const r = repo(twoWorkplans());
    await sync(r.root);
    const recs = await records(r.name);
    const t2 = recs.get('WP-1-T02')!;
    await client.setStatus('task', t2.id, { status: 'blocked', ifVersion: t2.version, actor: 'someone-else' });
    const before = r.read('workplans/WP-1.md');
    const report = await sync(r.root);
    expect(report.actions.map((a) => [a.side, a.op, a.item, a.from, a.to])).toEqual([['local', 'status', 'WP-1-T02', 'planned', 'blocked']]);
    const lines = before.split('\n');
    const at = lines.indexOf('id: WP-1-T02') + 2; // id, state_hub_task_id, status
    expect(lines[at]).toBe('status: planned');
    lines[at] = 'status: blocked';
    expect(r.read('workplans/WP-1.md')).toBe(lines.join('\n'));
    const audit = readAuditLog(r.root).records.at(-1)!;
    expect([audit.item, audit.via, audit.actor, audit.from?.status, audit.to?.status, audit.reason]).toEqual([
      'WP-1-T02',
      'statehub',
      'bridge-test',
      'planned',
      'blocked',
      `statehub sync: ${hub.url} has blocked (version 2)`,
    ]);
    expect((await sync(r.root)).actions).toEqual([]);
  });

  test('a remote done is refused (only govern close sets done) and reported, every time, until it is resolved', async () => {
    const r = repo(twoWorkplans());
    await sync(r.root);
    const t1 = (await records(r.name)).get('WP-1-T01')!;
    await client.setStatus('task', t1.id, { status: 'done', ifVersion: t1.version });
    const before = r.read('workplans/WP-1.md');
    for (let i = 0; i < 2; i++) {
      const report = await sync(r.root);
      expect(report.refused).toEqual([
        {
          kind: 'task',
          item: 'WP-1-T01',
          key: `${r.name}:WP-1-T01`,
          file: 'workplans/WP-1.md',
          id: t1.id,
          local: 'in_progress',
          remote: 'done',
          code: 'closure-required',
          message: 'WP-1-T01 can become done only through `govern close WP-1-T01`, which runs its checks and records the evidence',
          note: 'a done status needs evidence: run `govern close WP-1-T01`',
        },
      ]);
      expect([report.ok, report.actions, r.read('workplans/WP-1.md')]).toEqual([false, [], before]);
    }
  });

  test('a remote status that would reopen a locally done item is a conflict: the Markdown stays done, every time', async () => {
    const text = workplan('WP-5', { status: 'done', tasks: [{ n: 1, status: 'done' }, { n: 2, status: 'in_progress' }] });
    const r = repo({ 'workplans/WP-5.md': text });
    expect((await sync(r.root)).ok).toBe(true);
    const recs = await records(r.name);
    const t1 = recs.get('WP-5-T01')!;
    const ws = recs.get('WP-5')!;
    await client.setStatus('task', t1.id, { status: 'in_progress', ifVersion: t1.version, actor: 'someone-else' });
    await client.setStatus('workstream', ws.id, { status: 'planned', ifVersion: ws.version });
    const before = r.read('workplans/WP-5.md');
    const auditBefore = readAuditLog(r.root).records.length;
    for (let i = 0; i < 2; i++) {
      for (const dryRun of [true, false]) {
        const report = await sync(r.root, { dryRun });
        expect(report.conflicts.map((c) => [c.item, c.local, c.remote, c.base, c.hasBase])).toEqual([
          ['WP-5', 'done', 'planned', 'done', true],
          ['WP-5-T01', 'done', 'in_progress', 'done', true],
        ]);
        expect(report.conflicts[1]!.message).toBe(
          `WP-5-T01: the Markdown says done, StateHub says in_progress (version 2); reopening a done item is not pulled (done is reached only through govern close). ` +
            'Set it back to done on StateHub, or reopen it here by hand (govern task set-status) and sync again',
        );
        expect([report.ok, report.actions, report.refused]).toEqual([false, [], []]);
        expect(r.read('workplans/WP-5.md')).toBe(before);
      }
    }
    expect(readAuditLog(r.root).records).toHaveLength(auditBefore);
    // --pull alone reports it the same way.
    expect((await sync(r.root, { mode: 'pull' })).conflicts.map((c) => c.item)).toEqual(['WP-5', 'WP-5-T01']);
  });

  test('a remote change that would start an item whose dependencies are not done is refused with the lifecycle reason', async () => {
    const r = repo(twoWorkplans());
    await sync(r.root);
    const t2 = (await records(r.name)).get('WP-1-T02')!;
    await client.setStatus('task', t2.id, { status: 'in_progress', ifVersion: t2.version });
    const report = await sync(r.root);
    expect(report.refused.map((x) => [x.item, x.code, x.remote, x.local])).toEqual([['WP-1-T02', 'dependencies-not-done', 'in_progress', 'planned']]);
  });
});

describe('conflicts, modes and dry runs', () => {
  test('a change on both sides since the last sync is a conflict with both values; neither side is written', async () => {
    const r = repo(twoWorkplans());
    await sync(r.root);
    const t1 = (await records(r.name)).get('WP-1-T01')!;
    await setStatus({ root: r.root, id: 'WP-1-T01', status: 'blocked', cacheDir: null });
    await client.setStatus('task', t1.id, { status: 'partial', ifVersion: 1 });
    const before = r.read('workplans/WP-1.md');
    const report = await sync(r.root);
    expect(report.conflicts).toEqual([
      {
        kind: 'task',
        item: 'WP-1-T01',
        key: `${r.name}:WP-1-T01`,
        file: 'workplans/WP-1.md',
        id: t1.id,
        local: 'blocked',
        remote: 'partial',
        base: 'in_progress',
        hasBase: true,
        remoteVersion: 2,
        message:
          'WP-1-T01: the Markdown says blocked, StateHub says partial (version 2); both changed since they last agreed on in_progress. Make them equal on one side (govern task set-status, or on StateHub) and sync again',
      },
    ]);
    expect([report.ok, report.actions, r.read('workplans/WP-1.md'), (await records(r.name)).get('WP-1-T01')!.version]).toEqual([false, [], before, 2]);
    // Resolving it on one side makes the next sync agree.
    await setStatus({ root: r.root, id: 'WP-1-T01', status: 'partial', cacheDir: null });
    const resolved = await sync(r.root);
    expect([resolved.ok, resolved.conflicts, resolved.actions]).toEqual([true, [], []]);
    expect(readSyncState(r.root).state.hubs[hub.url]!.items[`${r.name}:WP-1-T01`]!.status).toBe('partial');
  });

  test('without a recorded agreement (a fresh clone, a lost state file), a difference is a conflict, not a guess', async () => {
    const r = repo(twoWorkplans());
    await sync(r.root);
    const t1 = (await records(r.name)).get('WP-1-T01')!;
    await client.setStatus('task', t1.id, { status: 'blocked', ifVersion: 1 });
    fs.rmSync(path.join(r.root, '.govern/statehub-sync.json'));
    const report = await sync(r.root);
    expect(report.conflicts.map((c) => [c.item, c.local, c.remote, c.base, c.hasBase])).toEqual([['WP-1-T01', 'in_progress', 'blocked', null, false]]);
    expect(report.unchanged).toBe(4);
  });

  test('--push leaves remote changes pending, --pull leaves local ones pending', async () => {
    const r = repo(twoWorkplans());
    await sync(r.root);
    const recs = await records(r.name);
    const t1 = recs.get('WP-1-T01')!;
    await client.setStatus('task', t1.id, { status: 'blocked', ifVersion: 1 });
    await setStatus({ root: r.root, id: 'WP-2', status: 'blocked', cacheDir: null });
    const before = r.read('workplans/WP-1.md');

    const pushed = await sync(r.root, { mode: 'push' });
    expect(pushed.actions.map((a) => [a.side, a.op, a.item, a.to])).toEqual([['remote', 'status', 'WP-2', 'blocked']]);
    expect(pushed.pending).toEqual([{ kind: 'task', item: 'WP-1-T01', key: `${r.name}:WP-1-T01`, file: 'workplans/WP-1.md', side: 'local', what: 'status in_progress → blocked (changed on StateHub)' }]);
    expect(r.read('workplans/WP-1.md')).toBe(before);

    await setStatus({ root: r.root, id: 'WP-2-T01', status: 'blocked', cacheDir: null });
    const pulled = await sync(r.root, { mode: 'pull' });
    expect(pulled.actions.map((a) => [a.side, a.op, a.item, a.to])).toEqual([['local', 'status', 'WP-1-T01', 'blocked']]);
    expect(pulled.pending.map((p) => [p.item, p.side, p.what])).toEqual([['WP-2-T01', 'remote', 'status planned → blocked (changed in the Markdown)']]);
    expect((await records(r.name)).get('WP-2-T01')!.status).toBe('planned');
  });

  test('--dry-run reports what would change on each side and changes nothing', async () => {
    const files = twoWorkplans();
    const r = repo(files);
    const dry = await sync(r.root, { dryRun: true });
    expect(dry.actions.map((a) => [a.side, a.op, a.item, a.id])).toEqual([
      ['remote', 'create', 'WP-1', null],
      ['remote', 'create', 'WP-2', null],
      ['remote', 'create', 'WP-1-T01', null],
      ['remote', 'create', 'WP-1-T02', null],
      ['remote', 'create', 'WP-2-T01', null],
      ['local', 'write-id', 'WP-1', null],
      ['local', 'write-id', 'WP-2', null],
      ['local', 'write-id', 'WP-1-T01', null],
      ['local', 'write-id', 'WP-1-T02', null],
      ['local', 'write-id', 'WP-2-T01', null],
    ]);
    expect([dry.dryRun, (await records(r.name)).size, r.read('workplans/WP-1.md'), fs.existsSync(path.join(r.root, '.govern/statehub-sync.json'))]).toEqual([
      true,
      0,
      files['workplans/WP-1.md'],
      false,
    ]);

    await sync(r.root);
    const t1 = (await records(r.name)).get('WP-1-T01')!;
    await client.setStatus('task', t1.id, { status: 'done', ifVersion: 1 });
    const t2 = (await records(r.name)).get('WP-2-T01')!;
    await client.setStatus('task', t2.id, { status: 'blocked', ifVersion: 1 });
    await setStatus({ root: r.root, id: 'WP-1-T02', status: 'blocked', cacheDir: null });
    const snapshot = { a: r.read('workplans/WP-1.md'), b: r.read('workplans/WP-2.md'), feed: (await client.changes(0)).next, state: readSyncState(r.root).state };
    const preview = await sync(r.root, { dryRun: true });
    expect(preview.actions.map((a) => [a.side, a.op, a.item, a.from, a.to])).toEqual([
      ['remote', 'status', 'WP-1-T02', 'planned', 'blocked'],
      ['local', 'status', 'WP-2-T01', 'planned', 'blocked'],
    ]);
    expect(preview.refused.map((x) => [x.item, x.code])).toEqual([['WP-1-T01', 'closure-required']]);
    expect({ a: r.read('workplans/WP-1.md'), b: r.read('workplans/WP-2.md'), feed: (await client.changes(0)).next, state: readSyncState(r.root).state }).toEqual(snapshot);
  });
});

describe('auth', () => {
  test('the bridge sends the token; a wrong one stops the sync with unauthorized before anything is written', async () => {
    const secured = await startStateHub({ db: path.join(tmp, 'secured.duckdb'), port: 0, token: 'bridge-token' });
    try {
      const files = twoWorkplans();
      const r = repo(files);
      const bad = await syncStateHub({ root: r.root, client: new StateHubClient({ url: secured.url, token: 'wrong' }), cacheDir: null }).catch((e: unknown) => e);
      expect([bad instanceof StateHubError, (bad as StateHubError).code, r.read('workplans/WP-1.md')]).toEqual([true, 'unauthorized', files['workplans/WP-1.md']]);
      const ok = await syncStateHub({ root: r.root, client: new StateHubClient({ url: secured.url, token: 'bridge-token' }), cacheDir: null });
      expect([ok.ok, ok.actions.length]).toEqual([true, 10]);
    } finally {
      await secured.close();
    }
  });
});
