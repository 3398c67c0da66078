import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { composePacks, CompatibilityManifestSchema, type ConformanceHarness } from '@govern/adapter-kit';
import { conformanceSuite } from '@govern/adapter-kit/testing';
import { closeItem } from '@govern/closure';
import { toErrorJSON } from '@govern/errors';
import { startGitHubReplay, type GitHubReplay } from '@govern/github';
import { afterAll, describe, expect, test } from 'vitest';
import { githubPack } from './index.js';

// The GitHub pack against @govern/github's loopback GitHub: a real HTTP server on
// 127.0.0.1 answering with response shapes recorded from api.github.com
// (@octokit/fixtures), over coherent state. Octokit is not stubbed. Each sandbox
// gets a fresh server and a byte-identical copy of one repository whose AB-01 was
// closed for real (govern close, a real check process) once per file.

const TOKEN = 'ghp_govern_FAKE_TOKEN_0123456789abcdefABCDEF';
const TRACKER = [
  '# Tracker',
  '',
  '| Order | Milestone | Depends On | Status |',
  '|---|---|---|---|',
  '| 1 | AB-01 Parser | - | In Progress |',
  '| 2 | AB-02 Writer | AB-01 | Planned |',
  '',
  '## Checks',
  '',
  '- AB-01: `echo parsed`',
  '',
  '## Evidence Roots',
  '',
  '- AB-01: `ops/runtime/ab-01/`',
  '',
].join('\n');

const dirs: string[] = [];
const servers: GitHubReplay[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'adapter-github-'));
  dirs.push(d);
  return d;
}

let template: Promise<string> | null = null;
/** The closed repository, made once: every sandbox copies the same bytes (its evidence records durations, so it is not re-made). */
function closedRepository(): Promise<string> {
  return (template ??= (async () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'trackers'));
    fs.writeFileSync(path.join(root, 'trackers/t.md'), TRACKER);
    const closed = await closeItem({ root, id: 'AB-01', actor: 'closer', via: 'library', toolVersion: '0.1.0', cacheDir: null, now: () => new Date('2026-01-02T03:04:05.000Z') });
    if (!closed.passed) throw new Error(`fixture: AB-01 did not close: ${JSON.stringify(closed.failures)}`);
    return root;
  })());
}

/** The writes the loopback GitHub accepted, as the remote resources they touched. */
function remoteWrites(gh: GitHubReplay): string[] {
  const prefix = `/repos/${gh.owner}/${gh.repo}/`;
  return gh.requests
    .filter((r) => r.method !== 'GET' && typeof r.status === 'number' && r.status < 300)
    .map((r) => {
      const p = decodeURIComponent(r.path.split('?')[0]!);
      const rest = p.startsWith(prefix) ? p.slice(prefix.length) : p;
      if (r.method === 'POST' && rest === 'git/refs') return `github:${gh.owner}/${gh.repo}:${String((JSON.parse(r.body) as { ref: string }).ref).replace(/^refs\//, 'refs/')}`;
      return `github:${gh.owner}/${gh.repo}:${rest.replace(/^git\/refs\//, 'refs/')}`;
    });
}

async function replay(): Promise<GitHubReplay> {
  const gh = await startGitHubReplay({ token: TOKEN, files: { 'README.md': '# hello\n', 'trackers/t.md': TRACKER } });
  servers.push(gh);
  return gh;
}
const optionsFor = (gh: GitHubReplay) => ({ owner: gh.owner, repo: gh.repo, base: 'main', apiUrl: gh.url, labels: ['govern'] });

const harness: ConformanceHarness = {
  async sandbox(root) {
    fs.cpSync(await closedRepository(), root, { recursive: true });
    const gh = await startGitHubReplay({ token: TOKEN, files: { 'README.md': '# hello\n', 'trackers/t.md': TRACKER } });
    return {
      options: optionsFor(gh),
      secrets: { GITHUB_TOKEN: TOKEN },
      inputs: { github: { item: 'AB-01' } },
      volatile: [gh.url],
      observe: async () => ({ remote: remoteWrites(gh) }),
      close: () => gh.close(),
    };
  },
};

