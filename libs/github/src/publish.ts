import { isLoopback } from '@govern/http-service';
import { findSecrets, knownSecretsFromEnv, type KnownSecret } from '@govern/secrets';
import type { Workspace } from '@govern/workspace';
import { markerItem } from './body.js';
import { GitHubError, redactDeep } from './errors.js';
import { createGitHubApi, toGitHubError, type GitHubApi, type GitHubClientOptions, type PullRequest } from './octokit.js';
import { planClosurePr, type ClosurePlan } from './plan.js';
import type { PrOpenResult } from './result.js';
import type { GitHubSettings } from './settings.js';
import type { FoundToken } from './token.js';

export interface OpenClosurePrOptions {
  workspace: Workspace;
  id: string;
  settings: GitHubSettings;
  /** From `findToken`; a dry run without one makes no request at all. */
  token: FoundToken | null;
  /** Plan and read, change nothing (the client refuses every mutating request). */
  dryRun?: boolean;
  /** Overwrite the closure branch even when its head was not written by govern for this item. */
  force?: boolean;
  toolVersion?: string;
  /** The environment whose secret-named variables' values must not appear in any file pushed (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Client tuning: timeouts, retries, write spacing (tests use 0). */
  client?: Pick<GitHubClientOptions, 'timeoutMs' | 'retries' | 'retryBaseMs' | 'maxRateLimitWaitS' | 'writeSpacingMs' | 'onLog'>;
}

/**
 * `govern pr open`: puts a closed item's status change and evidence on the
 * branch `govern/close/<id>` through the Git Data API and opens, updates or
 * reopens its pull request. Every step is idempotent, so a run cut short (rate
 * limit, network) is repaired by running it again:
 *
 * 1. read the base head, the branch head and the PRs from the branch;
 * 2. upload blobs GitHub does not have yet (content-addressed: the same bytes
 *    give the same sha) → a tree on the base head's tree (the same files give
 *    the same tree) → a commit, reused when the branch head already has this
 *    tree on this parent;
 * 3. reopen this item's closed, unmerged PR (before its branch moves);
 * 4. create the ref, or force-move it (only a branch govern wrote for this item);
 * 5. create the PR, or update the one found (a 422 "already exists" means one
 *    was opened meanwhile: it is found and updated);
 * 6. add missing labels; request reviewers when the PR is new or reopened or
 *    its branch moved.
 */
export async function openClosurePr(opts: OpenClosurePrOptions): Promise<PrOpenResult> {
  const { settings } = opts;
  const plan = planClosurePr(opts.workspace, opts.id, settings);
  const known: KnownSecret[] = [...knownSecretsFromEnv(opts.env ?? process.env), ...(opts.token ? [{ name: 'the GitHub token', value: opts.token.token }] : [])];
  await refuseSecrets(plan, known);
  if (opts.token) refuseInsecureUrl(settings.apiUrl);
  const result: PrOpenResult = {
    item: plan.item,
    action: 'dry-run',
    dryRun: opts.dryRun === true,
    repo: `${settings.owner}/${settings.repo}`,
    base: plan.base,
    branch: plan.branch,
    title: plan.title,
    body: plan.body,
    labels: plan.labels,
    reviewers: plan.reviewers,
    teamReviewers: plan.teamReviewers,
    draft: plan.draft,
    files: plan.files.map((f) => ({ path: f.path, sha256: f.sha256, gitSha: f.gitSha, size: f.size, mode: f.mode, vsBase: null, uploaded: false })),
    commit: null,
    ref: null,
    pr: null,
    probe: null,
    requests: { reads: 0, writes: 0 },
    tokenSource: opts.token?.source ?? null,
    warnings: [],
  };
  if (!opts.token) {
    if (opts.dryRun) return result;
    throw new GitHubError(
      'token-missing',
      'no GitHub token: set GITHUB_TOKEN or GH_TOKEN (a token with contents and pull-requests write access), or log in with `gh auth login` (gh ≥ 2.40 keeps the token in the keyring: export GH_TOKEN=$(gh auth token))',
    );
  }
  const secrets = [opts.token.token];
  const api = createGitHubApi({
    // GitHub's secondary rate limits (why writes are spaced 1 s apart) belong to GitHub:
    // a server on the loopback interface (a local mirror, a recorded-traffic replay) gets
    // no spacing unless the caller asks for it.
    ...(isLoopback(new URL(settings.apiUrl).hostname) ? { writeSpacingMs: 0 as const } : {}),
    ...opts.client,
    token: opts.token.token,
    owner: settings.owner,
    repo: settings.repo,
    baseUrl: settings.apiUrl,
    userAgent: `govern/${opts.toolVersion ?? '0.0.0'}`,
    readOnly: opts.dryRun === true,
  });
  try {
    await run(api, plan, result, opts);
  } catch (err) {
    throw toGitHubError(err, 'open the pull request', secrets);
  } finally {
    result.requests = { ...api.counts };
  }
  return redactDeep(result, secrets);
}

