/**
 * The only file that talks to Octokit. Everything else in @govern/github sees
 * the narrow `GitHubApi` below and `GitHubError`s, never an Octokit object or a
 * RequestError. Octokit's quirks, and what this file does about them:
 *
 * - **Plugins.** `@octokit/plugin-retry` retries 5xx and network failures
 *   (Octokit reports a failed fetch as status 500 without a response) with
 *   waits of (n+1)² × `retryAfterBaseValue` ms; it never retries 400, 401,
 *   403, 404, 410, 422, 451. `@octokit/plugin-throttling` owns 403/429: it
 *   calls `onRateLimit` (x-ratelimit-remaining: 0, wait until
 *   x-ratelimit-reset) or `onSecondaryRateLimit` (retry-after) and retries only
 *   when the handler returns true. A CLI should not hang for an hour, so we
 *   retry once when the wait is at most `maxRateLimitWaitS` and otherwise fail
 *   with a `rate-limited` error that says when to rerun.
 * - **Write spacing.** The throttling plugin spaces mutating requests at least
 *   1 s apart (GitHub's advice against secondary limits) through Bottleneck
 *   groups that are created once per process, on the first Octokit instance.
 *   Tests pass `writeSpacingMs: 0`, which replaces the `write` and
 *   `notifications` groups by a pass-through limiter (the plugin accepts groups
 *   in its options but types them as Bottleneck, which is not a declared
 *   dependency here: hence the duck type).
 * - **baseUrl.** `GITHUB_API_URL`-style base URLs (GitHub Enterprise
 *   `https://host/api/v3`, or the loopback server in tests) are passed as is,
 *   without a trailing slash.
 * - **Timeouts.** @octokit/request has no timeout option any more; a wrapped
 *   `fetch` adds `AbortSignal.timeout`. Octokit turns the timeout into a
 *   status-500 RequestError whose `cause` is a `TimeoutError`, which the retry
 *   plugin retries like any network error.
 * - **Redaction.** RequestError already replaces the Authorization header in
 *   `error.request` with `[REDACTED]`, but Octokit's `log.debug('request',
 *   options)` receives the raw headers: debug output is dropped here, and every
 *   message leaving this file goes through `redact` with the token.
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit, type RestEndpointMethodTypes } from '@octokit/rest';
import { GitHubError, redact } from './errors.js';

export interface GitHubClientOptions {
  token: string;
  owner: string;
  repo: string;
  /** API root, default `https://api.github.com`. */
  baseUrl?: string;
  userAgent?: string;
  /** Per request, default 30 s. */
  timeoutMs?: number;
  /** Retries of 5xx and network failures, default 3. */
  retries?: number;
  /** Unit of the retry plugin's (n+1)² back-off and of rate-limit waits, default 1000 ms. */
  retryBaseMs?: number;
  /** Longest rate-limit wait (seconds) worth one automatic retry, default 60. */
  maxRateLimitWaitS?: number;
  /** Minimum spacing of mutating requests; only the plugin's default (1000) or 0 (tests). */
  writeSpacingMs?: 0 | 1000;
  /** Refuse every mutating request (dry-run). */
  readOnly?: boolean;
  /** Warnings (rate-limit retries), already redacted. */
  onLog?: (line: string) => void;
}

export interface GitCommit {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
}

export interface TreeEntry {
  path: string;
  mode: string;
  type: string;
  sha: string;
}

/** The fields of a pull request govern reads, from the list, get, create and update responses alike. */
export interface PullRequest {
  number: number;
  url: string;
  state: 'open' | 'closed';
  merged: boolean;
  title: string;
  body: string;
  head: string;
  headSha: string;
  base: string;
  draft: boolean;
  labels: string[];
  reviewers: string[];
  teamReviewers: string[];
}

