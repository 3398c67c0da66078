import fs from 'node:fs';
import path from 'node:path';
import { closeItem } from '@govern/closure';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GitHubError } from './errors.js';
import { openClosurePr, type OpenClosurePrOptions } from './publish.js';
import { resolveSettings, type SettingsFlags } from './settings.js';
import { closedRoot, TRACKER } from './testing/closed-root.js';
import { startGitHubReplay, type GitHubReplay } from './testing/replay-server.js';

// Octokit against the loopback GitHub (src/testing/replay-server.ts): real HTTP on
// 127.0.0.1, recorded response shapes, coherent state. Nothing of Octokit is stubbed.

const TOKEN = 'ghp_govern_FAKE_TOKEN_0123456789abcdefABCDEF';
const BRANCH = 'govern/close/ab-01';
let repo: Awaited<ReturnType<typeof closedRoot>>;
let gh: GitHubReplay;

beforeEach(async () => {
  repo = await closedRoot();
  // The base branch holds the tracker as it was before the closure.
  gh = await startGitHubReplay({ token: TOKEN, files: { 'README.md': '# hello\n', 'trackers/t.md': TRACKER } });
});
afterEach(async () => {
  await gh.close();
  repo.cleanup();
});

async function open(extra: Partial<OpenClosurePrOptions> = {}, flags: SettingsFlags = {}) {
  const s = resolveSettings({ repo: `${gh.owner}/${gh.repo}`, apiUrl: gh.url, ...flags }, {}, repo.root);
  if (!s.ok) throw new Error(s.problems.join('; '));
  return openClosurePr({
    workspace: await repo.workspace(),
    id: 'AB-01',
    settings: s.settings,
    token: { token: TOKEN, source: 'GITHUB_TOKEN' },
    toolVersion: '0.1.0',
    ...extra,
    client: { writeSpacingMs: 0, retries: 0, retryBaseMs: 1, ...extra.client },
  });
}

/** The requests since `from`, as `METHOD /route STATUS` with shas and the repository prefix elided. */
function calls(from = 0): string[] {
  return gh.requests.slice(from).map((r) => {
    const p = decodeURIComponent(r.path.split('?')[0]!).replace(`/repos/${gh.owner}/${gh.repo}`, '').replace(/[0-9a-f]{40}/g, '<sha>');
    return `${r.method} ${p} ${r.status}`;
  });
}

function workingFile(rel: string): string {
  return fs.readFileSync(path.join(repo.root, rel), 'utf8');
}

async function recloseLater() {
  const r = await closeItem({ root: repo.root, id: 'AB-01', actor: 'closer', toolVersion: '0.1.0', cacheDir: null, now: () => new Date('2026-01-03T00:00:00.000Z') });
  expect(r.passed).toBe(true);
}

const FIRST_RUN = [
  'GET /git/ref/heads/main 200',
  `GET /git/ref/heads/${BRANCH} 404`,
  'GET /pulls 200',
  'GET /git/commits/<sha> 200',
  'GET /git/trees/<sha> 200',
  'POST /git/blobs 201',
  'POST /git/blobs 201',
  'POST /git/blobs 201',
  'POST /git/blobs 201',
  'POST /git/blobs 201',
  'POST /git/trees 201',
  'POST /git/commits 201',
  'POST /git/refs 201',
  'POST /pulls 201',
];