conformanceSuite(githubPack, harness);

async function repoCopy(): Promise<string> {
  const root = tempDir();
  fs.cpSync(await closedRepository(), root, { recursive: true });
  return root;
}
async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => toErrorJSON(e),
  );
}

describe('the GitHub pack', () => {
  test('its manifest: the github capability, writing closure branches, their objects and pull requests only', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    const on = (what: string) => `github:{owner}/{repo}:${what}`;
    expect(CompatibilityManifestSchema.parse(githubPack.manifest)).toEqual({
      schema: 'govern.adapter-manifest/v1',
      name: 'github',
      package: pkg.name,
      version: pkg.version,
      description: 'the github capability through @govern/github (Octokit): closure pull requests of the repository at the root, idempotent, on govern/close/* branches only',
      capabilities: ['github'],
      durability: 'persistent',
      contracts: [
        { name: '@govern/contracts', version: '1.0.0' },
        { name: 'govern-adapter-capabilities', version: '1.0.0' },
      ],
      ownership: {
        paths: [],
        tables: [],
        remote: [on('git/blobs'), on('git/trees'), on('git/commits'), on('refs/heads/govern/close/*'), on('pulls'), on('pulls/*'), on('pulls/*/requested_reviewers'), on('issues/*/labels')],
      },
      conformance: ['govern-conformance/1'],
      gate: 'adapter-github',
    });
  });

  test('no token is a failure; a wrong token is a denial that never repeats it', async () => {
    const gh = await replay();
    const root = await repoCopy();
    const none = await composePacks([githubPack]).open({ root, options: { github: optionsFor(gh) } });
    expect(await refusal(none.get('github').openClosurePr({ item: 'AB-01' }))).toMatchObject({
      code: 'adapter-failure',
      details: { github_code: 'token-missing', failure_reason_code: 'adapter.secret.missing', policy_reason_code: null },
    });
    const wrong = await composePacks([githubPack]).open({ root, options: { github: optionsFor(gh) }, secrets: { github: { GITHUB_TOKEN: 'ghp_wrong_0123456789abcdefABCDEF0123456789' } } });
    const err = await refusal(wrong.get('github').openClosurePr({ item: 'AB-01' }));
    expect(err).toEqual({
      code: 'adapter-denial',
      message: 'GitHub refused the token (401 Bad credentials) on "read branch main": check GITHUB_TOKEN / GH_TOKEN / gh auth login',
      details: { status: 401, request: 'read branch main', github_code: 'auth-failed', failure_reason_code: null, policy_reason_code: 'adapter.remote.unauthorized' },
    });
    expect(JSON.stringify(err)).not.toContain('ghp_wrong');
    await Promise.all([none.close(), wrong.close()]);
  });

  test("@govern/github's guards arrive as denials: a branch govern did not write, a secret in the evidence", async () => {
    const gh = await replay();
    gh.refs.set('heads/govern/close/ab-01', gh.refs.get('heads/main')!);
    const root = await repoCopy();
    const client = await composePacks([githubPack]).open({ root, options: { github: optionsFor(gh) }, secrets: { github: { GITHUB_TOKEN: TOKEN } } });
    expect(await refusal(client.get('github').openClosurePr({ item: 'AB-01' }))).toMatchObject({
      code: 'adapter-denial',
      details: { branch: 'govern/close/ab-01', github_code: 'branch-foreign', failure_reason_code: null, policy_reason_code: 'adapter.guard' },
    });
    fs.writeFileSync(path.join(root, 'ops/runtime/ab-01/notes.txt'), `ran by hand\nexport GITHUB_TOKEN=${TOKEN}\n`);
    const err = await refusal(client.get('github').openClosurePr({ item: 'AB-01', force: true }));
    expect(err).toMatchObject({ code: 'adapter-denial', details: { github_code: 'secret-found', failure_reason_code: null, policy_reason_code: 'adapter.guard' } });
    expect(JSON.stringify(err)).not.toContain(TOKEN);
    expect(gh.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    await client.close();
  });
});
