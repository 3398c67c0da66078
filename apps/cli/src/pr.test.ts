import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGitHubReplay, type GitHubReplay } from '@govern/github';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from './program.js';

// `govern pr open` through the CLI, in process, against the loopback GitHub of
// @govern/github (real HTTP on 127.0.0.1, Octokit with its production settings).

const CANARY = 'ghp_CLI_LEAK_CANARY_5e7d9b1f3a5c7e9b1d3f5a7c';
const TRACKER = [
  '# Tracker',
  '',
  '| Order | Milestone | Depends On | Status |',
  '|---|---|---|---|',
  '| 1 | AB-01 One | - | In Progress (#7) |',
  '| 2 | AB-02 Two | AB-01 | Planned |',
  '',
  '## Checks',
  '',
  '- AB-01: `echo checked`',
  '',
  '## Evidence Roots',
  '',
  '- AB-01: `ops/runtime/ab-01/`',
  '',
].join('\n');

let root: string;
let home: string;
let gh: GitHubReplay;
const outputs: string[] = [];

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-cli-pr-'));
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-cli-pr-home-'));
  fs.mkdirSync(path.join(root, 'trackers'));
  fs.writeFileSync(path.join(root, 'trackers/t.md'), TRACKER);
  gh = await startGitHubReplay({ owner: 'acme', repo: 'widgets', token: CANARY, files: { 'trackers/t.md': TRACKER } });
  expect((await cli({}, 'close', 'AB-01')).code).toBe(0);
});
afterAll(async () => {
  await gh.close();
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
});

async function cli(env: Record<string, string>, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...argv, '--root', root, '--no-cache'], {
    cwd: root,
    stdout: { write: (s: string | Uint8Array) => (stdout += typeof s === 'string' ? s : Buffer.from(s).toString()) },
    stderr: { write: (s: string) => (stderr += s) },
    // A private HOME: the developer's own gh login must not be read.
    env: { GOVERN_ACTOR: 'cli-test', HOME: home, GH_CONFIG_DIR: path.join(home, 'gh'), ...env },
  });
  outputs.push(stdout, stderr);
  return { code, stdout, stderr };
}

const api = () => ['--repo', 'acme/widgets', '--api-url', gh.url];

