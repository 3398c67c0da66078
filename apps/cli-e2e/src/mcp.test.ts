import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, test } from 'vitest';
import { BIN, connectMcp, ensureFreshBundle, tempRoot as writeRoot, CLOSABLE_TRACKER } from './support.js';

// `govern mcp` as an agent sees it: the SDK's own client spawns the bundled binary
// over stdio, against temporary repositories written inline.



beforeAll(ensureFreshBundle, 120_000);

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const TRACKER = CLOSABLE_TRACKER;

// Six milestones: enough to page through, with one unknown dependency (an error) and
// one unrecognized status (a warning).
const BIG = [
  '# Big',
  '',
  '| Order | Milestone | Depends On | Status |',
  '|---|---|---|---|',
  '| 1 | CD-01 First | - | Done |',
  '| 2 | CD-02 Second | CD-01 | Planned |',
  '| 3 | CD-03 Third | CD-01 | Planned |',
  '| 4 | CD-04 Fourth | CD-02 | Blocked |',
  '| 5 | CD-05 Fifth | CD-99 | Planned |',
  '| 6 | CD-06 Sixth | - | Sort of |',
  '',
].join('\n');

const WORKPLAN = `---
id: WP-1
type: workplan
title: Build
status: in progress
---

# WP-1: Build

## T01 - Parser

id: WP-1-T01
status: planned

## T02 - Writer

id: WP-1-T02
status: planned
depends_on: WP-1-T01
`;

const CONFIG = 'gates:\n  one:\n    requires: [AB-01]\n  two:\n    requires: [AB-02, CD-01]\n    project: libs/two\n';

const FILES = { 'trackers/t.md': TRACKER, 'trackers/big.md': BIG, 'workplans/wp-1.md': WORKPLAN, 'govern.config.yaml': CONFIG };

const tempRoot = (files: Record<string, string> = FILES) => writeRoot(files, 'govern-mcp-');

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

type Json = Record<string, unknown>;

interface Session {
  client: Client;
  /** Calls a tool; checks the text content is the structuredContent's JSON. */
  call(name: string, args?: Json, opts?: { onprogress?: (p: { progress: number; total?: number; message?: string }) => void }): Promise<{ isError: boolean; value: Json }>;
  stderr(): string;
}

async function connect(root: string): Promise<Session> {
  const { client, stderr } = await connectMcp(root);
  return {
    client,
    stderr,
    async call(name, args = {}, opts = {}) {
      const r = (await client.callTool({ name, arguments: args }, undefined, opts.onprogress ? { onprogress: opts.onprogress } : {})) as CallToolResult;
      expect(r.content).toHaveLength(1);
      const text = r.content[0]!.type === 'text' ? r.content[0]!.text : '';
      expect(JSON.parse(text)).toEqual(r.structuredContent);
      return { isError: r.isError === true, value: r.structuredContent as Json };
    },
  };
}

/** The CLI's JSON for the same question, from the same binary. */
function cliJson(root: string, ...argv: string[]): unknown {
  const r = spawnSync(process.execPath, [BIN, ...argv, '--json', '--root', root, '--no-cache'], { encoding: 'utf8', env: { ...process.env, GOVERN_ACTOR: 'mcp-test' } });
  return JSON.parse(r.stdout);
}

const compact = (n: Json) => ({ id: n.id, kind: n.kind, title: n.title, status: n.status, dependsOn: n.dependsOn, source: n.source });

const sha256 = /^[0-9a-f]{64}$/;

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