describe('govern pr open against the loopback GitHub', { timeout: 30_000 }, () => {
  test('first run: uploads the closure, creates the branch on the base head and opens the PR', async () => {
    const r = await open();
    expect(calls()).toEqual(FIRST_RUN);
    const files = ['ops/audit/govern-audit.jsonl', 'ops/runtime/ab-01/attempts/2026-01-02T03-04-05.000Z/checks/01-echo-parsed.log', 'ops/runtime/ab-01/attempts/2026-01-02T03-04-05.000Z/checks/02-phase-audit.log', 'ops/runtime/ab-01/attempts/2026-01-02T03-04-05.000Z/manifest.json', 'ops/runtime/ab-01/manifest.json', 'trackers/t.md'];
    expect({ ...r, body: null, files: r.files.map((f) => [f.path, f.vsBase, f.uploaded]) }).toEqual({
      item: 'AB-01',
      action: 'opened',
      dryRun: false,
      repo: 'octokit-fixture-org/hello-world',
      base: 'main',
      branch: BRANCH,
      title: 'govern: close AB-01 — Parser | core',
      body: null,
      labels: [],
      reviewers: [],
      teamReviewers: [],
      draft: false,
      // The attempt's manifest and the root manifest are the same bytes: one blob serves both.
      files: files.map((f) => [f, 'changed', f !== 'ops/runtime/ab-01/manifest.json']),
      commit: gh.refs.get(`heads/${BRANCH}`),
      ref: 'created',
      pr: { number: 1, url: 'https://github.com/octokit-fixture-org/hello-world/pull/1', state: 'open', merged: false, draft: false, labels: [] },
      probe: null,
      requests: { reads: 5, writes: 9 },
      tokenSource: 'GITHUB_TOKEN',
      warnings: [],
    });
    // The branch is the base plus the working tree's files, byte for byte.
    expect(Object.fromEntries(gh.branchFiles(BRANCH))).toEqual({ 'README.md': '# hello\n', ...Object.fromEntries(files.map((f) => [f, workingFile(f)])) });
    expect(workingFile('trackers/t.md')).toContain('| 1 | AB-01 Parser \\| core | - | Done (#33) |');
    const head = gh.store.commits.get(r.commit!)!;
    expect([head.parents, head.message]).toEqual([[gh.refs.get('heads/main')], 'govern: close AB-01 — Parser | core\n\nEvidence: ops/runtime/ab-01/manifest.json\n\nGovern-Closure: AB-01\n']);
    expect(gh.pulls.map((p) => [p.number, p.head, p.base, p.state, p.title, p.body])).toEqual([[1, BRANCH, 'main', 'open', r.title, r.body]]);
    expect(r.body.split('\n').slice(0, 3)).toEqual([
      '<!-- govern:closure item=AB-01 v=1 -->',
      '',
      'Closes milestone **AB-01** — Parser \\| core, now **Done (#33)** in [`trackers/t.md` line 5](https://github.com/octokit-fixture-org/hello-world/blob/govern/close/ab-01/trackers/t.md#L5).',
    ]);
    expect(r.body).toContain('- **AB-02** Writer — actionable now\n- **AB-03** Gates — still waits on AB-04\n');
  });

  test('second run: nothing changed → unchanged, one idempotent write (the tree), no second PR', async () => {
    const first = await open();
    const mark = gh.requests.length;
    const again = await open();
    expect([again.action, again.commit, again.ref, again.pr?.number, again.requests]).toEqual(['unchanged', first.commit, 'unchanged', 1, { reads: 7, writes: 1 }]);
    expect(calls(mark).filter((c) => !c.startsWith('GET'))).toEqual(['POST /git/trees 201']);
    expect(gh.pulls).toHaveLength(1);
  });

  test('new evidence: the same PR is updated (branch moved, body rewritten), never a duplicate', async () => {
    await open();
    await recloseLater();
    const mark = gh.requests.length;
    const r = await open();
    expect([r.action, r.ref, r.pr?.number, gh.pulls.length]).toEqual(['updated', 'updated', 1, 1]);
    expect(calls(mark).filter((c) => !c.startsWith('GET'))).toEqual([
      // The new manifest (the attempt's and the root's are the same bytes) and the audit
      // log, which gains the close record binding it; the new attempt's log has the bytes
      // of the first one's.
      'POST /git/blobs 201',
      'POST /git/blobs 201',
      'POST /git/trees 201',
      'POST /git/commits 201',
      `PATCH /git/refs/heads/${BRANCH} 200`,
      'PATCH /pulls/1 200',
    ]);
    expect(gh.pulls[0]!.body).toBe(r.body);
    expect(gh.branchFiles(BRANCH).get('ops/runtime/ab-01/manifest.json')).toBe(workingFile('ops/runtime/ab-01/manifest.json'));
    expect([...gh.branchFiles(BRANCH).keys()].filter((p) => p.includes('/attempts/') && p.endsWith('manifest.json'))).toHaveLength(2);
  });

  test('422 "A pull request already exists": the list lagged behind, the PR is found and updated', async () => {
    await open();
    await recloseLater();
    // GitHub's list is eventually consistent: the first listing misses the open PR.
    gh.fault({ method: 'GET', path: /\/pulls\?/, kind: 'status', status: 200, body: [] });
    const mark = gh.requests.length;
    const r = await open();
    expect([r.action, r.pr?.number, gh.pulls.length]).toEqual(['updated', 1, 1]);
    expect(calls(mark).filter((c) => c.includes('/pulls'))).toEqual(['GET /pulls 200', 'POST /pulls 422', 'GET /pulls 200', 'PATCH /pulls/1 200']);
    expect(gh.pulls[0]!.body).toBe(r.body);
  });

  test('a closed, unmerged PR of this item is reopened, not duplicated', async () => {
    await open();
    gh.closePull(1);
    await recloseLater();
    const mark = gh.requests.length;
    const r = await open();
    expect([r.action, r.pr?.number, r.pr?.state, gh.pulls.map((p) => [p.number, p.state])]).toEqual(['reopened', 1, 'open', [[1, 'open']]]);
    // Reopened before the branch moves, then brought up to date.
    expect(calls(mark).filter((c) => /PATCH/.test(c))).toEqual(['PATCH /pulls/1 200', `PATCH /git/refs/heads/${BRANCH} 200`, 'PATCH /pulls/1 200']);
    expect(JSON.parse(gh.requests.find((q) => q.method === 'PATCH' && q.path.endsWith('/pulls/1'))!.body)).toEqual({ state: 'open' });
    expect((await open()).action).toBe('unchanged');
  });

  test('a closed PR whose branch was deleted cannot be reopened: a new one is opened', async () => {
    await open();
    gh.closePull(1);
    gh.refs.delete(`heads/${BRANCH}`);
    const r = await open();
    expect([r.action, r.ref, r.pr?.number, gh.pulls.map((p) => [p.number, p.state])]).toEqual(['opened', 'created', 2, [[1, 'closed'], [2, 'open']]]);
  });

  test('after the PR was merged the base holds everything: unchanged, nothing written', async () => {
    await open();
    gh.closePull(1, { merged: true });
    const mark = gh.requests.length;
    const r = await open();
    expect([r.action, r.pr?.number, r.pr?.merged, r.warnings]).toEqual(['unchanged', 1, true, ['main already holds every file of this closure (merged in #1): nothing to propose']]);
    expect(calls(mark).every((c) => c.startsWith('GET'))).toBe(true);
  });

  test('the base moved on: a new commit on the new base head, the same PR', async () => {
    const first = await open();
    const main = gh.advance('main', { 'README.md': '# hello again\n' });
    const r = await open();
    expect([r.action, r.ref, r.pr?.number, gh.store.commits.get(r.commit!)!.parents]).toEqual(['updated', 'updated', 1, [main]]);
    expect(r.commit).not.toBe(first.commit);
    expect(gh.branchFiles(BRANCH).get('README.md')).toBe('# hello again\n');
    // Blobs GitHub already has (on the old branch head) are not uploaded again.
    expect(r.files.map((f) => f.uploaded)).toEqual([false, false, false, false, false, false]);
  });

  test('labels and reviewers: added once; a refused reviewer is a warning, not a failure', async () => {
    const flags = { labels: ['closure', 'govern'], reviewers: ['octocat', 'octokit-fixture-user-a', 'octokit-fixture-org/maintainers'] };
    const r = await open({}, flags);
    expect([r.action, r.pr?.labels, r.warnings]).toEqual([
      'opened',
      ['closure', 'govern'],
      [expect.stringMatching(/^reviewers not requested: GitHub refused "request reviewers on #1" \(422 Review cannot be requested from pull request author\.\)$/)],
    ]);
    const ok = await open({}, { labels: ['closure', 'govern'], reviewers: ['octocat', 'octokit-fixture-org/maintainers'] });
    expect([ok.action, gh.pulls[0]!.labels, gh.pulls[0]!.reviewers, gh.pulls[0]!.teams]).toEqual(['unchanged', ['closure', 'govern'], [], []]);
    // Reviewers are requested when the PR is new, reopened or its branch moved.
    await recloseLater();
    const moved = await open({}, { labels: ['closure', 'govern'], reviewers: ['octocat', 'octokit-fixture-org/maintainers'] });
    expect([moved.action, gh.pulls[0]!.reviewers, gh.pulls[0]!.teams]).toEqual(['updated', ['octocat'], ['maintainers']]);
    expect(gh.requests.filter((q) => q.path.endsWith('/labels'))).toHaveLength(1);
  });

  test('a branch govern did not write is not overwritten without --force', async () => {
    const foreign = gh.advance('main', { 'x.txt': 'someone else\n' }, 'unrelated work');
    gh.refs.set(`heads/${BRANCH}`, foreign);
    gh.refs.set('heads/main', gh.store.commits.get(foreign)!.parents[0]!);
    const err = await open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).toJSON()).toEqual({
      code: 'branch-foreign',
      message: `${BRANCH} exists and its head ${foreign.slice(0, 12)} was not written by govern for AB-01 (no "Govern-Closure: AB-01" line): pass --force to overwrite it`,
      details: { branch: BRANCH, head: foreign },
    });
    expect(gh.requests.every((q) => q.method === 'GET')).toBe(true);
    expect((await open({ force: true })).action).toBe('opened');
  });
});

