import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { cli, tempRoot } from './test-support.js';

// `govern next`, `graph` and `status` over two repositories: this root's
// govern.config.yaml names the other under `repos:`; identities come from git remotes.

function twoRepos(ss02: string): { dome: string; base: string } {
  const base = tempRoot({}, 'govern-cli-repos-');
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
    fs.writeFileSync(path.join(base, rel), text);
  };
  write('ssot/trackers/ssot.md', `| Milestone | Depends On | Status |\n|---|---|---|\n| SS-01 Schema | - | Done |\n| SS-02 Reason codes | SS-01 | ${ss02} |\n`);
  write('work/govern.config.yaml', 'repos:\n  - ../ssot\n');
  write('work/trackers/dome.md', '| Milestone | Depends On | Status |\n|---|---|---|\n| LM-10 Migration | xtrlv2:SS-02 | Planned |\n| LM-11 Binder | LM-10 | Planned |\n');
  for (const [dir, remote] of [['ssot', 'https://github.com/acme/xtrlv2.git'], ['work', 'git@github.com:acme/dome.git']] as const) {
    execFileSync('git', ['init', '-q', path.join(base, dir)], { stdio: 'ignore' });
    execFileSync('git', ['-C', path.join(base, dir), 'remote', 'add', 'origin', remote], { stdio: 'ignore' });
  }
  return { dome: path.join(base, 'work'), base };
}

describe('next, graph and status across repositories', () => {
  test('next answers what is actionable in both; once the other repository is done, the item that waited on it', async () => {
    const { dome } = twoRepos('In Progress');
    const r = await cli(['next', '--json', '--root', dome, '--no-cache']);
    expect([r.code, r.err]).toEqual([0, '']);
    expect((JSON.parse(r.out) as { id: string; repo: string; source: { file: string } }[]).map((n) => [n.id, n.repo, n.source.file])).toEqual([
      ['xtrlv2:SS-02', 'xtrlv2', '../ssot/trackers/ssot.md'],
    ]);
    const human = await cli(['next', '--root', dome, '--no-cache', '--no-color']);
    expect(human.out).toContain('xtrlv2:SS-02');

    const done = twoRepos('Done');
    const after = await cli(['next', '--json', '--root', done.dome, '--no-cache']);
    expect((JSON.parse(after.out) as { id: string }[]).map((n) => n.id)).toEqual(['LM-10']);
  });

  test('graph --json spans both roots; status --json lists both repositories documents and what waits across them', async () => {
    const { dome } = twoRepos('Planned');
    const g = await cli(['graph', '--json', '--root', dome, '--no-cache']);
    expect(g.code).toBe(0);
    const graph = JSON.parse(g.out) as { nodes: { id: string; repo: string; dependsOn: string[] }[]; diagnostics: unknown[] };
    expect([graph.nodes.map((n) => [n.id, n.repo, n.dependsOn]), graph.diagnostics]).toEqual([
      [
        ['xtrlv2:SS-01', 'xtrlv2', []],
        ['xtrlv2:SS-02', 'xtrlv2', ['xtrlv2:SS-01']],
        ['LM-10', 'dome', ['xtrlv2:SS-02']],
        ['LM-11', 'dome', ['LM-10']],
      ],
      [],
    ]);
    const s = await cli(['status', '--json', '--root', dome, '--no-cache']);
    const status = JSON.parse(s.out) as { documents: { file: string; id: string }[]; next: string[]; blocked: { id: string; blockers: { id: string }[] }[] };
    expect([status.documents.map((d) => [d.file, d.id]), status.next, status.blocked.map((b) => [b.id, b.blockers.map((x) => x.id)])]).toEqual([
      [
        ['trackers/dome.md', 'dome'],
        ['../ssot/trackers/ssot.md', 'xtrlv2:ssot'],
      ],
      ['xtrlv2:SS-02'],
      [
        ['LM-10', ['xtrlv2:SS-02']],
        ['LM-11', ['LM-10']],
      ],
    ]);
  });

  test('a missing root and an unknown repository are positioned diagnostics (exit 1); the rest is answered', async () => {
    const { dome } = twoRepos('Done');
    fs.writeFileSync(path.join(dome, 'govern.config.yaml'), 'repos:\n  - ../ssot\n  - ../gone\n');
    fs.appendFileSync(path.join(dome, 'trackers/dome.md'), '| LM-12 Later | nope:X-1 | Planned |\n');
    const r = await cli(['graph', '--json', '--root', dome, '--no-cache']);
    const graph = JSON.parse(r.out) as { nodes: { id: string }[]; diagnostics: { code: string; file: string; line: number; column: number; note?: string }[] };
    expect([r.code, graph.nodes.length, graph.diagnostics.map((d) => [d.code, d.file, d.line, d.column, d.note])]).toEqual([
      1,
      5,
      [
        ['repo-unreadable', 'govern.config.yaml', 3, 5, undefined],
        ['unknown-dependency', 'trackers/dome.md', 5, 17, 'no repository named nope in the graph; govern.config.yaml repos: gives dome, xtrlv2'],
      ],
    ]);
    const next = await cli(['next', '--root', dome, '--no-cache', '--no-color']);
    expect([next.code, next.err]).toEqual([1, 'govern: exit 1: 2 error diagnostics in govern.config.yaml (1), trackers/dome.md (1); govern validate shows them\n']);
  });
});