/** The GitHub operations a closure PR needs; each maps one REST call (errors as `GitHubError`). */
export interface GitHubApi {
  /** Requests made so far, by kind (dry-run must show zero writes). */
  readonly counts: { reads: number; writes: number };
  branchHead(branch: string): Promise<string | null>;
  commit(sha: string): Promise<GitCommit>;
  /** A tree's entries, recursively; `truncated` when GitHub cut the listing (very large trees). */
  tree(sha: string): Promise<{ entries: TreeEntry[]; truncated: boolean }>;
  createBlob(content: Buffer): Promise<string>;
  createTree(baseTree: string, entries: TreeEntry[]): Promise<string>;
  createCommit(input: { message: string; tree: string; parents: string[]; author?: { name: string; email: string; date: string } }): Promise<string>;
  /** Creates `refs/heads/<branch>`; `exists` when it already exists (422 "Reference already exists"). */
  createBranch(branch: string, sha: string): Promise<'created' | 'exists'>;
  /** Moves `refs/heads/<branch>` to `sha`, also when that is not a fast-forward. */
  forceBranch(branch: string, sha: string): Promise<void>;
  /** Pull requests whose head is `<owner>:<branch>`, newest first. */
  pulls(branch: string, state: 'open' | 'all'): Promise<PullRequest[]>;
  /** `exists` on 422 "A pull request already exists for owner:branch". */
  createPull(input: { title: string; body: string; head: string; base: string; draft: boolean }): Promise<PullRequest | 'exists'>;
  updatePull(number: number, input: { title?: string; body?: string; base?: string; state?: 'open' | 'closed' }): Promise<PullRequest>;
  addLabels(number: number, labels: string[]): Promise<string[]>;
  requestReviewers(number: number, reviewers: string[], teamReviewers: string[]): Promise<PullRequest>;
}

type Pull = RestEndpointMethodTypes['pulls']['get']['response']['data'] | RestEndpointMethodTypes['pulls']['list']['response']['data'][number];