describe('failures leave nothing a rerun cannot repair', { timeout: 30_000 }, () => {
  test('403 rate limit (x-ratelimit-remaining: 0): a clear message, then a rerun converges', async () => {
    gh.fault({ method: 'POST', path: /\/pulls$/, kind: 'rate-limit', resetInS: 3600 });
    const err = (await open().catch((e: unknown) => e)) as GitHubError;
    expect(err).toBeInstanceOf(GitHubError);
    expect(err.code).toBe('rate-limited');
    expect(err.message).toMatch(
      /^GitHub's rate limit stopped "open the pull request" \(403: API rate limit exceeded for user ID 1000\.\); it resets at \d{4}-\d\d-\d\dT[\d:.]+Z, then rerun the same command: steps already done are reused and nothing is duplicated$/,
    );
    expect(gh.pulls).toHaveLength(0);
    const mark = gh.requests.length;
    const r = await open();
    expect([r.action, r.pr?.number, gh.pulls.length]).toEqual(['opened', 1, 1]);
    // The branch was already right: no blob, tree-only, no commit, no ref move.
    expect(calls(mark).filter((c) => !c.startsWith('GET'))).toEqual(['POST /git/trees 201', 'POST /pulls 201']);
  });

  test('secondary rate limit with a short retry-after: retried by the throttling plugin in the same run', async () => {
    gh.fault({ method: 'POST', path: /\/git\/trees$/, kind: 'secondary-rate-limit', retryAfterS: 1 });
    const log: string[] = [];
    const r = await open({ client: { onLog: (l) => log.push(l) } });
    expect([r.action, gh.pulls.length]).toEqual(['opened', 1]);
    expect(calls().filter((c) => c.startsWith('POST /git/trees'))).toEqual(['POST /git/trees 403', 'POST /git/trees 201']);
    expect(log).toEqual([expect.stringMatching(/^GitHub secondary rate limit on POST .*\/git\/trees; retrying in 1 s$/)]);
  });

  test('the connection drops after GitHub made the commit: network error; the rerun converges on one branch and one PR', async () => {
    gh.fault({ method: 'POST', path: /\/git\/commits$/, kind: 'drop-after' });
    const err = (await open().catch((e: unknown) => e)) as GitHubError;
    expect([err.code, err.message]).toEqual(['network', expect.stringMatching(/^could not create the commit: the connection failed \(.+\), also after retries\. Check the network/)]);
    expect(gh.refs.has(`heads/${BRANCH}`)).toBe(false);
    const r = await open();
    expect([r.action, r.ref, gh.pulls.length]).toEqual(['opened', 'created', 1]);
    expect(gh.branchFiles(BRANCH).get('trackers/t.md')).toBe(workingFile('trackers/t.md'));
  });

  test('the connection drops after GitHub opened the PR: the retry meets 422 and updates that PR', async () => {
    gh.fault({ method: 'POST', path: /\/pulls$/, kind: 'drop-after' });
    const r = await open({ client: { retries: 1 } });
    expect([r.action, r.pr?.number, gh.pulls.length]).toEqual(['updated', 1, 1]);
    expect(calls().filter((c) => c.includes('/pulls'))).toEqual(['GET /pulls 200', 'POST /pulls dropped', 'POST /pulls 422', 'GET /pulls 200']);
  });

  test('no answer within the timeout: a timeout error', async () => {
    gh.fault({ method: 'GET', path: /heads%2Fmain$/, kind: 'stall' });
    const err = (await open({ client: { timeoutMs: 300 } }).catch((e: unknown) => e)) as GitHubError;
    expect([err.code, err.message]).toEqual(['timeout', expect.stringMatching(/^could not read branch main: GitHub did not answer in time/)]);
  });

  test('a missing base branch is named', async () => {
    const err = (await open({}, { base: 'trunk' }).catch((e: unknown) => e)) as GitHubError;
    expect(err.toJSON()).toEqual({ code: 'not-found', message: 'the base branch trunk does not exist in octokit-fixture-org/hello-world; pass --base', details: { base: 'trunk' } });
  });
});