/**
 * Refuses (`secret-found`) when a file the branch would carry holds a secret: every
 * finding is named by file, line, column and rule, never by its value. Check logs are
 * redacted when `govern close` writes them; this is the last gate before GitHub, for
 * files edited or written by anything else.
 */
async function refuseSecrets(plan: ClosurePlan, known: KnownSecret[]): Promise<void> {
  const found: { file: string; line: number; column: number; rule: string }[] = [];
  for (const f of plan.files) {
    for (const s of await findSecrets(f.content.toString('utf8'), { known, strict: true })) found.push({ file: f.path, line: s.line, column: s.column, rule: s.rule.replace(/^env:the GitHub token$/, 'github-token') });
  }
  if (!found.length) return;
  const where = found.slice(0, 10).map((x) => `${x.file}:${x.line}:${x.column} (${x.rule})`);
  throw new GitHubError(
    'secret-found',
    `${found.length === 1 ? 'a secret was' : `${found.length} secrets were`} found in the files the closure branch would carry, so nothing was sent: ${where.join(', ')}${found.length > 10 ? ', …' : ''}. Remove it (and rotate it), then close again`,
    { item: plan.item, findings: found },
  );
}

/** A token is sent only over https, or over http to this machine (tests, a local proxy). */
function refuseInsecureUrl(apiUrl: string): void {
  const u = new URL(apiUrl);
  if (u.protocol === 'https:' || (u.protocol === 'http:' && isLoopback(u.hostname))) return;
  throw new GitHubError('insecure-url', `refusing to send the GitHub token to ${u.protocol}//${u.host}: use https (plain http is accepted only for a loopback address)`, {
    apiUrl: `${u.protocol}//${u.host}`,
  });
}