/** Creates the client. Nothing is requested until a method is called. */
export function createGitHubApi(opts: GitHubClientOptions): GitHubApi {
  const secrets = [opts.token];
  const say = (line: string) => opts.onLog?.(redact(line, secrets));
  const maxWait = opts.maxRateLimitWaitS ?? 60;
  const onLimit = (kind: string) => (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
    const again = retryCount < 1 && retryAfter <= maxWait;
    if (again) say(`GitHub ${kind} on ${options.method} ${options.url}; retrying in ${retryAfter} s`);
    return again;
  };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const MyOctokit = Octokit.plugin(retry, throttling);
  const octokit = new MyOctokit({
    auth: opts.token,
    baseUrl: (opts.baseUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: opts.userAgent ?? 'govern',
    headers: { 'x-github-api-version': '2022-11-28' },
    log: { debug: () => {}, info: () => {}, warn: (m: unknown) => say(String(m)), error: () => {} },
    request: {
      fetch: (url: string, init: RequestInit) => {
        const timeout = AbortSignal.timeout(timeoutMs);
        return fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
      },
    },
    retry: { retries: opts.retries ?? 3, retryAfterBaseValue: opts.retryBaseMs ?? 1000 },
    throttle: {
      id: 'govern',
      retryAfterBaseValue: opts.retryBaseMs ?? 1000,
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
      ...(opts.writeSpacingMs === 0 ? { write: passThrough(), notifications: passThrough() } : {}),
    },
  });
  const { owner, repo } = opts;
  const counts = { reads: 0, writes: 0 };

  async function call<T>(kind: 'read' | 'write', what: string, fn: () => Promise<T>): Promise<T> {
    if (kind === 'write' && opts.readOnly) throw new GitHubError('read-only', `dry-run: refused to ${what} (a dry run only reads)`);
    counts[kind === 'read' ? 'reads' : 'writes']++;
    try {
      return await fn();
    } catch (err) {
      throw toGitHubError(err, what, secrets);
    }
  }
  const toPull = (p: Pull): PullRequest => ({
    number: p.number,
    url: p.html_url,
    state: p.state === 'open' ? 'open' : 'closed',
    merged: 'merged' in p && typeof p.merged === 'boolean' ? p.merged : p.merged_at !== null,
    title: p.title,
    body: p.body ?? '',
    head: p.head.ref,
    headSha: p.head.sha,
    base: p.base.ref,
    draft: p.draft === true,
    labels: p.labels.map((l) => l.name ?? '').filter(Boolean),
    reviewers: (p.requested_reviewers ?? []).map((u) => u.login),
    teamReviewers: (p.requested_teams ?? []).map((t) => t.slug),
  });

  return {
    counts,
    branchHead: (branch) =>
      call('read', `read branch ${branch}`, async () => {
        try {
          return (await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).data.object.sha;
        } catch (err) {
          if (statusOf(err) === 404) return null;
          throw err;
        }
      }),
    commit: (sha) =>
      call('read', `read commit ${sha}`, async () => {
        const c = (await octokit.rest.git.getCommit({ owner, repo, commit_sha: sha })).data;
        return { sha: c.sha, tree: c.tree.sha, parents: c.parents.map((p) => p.sha), message: c.message };
      }),
    tree: (sha) =>
      call('read', `read tree ${sha}`, async () => {
        const t = (await octokit.rest.git.getTree({ owner, repo, tree_sha: sha, recursive: '1' })).data;
        return {
          entries: t.tree.map((e) => ({ path: e.path ?? '', mode: e.mode ?? '', type: e.type ?? '', sha: e.sha ?? '' })),
          truncated: t.truncated,
        };
      }),
    createBlob: (content) =>
      call('write', 'upload a blob', async () => (await octokit.rest.git.createBlob({ owner, repo, content: content.toString('base64'), encoding: 'base64' })).data.sha),
    createTree: (baseTree, entries) =>
      call('write', 'create the tree', async () => {
        const tree = entries.map((e) => ({ path: e.path, mode: e.mode as '100644', type: e.type as 'blob', sha: e.sha }));
        return (await octokit.rest.git.createTree({ owner, repo, base_tree: baseTree, tree })).data.sha;
      }),
    createCommit: (input) =>
      call('write', 'create the commit', async () => (await octokit.rest.git.createCommit({ owner, repo, ...input })).data.sha),
    createBranch: (branch, sha) =>
      call('write', `create branch ${branch}`, async () => {
        try {
          await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
          return 'created' as const;
        } catch (err) {
          if (statusOf(err) === 422 && /already exists/i.test(messageOf(err))) return 'exists' as const;
          throw err;
        }
      }),
    forceBranch: (branch, sha) =>
      call('write', `update branch ${branch}`, async () => {
        await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force: true });
      }),
    pulls: (branch, state) =>
      call('read', `list pull requests from ${branch}`, async () => {
        const data = await octokit.paginate(octokit.rest.pulls.list, { owner, repo, head: `${owner}:${branch}`, state, sort: 'created', direction: 'desc', per_page: 100 });
        return data.map(toPull);
      }),
    createPull: (input) =>
      call('write', 'open the pull request', async () => {
        try {
          return toPull((await octokit.rest.pulls.create({ owner, repo, ...input, maintainer_can_modify: false })).data);
        } catch (err) {
          if (statusOf(err) === 422 && /pull request already exists/i.test(JSON.stringify(dataOf(err) ?? {}))) return 'exists' as const;
          throw err;
        }
      }),
    updatePull: (number, input) =>
      call('write', `update pull request #${number}`, async () => toPull((await octokit.rest.pulls.update({ owner, repo, pull_number: number, ...input })).data)),
    addLabels: (number, labels) =>
      call('write', `label pull request #${number}`, async () =>
        (await octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels })).data.map((l) => l.name),
      ),
    requestReviewers: (number, reviewers, teamReviewers) =>
      call('write', `request reviewers on #${number}`, async () =>
        toPull((await octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: number, reviewers, team_reviewers: teamReviewers })).data as Pull),
      ),
  };
}

/** A limiter that schedules at once: stands in for the plugin's Bottleneck groups when spacing is 0. */
function passThrough(): never {
  const limiter = {
    schedule: (...args: unknown[]) => {
      const i = typeof args[0] === 'function' ? 0 : 1;
      return Promise.resolve((args[i] as (...a: unknown[]) => unknown)(...args.slice(i + 1)));
    },
  };
  return { key: () => limiter } as never;
}