describe('--dry-run', { timeout: 30_000 }, () => {
  test('without a token: the plan, and no request at all', async () => {
    const r = await open({ dryRun: true, token: null });
    expect(gh.requests).toEqual([]);
    expect([r.action, r.probe, r.requests, r.tokenSource, r.commit, r.pr]).toEqual(['dry-run', null, { reads: 0, writes: 0 }, null, null, null]);
    expect(r.files.map((f) => [f.path, f.sha256, f.vsBase])).toEqual(
      ['ops/audit/govern-audit.jsonl', 'ops/runtime/ab-01/attempts/2026-01-02T03-04-05.000Z/checks/01-echo-parsed.log', 'ops/runtime/ab-01/attempts/2026-01-02T03-04-05.000Z/checks/02-phase-audit.log', 'ops/runtime/ab-01/attempts/2026-01-02T03-04-05.000Z/manifest.json', 'ops/runtime/ab-01/manifest.json', 'trackers/t.md'].map(
        (f) => [f, expect.stringMatching(/^[0-9a-f]{64}$/), null],
      ),
    );
  });

  test('with a token: only GET requests; it says what it would do', async () => {
    const before = await open({ dryRun: true });
    expect(before.probe).toEqual({ baseHead: gh.refs.get('heads/main'), branchHead: null, pr: null, wouldDo: 'open' });
    const opened = await open();
    gh.requests.length = 0;
    const after = await open({ dryRun: true });
    expect(after.probe).toEqual({ baseHead: gh.refs.get('heads/main'), branchHead: opened.commit, pr: { number: 1, url: opened.pr!.url, state: 'open', merged: false }, wouldDo: 'update' });
    expect([after.requests.writes, gh.requests.map((q) => q.method)]).toEqual([0, ['GET', 'GET', 'GET', 'GET']]);
    // The plan a dry run prints is what a real run sends.
    expect([after.title, after.body, after.files]).toEqual([opened.title, opened.body, opened.files.map((f) => ({ ...f, vsBase: null, uploaded: false }))]);
  });
});

