import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, test } from 'vitest';
import { tempRoot } from '../test-support.js';
import { LiveWorkspace } from './live.js';
import { createGovernMcpServer } from './server.js';

// The long-lived workspace of `govern mcp`: the real server over the SDK's in-memory
// transport on real temporary repositories, files edited on disk between calls.

const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

type Json = Record<string, unknown>;

async function connect(root: string, watch: boolean) {
  const mcp = createGovernMcpServer({ cwd: root, env: { GOVERN_ACTOR: 'agent' }, stdout: { write: () => true }, stderr: { write: () => true } }, { root, cache: false, watch });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.server.connect(serverSide);
  const client = new Client({ name: 'live-test', version: '0.0.0' });
  await client.connect(clientSide);
  closers.push(() => client.close(), () => mcp.close());
  return async (name: string, args: Json = {}): Promise<Json> => {
    const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
    expect(r.isError ?? false).toBe(false);
    return r.structuredContent as Json;
  };
}

/** A workplan whose tasks have the given statuses (a status word of 11 letters or fewer keeps the file's size when swapped for another). */
function plan(id: string, statuses: string[]): string {
  const head = ['---', `id: ${id}`, 'type: workplan', `title: Plan ${id}`, 'status: in_progress', '---', ''];
  const tasks = statuses.flatMap((s, k) => [`## T0${k + 1} - Task ${k + 1}`, '', `id: ${id}-T0${k + 1}`, `status: ${s}`, '']);
  return [...head, ...tasks].join('\n');
}

const statusOf = async (call: Awaited<ReturnType<typeof connect>>, id: string) => ((await call('item', { id })).node as Json).status;

describe('govern mcp keeps one workspace and follows the files', () => {
  test('an edit made right before a call is seen, with or without the watcher', async () => {
    for (const watch of [false, true]) {
      const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned', 'planned']) });
      const call = await connect(root, watch);
      expect(await statusOf(call, 'WP-A-T01')).toBe('planned');
      fs.writeFileSync(path.join(root, 'workplans/a.md'), plan('WP-A', ['in_progress', 'planned']));
      // No wait: the next call checks the files itself.
      expect(await statusOf(call, 'WP-A-T01')).toBe('in_progress');
      fs.writeFileSync(path.join(root, 'workplans/a.md'), plan('WP-A', ['in_progress', 'blocked']));
      expect(await call('next', {})).toMatchObject({ total: 1, nodes: [expect.objectContaining({ id: 'WP-A-T01' })] });
    }
  });

  test('an edit that keeps the size, inode and mtime (same clock tick) is seen: a recent mtime is never trusted', async () => {
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']) });
    const file = path.join(root, 'workplans/a.md');
    // A whole second (exact in utimes) just ahead: the mtime an edit in the same tick as the first call's stat would keep.
    const tick = Math.ceil(Date.now() / 1000) + 1;
    fs.utimesSync(file, tick, tick);
    const call = await connect(root, false);
    expect(await statusOf(call, 'WP-A-T01')).toBe('planned');
    const before = fs.statSync(file);
    // 'blocked' and 'planned' have the same length; the file is rewritten in place and its mtime put back.
    fs.writeFileSync(file, plan('WP-A', ['blocked']));
    fs.utimesSync(file, tick, tick);
    const after = fs.statSync(file);
    expect({ size: after.size, ino: after.ino, mtimeMs: after.mtimeMs }).toEqual({ size: before.size, ino: before.ino, mtimeMs: before.mtimeMs });
    expect(await statusOf(call, 'WP-A-T01')).toBe('blocked');
  });

  test('an added and a deleted document are seen on the next call', async () => {
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']), 'workplans/b.md': plan('WP-B', ['planned']) });
    const call = await connect(root, false);
    const ids = async () => ((await call('graph', { kind: ['task'] })).nodes as Json[]).map((n) => n.id);
    expect(await ids()).toEqual(['WP-A-T01', 'WP-B-T01']);
    // In a new folder, with nothing else changed: found through the mtime of the folder holding it.
    fs.mkdirSync(path.join(root, 'workplans/sub'));
    fs.writeFileSync(path.join(root, 'workplans/sub/c.md'), plan('WP-C', ['planned']));
    expect(await ids()).toEqual(['WP-A-T01', 'WP-B-T01', 'WP-C-T01']);
    fs.rmSync(path.join(root, 'workplans/a.md'));
    expect(await ids()).toEqual(['WP-B-T01', 'WP-C-T01']);
    fs.writeFileSync(path.join(root, 'workplans/a.md'), plan('WP-A', ['planned']));
    expect(await ids()).toEqual(['WP-A-T01', 'WP-B-T01', 'WP-C-T01']);
  });

  test("a write tool's result is what the next read answers", async () => {
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']) });
    const call = await connect(root, false);
    const item = await call('item', { id: 'WP-A-T01' });
    expect(await call('set_status', { id: 'WP-A-T01', status: 'in_progress', expect: item.fileHash })).toMatchObject({ changed: true, to: { status: 'in_progress' } });
    expect(await call('item', { id: 'WP-A-T01' })).toMatchObject({ node: { status: 'in_progress' } });
    await call('add_task', { workplan: 'WP-A', title: 'Second', id: 'WP-A-T02' });
    expect(((await call('graph', { kind: ['task'] })).nodes as Json[]).map((n) => [n.id, n.status])).toEqual([
      ['WP-A-T01', 'in_progress'],
      ['WP-A-T02', 'planned'],
    ]);
    await call('add_dependency', { id: 'WP-A-T02', dependsOn: 'WP-A-T01' });
    expect(await call('item', { id: 'WP-A-T02' })).toMatchObject({ node: { dependsOn: ['WP-A-T01'] } });
  });
});

