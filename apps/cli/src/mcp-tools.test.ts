import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Option } from 'commander';
import { afterAll, describe, expect, test } from 'vitest';
import { sha256 } from '@govern/write';
import { createGovernMcpServer } from './mcp/server.js';
import { listServedTools, toolsMarkdown } from './mcp/tool-list.js';
import { progress } from './mcp/tools/write.js';
import { createProgram } from './program.js';
import { runCaptured, tempRoot } from './test-support.js';
import { STATUS_FILTERS, STATUS_WORDS } from './vocabulary.js';
import { STATUSES } from '@govern/workplan';

// The MCP server's agent interface in process: the SDK's client over an in-memory
// transport to the real server on real temporary repositories (the cases over stdio
// against the bundled binary are in apps/cli-e2e).

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

type Json = Record<string, unknown>;

/** tools/list as sent: without the client's validation of every tool's schemas, which one tool elsewhere must not break here. */
async function listTools(client: Client): Promise<Tool[]> {
  const page = await client.request({ method: 'tools/list', params: {} }, z.looseObject({ tools: z.array(z.looseObject({ name: z.string() })) }));
  return page.tools as Tool[];
}

async function connect(root: string, env: Record<string, string> = {}) {
  const mcp = createGovernMcpServer({ cwd: root, env: { GOVERN_ACTOR: 'agent', ...env }, stdout: { write: () => true }, stderr: { write: () => true } }, { root, cache: false });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.server.connect(serverSide);
  const client = new Client({ name: 'tools-test', version: '0.0.0' });
  await client.connect(clientSide);
  closers.push(() => client.close());
  return {
    client,
    async call(name: string, args: Json = {}): Promise<{ isError: boolean; value: Json }> {
      const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
      expect(JSON.parse((r.content[0] as { text: string }).text)).toEqual(r.structuredContent);
      return { isError: r.isError === true, value: r.structuredContent as Json };
    },
  };
}

const WP = [
  '---',
  'id: WP-1',
  'type: workplan',
  'title: Plan one',
  'status: in_progress',
  '---',
  '',
  '## T01 - First',
  '',
  'id: WP-1-T01',
  'status: in_progress',
  '',
  'Acceptance:',
  '',
  '- It parses',
  '',
].join('\n');

const README = path.resolve(fileURLToPath(import.meta.url), '../../../../README.md');

