import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { BIN, ensureFreshBundle, REPO, tempRoot } from './support.js';

// `govern history` through the built binary, over a temporary git repository.

beforeAll(ensureFreshBundle, 120_000);

const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GOVERN_ACTOR: 'history-test', NO_COLOR: '1' };

function govern(root: string, ...argv: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...argv, '--root', root, '--no-cache'], { cwd: REPO, env: ENV, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function git(root: string, args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync('git', args, { cwd: root, env: { ...ENV, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function commit(root: string, who: string, time: string): string {
  git(root, ['add', '--', ...['trackers/t.md', 'ops/audit/govern-audit.jsonl'].filter((f) => fs.existsSync(path.join(root, f)))]);
  git(root, ['-c', `user.name=${who}`, '-c', `user.email=${who.toLowerCase()}@example.com`, 'commit', '-q', '-m', `by ${who}`], {
    GIT_AUTHOR_DATE: time,
    GIT_COMMITTER_DATE: time,
  });
  return git(root, ['rev-parse', 'HEAD']);
}

const tracker = (status: string) => ['# Tracker', '', '| Order | Milestone | Depends On | Status |', '|---|---|---|---|', `| 1 | AB-01 One | - | ${status} |`, '| 2 | AB-02 Two | - | Planned |', ''].join('\n');

describe('govern history', () => {
  let root: string;
  const c: string[] = [];
  beforeAll(() => {
    root = tempRoot({ 'trackers/t.md': tracker('Planned') }, 'govern-history-');
    git(root, ['init', '-q']);
    c.push(commit(root, 'Alice', '2026-01-01T10:00:00Z'));
    fs.writeFileSync(path.join(root, 'trackers/t.md'), tracker('In Progress'));
    c.push(commit(root, 'Bob', '2026-01-01T11:00:00Z'));
    // A real govern write through the binary, committed as written (its record is "now",
    // long after the commit dates: only the hash can match it).
    const w = govern(root, 'task', 'set-status', 'AB-01', 'blocked', '--reason', 'waiting on a review');
    if (w.code !== 0) throw new Error(w.stderr);
    c.push(commit(root, 'Carol', '2026-01-01T12:00:00Z'));
  }, 20_000);

  test('--json: every transition, the hand edits and the govern write with its audit record', () => {
    const r = govern(root, 'history', 'AB-01', '--json');
    expect([r.code, r.stderr]).toEqual([0, '']);
    const out = JSON.parse(r.stdout);
    const author = (name: string, time: string) => ({ author: name, email: `${name.toLowerCase()}@example.com`, date: time, committedAt: time, source: 'git', file: 'trackers/t.md' });
    expect(out).toEqual({
      item: 'AB-01',
      file: 'trackers/t.md',
      adoptions: [],
      truncated: false,
      diagnostics: [],
      transitions: [
        { ...author('Alice', '2026-01-01T10:00:00+00:00'), commit: c[0], from: null, to: { status: 'planned', text: 'Planned' }, via: 'hand-edit', audit: null },
        { ...author('Bob', '2026-01-01T11:00:00+00:00'), commit: c[1], from: { status: 'planned', text: 'Planned' }, to: { status: 'in_progress', text: 'In Progress' }, via: 'hand-edit', audit: null },
        {
          ...author('Carol', '2026-01-01T12:00:00+00:00'),
          commit: c[2],
          from: { status: 'in_progress', text: 'In Progress' },
          to: { status: 'blocked', text: 'Blocked' },
          via: 'govern',
          audit: { id: expect.any(String), action: 'set-status', actor: 'history-test', at: expect.any(String), reason: 'waiting on a review', match: 'hash-after' },
        },
      ],
    });
  });

  test('a table by default; an unknown id is exit 1 with near ids', () => {
    const r = govern(root, 'history', 'AB-01');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('AB-01  trackers/t.md');
    expect(lines.slice(1, 4).map((l) => l.trim().split(/\s{2,}/))).toEqual([
      ['2026-01-01 10:00:00+00:00', c[0]!.slice(0, 7), 'Alice', '(new) → Planned', 'hand edit'],
      ['2026-01-01 11:00:00+00:00', c[1]!.slice(0, 7), 'Bob', 'Planned → In Progress', 'hand edit'],
      ['2026-01-01 12:00:00+00:00', c[2]!.slice(0, 7), 'Carol', 'In Progress → Blocked', 'govern set-status (hash-after)'],
    ]);
    expect(lines[4]).toBe('3 changes: 1 through govern, 2 by hand edits');

    const unknown = govern(root, 'history', 'ab-1', '--json');
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error).toEqual({
      code: 'item-not-found',
      message: `no item ab-1 in ${root}; did you mean AB-01, AB-02?`,
      details: { item: 'ab-1', suggestions: ['AB-01', 'AB-02'] },
    });
    const human = govern(root, 'history', 'XY-1');
    expect([human.code, human.stdout, human.stderr]).toEqual([1, '', `govern: no item XY-1 in ${root} [item-not-found]\n`]);
  });

  test('outside a git repository: the audit records only, with a history-no-git warning', () => {
    const plain = tempRoot({ 'trackers/t.md': tracker('In Progress') }, 'govern-history-nogit-');
    const w = govern(plain, 'task', 'set-status', 'AB-01', 'blocked');
    expect(w.code).toBe(0);
    // GIT_CEILING_DIRECTORIES: not a repository even if the temporary directory is inside one.
    const r = spawnSync(process.execPath, [BIN, 'history', 'AB-01', '--json', '--root', plain, '--no-cache'], {
      cwd: REPO,
      env: { ...ENV, GIT_CEILING_DIRECTORIES: path.dirname(plain) },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.transitions).toEqual([
      expect.objectContaining({ source: 'audit-log', commit: null, author: 'history-test', from: { status: 'in_progress', text: 'In Progress' }, to: { status: 'blocked', text: 'Blocked' }, via: 'govern' }),
    ]);
    expect(out.diagnostics.map((d: { severity: string; code: string }) => [d.severity, d.code])).toEqual([['warning', 'history-no-git']]);
  });
});
