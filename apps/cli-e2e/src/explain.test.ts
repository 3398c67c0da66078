import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { explainFile, loadWorkspace } from '@govern/workspace';
import { BIN, cli, connectMcp, ensureFreshBundle, oneJson, tempRoot, WORKER, type Run } from './support.js';

// Issue 15 through the bundled binary: `govern explain`, document ids from the path when a
// file name repeats (graph, worker threads, diff, the MCP tool), `validate --strict` on a
// root that tracks nothing.

beforeAll(ensureFreshBundle, 120_000);

function bin(argv: string[], cwd: string): Run {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['FORCE_COLOR', 'NO_COLOR', 'GOVERN_NO_CACHE', 'GOVERN_CACHE_DIR', 'GOVERN_PARSER', 'GOVERN_TIMING']) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...argv], { cwd, env, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

const tasks = (status: string) => `# Tasks

## Phase 1: Setup

Status: ${status}

- [x] T001 Write it
- [ ] T002 Test it (depends on T001)
`;

const A = 'workplans/specs/001-x/tasks.md';
const B = 'workplans/specs/002-y/tasks.md';
const pathNodes = (doc: string) => [`${doc}:PHASE-1`, `${doc}:T001`, `${doc}:T002`];

describe('two files with the same name', () => {
  it('graph --json: both read, named by their paths; no duplicate-id; cold, warm and --no-cache agree', () => {
    const root = tempRoot({ [A]: tasks('Done'), [B]: tasks('Planned') });
    const cold = bin(['graph', '--json', '--root', root], root);
    expect([cold.code, cold.err]).toEqual([0, '']);
    const graph = oneJson(cold.out) as { nodes: { id: string; localId: string; document: string }[]; diagnostics: unknown[] };
    expect(graph.diagnostics).toEqual([]);
    expect(graph.nodes.map((n) => n.id)).toEqual([...pathNodes('workplans/specs/001-x/tasks'), ...pathNodes('workplans/specs/002-y/tasks')]);
    expect(graph.nodes.map((n) => n.localId)).toEqual(['PHASE-1', 'T001', 'T002', 'PHASE-1', 'T001', 'T002']);
    expect(bin(['graph', '--json', '--root', root], root)).toEqual(cold);
    expect(bin(['graph', '--json', '--no-cache', '--root', root], root)).toEqual(cold);
  });

  it('worker threads give the same ids as the main thread', async () => {
    const root = tempRoot({ [A]: tasks('Done'), [B]: tasks('Planned'), 'workplans/other.md': tasks('Done') });
    const workers = await loadWorkspace({ root, cacheDir: null, workerUrl: new URL(`file://${WORKER}`), parallelThreshold: 1 });
    const main = await loadWorkspace({ root, cacheDir: null });
    expect(workers.stats.workers).toBeGreaterThan(0);
    expect(workers.graphJson().toString('utf8')).toBe(main.graphJson().toString('utf8'));
    expect(main.index.graph.nodes.map((n) => n.id)).toEqual([...pathNodes('other'), ...pathNodes('workplans/specs/001-x/tasks'), ...pathNodes('workplans/specs/002-y/tasks')]);
  });

  it('task set-status and diff use the path ids', () => {
    const root = tempRoot({ [A]: tasks('Planned'), [B]: tasks('Planned') });
    git(root, 'init', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'two plans');
    const set = bin(['task', 'set-status', 'workplans/specs/002-y/tasks:PHASE-1', 'in_progress', '--json'], root);
    expect([set.code, (oneJson(set.out) as { file: string }).file]).toEqual([0, B]);
    const diff = bin(['diff', 'HEAD', '--json'], root);
    expect([diff.code, diff.err]).toEqual([0, '']);
    expect(oneJson(diff.out)).toEqual({
      changes: [
        {
          kind: 'status-changed',
          id: 'workplans/specs/002-y/tasks:PHASE-1',
          file: B,
          // The status line.
          line: 5,
          message: 'workplans/specs/002-y/tasks:PHASE-1 status: planned ("Planned") → in_progress ("In Progress")',
          before: { status: 'planned', text: 'Planned' },
          after: { status: 'in_progress', text: 'In Progress' },
        },
      ],
      diagnostics: [],
    });
  });
});

describe('govern explain from the binary', () => {
  it('--json prints the same bytes as the in-process CLI, and the library object', async () => {
    const root = tempRoot({ [A]: tasks('Done'), [B]: tasks('Planned') });
    const r = bin(['explain', B, '--json', '--no-cache', '--root', root], root);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toBe((await cli(['explain', B, '--json', '--no-cache', '--root', root])).out);
    expect(oneJson(r.out)).toEqual(explainFile(await loadWorkspace({ root, cacheDir: null }), B));
  });

  it('the explain tool of `govern mcp` answers the same object; an unknown file is a usage error', async () => {
    const root = tempRoot({ [A]: tasks('Done'), [B]: tasks('Planned') });
    const { client } = await connectMcp(root);
    const ok = (await client.callTool({ name: 'explain', arguments: { file: A } })) as CallToolResult;
    expect([ok.isError ?? false, ok.structuredContent]).toEqual([false, explainFile(await loadWorkspace({ root, cacheDir: null }), A)]);
    const missing = (await client.callTool({ name: 'explain', arguments: { file: 'nope.md' } })) as CallToolResult;
    expect([missing.isError, missing.structuredContent]).toEqual([
      true,
      { error: { code: 'usage', message: `nope.md: no such file (from ${fs.realpathSync(root)} or the root ${fs.realpathSync(root)}), and no document has that id`, details: { file: 'nope.md' } } },
    ]);
  });
});

describe('validate on a root that tracks nothing', () => {
  it('a warning, exit 0; with --strict an error, exit 1', () => {
    const root = tempRoot({ 'workplans/notes.md': '# Notes\n\nProse.\n' });
    const warn = bin(['validate', '--json', '--root', root], root);
    expect([warn.code, (oneJson(warn.out) as { diagnostics: { code: string; severity: string }[] }).diagnostics.map((d) => [d.code, d.severity])]).toEqual([
      0,
      [
        ['root-untracked', 'warning'],
        ['no-governance-content', 'info'],
      ],
    ]);
    const strict = bin(['validate', '--strict', '--root', root], root);
    expect([strict.code, strict.out.split('\n')[0]]).toEqual([1, 'govern.config.yaml:1:1  error  1 document found, none with anything to track: no milestone, task or workplan in any  root-untracked']);
    fs.rmSync(path.join(root, 'workplans'), { recursive: true });
    expect(bin(['validate', '--strict', '--root', root], root).code).toBe(1);
  });
});