interface RequestErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
  cause?: { name?: string; message?: string };
}

function statusOf(err: unknown): number | undefined {
  return (err as RequestErrorLike)?.status;
}
function dataOf(err: unknown): unknown {
  return (err as RequestErrorLike)?.response?.data;
}
function messageOf(err: unknown): string {
  const data = dataOf(err) as { message?: unknown } | undefined;
  return typeof data?.message === 'string' ? data.message : ((err as Error)?.message ?? String(err));
}

/**
 * Turns whatever Octokit threw into a `GitHubError` whose message says what
 * failed and what to do. Errors that are not HTTP errors (bugs) are rethrown
 * with the token removed from their message and stack.
 */
export function toGitHubError(err: unknown, what: string, secrets: readonly string[]): Error {
  if (err instanceof GitHubError) return err;
  const e = err as RequestErrorLike;
  if (typeof e?.status !== 'number') {
    const clean = new Error(redact(`${what}: ${(err as Error)?.message ?? String(err)}`, secrets));
    clean.stack = redact((err as Error)?.stack ?? clean.message, secrets);
    return clean;
  }
  const status = e.status;
  const headers = e.response?.headers ?? {};
  const data = (e.response?.data ?? {}) as { message?: string; errors?: { message?: string; code?: string; field?: string }[]; documentation_url?: string };
  const ghMessage = typeof data.message === 'string' ? data.message : (e.message ?? '');
  const details: Record<string, unknown> = { status, request: what };
  const r = (m: string) => redact(m, secrets);
  if (!e.response) {
    const timedOut = e.cause?.name === 'TimeoutError' || /timeout/i.test(e.message ?? '');
    return new GitHubError(
      timedOut ? 'timeout' : 'network',
      r(`could not ${what}: ${timedOut ? 'GitHub did not answer in time' : `the connection failed (${e.message})`}, also after retries. Check the network (or GITHUB_API_URL) and rerun: steps already done are reused, none is repeated twice`),
      { request: what },
    );
  }
  if ((status === 403 || status === 429) && (headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined || /rate limit/i.test(ghMessage))) {
    const reset = Number(headers['x-ratelimit-reset']);
    const retryAfter = Number(headers['retry-after']);
    const at = headers['x-ratelimit-remaining'] === '0' && Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000).toISOString() : null;
    const when = at ? `it resets at ${at}` : Number.isFinite(retryAfter) ? `GitHub asks to wait ${retryAfter} s` : 'wait a few minutes';
    return new GitHubError(
      'rate-limited',
      r(`GitHub's ${at ? '' : 'secondary '}rate limit stopped "${what}" (${status}: ${ghMessage}); ${when}, then rerun the same command: steps already done are reused and nothing is duplicated`),
      { ...details, resetAt: at, retryAfter: Number.isFinite(retryAfter) ? retryAfter : null },
    );
  }
  if (status === 401) {
    return new GitHubError('auth-failed', r(`GitHub refused the token (401 ${ghMessage}) on "${what}": check GITHUB_TOKEN / GH_TOKEN / gh auth login`), details);
  }
  if (status === 403) {
    return new GitHubError(
      'auth-failed',
      r(`GitHub refused "${what}" (403 ${ghMessage}): the token needs contents and pull-requests write access to this repository`),
      details,
    );
  }
  if (status === 404) {
    return new GitHubError('not-found', r(`GitHub answered 404 to "${what}": the repository or branch does not exist, or the token cannot see it`), details);
  }
  const more = (data.errors ?? []).map((x) => x.message ?? [x.code, x.field].filter(Boolean).join(' ')).filter(Boolean);
  return new GitHubError('github-error', r(`GitHub refused "${what}" (${status} ${ghMessage}${more.length ? `: ${more.join('; ')}` : ''})`), {
    ...details,
    ...(more.length ? { errors: more.map(r) } : {}),
  });
}
