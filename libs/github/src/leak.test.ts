import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { GitHubError } from './errors.js';
import { openClosurePr, type OpenClosurePrOptions } from './publish.js';
import { resolveSettings } from './settings.js';
import { closedRoot, TRACKER } from './testing/closed-root.js';
import { startGitHubReplay, type Fault, type GitHubReplay } from './testing/replay-server.js';

// The token must never appear in results, errors (message, details, stack), log lines,
// the audit log or anything sent to GitHub other than the Authorization header.

const TOKEN = 'ghp_LEAKCANARY_7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c1e';
let repo: Awaited<ReturnType<typeof closedRoot>>;
const seen: string[] = [];
const servers: GitHubReplay[] = [];

beforeAll(async () => {
  repo = await closedRoot('govern-github-leak-');
});
afterAll(async () => {
  for (const s of servers) await s.close();
  repo.cleanup();
});

async function attempt(serverToken: string, faults: Fault[], client: OpenClosurePrOptions['client'] = {}): Promise<{ gh: GitHubReplay; outcome: unknown }> {
  const gh = await startGitHubReplay({ token: serverToken, files: { 'trackers/t.md': TRACKER } });
  servers.push(gh);
  for (const f of faults) gh.fault(f);
  const s = resolveSettings({ repo: `${gh.owner}/${gh.repo}`, apiUrl: gh.url, labels: ['closure'], reviewers: ['octocat'] }, {}, repo.root);
  if (!s.ok) throw new Error(s.problems.join());
  const outcome = await openClosurePr({
    workspace: await repo.workspace(),
    id: 'AB-01',
    settings: s.settings,
    token: { token: TOKEN, source: 'GH_TOKEN' },
    client: { writeSpacingMs: 0, retries: 0, retryBaseMs: 1, timeoutMs: 300, onLog: (l) => seen.push(l), ...client },
  }).catch((e: unknown) => e);
  if (outcome instanceof Error) seen.push(outcome.message, outcome.stack ?? '', JSON.stringify(outcome), String(outcome));
  if (outcome instanceof GitHubError) seen.push(JSON.stringify(outcome.toJSON()));
  else seen.push(JSON.stringify(outcome));
  for (const r of gh.requests) seen.push(r.path, r.body, JSON.stringify({ ...r.headers, authorization: undefined }));
  return { gh, outcome };
}

test('the token appears nowhere but the Authorization header, whatever fails', { timeout: 60_000 }, async () => {
  const runs = [
    await attempt('some-other-token', []), // 401 Bad credentials
    await attempt(TOKEN, [{ method: 'POST', path: /\/pulls$/, kind: 'rate-limit' }]),
    await attempt(TOKEN, [{ method: 'POST', path: /\/git\/trees$/, kind: 'secondary-rate-limit', retryAfterS: 3600 }]),
    await attempt(TOKEN, [{ method: 'POST', path: /\/git\/commits$/, kind: 'drop-after' }]),
    await attempt(TOKEN, [{ method: 'GET', path: /\/pulls\?/, kind: 'stall' }]),
    await attempt(TOKEN, [{ method: 'POST', path: /\/git\/blobs$/, kind: 'status', status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Blob', code: 'invalid', field: 'content' }] } }]),
    await attempt(TOKEN, [{ method: 'POST', path: /\/pulls$/, kind: 'status', status: 500, body: { message: 'Server Error' }, times: 3 }], { retries: 2 }),
    // A misbehaving proxy that echoes the request's Authorization header back: redacted.
    await attempt(TOKEN, [{ method: 'GET', kind: 'status', status: 502, body: { message: `upstream rejected Authorization: token ${TOKEN}` } }]),
    await attempt(TOKEN, []), // success
  ];
  expect(runs.map((r) => (r.outcome instanceof GitHubError ? r.outcome.code : (r.outcome as { action: string }).action))).toEqual([
    'auth-failed',
    'rate-limited',
    'rate-limited',
    'network',
    'timeout',
    'github-error',
    'github-error',
    'github-error',
    'opened',
  ]);
  expect((runs[7]!.outcome as GitHubError).message).toBe('GitHub refused "read branch main" (502 upstream rejected Authorization: token [REDACTED])');
  // The token was really sent, so its absence below means something.
  expect(runs.every((r) => r.gh.requests.some((q) => q.headers.authorization === `token ${TOKEN}`))).toBe(true);
  const branch = runs[8]!.gh.branchFiles('govern/close/ab-01');
  expect(branch.size).toBeGreaterThan(0);
  const everything = [...seen, ...branch.values(), fs.readFileSync(path.join(repo.root, 'ops/audit/govern-audit.jsonl'), 'utf8')].join('\n');
  expect(everything.includes(TOKEN)).toBe(false);
  expect(everything.includes(TOKEN.slice(4, 24))).toBe(false);
});
