import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, connectMcp, ensureFreshBundle, oneJson, tempRoot } from './support.js';

// `govern init` from the bundled binary in an empty git repository, then the commands a
// new user runs next. The in-process cases (idempotence, --dry-run, merges, refusals) are
// in apps/cli/src/commands/init.test.ts.

beforeAll(ensureFreshBundle, 120_000);

function bin(argv: string[], cwd: string) {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? cwd };
  const r = spawnSync(process.execPath, [BIN, ...argv], { cwd, env, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** An empty git repository that `govern init` (the binary) has scaffolded. */
function initialized(): string {
  const root = tempRoot();
  expect(spawnSync('git', ['init', '-q'], { cwd: root }).status).toBe(0);
  const init = bin(['init', '--json'], root);
  expect(init).toMatchObject({ code: 0, err: '' });
  expect(oneJson(init.out)).toMatchObject({ root: fs.realpathSync(root), dryRun: false, kept: [], updated: [] });
  return root;
}

describe('govern init in an empty git repository', () => {
  it('then validate exits 0 with no diagnostic, and status reads the starters', () => {
    const root = initialized();
    expect(bin(['validate', '--json'], root)).toEqual({ code: 0, err: '', out: `${JSON.stringify({ ok: true, files: 2, errors: 0, warnings: 0, infos: 0, diagnostics: [] })}\n` });
    const status = bin(['status', '--json'], root);
    expect(status.code).toBe(0);
    expect(oneJson(status.out)).toMatchObject({ next: ['M-01', 'WP-0001-T01'], summary: { errors: 0, warnings: 0, infos: 0 } });
  });

  it('then govern mcp serves the starters', async () => {
    const root = initialized();
    const { client } = await connectMcp(root);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(['graph', 'next', 'item', 'set_status', 'close', 'audit']));
    const next = await client.callTool({ name: 'next', arguments: {} });
    expect(JSON.stringify(next.structuredContent)).toContain('WP-0001-T01');
  });
});

describe('govern init in a repository with history', () => {
  it('names the done items without evidence; after govern adopt, the workflow\'s audit passes', () => {
    const root = tempRoot();
    fs.mkdirSync(`${root}/trackers`);
    fs.writeFileSync(`${root}/trackers/roadmap.md`, '| Milestone | Status |\n|---|---|\n| HX-01 Parser | Done |\n| HX-02 Store | Planned |\n');
    fs.writeFileSync(`${root}/package-lock.json`, '{}\n');
    const git = (...args: string[]) => expect(spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: root }).status).toBe(0);
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'plans from before govern');
    const init = bin(['init', '--json'], root);
    expect((oneJson(init.out) as { notes: string[] }).notes).toEqual([
      '1 done item has no evidence (HX-01): `govern audit`, and so the CI workflow, fails on each. Work finished before govern: `npx govern adopt` records it as such (commit the documents first); other work: `npx govern close <id>`.',
    ]);
    git('add', '-A');
    git('commit', '-q', '-m', 'govern init');
    expect(bin(['adopt', '--no-color'], root)).toEqual({ code: 0, err: '', out: '  adopted  HX-01  trackers/roadmap.md:3:18  Done\n1 adopted\n' });
    git('add', '-A');
    git('commit', '-q', '-m', 'HX-01 was done before govern');
    expect(bin(['audit', '--json'], root)).toMatchObject({ code: 0, err: '' });
  });
});
