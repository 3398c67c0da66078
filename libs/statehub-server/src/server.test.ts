import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buildGraph, nextActionable } from '@govern/graph';
import { openApiText, StateHubClient, StateHubError, type HubRecord } from '@govern/statehub';
import { compileProfile, DEFAULT_PROFILE, mergeProfiles, parseDocument, ProfileSchema } from '@govern/workplan';
import { afterAll, describe, expect, test } from 'vitest';
import { isLoopback, startStateHub, StateHubConfigError, type RunningStateHub } from './server.js';

// The real server on 127.0.0.1 (ephemeral port) over a temporary DuckDB file.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'statehub-server-'));
const running: RunningStateHub[] = [];
afterAll(async () => {
  for (const s of running) await s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
async function hub(opts: { token?: string; db?: string } = {}): Promise<RunningStateHub> {
  const s = await startStateHub({ db: opts.db ?? path.join(tmp, `hub-${++n}.duckdb`), port: 0, ...(opts.token ? { token: opts.token } : {}) });
  running.push(s);
  return s;
}

const WS = { repo: 'r', itemId: 'WP-1', title: 'Plan one', status: 'planned' as const };

/** The StateHubError a call must fail with. */
async function fails(p: Promise<unknown>): Promise<StateHubError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  if (!(e instanceof StateHubError)) throw new Error(`expected a StateHubError, got ${String(e)}`);
  return e;
}

async function raw(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

describe('bind and auth', () => {
  test('loopback detection', () => {
    expect(['127.0.0.1', '127.8.0.1', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'].map(isLoopback)).toEqual([true, true, true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com', '::ffff:10.0.0.1'].map(isLoopback)).toEqual([false, false, false, false, false, false]);
  });

  test('a non-loopback bind without a token is refused before the database is opened', async () => {
    const db = path.join(tmp, 'refused.duckdb');
    await expect(startStateHub({ db, host: '0.0.0.0', port: 0 })).rejects.toThrow(StateHubConfigError);
    await expect(startStateHub({ db, host: '0.0.0.0', port: 0, token: '   ' })).rejects.toThrow(/without a token/);
    expect(fs.existsSync(db)).toBe(false);
  });

  test('a non-loopback bind with a token shorter than 32 bytes is refused, without echoing it; 32 bytes are enough', async () => {
    const db = path.join(tmp, 'short-token.duckdb');
    for (const token of ['x', 'only-thirty-one-bytes-long-tokn']) {
      const e = await startStateHub({ db, host: '0.0.0.0', port: 0, token }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(StateHubConfigError);
      expect((e as Error).message).toBe(
        `refusing to listen on 0.0.0.0 with a ${Buffer.byteLength(token)}-byte token: a non-loopback StateHub needs a token of at least 32 bytes (e.g. openssl rand -hex 32)`,
      );
    }
    expect(fs.existsSync(db)).toBe(false);
    // Loopback keeps accepting any token; 32 bytes open a non-loopback bind.
    await hub({ token: 'x' });
    const wide = await startStateHub({ db, host: '0.0.0.0', port: 0, token: 'k'.repeat(32) });
    running.push(wide);
    expect(wide.host).toBe('0.0.0.0');
  });

  test('a client refuses a URL with credentials in it, and never repeats the password', () => {
    for (const url of ['http://user:hunter2-secret@127.0.0.1:4870', 'https://hunter2-secret@hub.example.com/statehub', 'http://:hunter2-secret@[::1]:1/']) {
      let e: unknown;
      try {
        new StateHubClient({ url });
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(StateHubError);
      expect([(e as StateHubError).code, (e as StateHubError).message]).toEqual([
        'invalid-url',
        expect.stringMatching(
          /^the StateHub URL https?:\/\/\*\*\*@\S+ has credentials in it; they are refused, never sent or printed: pass a bearer token instead \(govern statehub sync --token-env, default STATEHUB_TOKEN\)$/,
        ),
      ]);
      expect(JSON.stringify({ m: (e as Error).message, j: (e as StateHubError).toJSON(), s: String((e as Error).stack) })).not.toContain('hunter2');
    }
  });

  test('with a token: 401 without it or with a wrong one, 200 with it; /health and /openapi.json stay open', async () => {
    const s = await hub({ token: 's3cret-token' });
    const none = await raw(`${s.url}/workstreams`);
    expect([none.status, none.headers.get('www-authenticate'), none.body]).toEqual([
      401,
      'Bearer realm="statehub"',
      { error: { code: 'unauthorized', message: 'this StateHub needs Authorization: Bearer <token>', details: {} } },
    ]);
    const wrong = await raw(`${s.url}/workstreams`, { headers: { authorization: 'Bearer s3cret-tokeN' } });
    expect(wrong.status).toBe(401);
    expect((await raw(`${s.url}/changes`, { headers: { authorization: 'Basic czNjcmV0' } })).status).toBe(401);
    expect(await new StateHubClient({ url: s.url, token: 's3cret-token' }).list('workstream')).toEqual([]);
    expect((await raw(`${s.url}/health`)).body).toEqual({ ok: true, service: 'statehub', apiVersion: '1.1.0', schemaVersion: 1 });
    expect((await raw(`${s.url}/openapi.json`)).status).toBe(200);
    // The client surfaces the refusal as a typed error that does not echo the token.
    const err = await new StateHubClient({ url: s.url, token: 'nope' }).list('task').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateHubError);
    expect([(err as StateHubError).code, (err as StateHubError).status, JSON.stringify((err as StateHubError).toJSON()).includes('nope')]).toEqual([
      'unauthorized',
      401,
      false,
    ]);
  });

  test('serves the OpenAPI document generated from the schemas', async () => {
    const s = await hub();
    const res = await fetch(`${s.url}/openapi.json`);
    expect(await res.text()).toBe(openApiText());
  });
});

describe('records and versions', () => {
  test('PUT by key creates once; repeating it changes nothing; a structural change bumps the version', async () => {
    const s = await hub();
    const c = new StateHubClient({ url: s.url });
    const first = await c.putByKey('workstream', 'r:WP-1', WS);
    expect([first.created, first.changed, first.record.version, first.record.status, first.record.externalKey]).toEqual([true, true, 1, 'planned', 'r:WP-1']);
    expect(first.record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const again = await c.putByKey('workstream', 'r:WP-1', { ...WS, status: 'done' });
    expect(again).toEqual({ record: first.record, created: false, changed: false });
    const renamed = await c.putByKey('workstream', 'r:WP-1', { ...WS, title: 'Plan one, renamed', dependsOn: ['r:WP-0'] });
    expect([renamed.created, renamed.changed, renamed.record.version, renamed.record.title, renamed.record.dependsOn, renamed.record.status]).toEqual([
      false,
      true,
      2,
      'Plan one, renamed',
      ['r:WP-0'],
      'planned',
    ]);
    expect(await c.get('workstream', first.record.id)).toEqual(renamed.record);
    expect(await c.list('workstream', 'other')).toEqual([]);
  });

  test('an adopted id is kept; another id for the same key, or a taken id, is a 409 with the current record', async () => {
    const s = await hub();
    const c = new StateHubClient({ url: s.url });
    const adopted = await c.putByKey('workstream', 'r:WP-1', { ...WS, id: 'a427c05f-0ff5-49d1-b719-7dfd4f1f8571' });
    expect(adopted.record.id).toBe('a427c05f-0ff5-49d1-b719-7dfd4f1f8571');
    const mismatch = await fails(c.putByKey('workstream', 'r:WP-1', { ...WS, id: 'other-id' }));
    expect([mismatch.code, mismatch.status, mismatch.current]).toEqual(['id-mismatch', 409, adopted.record]);
    const taken = await fails(c.putByKey('workstream', 'r:WP-2', { ...WS, itemId: 'WP-2', id: adopted.record.id }));
    expect([taken.code, taken.status, taken.current]).toEqual(['id-taken', 409, adopted.record]);
  });

  test('PUT by key refuses a key that is not the body\'s repo:itemId (422), so one item cannot get two records', async () => {
    const s = await hub();
    const c = new StateHubClient({ url: s.url });
    const put = (kind: string, key: string, body: unknown) =>
      raw(`${s.url}/${kind}/by-key/${encodeURIComponent(key)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const other = await put('workstreams', 'r:WP-9', WS);
    expect([other.status, other.body]).toEqual([
      422,
      { error: { code: 'unprocessable', message: 'the key r:WP-9 is not the body\'s <repo>:<itemId>, r:WP-1', details: { key: 'r:WP-9', expected: 'r:WP-1' } } },
    ]);
    expect((await put('workstreams', 'WP-1', WS)).status).toBe(422);
    await c.putByKey('workstream', 'r:WP-1', WS);
    const task = await put('tasks', 'r:WP-1-T01', { repo: 'r', itemId: 'WP-1-T02', title: 'T', workstreamKey: 'r:WP-1' });
    expect([task.status, (task.body as { error: { code: string } }).error.code]).toEqual([422, 'unprocessable']);
    const e = await fails(c.putByKey('workstream', 'q:WP-1', WS));
    expect([e.code, e.status]).toEqual(['unprocessable', 422]);
    // A ':' in repo would make `<repo>:<itemId>` ambiguous (a:b + c and a + b:c).
    const colon = await put('workstreams', 'a:b:c', { repo: 'a:b', itemId: 'c', title: 't' });
    expect([colon.status, (colon.body as { error: { details: unknown } }).error.details]).toEqual([400, { issues: [{ path: 'repo', message: expect.stringContaining(':') }] }]);
    expect((await c.list('workstream')).map((r) => r.externalKey)).toEqual(['r:WP-1']);
    expect(await c.list('task')).toEqual([]);
  });

  test('a task needs its workstream (422)', async () => {
    const s = await hub();
    const c = new StateHubClient({ url: s.url });
    const e = await fails(c.putByKey('task', 'r:WP-1-T01', { repo: 'r', itemId: 'WP-1-T01', title: 'T', workstreamKey: 'r:WP-1' }));
    expect([e.code, e.status]).toEqual(['unprocessable', 422]);
    const ws = await c.putByKey('workstream', 'r:WP-1', WS);
    const t = await c.putByKey('task', 'r:WP-1-T01', { repo: 'r', itemId: 'WP-1-T01', title: 'T', workstreamKey: 'r:WP-1' });
    expect([t.created, t.record.workstreamId, t.record.kind, t.record.status]).toEqual([true, ws.record.id, 'task', null]);
    // Kinds are separate: the task's id is not a workstream.
    expect((await fails(c.get('workstream', t.record.id))).code).toBe('not-found');
  });

  test('a status change needs the version it is based on: stale is 409 with the current record, none is 428', async () => {
    const s = await hub();
    const c = new StateHubClient({ url: s.url });
    const { record } = await c.putByKey('workstream', 'r:WP-1', WS);
    const moved = await c.setStatus('workstream', record.id, { status: 'in_progress', ifVersion: 1, actor: 'alice' });
    expect([moved.changed, moved.record.version, moved.record.status]).toEqual([true, 2, 'in_progress']);
    const stale = await fails(c.setStatus('workstream', record.id, { status: 'blocked', ifVersion: 1 }));
    expect([stale.code, stale.status, stale.current]).toEqual(['version-conflict', 409, moved.record]);
    const same = await c.setStatus('workstream', record.id, { status: 'in_progress', ifVersion: 2 });
    expect(same).toEqual({ record: moved.record, changed: false });

    const patch = (headers: Record<string, string>, body: unknown) =>
      raw(`${s.url}/workstreams/${record.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const none = await patch({}, { status: 'done' });
    expect([none.status, (none.body as { error: { code: string } }).error.code]).toEqual([428, 'precondition-required']);
    const staleMatch = await patch({ 'if-match': '"1"' }, { status: 'done' });
    expect([staleMatch.status, (staleMatch.body as { current: HubRecord }).current.version]).toEqual([409, 2]);
    const ok = await patch({ 'if-match': '"2"' }, { status: 'done' });
    expect([ok.status, ok.headers.get('etag'), (ok.body as { record: HubRecord }).record.status]).toEqual([200, '"3"', 'done']);
    const bad = await patch({}, { status: 'finished', ifVersion: 3 });
    expect([bad.status, (bad.body as { error: { code: string; details: unknown } }).error]).toEqual([
      400,
      {
        code: 'bad-request',
        message: 'the request body does not match the schema',
        details: { issues: [{ path: 'status', message: expect.stringContaining('Invalid option') }] },
      },
    ]);
    expect((await fails(c.setStatus('workstream', 'nope', { status: 'done', ifVersion: 1 }))).status).toBe(404);
  });

  test('unknown routes, wrong methods, bad JSON and bad queries are answered with the error body', async () => {
    const s = await hub();
    expect((await raw(`${s.url}/nope`)).status).toBe(404);
    const m = await raw(`${s.url}/workstreams`, { method: 'DELETE' });
    expect([m.status, m.headers.get('allow')]).toEqual([405, 'GET']);
    const j = await raw(`${s.url}/workstreams/by-key/x`, { method: 'PUT', body: '{nope' });
    expect([j.status, (j.body as { error: { code: string } }).error.code]).toEqual([400, 'bad-request']);
    expect((await raw(`${s.url}/changes?since=-1`)).status).toBe(400);
    expect((await raw(`${s.url}/next?kind=milestone`)).status).toBe(400);
  });
});

describe('paging', () => {
  test('list endpoints honour limit (1 to 1000) and page with the after cursor; the client pages through all', async () => {
    const s = await hub();
    const c = new StateHubClient({ url: s.url });
    for (const id of ['E', 'B', 'D', 'A', 'C']) await c.putByKey('workstream', `r:${id}`, { ...WS, itemId: id });
    await c.putByKey('workstream', 'q:Z', { ...WS, repo: 'q', itemId: 'Z' });
    const get = (q: string) => raw(`${s.url}/workstreams${q}`) as Promise<{ status: number; body: { records: HubRecord[]; next: string | null } }>;
    const keys = (b: { records: HubRecord[] }) => b.records.map((r) => r.externalKey);
    const p1 = await get('?repo=r&limit=2');
    expect([p1.status, keys(p1.body), p1.body.next]).toEqual([200, ['r:A', 'r:B'], 'r:B']);
    const p2 = await get(`?repo=r&limit=2&after=${encodeURIComponent(p1.body.next!)}`);
    expect([keys(p2.body), p2.body.next]).toEqual([['r:C', 'r:D'], 'r:D']);
    const p3 = await get(`?repo=r&limit=2&after=${encodeURIComponent(p2.body.next!)}`);
    expect([keys(p3.body), p3.body.next]).toEqual([['r:E'], null]);
    // An exact fit: the last page says so without an empty page after it.
    expect((await get('?repo=r&limit=5')).body.next).toBeNull();
    expect(keys((await get('')).body)).toEqual(['q:Z', 'r:A', 'r:B', 'r:C', 'r:D', 'r:E']);
    for (const bad of ['?limit=0', '?limit=1001', '?limit=x']) {
      const r = await raw(`${s.url}/workstreams${bad}`);
      expect([bad, r.status, (r.body as { error: { code: string } }).error.code]).toEqual([bad, 400, 'bad-request']);
    }

    // The client pages through everything, one request per page.
    const ops: string[] = [];
    const paging = new StateHubClient({ url: s.url, pageSize: 2, onResponse: (op) => void ops.push(op) });
    expect((await paging.list('workstream', 'r')).map((r) => r.externalKey)).toEqual(['r:A', 'r:B', 'r:C', 'r:D', 'r:E']);
    expect(ops).toEqual(['listWorkstreams', 'listWorkstreams', 'listWorkstreams']);
    expect(await paging.listPage('workstream', { repo: 'r', limit: 3, after: 'r:A' })).toEqual({ records: [p1.body.records[1], ...p2.body.records], next: 'r:D' });
  });
});

describe('change feed', () => {
  test('every create, structural update and status change once, in seq order; paging with since/limit', async () => {
    const s = await hub();
    const c = new StateHubClient({ url: s.url });
    const a = await c.putByKey('workstream', 'r:A', { ...WS, itemId: 'A', actor: 'bridge' });
    const b = await c.putByKey('workstream', 'r:B', { ...WS, itemId: 'B' });
    await c.putByKey('workstream', 'r:A', { ...WS, itemId: 'A' }); // no change, no entry
    await c.setStatus('workstream', b.record.id, { status: 'in_progress', ifVersion: 1, actor: 'bob' });
    await c.putByKey('workstream', 'r:A', { ...WS, itemId: 'A', title: 'A2' });
    await c.setStatus('workstream', a.record.id, { status: 'blocked', ifVersion: 1 }).catch(() => null); // stale: no entry
    await c.setStatus('workstream', a.record.id, { status: 'done', ifVersion: 2 });

    const all = await c.changes(0);
    expect(all.changes.map((x) => [x.seq, x.op, x.externalKey, x.version, x.status, x.fromStatus, x.actor])).toEqual([
      [1, 'created', 'r:A', 1, 'planned', null, 'bridge'],
      [2, 'created', 'r:B', 1, 'planned', null, null],
      [3, 'status', 'r:B', 2, 'in_progress', 'planned', 'bob'],
      [4, 'updated', 'r:A', 2, 'planned', null, null],
      [5, 'status', 'r:A', 3, 'done', 'planned', null],
    ]);
    expect([all.next, all.hasMore]).toEqual([5, false]);
    const page1 = await c.changes(1, 2);
    expect([page1.changes.map((x) => x.seq), page1.next, page1.hasMore]).toEqual([[2, 3], 3, true]);
    const page2 = await c.changes(page1.next, 2);
    expect([page2.changes.map((x) => x.seq), page2.next, page2.hasMore]).toEqual([[4, 5], 5, false]);
    expect(await c.changes(5)).toEqual({ changes: [], next: 5, hasMore: false });
  });
});

describe('next', () => {
  test('not done, every dependency done (a task inherits its workstream’s), ordered as govern next: dependencies, priority, key', async () => {
    const s = await hub();
    const c = new StateHubClient({ url: s.url });
    const put = (key: string, extra: Record<string, unknown>) => c.putByKey('workstream', key, { repo: 'r', itemId: key.slice(2), title: key, ...extra });
    await put('r:A', { status: 'done' });
    await put('r:B', { status: 'planned', dependsOn: ['r:A'], priority: 'P2' });
    await put('r:C', { status: 'in_progress', dependsOn: ['r:A'], priority: 'P0' });
    await put('r:D', { status: 'planned', dependsOn: ['r:B'] });
    await put('r:E', { status: 'planned', dependsOn: ['x:GONE'] });
    await put('r:F', { status: 'blocked' });
    await put('r:G', { status: 'planned' });
    const next = await c.next({ repo: 'r' });
    // Once r:A is placed, r:C (P0) and r:B (P2) come before r:G (no priority), as in govern next.
    expect(next.next.map((r) => r.externalKey)).toEqual(['r:C', 'r:B', 'r:G']);
    expect(next.blocked.map((b) => [b.record.externalKey, b.waitingOn])).toEqual([
      ['r:D', [{ externalKey: 'r:B', found: true, status: 'planned' }]],
      ['r:E', [{ externalKey: 'x:GONE', found: false, status: null }]],
      ['r:F', []],
    ]);
    expect((await c.next({ repo: 'r', limit: 1 })).next.map((r) => r.externalKey)).toEqual(['r:C']);

    await c.putByKey('task', 'r:D-T1', { repo: 'r', itemId: 'D-T1', title: 't', status: 'planned', workstreamKey: 'r:D' });
    await c.putByKey('task', 'r:G-T1', { repo: 'r', itemId: 'G-T1', title: 't', status: 'planned', workstreamKey: 'r:G' });
    const tasks = await c.next({ kind: 'task' });
    expect([tasks.kind, tasks.next.map((r) => r.externalKey), tasks.blocked.map((b) => b.record.externalKey)]).toEqual(['task', ['r:G-T1'], ['r:D-T1']]);
  });
});

describe('next follows the workspace profile, like govern next', () => {
  const TRACKER = `# Tracker

| Milestone | Priority | Depends On | Status |
|---|---|---|---|
| LM-01 One | must | - | Planned |
| LM-02 Two | could | - | Planned |
| LM-03 Three | should | - | In Progress |
| LM-04 Four | P0 | LM-05 | Planned |
| LM-05 Five | P1 | - | Done |
| LM-06 Six | | - | Planned |
`;
  const custom = compileProfile(mergeProfiles(DEFAULT_PROFILE, ProfileSchema.parse({ priorities: [['could'], ['should'], ['must']] })));

  test('a profile with its own priority order changes /next the same way it changes govern next', async () => {
    const orders: string[][] = [];
    for (const profile of [compileProfile(DEFAULT_PROFILE), custom]) {
      // govern next over the Markdown, with this profile.
      const doc = parseDocument({ file: 'trackers/t.md', text: TRACKER }, profile).document!;
      const govern = nextActionable(buildGraph([doc], profile)).map((node) => `r:${node.id}`);
      // StateHub's /next over the same items pushed as records, serving with this profile.
      const s = await startStateHub({ db: path.join(tmp, `profile-${++n}.duckdb`), port: 0, profile });
      running.push(s);
      const c = new StateHubClient({ url: s.url });
      for (const item of doc.items) {
        await c.putByKey('workstream', `r:${item.id}`, { repo: 'r', itemId: item.id, title: item.title, status: item.status!, priority: item.priority, dependsOn: item.dependencies.map((d) => `r:${d.id}`) });
      }
      const hub = (await c.next({ repo: 'r' })).next.map((r) => r.externalKey);
      expect(hub).toEqual(govern);
      orders.push(hub);
    }
    expect(orders).toEqual([
      // The built-in profile knows P1 and P0 (LM-05, done, then LM-04 first), not must/could/should.
      ['r:LM-04', 'r:LM-01', 'r:LM-02', 'r:LM-03', 'r:LM-06'],
      // could, should, must; then P0 (not in this profile: after every known spelling), then none.
      ['r:LM-02', 'r:LM-03', 'r:LM-01', 'r:LM-04', 'r:LM-06'],
    ]);
  });
});

describe('stop', () => {
  test('a kept-alive client no longer delays the stop: a request in flight finishes, then its idle connection is closed at once', async () => {
    const s = await startStateHub({ db: path.join(tmp, `stop-${++n}.duckdb`), port: 0 });
    const agent = new http.Agent({ keepAlive: true });
    try {
      // A PUT whose body arrives in two parts, so it is in flight when close() is called.
      const body = JSON.stringify({ repo: 'r', itemId: 'WP-1', title: 'Plan one', status: 'planned' });
      let sent!: () => void;
      const headersSent = new Promise<void>((r) => (sent = r));
      let startClose!: () => void;
      const closing = new Promise<void>((r) => (startClose = r));
      const answered = new Promise<number>((resolve, reject) => {
        const req = http.request(`${s.url}/workstreams/by-key/r:WP-1`, { method: 'PUT', agent, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.write(body.slice(0, 10), () => sent());
        void closing.then(() => req.end(body.slice(10)));
      });
      await headersSent;
      await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      const closed = s.close();
      startClose();
      expect(await answered).toBe(201);
      await closed;
      // The old stop waited for the kept-alive connection to time out (5 s).
      expect(performance.now() - t0).toBeLessThan(3000);
    } finally {
      agent.destroy();
    }
  });
});

describe('durability', () => {
  test('a restart on the same file keeps records, versions and the feed; a clean stop leaves no WAL', async () => {
    const db = path.join(tmp, 'restart.duckdb');
    const first = await startStateHub({ db, port: 0 });
    const c1 = new StateHubClient({ url: first.url });
    const { record } = await c1.putByKey('workstream', 'r:WP-1', WS);
    await c1.setStatus('workstream', record.id, { status: 'in_progress', ifVersion: 1 });
    expect(fs.existsSync(`${db}.wal`)).toBe(true);
    await first.close();
    await first.close(); // idempotent
    expect(fs.existsSync(`${db}.wal`)).toBe(false);

    const second = await hub({ db });
    const c2 = new StateHubClient({ url: second.url });
    const kept = await c2.get('workstream', record.id);
    expect([kept.version, kept.status]).toEqual([2, 'in_progress']);
    const moved = await c2.setStatus('workstream', record.id, { status: 'done', ifVersion: 2 });
    expect(moved.record.version).toBe(3);
    expect((await c2.changes(0)).changes.map((x) => x.seq)).toEqual([1, 2, 3]);
  });
});