describe('LiveWorkspace', () => {
  test('loads once, then hands the engine only what changed; an untouched root costs no update', async () => {
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']), 'workplans/b.md': plan('WP-B', ['planned']) });
    const live = new LiveWorkspace({ load: { root, cacheDir: null }, watch: false });
    closers.push(() => live.close());
    const first = await live.current();
    expect([...first.hashes.keys()]).toEqual(['workplans/a.md', 'workplans/b.md']);
    // Files written a moment ago are racy: hashed, found unchanged, and trusted from then on.
    expect(await live.changed()).toEqual({ changed: [], update: null, hashed: expect.any(Number) });
    await new Promise((r) => setTimeout(r, 150));
    await live.changed();
    expect(await live.changed()).toEqual({ changed: [], update: null, hashed: 0 });
    fs.writeFileSync(path.join(root, 'workplans/b.md'), plan('WP-B', ['in_progress']));
    expect(await live.changed()).toEqual({ changed: ['workplans/b.md'], update: { parsed: 1, added: 0, removed: 0, reloaded: false }, hashed: 0 });
    expect((await live.current()).index.byId.get('WP-B-T01')?.status).toBe('in_progress');
  });

  test('the watcher applies an edit between calls, so the next call finds nothing left to do', async () => {
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']) });
    const live = new LiveWorkspace({ load: { root, cacheDir: null }, debounceMs: 10 });
    closers.push(() => live.close());
    await live.current();
    fs.writeFileSync(path.join(root, 'workplans/a.md'), plan('WP-A', ['in_progress']));
    for (let waited = 0; live.updates === 0 && waited < 3000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(live.updates).toBe(1);
    expect(await live.changed()).toEqual({ changed: [], update: null, hashed: expect.any(Number) });
    expect((await live.current()).index.byId.get('WP-A-T01')?.status).toBe('in_progress');
  });

  test.runIf(process.platform === 'linux')('with a trusted watcher a call checks only what the watcher reported, and still serves every edit made before it', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`workplans/p${i}.md`] = plan(`WP-${i}`, ['planned']);
    const root = tempRoot(files);
    const live = new LiveWorkspace({ load: { root, cacheDir: null }, sweepMs: 60_000 });
    closers.push(async () => live.close());
    await live.current();
    const sweeps = live.sweeps;
    for (let step = 0; step < 12; step++) {
      const i = (step * 7) % 30;
      const status = step % 2 ? 'done' : 'in_progress';
      fs.writeFileSync(path.join(root, `workplans/p${i}.md`), plan(`WP-${i}`, [status]));
      // No wait: the write returned, then the call.
      const ws = await live.current();
      expect(ws.index.byId.get(`WP-${i}-T01`)?.status, `step ${step}`).toBe(status);
    }
    // No call stat'ed the 30 documents: the watcher's events (and the racy files) were enough.
    expect(live.sweeps).toBe(sweeps);
    // A sweep is due once sweepMs has passed: an event the kernel dropped is seen then.
    const short = new LiveWorkspace({ load: { root, cacheDir: null }, sweepMs: 0 });
    closers.push(async () => short.close());
    await short.current();
    await short.current();
    expect(short.sweeps).toBe(1);
  });

  test('a changed configuration loads everything again', async () => {
    const root = tempRoot({ 'workplans/a.md': plan('WP-A', ['planned']), 'docs/x.md': plan('WP-X', ['planned']) });
    const live = new LiveWorkspace({ load: { root, cacheDir: null }, watch: false });
    closers.push(() => live.close());
    expect((await live.current()).index.byId.has('WP-X-T01')).toBe(false);
    fs.writeFileSync(path.join(root, 'govern.config.yaml'), 'include:\n  - "workplans/**/*.md"\n  - "docs/**/*.md"\n');
    const s = await live.changed();
    expect(s.update?.reloaded).toBe(true);
    expect((await live.current()).index.byId.has('WP-X-T01')).toBe(true);
  });
});