// Issue 11: a closure PR never carries a secret, and the token never crosses the network in clear.
describe('govern pr open refuses to leak', { timeout: 30_000 }, () => {
  test('a file under the evidence root holding a token: refused before any request, named by file, line and column, never by value', async () => {
    const secret = `ghp_${'Zr4t'.repeat(9)}`;
    fs.writeFileSync(path.join(repo.root, 'ops/runtime/ab-01/notes.txt'), `ran by hand\nexport GITHUB_TOKEN=${secret}\n`);
    for (const dryRun of [true, false]) {
      const err = await open({ dryRun }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GitHubError);
      expect((err as GitHubError).toJSON()).toEqual({
        code: 'secret-found',
        message:
          'a secret was found in the files the closure branch would carry, so nothing was sent: ops/runtime/ab-01/notes.txt:2:21 (github). Remove it (and rotate it), then close again',
        details: { item: 'AB-01', findings: [{ file: 'ops/runtime/ab-01/notes.txt', line: 2, column: 21, rule: 'github' }] },
      });
      expect(JSON.stringify(err)).not.toContain(secret);
    }
    expect(gh.requests).toEqual([]);
  });

  test('the value of a secret-named variable is found whatever its shape, and the token itself too', async () => {
    fs.writeFileSync(path.join(repo.root, 'ops/runtime/ab-01/notes.txt'), `db: shapeless-password-value\ntoken ${TOKEN}\n`);
    const err = await open({ dryRun: true, env: { DB_PASSWORD: 'shapeless-password-value' } }).catch((e: unknown) => e);
    expect((err as GitHubError).details).toEqual({
      item: 'AB-01',
      findings: [
        { file: 'ops/runtime/ab-01/notes.txt', line: 1, column: 5, rule: 'env:DB_PASSWORD' },
        { file: 'ops/runtime/ab-01/notes.txt', line: 2, column: 7, rule: 'github-token' },
      ],
    });
  });

  test('an http:// API URL that is not loopback is refused before the token is sent; loopback http and https are accepted', async () => {
    const s = resolveSettings({ repo: `${gh.owner}/${gh.repo}`, apiUrl: 'http://github.example.com/api/v3' }, {}, repo.root);
    if (!s.ok) throw new Error(s.problems.join('; '));
    const err = await openClosurePr({ workspace: await repo.workspace(), id: 'AB-01', settings: s.settings, token: { token: TOKEN, source: 'GITHUB_TOKEN' }, dryRun: true }).catch(
      (e: unknown) => e,
    );
    expect((err as GitHubError).toJSON()).toEqual({
      code: 'insecure-url',
      message: 'refusing to send the GitHub token to http://github.example.com: use https (plain http is accepted only for a loopback address)',
      details: { apiUrl: 'http://github.example.com' },
    });
    expect((await open({ dryRun: true })).action).toBe('dry-run'); // gh.url is http://127.0.0.1:<port>
  });
});