describe('the tools served', () => {
  test("the README lists exactly the server's tools (with memoryd configured)", async () => {
    const mcp = createGovernMcpServer(
      { cwd: tempRoot(), env: { GOVERN_MEMORYD_URL: 'http://127.0.0.1:4318' }, stdout: { write: () => true }, stderr: { write: () => true } },
      { root: tempRoot(), cache: false },
    );
    const listed = toolsMarkdown(await listServedTools(mcp));
    const readme = fs.readFileSync(README, 'utf8');
    const section = /<!-- mcp-tools:start -->\n([\s\S]*?)\n<!-- mcp-tools:end -->/.exec(readme)?.[1];
    // On a difference: `GOVERN_MEMORYD_URL=http://127.0.0.1:4318 govern mcp --list-tools` prints the list to paste.
    expect(section).toBe(listed);
    expect(listed).toContain('- `add_task` (writes): Add a task to a workplan');
  });

  test('govern mcp --list-tools prints the list the server serves (memory tools only with GOVERN_MEMORYD_URL)', async () => {
    const root = tempRoot();
    const md = await runCaptured(['mcp', '--list-tools', '--root', root], { cwd: root, env: {} });
    expect([md.code, md.stderr, md.stdout.split('\n').slice(0, 2)]).toEqual([0, '', ['- `graph` (reads): Milestone graph', '- `next` (reads): Next actionable items']]);
    expect(md.stdout).not.toMatch(/`memory_/);
    const json = await runCaptured(['mcp', '--list-tools', '--json', '--root', root], { cwd: root, env: { GOVERN_MEMORYD_URL: 'http://127.0.0.1:9' } });
    const tools = JSON.parse(json.stdout).tools as { name: string; readOnly: boolean }[];
    expect(tools.filter((t) => t.name.startsWith('memory_')).length).toBe(8);
    expect(tools.find((t) => t.name === 'add_dependency')).toEqual({ name: 'add_dependency', title: 'Add a dependency', readOnly: false });
  });

  test('memory tools are listed only when GOVERN_MEMORYD_URL is set, and the instructions say so', async () => {
    const names = async (env: Record<string, string>) => {
      const { client } = await connect(tempRoot(), env);
      const tools = (await listTools(client)).map((t) => t.name);
      return { memory: tools.filter((t) => t.startsWith('memory_')).length, instructions: client.getInstructions() ?? '' };
    };
    const off = await names({});
    const on = await names({ GOVERN_MEMORYD_URL: 'http://127.0.0.1:9' });
    expect([off.memory, on.memory]).toEqual([0, 8]);
    expect(off.instructions).toContain('memory_* tools (memoryd) are not served: GOVERN_MEMORYD_URL is not set');
    expect(on.instructions).toContain('memory_* tools read memoryd (GOVERN_MEMORYD_URL, GOVERN_MEMORYD_TOKEN)');
  });
});

describe('the status vocabulary is the CLI’s', () => {
  test('the graph/next status filters are the choices of --status; the write words are the model’s', async () => {
    expect(STATUS_WORDS).toEqual(STATUSES);
    const program = createProgram({ cwd: tempRoot(), env: {}, stdout: { write: () => true }, stderr: { write: () => true } }, () => undefined);
    const choices = (cmd: string) => (program.commands.find((c) => c.name() === cmd)!.options as Option[]).find((o) => o.long === '--status')!.argChoices;
    const { client } = await connect(tempRoot());
    const tools = await listTools(client);
    const filter = (name: string) => (tools.find((t) => t.name === name)!.inputSchema.properties!.status as { items: { enum: string[] } }).items.enum;
    expect([choices('status'), choices('graph'), filter('graph'), filter('next')]).toEqual([[...STATUS_FILTERS], [...STATUS_FILTERS], [...STATUS_FILTERS], [...STATUS_FILTERS]]);
  });

  test('set_status takes the words task set-status takes, and refuses the others with its sentence', async () => {
    const root = tempRoot({ 'workplans/wp.md': WP });
    const s = await connect(root);
    for (const [word, status] of [['blocked', 'blocked'], ['In Progress', 'in_progress'], ['wip', 'in_progress']] as const) {
      const mcp = await s.call('set_status', { id: 'WP-1-T01', status: word, force: true });
      const cli = await runCaptured(['task', 'set-status', 'WP-1-T01', word, '--force', '--json', '--root', root, '--no-cache'], { cwd: root, env: {} });
      expect([mcp.isError, (mcp.value.to as Json).status, cli.code, JSON.parse(cli.stdout).to.status]).toEqual([false, status, 0, status]);
    }
    const refused = await s.call('set_status', { id: 'WP-1-T01', status: 'sort-of' });
    const cli = await runCaptured(['task', 'set-status', 'WP-1-T01', 'sort-of', '--json', '--root', root, '--no-cache'], { cwd: root, env: {} });
    expect(refused).toEqual({
      isError: true,
      value: { error: { code: 'invalid-arguments', message: JSON.parse(cli.stdout).error.message, details: { status: 'sort-of' } } },
    });
    expect(JSON.parse(cli.stdout).error.message).toBe('status "sort-of" is not one of planned, in_progress, partial, blocked, done (nor a spelling the profile maps to one)');
  });
});

describe('progress notifications', () => {
  test('close: progress increases strictly, to its total', async () => {
    const tracker = [
      '# Tracker', '', '| Order | Milestone | Depends On | Status |', '|---|---|---|---|', '| 1 | AB-01 One | - | In Progress |', '',
      '## Checks', '', '- AB-01: `echo one`', '- AB-01: `echo two`', '- AB-01: `echo three`', '', '## Evidence Roots', '', '- AB-01: `ops/runtime/ab-01/`', '',
    ].join('\n');
    const { client } = await connect(tempRoot({ 'trackers/t.md': tracker }));
    const seen: { progress: number; total?: number }[] = [];
    const r = (await client.callTool({ name: 'close', arguments: { id: 'AB-01' } }, undefined, { onprogress: (p) => void seen.push({ progress: p.progress, total: p.total }) })) as CallToolResult;
    expect((r.structuredContent as Json).passed).toBe(true);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6].map((progress) => ({ progress, total: 6 })));
  });

  test('a repeated event sends nothing (progress never goes back or stalls)', () => {
    const sent: number[] = [];
    const onCheck = progress({ _meta: { progressToken: 't' }, sendNotification: async (n) => void sent.push((n.params as { progress: number }).progress) })!;
    for (const e of [{ index: 0 }, { index: 0 }, { index: 0, result: {} }, { index: 0 }, { index: 1 }]) onCheck({ total: 2, command: 'x', ...e } as Parameters<typeof onCheck>[0]);
    expect(sent).toEqual([1, 2, 3]);
  });
});

describe('structure write tools', () => {
  test('add_task, edit_acceptance, add_dependency: byte-exact, expect-checked, audited via mcp; dryRun writes nothing', async () => {
    const root = tempRoot({ 'workplans/wp.md': WP });
    const file = path.join(root, 'workplans/wp.md');
    const s = await connect(root);
    const dry = await s.call('add_task', { workplan: 'WP-1', title: 'Second', dependsOn: ['WP-1-T01'], dryRun: true, expect: sha256(WP) });
    expect([dry.isError, dry.value.changed, dry.value.dryRun, fs.readFileSync(file, 'utf8')]).toEqual([false, true, true, WP]);

    const added = await s.call('add_task', { workplan: 'WP-1', title: 'Second', dependsOn: ['WP-1-T01'], acceptance: ['Works'], expect: sha256(WP), reason: 'plan' });
    const expected = `${WP}\n## T02 - Second\n\nid: WP-1-T02\nstatus: planned\ndepends_on: WP-1-T01\n\nAcceptance:\n\n- Works\n`;
    expect(fs.readFileSync(file, 'utf8')).toBe(expected);
    expect(added.value).toMatchObject({ action: 'add-task', item: 'WP-1-T02', changed: true, hashBefore: sha256(WP), hashAfter: sha256(expected), audit: { via: 'mcp', actor: 'agent', reason: 'plan' } });

    const stale = await s.call('edit_acceptance', { id: 'WP-1-T02', add: ['Also this'], expect: sha256(WP) });
    expect(stale).toMatchObject({ isError: true, value: { error: { code: 'conflict', details: { expected: sha256(WP), actual: sha256(expected) } } } });
    const edited = await s.call('edit_acceptance', { id: 'WP-1-T02', add: ['Also this'], replace: [{ index: 1, text: 'Works well' }], expect: sha256(expected) });
    const two = expected.replace('- Works\n', '- Works well\n- Also this\n');
    expect([edited.value.hunk, fs.readFileSync(file, 'utf8')]).toEqual([{ line: 25, removed: ['- Works'], added: ['- Works well', '- Also this'] }, two]);

    expect(await s.call('add_dependency', { id: 'WP-1-T01', dependsOn: 'WP-1-T02' })).toMatchObject({ isError: true, value: { error: { code: 'dependency-cycle' } } });
    expect(await s.call('add_task', { workplan: 'WP-1', title: 'Dup', localId: 'T01' })).toMatchObject({ isError: true, value: { error: { code: 'duplicate-id' } } });
    expect(await s.call('add_dependency', { id: 'WP-1-T02', dependsOn: 'WP-1-T01' })).toMatchObject({ isError: false, value: { changed: false, audit: null } });
    expect(await s.call('edit_acceptance', { id: 'WP-1-T02', remove: [1], extra: true })).toMatchObject({ isError: true, value: { error: { code: 'invalid-arguments' } } });

    const log = await s.call('audit_log', {});
    expect((log.value.records as Json[]).map((r) => [r.action, r.item, r.via, r.key, r.value])).toEqual([
      ['add-task', 'WP-1-T02', 'mcp', 'task', 'T02'],
      ['edit-acceptance', 'WP-1-T02', 'mcp', 'acceptance', '+1 -0 ~1'],
    ]);
  });
});

describe('audit_log pages with a cursor', () => {
  test('newest first pages, stable while records are appended; a cursor for other arguments is refused', async () => {
    const root = tempRoot({ 'workplans/wp.md': WP });
    const s = await connect(root);
    for (const st of ['blocked', 'in_progress', 'blocked', 'in_progress', 'blocked']) expect((await s.call('set_status', { id: 'WP-1-T01', status: st, force: true })).isError).toBe(false);
    const statuses = (v: Json) => (v.records as Json[]).map((r) => (r.to as Json).status);
    const first = await s.call('audit_log', { limit: 2 });
    expect([statuses(first.value), first.value.total]).toEqual([['in_progress', 'blocked'], 5]);
    // A write between two pages does not shift them.
    await s.call('set_status', { id: 'WP-1-T01', status: 'in_progress', force: true });
    const second = await s.call('audit_log', { limit: 2, cursor: first.value.nextCursor });
    const third = await s.call('audit_log', { limit: 2, cursor: second.value.nextCursor });
    expect([statuses(second.value), statuses(third.value), third.value.nextCursor]).toEqual([['in_progress', 'blocked'], ['blocked'], null]);
    expect(await s.call('audit_log', { limit: 2, item: 'WP-1', cursor: first.value.nextCursor })).toMatchObject({
      isError: true,
      value: { error: { code: 'cursor-mismatch', details: { tool: 'audit_log', arguments: ['item'] } } },
    });
    expect(await s.call('audit_log', { cursor: 'bm9wZQ' })).toMatchObject({ isError: true, value: { error: { code: 'cursor-invalid' } } });
  });
});
