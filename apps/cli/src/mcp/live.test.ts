import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, test } from 'vitest';
import { tempRoot } from '../test-support.js';
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