describe('govern pr open', { timeout: 60_000 }, () => {
  test('--dry-run without a token: prints branch, files with sha256, title, labels, reviewers, body; no request', async () => {
    const r = await cli({}, 'pr', 'open', 'AB-01', '--dry-run', ...api(), '--label', 'closure', '--reviewer', 'octocat');
    expect([r.code, r.stderr, gh.requests.length]).toEqual([0, '', 0]);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'dry run: nothing was changed',
      '  no request was made (no token found; set GITHUB_TOKEN to also check what exists on GitHub)',
      'branch     govern/close/ab-01 → main of acme/widgets',
      'files      6',
    ]);
    expect(lines.slice(4, 10).map((l) => l.replace(/[0-9a-f]{64}/, '<sha256>'))).toEqual([
      '  <sha256>  ops/audit/govern-audit.jsonl',
      expect.stringMatching(/^ {2}<sha256> {2}ops\/runtime\/ab-01\/attempts\/.+\/checks\/01-echo-checked\.log$/),
      expect.stringMatching(/^ {2}<sha256> {2}ops\/runtime\/ab-01\/attempts\/.+\/checks\/02-phase-audit\.log$/),
      expect.stringMatching(/^ {2}<sha256> {2}ops\/runtime\/ab-01\/attempts\/.+\/manifest\.json$/),
      '  <sha256>  ops/runtime/ab-01/manifest.json',
      '  <sha256>  trackers/t.md',
    ]);
    expect(lines.slice(10, 15)).toEqual(['title      govern: close AB-01 — One', 'labels     closure', 'reviewers  octocat', 'draft      no', 'body:']);
    expect(lines[15]).toBe('  <!-- govern:closure item=AB-01 v=1 -->');
  });

  test('labels, reviewers and draft come from the profile unless flags are given', async () => {
    fs.mkdirSync(path.join(root, 'profiles'), { recursive: true });
    fs.writeFileSync(path.join(root, 'profiles/team.yaml'), 'extends: default\ngithub:\n  labels: [governance, closure]\n  reviewers: [octocat, acme/leads]\n  draft: true\n');
    fs.writeFileSync(path.join(root, 'govern.config.yaml'), 'profile: profiles/team.yaml\n');
    try {
      const fromProfile = (await cli({}, 'pr', 'open', 'AB-01', '--dry-run', ...api())).stdout.split('\n').slice(11, 14);
      expect(fromProfile).toEqual(['labels     governance, closure', 'reviewers  octocat, team leads', 'draft      yes']);
      const fromFlags = (await cli({}, 'pr', 'open', 'AB-01', '--dry-run', ...api(), '--label', 'x', '--reviewer', 'hubot')).stdout.split('\n').slice(11, 14);
      expect(fromFlags).toEqual(['labels     x', 'reviewers  hubot', 'draft      yes']);
    } finally {
      fs.rmSync(path.join(root, 'profiles'), { recursive: true, force: true });
      fs.rmSync(path.join(root, 'govern.config.yaml'), { force: true });
    }
  });

  test('opens the PR, then a rerun leaves it as is; --json prints the result object', async () => {
    const first = await cli({ GITHUB_TOKEN: CANARY }, 'pr', 'open', 'AB-01', ...api(), '--label', 'closure');
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toMatch(/^opened #1 https:\/\/github\.com\/acme\/widgets\/pull\/1\n {2}govern\/close\/ab-01 → main \(created, [0-9a-f]{12}\); 6 of 6 files differ from main, 5 uploaded\n$/);
    const again = await cli({ GH_TOKEN: CANARY }, 'pr', 'open', 'AB-01', ...api(), '--label', 'closure', '--json');
    expect(again.code).toBe(0);
    const result = JSON.parse(again.stdout);
    expect([result.action, result.pr.number, result.pr.labels, result.tokenSource, result.ref]).toEqual(['unchanged', 1, ['closure'], 'GH_TOKEN', 'unchanged']);
    expect(gh.pulls).toHaveLength(1);
  });

  test('refusals exit 1 with { error } (or one line on stderr); usage problems exit 2', async () => {
    const notClosed = await cli({ GITHUB_TOKEN: CANARY }, 'pr', 'open', 'AB-02', ...api(), '--json');
    expect([notClosed.code, JSON.parse(notClosed.stdout)]).toEqual([
      1,
      { error: { code: 'not-closed', message: 'AB-02 is planned, not done: a closure PR carries a closed item; run `govern close AB-02` first', details: { item: 'AB-02', status: 'planned' } } },
    ]);
    const noToken = await cli({}, 'pr', 'open', 'AB-01', ...api());
    expect([noToken.code, noToken.stdout]).toEqual([1, '']);
    expect(noToken.stderr).toMatch(/^govern: no GitHub token: set GITHUB_TOKEN or GH_TOKEN .* \[token-missing\]\n$/);
    const noRepo = await cli({ GITHUB_TOKEN: CANARY }, 'pr', 'open', 'AB-01');
    expect([noRepo.code, noRepo.stdout, noRepo.stderr]).toEqual([2, '', 'govern: no repository: pass --repo owner/name (or set GITHUB_REPOSITORY, or add an origin remote on GitHub)\n']);
    const badRepo = await cli({ GITHUB_TOKEN: CANARY }, 'pr', 'open', 'AB-01', '--repo', 'acme');
    expect([badRepo.code, badRepo.stderr]).toEqual([2, 'govern: --repo acme: expected owner/name\n']);
  });

  test('GitHub errors: a clear line, exit 1, and the token in no output and not in the audit log', async () => {
    const wrong = await cli({ GITHUB_TOKEN: `${CANARY}x` }, 'pr', 'open', 'AB-01', ...api());
    expect([wrong.code, wrong.stdout, wrong.stderr]).toEqual([
      1,
      '',
      'govern: GitHub refused the token (401 Bad credentials) on "read branch main": check GITHUB_TOKEN / GH_TOKEN / gh auth login [auth-failed]\n',
    ]);
    gh.fault({ method: 'GET', path: /\/pulls\?/, kind: 'rate-limit', resetInS: 7200 });
    const limited = await cli({ GITHUB_TOKEN: CANARY }, 'pr', 'open', 'AB-01', ...api(), '--json');
    expect(limited.code).toBe(1);
    expect(JSON.parse(limited.stdout).error).toMatchObject({ code: 'rate-limited', details: { status: 403, request: 'list pull requests from govern/close/ab-01', retryAfter: null } });
    gh.fault({ method: 'GET', path: /heads%2Fmain$/, kind: 'status', status: 400, body: { message: `proxy saw Authorization: token ${CANARY}` } });
    const echoed = await cli({ GITHUB_TOKEN: CANARY }, 'pr', 'open', 'AB-01', ...api());
    expect([echoed.code, echoed.stderr]).toEqual([1, 'govern: GitHub refused "read branch main" (400 proxy saw Authorization: token [REDACTED]) [github-error]\n']);

    expect(gh.requests.filter((q) => q.headers.authorization === `token ${CANARY}`).length).toBeGreaterThan(0);
    const audit = fs.readFileSync(path.join(root, 'ops/audit/govern-audit.jsonl'), 'utf8');
    expect([...outputs, audit].filter((t) => t.includes(CANARY))).toEqual([]);
    // pr open records nothing in the status audit log: only the closure is there.
    expect(audit.trim().split('\n').map((l) => JSON.parse(l).action)).toEqual(['close']);
  });
});