describe('govern mcp: tools/list', () => {
  test('lists the twelve tools with the inputs of their zod schemas and an output schema', async () => {
    const { client } = await connect(tempRoot());
    // The memory_* tools are listed and tested in mcp-memory.test.ts (served only with GOVERN_MEMORYD_URL), the binder_* tools in
    // binder.test.ts, the service_* tools with the service runner.
    const tools = (await client.listTools()).tools.filter((t) => !/^(memory|binder|service)_/.test(t.name));
    const inputs = Object.fromEntries(
      tools.map((t) => [t.name, { properties: Object.keys(t.inputSchema.properties ?? {}), required: t.inputSchema.required ?? [] }]),
    );
    expect(inputs).toEqual({
      graph: { properties: ['doc', 'status', 'kind', 'idPrefix', 'limit', 'offset', 'shape', 'severity', 'diagnosticsLimit'], required: [] },
      next: { properties: ['doc', 'status', 'kind', 'idPrefix', 'limit', 'offset', 'shape'], required: [] },
      item: { properties: ['id'], required: ['id'] },
      explain: { properties: ['file'], required: ['file'] },
      set_status: { properties: ['id', 'status', 'expect', 'force', 'reason'], required: ['id', 'status'] },
      add_task: {
        properties: ['workplan', 'title', 'id', 'localId', 'status', 'priority', 'dependsOn', 'acceptance', 'checks', 'evidenceRoot', 'force', 'expect', 'dryRun', 'reason'],
        required: ['workplan', 'title'],
      },
      edit_acceptance: { properties: ['id', 'add', 'remove', 'replace', 'expect', 'dryRun', 'reason'], required: ['id'] },
      add_dependency: { properties: ['id', 'dependsOn', 'force', 'expect', 'dryRun', 'reason'], required: ['id', 'dependsOn'] },
      close: { properties: ['id', 'timeoutSeconds', 'force', 'signOff', 'reason'], required: ['id'] },
      gates: { properties: ['name'], required: [] },
      audit: { properties: ['severity', 'code', 'file', 'limit', 'offset'], required: [] },
      audit_log: { properties: ['item', 'limit', 'cursor'], required: [] },
    });
    const graph = tools.find((t) => t.name === 'graph')!;
    expect(graph.inputSchema.properties!.limit).toMatchObject({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
    // The words `govern task set-status` takes: the vocabulary, or a spelling the profile maps.
    expect(tools.find((t) => t.name === 'set_status')!.inputSchema.properties!.status).toMatchObject({
      anyOf: [{ type: 'string', enum: ['planned', 'in_progress', 'partial', 'blocked', 'done'] }, { type: 'string' }],
    });
    // Every output schema declares the error envelope next to the success fields.
    for (const t of tools) expect(Object.keys(t.outputSchema?.properties ?? {})).toContain('error');
    expect(Object.keys(graph.outputSchema!.properties!)).toEqual(['nodes', 'total', 'offset', 'nextOffset', 'diagnostics', 'diagnosticsTotal', 'summary', 'error']);
    expect(tools.filter((t) => t.annotations?.readOnlyHint).map((t) => t.name)).toEqual(['graph', 'next', 'item', 'explain', 'gates', 'audit', 'audit_log']);
  });
});

describe('govern mcp: reading', () => {
  test('graph: compact nodes, bounded diagnostics (errors by default), paged until nextOffset is null', async () => {
    const root = tempRoot();
    const s = await connect(root);
    const first = await s.call('graph', { limit: 3 });
    expect(first).toEqual({
      isError: false,
      value: {
        nodes: [
          { id: 'CD-01', kind: 'milestone', title: 'First', status: 'done', dependsOn: [], source: { file: 'trackers/big.md', line: 5, column: 7 } },
          { id: 'CD-02', kind: 'milestone', title: 'Second', status: 'planned', dependsOn: ['CD-01'], source: { file: 'trackers/big.md', line: 6, column: 7 } },
          { id: 'CD-03', kind: 'milestone', title: 'Third', status: 'planned', dependsOn: ['CD-01'], source: { file: 'trackers/big.md', line: 7, column: 7 } },
        ],
        total: 11,
        offset: 0,
        nextOffset: 3,
        diagnostics: [{ severity: 'error', code: 'unknown-dependency', message: 'CD-05 depends on CD-99, which does not exist', file: 'trackers/big.md', line: 9, column: 21 }],
        diagnosticsTotal: 1,
        summary: { errors: 1, warnings: 1, infos: 0 },
      },
    });

    // Walking the pages gives exactly the CLI's graph, in its order.
    const cli = cliJson(root, 'graph') as { nodes: Json[]; diagnostics: Json[] };
    const seen: Json[] = [];
    for (let offset: number | null = 0; offset !== null; ) {
      const { value } = await s.call('graph', { limit: 4, offset, diagnosticsLimit: 0 });
      expect(value.diagnostics).toEqual([]);
      seen.push(...(value.nodes as Json[]));
      offset = value.nextOffset as number | null;
    }
    expect(seen).toEqual(cli.nodes.map(compact));

    const full = await s.call('graph', { shape: 'full', severity: 'info', limit: 500 });
    expect(full.value.nodes).toEqual(cli.nodes);
    expect(full.value.diagnostics).toEqual(cli.diagnostics);
    expect(full.value.nextOffset).toBeNull();
  });

  test('graph: filters by document (file or id), status, kind and id prefix', async () => {
    const s = await connect(tempRoot());
    const ids = async (args: Json) => {
      const { value } = await s.call('graph', { ...args, diagnosticsLimit: 0 });
      return [value.total, (value.nodes as Json[]).map((n) => n.id)];
    };
    expect(await ids({ doc: 'trackers/big.md', status: ['planned'] })).toEqual([3, ['CD-02', 'CD-03', 'CD-05']]);
    expect(await ids({ doc: 'trackers/big.md', status: ['planned'], limit: 2, offset: 1 })).toEqual([3, ['CD-03', 'CD-05']]);
    expect(await ids({ doc: 'WP-1' })).toEqual([3, ['WP-1', 'WP-1-T01', 'WP-1-T02']]);
    expect(await ids({ kind: ['task'] })).toEqual([2, ['WP-1-T01', 'WP-1-T02']]);
    expect(await ids({ status: ['unknown', 'blocked'] })).toEqual([2, ['CD-04', 'CD-06']]);
    expect(await ids({ idPrefix: 'AB-' })).toEqual([2, ['AB-01', 'AB-02']]);
    expect(await ids({ idPrefix: 'ZZ' })).toEqual([0, []]);
    const warnings = await s.call('graph', { idPrefix: 'AB-', severity: 'warning', diagnosticsLimit: 1 });
    expect([warnings.value.diagnostics, warnings.value.diagnosticsTotal]).toEqual([
      [{ severity: 'error', code: 'unknown-dependency', message: 'CD-05 depends on CD-99, which does not exist', file: 'trackers/big.md', line: 9, column: 21 }],
      2,
    ]);
  });

  test('next: the CLI order, filtered and paged', async () => {
    const root = tempRoot();
    const s = await connect(root);
    const cli = cliJson(root, 'next') as Json[];
    expect(cli.map((n) => n.id)).toEqual(['CD-02', 'CD-03', 'AB-01', 'WP-1-T01']);
    expect(await s.call('next')).toEqual({ isError: false, value: { nodes: cli.map(compact), total: 4, offset: 0, nextOffset: null } });
    expect(await s.call('next', { limit: 1, offset: 1, shape: 'full' })).toEqual({ isError: false, value: { nodes: [cli[1]], total: 4, offset: 1, nextOffset: 2 } });
    expect((await s.call('next', { kind: ['task'] })).value.nodes).toEqual([compact(cli[3]!)]);
  });

  test('item: the same object as `govern task show --json`; an unknown id is item-not-found', async () => {
    const root = tempRoot();
    const s = await connect(root);
    const item = await s.call('item', { id: 'AB-02' });
    expect(item).toEqual({ isError: false, value: cliJson(root, 'task', 'show', 'AB-02') });
    expect(item.value).toMatchObject({
      node: { id: 'AB-02', checks: [{ command: 'exit 4', line: 11, column: 11 }], evidenceRoot: 'ops/runtime/ab-02/' },
      fileHash: expect.stringMatching(sha256),
      blockers: [{ id: 'AB-01', status: 'in_progress', exists: true }],
      dependents: [],
    });
    expect((await s.call('item', { id: 'AB-01' })).value.dependents).toEqual(['AB-02']);
    expect(await s.call('item', { id: 'AB-404' })).toEqual({
      isError: true,
      value: { error: { code: 'item-not-found', message: 'no item AB-404', details: { item: 'AB-404' } } },
    });
  });

  test('arguments the schema rejects and unknown tools are structured errors too', async () => {
    const s = await connect(tempRoot());
    expect(await s.call('graph', { limit: 501 })).toEqual({
      isError: true,
      value: { error: { code: 'invalid-arguments', message: expect.stringMatching(/^Input validation error: Invalid arguments for tool graph: .*limit/), details: {} } },
    });
    // The words `govern task set-status` takes: `finished` is a spelling of done (refused: done only through close), `sort-of` none.
    expect(await s.call('set_status', { id: 'AB-01', status: 'finished' })).toMatchObject({ isError: true, value: { error: { code: 'closure-required' } } });
    expect(await s.call('set_status', { id: 'AB-01', status: 'sort-of' })).toMatchObject({ isError: true, value: { error: { code: 'invalid-arguments' } } });
    expect(await s.call('nope')).toEqual({ isError: true, value: { error: { code: 'tool-not-found', message: 'Tool nope not found', details: {} } } });
    // A typo in a key is refused, not ignored: `statuses` instead of `status` used to
    // return every node as if no filter had been given.
    expect(await s.call('graph', { statuses: ['planned'] })).toEqual({
      isError: true,
      value: { error: { code: 'invalid-arguments', message: expect.stringMatching(/^Input validation error: Invalid arguments for tool graph: .*statuses/s), details: {} } },
    });
    expect(await s.call('audit_log', { verbose: true })).toMatchObject({ isError: true, value: { error: { code: 'invalid-arguments' } } });
  });
});

describe('govern mcp: writing', () => {
  test('add_task, edit_acceptance, add_dependency over stdio: only the intended bytes, expect-checked, audited', async () => {
    const root = tempRoot();
    const file = path.join(root, 'workplans/wp-1.md');
    const s = await connect(root);
    const { fileHash } = (await s.call('item', { id: 'WP-1-T02' })).value as { fileHash: string };
    const added = await s.call('add_task', { workplan: 'WP-1', title: 'Docs', dependsOn: ['WP-1-T02'], acceptance: ['Documented'], expect: fileHash });
    const one = `${WORKPLAN}\n## T03 - Docs\n\nid: WP-1-T03\nstatus: planned\ndepends_on: WP-1-T02\n\nAcceptance:\n\n- Documented\n`;
    expect([added.isError, fs.readFileSync(file, 'utf8')]).toEqual([false, one]);
    expect(await s.call('edit_acceptance', { id: 'WP-1-T03', add: ['Linked'], expect: fileHash })).toMatchObject({ isError: true, value: { error: { code: 'conflict' } } });
    const dep = await s.call('add_dependency', { id: 'WP-1-T01', dependsOn: 'AB-01', expect: added.value.hashAfter });
    expect([dep.value.hunk, fs.readFileSync(file, 'utf8')]).toEqual([
      { line: 14, removed: [], added: ['depends_on: AB-01'] },
      one.replace('id: WP-1-T01\nstatus: planned\n', 'id: WP-1-T01\nstatus: planned\ndepends_on: AB-01\n'),
    ]);
    expect(((await s.call('audit_log')).value.records as Json[]).map((r) => [r.action, r.item, r.via])).toEqual([
      ['add-task', 'WP-1-T03', 'mcp'],
      ['add-dependency', 'WP-1-T01', 'mcp'],
    ]);
  });

  test('set_status: lifecycle refusals, a write with expect, then a conflict on the stale hash', async () => {
    const root = tempRoot();
    const s = await connect(root);
    const { fileHash } = (await s.call('item', { id: 'AB-02' })).value as { fileHash: string };

    const deps = await s.call('set_status', { id: 'AB-02', status: 'in_progress' });
    expect(deps).toEqual({
      isError: true,
      value: {
        error: {
          code: 'dependencies-not-done',
          message: expect.stringContaining('AB-01 (in_progress)'),
          details: expect.objectContaining({ note: 'pass --force (recorded in the audit log) to override' }),
        },
      },
    });
    const done = await s.call('set_status', { id: 'AB-01', status: 'done', force: true });
    expect(done).toMatchObject({ isError: true, value: { error: { code: 'closure-required', details: { item: 'AB-01', status: 'done' } } } });

    const ok = await s.call('set_status', { id: 'AB-02', status: 'in_progress', expect: fileHash, force: true, reason: 'spike' });
    const after = fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8');
    expect(after).toBe(TRACKER.replace('| 2 | AB-02 Two | AB-01 | Planned |', '| 2 | AB-02 Two | AB-01 | In Progress |'));
    const forced = ['AB-02 depends on what is not done: AB-01 (in_progress)'];
    const change = { from: { status: 'planned', text: 'Planned' }, to: { status: 'in_progress', text: 'In Progress' } };
    const hashAfter = (cliJson(root, 'task', 'show', 'AB-02') as { fileHash: string }).fileHash;
    expect(ok).toEqual({
      isError: false,
      value: {
        item: 'AB-02',
        file: 'trackers/t.md',
        changed: true,
        ...change,
        hashBefore: fileHash,
        hashAfter,
        forced,
        audit: {
          v: 1,
          id: expect.any(String),
          at: expect.any(String),
          action: 'set-status',
          actor: 'mcp-test',
          via: 'mcp',
          item: 'AB-02',
          file: 'trackers/t.md',
          ...change,
          hashBefore: fileHash,
          hashAfter,
          reason: 'spike',
          prev: null,
          forced,
          evidence: null,
        },
      },
    });

    const stale = await s.call('set_status', { id: 'AB-02', status: 'blocked', expect: fileHash });
    expect(stale).toEqual({
      isError: true,
      value: {
        error: {
          code: 'conflict',
          message: expect.stringMatching(/^trackers\/t\.md changed since it was read/),
          details: { file: 'trackers/t.md', expected: fileHash, actual: hashAfter },
        },
      },
    });
    expect(fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8')).toBe(after);
    // The server reads the files per call: the write shows at once.
    expect((await s.call('item', { id: 'AB-02' })).value).toMatchObject({ node: { status: 'in_progress' }, fileHash: hashAfter });
  });

  test('close: a passing item becomes done with its manifest; a failing one stays, with its failures; progress is reported', async () => {
    const root = tempRoot();
    const s = await connect(root);
    const progress: { progress: number; total?: number; message?: string }[] = [];
    const closed = await s.call('close', { id: 'AB-01', reason: 'ready' }, { onprogress: (p) => progress.push(p) });
    expect(closed).toMatchObject({
      isError: false,
      value: {
        item: 'AB-01',
        file: 'trackers/t.md',
        passed: true,
        failures: [],
        evidenceRoot: 'ops/runtime/ab-01',
        manifest: 'ops/runtime/ab-01/manifest.json',
        checks: [
          { name: expect.any(String), command: 'echo checked', exitCode: 0 },
          { name: 'phase audit', command: 'govern audit (built in: trackers/t.md)', exitCode: 0 },
        ],
        status: { item: 'AB-01', changed: true, from: { status: 'in_progress', text: 'In Progress' }, to: { status: 'done', text: 'Done' } },
      },
    });
    expect(progress).toEqual([
      // Progress increases with every notification: each check's start and end count.
      { progress: 1, total: 2, message: 'running echo checked' },
      { progress: 2, total: 2, message: 'echo checked: exit 0' },
    ]);
    expect(fs.existsSync(path.join(root, 'ops/runtime/ab-01/manifest.json'))).toBe(true);

    const failed = await s.call('close', { id: 'AB-02', timeoutSeconds: 30 });
    expect(failed.isError).toBe(false);
    expect(failed.value).toMatchObject({ item: 'AB-02', passed: false, manifest: null, status: null, checks: [{ command: 'exit 4', exitCode: 4 }] });
    expect(failed.value.failures).toEqual([{ code: 'check-failed', message: expect.stringMatching(/^`exit 4` exited 4; output in ops\/runtime\/ab-02\/attempts\//), line: 11 }]);
    expect(fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8')).toBe(TRACKER.replace('| 1 | AB-01 One | - | In Progress |', '| 1 | AB-01 One | - | Done |'));

    expect(await s.call('close', { id: 'AB-404' })).toEqual({
      isError: true,
      value: { error: { code: 'item-not-found', message: `no item AB-404 in ${root}`, details: { item: 'AB-404' } } },
    });
  });

  test('close: signOff signs off a plain acceptance bullet, which otherwise refuses the closure', async () => {
    const wp = ['---', 'id: SO-1', 'type: workplan', 'title: S', 'status: in_progress', '---', '', '## T01 - Task', '', 'id: SO-1-T01', 'status: in_progress', 'evidence_root: ops/runtime/so-1-t01', 'checks: true', '', 'Acceptance:', '', '- Read by a maintainer', ''];
    const root = tempRoot({ 'workplans/so.md': wp.join('\n') });
    const s = await connect(root);
    const refused = await s.call('close', { id: 'SO-1-T01' });
    expect([refused.value.passed, (refused.value.failures as Json[]).map((f) => f.code)]).toEqual([false, ['criteria-unverified']]);
    const closed = await s.call('close', { id: 'SO-1-T01', signOff: 'Ada Reviewer' });
    expect(closed.value.passed).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'ops/runtime/so-1-t01/manifest.json'), 'utf8'));
    expect(manifest.criteria).toEqual([{ text: 'Read by a maintainer', checked: null, verification: { kind: 'manual', signedOffBy: 'Ada Reviewer' } }]);
  });
});

describe('govern mcp: reports', () => {
  test('gates: the same data as `govern gates --json`; one by name; an undeclared name is gate-unknown', async () => {
    const root = tempRoot();
    const s = await connect(root);
    const all = await s.call('gates');
    expect(all).toEqual({ isError: false, value: cliJson(root, 'gates') });
    expect((all.value.gates as Json[]).map((g) => [g.name, g.enabled, (g.blockedBy as Json[]).map((b) => b.id)])).toEqual([
      ['one', false, ['AB-01']],
      ['two', false, ['AB-02']],
    ]);
    const one = await s.call('gates', { name: 'two' });
    expect(one.value.gates).toEqual([(all.value.gates as Json[])[1]]);
    expect(await s.call('gates', { name: 'nope' })).toEqual({
      isError: true,
      value: { error: { code: 'gate-unknown', message: 'no gate named nope is declared in govern.config.yaml (declared: one, two)', details: { gate: 'nope', known: ['one', 'two'] } } },
    });
  });

  test('audit: the CLI counts, diagnostics filtered by severity and code, paged', async () => {
    const root = tempRoot();
    const s = await connect(root);
    const cli = cliJson(root, 'audit') as { diagnostics: Json[] } & Json;
    const errors = cli.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['evidence-missing', 'unknown-dependency']);
    expect(await s.call('audit')).toEqual({ isError: false, value: { ...cli, diagnostics: errors, total: 2, offset: 0, nextOffset: null } });
    expect((await s.call('audit', { severity: 'info', limit: 500 })).value.diagnostics).toEqual(cli.diagnostics);
    expect(await s.call('audit', { limit: 1, offset: 1 })).toMatchObject({ value: { diagnostics: [errors[1]], total: 2, offset: 1, nextOffset: null } });
    expect(await s.call('audit', { limit: 1 })).toMatchObject({ value: { diagnostics: [errors[0]], nextOffset: 1 } });
    expect(await s.call('audit', { severity: 'warning', code: 'evidence-missing' })).toMatchObject({ value: { ok: false, diagnostics: [errors[0]], total: 1 } });
  });

  test('audit_log: records written through mcp, by item, the newest first cut by limit', async () => {
    const root = tempRoot();
    const s = await connect(root);
    expect(await s.call('audit_log')).toEqual({ isError: false, value: { records: [], total: 0, nextCursor: null, diagnostics: [] } });
    await s.call('set_status', { id: 'AB-01', status: 'blocked' });
    await s.call('set_status', { id: 'CD-02', status: 'in_progress' });
    await s.call('set_status', { id: 'AB-01', status: 'partial', force: true });
    const row = (r: Json) => [r.item, r.action, r.via, r.actor, (r.to as Json).status];
    const all = await s.call('audit_log');
    expect((all.value.records as Json[]).map(row)).toEqual([
      ['AB-01', 'set-status', 'mcp', 'mcp-test', 'blocked'],
      ['CD-02', 'set-status', 'mcp', 'mcp-test', 'in_progress'],
      ['AB-01', 'set-status', 'mcp', 'mcp-test', 'partial'],
    ]);
    expect(all.value.records).toEqual((cliJson(root, 'audit', 'log') as Json).records);
    const newest = await s.call('audit_log', { item: 'AB-01', limit: 1 });
    expect([(newest.value.records as Json[]).map(row), newest.value.total]).toEqual([[['AB-01', 'set-status', 'mcp', 'mcp-test', 'partial']], 2]);
    const older = await s.call('audit_log', { limit: 1, cursor: newest.value.nextCursor });
    expect([(older.value.records as Json[]).map(row), older.value.nextCursor]).toEqual([[['AB-01', 'set-status', 'mcp', 'mcp-test', 'blocked']], null]);
  });
});

describe('govern mcp: the process', () => {
  test('stdout carries only JSON-RPC; requests written before stdin closes are answered, then it exits 0', () => {
    const root = tempRoot();
    const messages = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '0' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'next', arguments: { limit: 1 } } },
    ];
    const r = spawnSync(process.execPath, [BIN, 'mcp', '--root', root, '--no-cache'], {
      input: messages.map((m) => JSON.stringify(m)).join('\n') + '\n',
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect([r.status, r.stderr]).toEqual([0, `govern mcp: serving ${root} over stdio\n`]);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Json);
    expect(lines.map((l) => [l.jsonrpc, l.id])).toEqual([
      ['2.0', 1],
      ['2.0', 2],
    ]);
    expect(lines[0]).toMatchObject({ result: { serverInfo: { name: 'govern' }, capabilities: { tools: {} } } });
    expect(lines[1]).toMatchObject({ result: { structuredContent: { nodes: [{ id: 'CD-02' }], total: 4, nextOffset: 1 } } });
  });

  test('a --root that is not a directory is a usage error before serving (exit 2)', () => {
    const r = spawnSync(process.execPath, [BIN, 'mcp', '--root', path.join(os.tmpdir(), 'govern-mcp-no-such-dir')], { encoding: 'utf8', input: '' });
    expect([r.status, r.stdout, r.stderr]).toEqual([2, '', `govern: --root ${path.join(os.tmpdir(), 'govern-mcp-no-such-dir')}: not a directory\n`]);
  });
});