async function run(api: GitHubApi, plan: ClosurePlan, result: PrOpenResult, opts: OpenClosurePrOptions): Promise<void> {
  // 1. Read.
  const baseHead = await api.branchHead(plan.base);
  if (!baseHead) throw new GitHubError('not-found', `the base branch ${plan.base} does not exist in ${result.repo}; pass --base`, { base: plan.base });
  const branchHead = await api.branchHead(plan.branch);
  const headCommit = branchHead ? await api.commit(branchHead) : null;
  if (headCommit && !headCommit.message.split('\n').includes(plan.commitTrailer) && !opts.force) {
    throw new GitHubError(
      'branch-foreign',
      `${plan.branch} exists and its head ${headCommit.sha.slice(0, 12)} was not written by govern for ${plan.item} (no "${plan.commitTrailer}" line): pass --force to overwrite it`,
      { branch: plan.branch, head: headCommit.sha },
    );
  }
  const pulls = (await api.pulls(plan.branch, 'all')).filter((p) => p.head === plan.branch);
  const mine = pulls.filter((p) => markerItem(p.body) === plan.item);
  // An open PR from our branch without a marker (opened by hand) is adopted: GitHub allows only one.
  const open = mine.find((p) => p.state === 'open') ?? pulls.find((p) => p.state === 'open' && markerItem(p.body) === null);
  const closed = mine.find((p) => p.state === 'closed' && !p.merged);

  if (opts.dryRun) {
    const found = open ?? closed ?? null;
    result.probe = {
      baseHead,
      branchHead,
      pr: found ? { number: found.number, url: found.url, state: found.state, merged: found.merged } : null,
      wouldDo: open ? 'update' : closed ? 'reopen' : 'open',
    };
    return;
  }

  // 2. Content.
  const baseCommit = await api.commit(baseHead);
  const baseTree = await api.tree(baseCommit.tree);
  const onBase = new Map(baseTree.entries.filter((e) => e.type === 'blob').map((e) => [e.path, `${e.mode}:${e.sha}`]));
  const known = new Set(baseTree.entries.map((e) => e.sha));
  if (headCommit) for (const e of (await api.tree(headCommit.tree)).entries) known.add(e.sha);
  const changed = plan.files.filter((f) => baseTree.truncated || onBase.get(f.path) !== `${f.mode}:${f.gitSha}`);
  for (const f of result.files) f.vsBase = changed.some((c) => c.path === f.path) ? 'changed' : 'same';
  if (!changed.length) {
    const merged = mine.find((p) => p.merged);
    result.action = 'unchanged';
    result.warnings.push(`${plan.base} already holds every file of this closure${merged ? ` (merged in #${merged.number})` : ''}: nothing to propose`);
    const shown = open ?? merged;
    if (shown) result.pr = summary(shown);
    return;
  }
  for (const f of changed) {
    if (known.has(f.gitSha)) continue;
    const sha = await api.createBlob(f.content);
    if (sha !== f.gitSha) {
      throw new GitHubError('blob-mismatch', `GitHub stored ${f.path} as ${sha}, but its bytes hash to ${f.gitSha}: the upload was altered; rerun`, { file: f.path, expected: f.gitSha, actual: sha });
    }
    known.add(sha);
    result.files.find((r) => r.path === f.path)!.uploaded = true;
  }
  const tree = await api.createTree(
    baseCommit.tree,
    changed.map((f) => ({ path: f.path, mode: f.mode, type: 'blob', sha: f.gitSha })),
  );
  const reuse = headCommit !== null && headCommit.tree === tree && headCommit.parents.length === 1 && headCommit.parents[0] === baseHead;
  const commit = reuse ? headCommit.sha : await api.createCommit({ message: plan.commitMessage, tree, parents: [baseHead] });
  result.commit = commit;

  // 3. Reopen before the branch moves: GitHub may refuse to reopen a PR whose head was force-pushed while it was closed.
  let pr: PullRequest | null = open ?? null;
  let action: PrOpenResult['action'] | null = null;
  if (!pr && closed && branchHead) {
    try {
      pr = await api.updatePull(closed.number, { state: 'open' });
      action = 'reopened';
    } catch (err) {
      if (!(err instanceof GitHubError) || err.code !== 'github-error') throw err;
      result.warnings.push(`could not reopen #${closed.number} (${err.message}); opening a new pull request`);
    }
  }

  // 4. Branch.
  if (!branchHead) {
    const made = await api.createBranch(plan.branch, commit);
    if (made === 'exists') await api.forceBranch(plan.branch, commit);
    result.ref = made === 'created' ? 'created' : 'updated';
  } else if (branchHead !== commit) {
    await api.forceBranch(plan.branch, commit);
    result.ref = 'updated';
  } else result.ref = 'unchanged';

  // 5. Pull request.
  let touched = result.ref !== 'unchanged';
  if (!pr) {
    const created = await api.createPull({ title: plan.title, body: plan.body, head: plan.branch, base: plan.base, draft: plan.draft });
    if (created === 'exists') {
      const found = (await api.pulls(plan.branch, 'open')).find((p) => p.head === plan.branch);
      if (!found) throw new GitHubError('github-error', `GitHub says a pull request from ${plan.branch} already exists but lists none open; rerun`, { branch: plan.branch });
      pr = found;
      action = 'updated';
    } else {
      pr = created;
      action = 'opened';
    }
  }
  if (pr.title !== plan.title || pr.body !== plan.body || pr.base !== plan.base) {
    pr = await api.updatePull(pr.number, { title: plan.title, body: plan.body, base: plan.base });
    touched = true;
  }

  // 6. Labels and reviewers.
  const labels = plan.labels.filter((l) => !pr!.labels.includes(l));
  if (labels.length) {
    pr = { ...pr, labels: await api.addLabels(pr.number, labels) };
    touched = true;
  }
  const review = action === 'opened' || action === 'reopened' || result.ref !== 'unchanged';
  const users = plan.reviewers.filter((r) => !pr!.reviewers.includes(r));
  const teams = plan.teamReviewers.filter((t) => !pr!.teamReviewers.includes(t));
  if (review && (users.length || teams.length)) {
    try {
      pr = { ...(await api.requestReviewers(pr.number, users, teams)), labels: pr.labels };
      touched = true;
    } catch (err) {
      // A reviewer who is the PR's author or not a collaborator is a 422; the PR itself is fine.
      if (!(err instanceof GitHubError) || err.code !== 'github-error') throw err;
      result.warnings.push(`reviewers not requested: ${err.message}`);
    }
  }
  result.action = action ?? (touched ? 'updated' : 'unchanged');
  result.pr = summary(pr);
}

function summary(p: PullRequest): NonNullable<PrOpenResult['pr']> {
  return { number: p.number, url: p.url, state: p.state, merged: p.merged, draft: p.draft, labels: p.labels };
}
