import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { RestEndpointMethodTypes } from '@octokit/rest';

/**
 * Response shapes for the loopback GitHub, taken from real recorded traffic:
 * @octokit/fixtures' normalized recordings of api.github.com (headers, the git
 * ref, commit, label, user, repository and validation-error bodies). The
 * recordings hold no pull request, blob or tree responses; those bodies are
 * assembled from the recorded user and repository objects plus the fields of
 * GitHub's REST schema, and typed against Octokit's OpenAPI-generated response
 * types so the compiler checks their shape. Error bodies that no fixture
 * holds use GitHub's exact wording as observed in the wild (cited where used).
 */
export interface Recordings {
  headers: Record<string, string>;
  ref: Record<string, unknown>;
  commit: Record<string, unknown>;
  label: Record<string, unknown>;
  user: Record<string, unknown>;
  repository: Record<string, unknown>;
  validationFailed: { message: string; errors: unknown[]; documentation_url: string };
  notFound: { message: string; documentation_url: string };
}

interface Fixture {
  method: string;
  path: string;
  status: number;
  response: unknown;
  headers: Record<string, string | number>;
}

let cached: Recordings | null = null;

/** Loads (once) the recordings this server replays. */
export function recordings(): Recordings {
  if (cached) return cached;
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('@octokit/fixtures/package.json')), 'scenarios/api.github.com');
  const load = (name: string): Fixture[] => JSON.parse(fs.readFileSync(path.join(dir, name, 'normalized-fixture.json'), 'utf8')) as Fixture[];
  const refs = load('git-refs');
  const createFile = load('create-file');
  const labels = load('add-labels-to-issue');
  const repo = load('get-repository');
  const errors = load('errors');
  const protection = load('branch-protection');
  const headers: Record<string, string> = {};
  // Per-response values (length, connection, validators) are recomputed per reply.
  for (const [k, v] of Object.entries(refs[0]!.headers)) if (!['content-length', 'connection', 'etag', 'last-modified'].includes(k)) headers[k] = String(v);
  cached = {
    headers,
    ref: refs[1]!.response as Record<string, unknown>,
    commit: (createFile[0]!.response as { commit: Record<string, unknown> }).commit,
    label: (labels[1]!.response as Record<string, unknown>[])[0]!,
    user: (labels[0]!.response as { user: Record<string, unknown> }).user,
    repository: repo[0]!.response as Record<string, unknown>,
    validationFailed: errors[0]!.response as Recordings['validationFailed'],
    notFound: { message: 'Not Found', documentation_url: (protection[0]!.response as { documentation_url: string }).documentation_url },
  };
  return cached;
}

/** The state of one pull request on the loopback server. */
export interface ReplayPull {
  number: number;
  title: string;
  body: string;
  head: string;
  headSha: string;
  base: string;
  baseSha: string;
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  labels: string[];
  reviewers: string[];
  teams: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

type FullPull = RestEndpointMethodTypes['pulls']['get']['response']['data'];

/** A pull request as `GET /repos/{o}/{r}/pulls/{n}` returns it. */
export function pullBody(p: ReplayPull, owner: string, repo: string): FullPull {
  const rec = recordings();
  const api = `https://api.github.com/repos/${owner}/${repo}`;
  const html = `https://github.com/${owner}/${repo}`;
  const repository = { ...rec.repository, name: repo, full_name: `${owner}/${repo}`, html_url: html, url: api } as unknown as FullPull['head']['repo'];
  const user = rec.user as unknown as FullPull['user'];
  const label = (name: string, i: number) => ({ ...(rec.label as object), id: 1000 + i, name, url: `${api}/labels/${encodeURIComponent(name)}` }) as FullPull['labels'][number];
  const reviewer = (login: string) => ({ ...(rec.user as object), login, url: `https://api.github.com/users/${login}`, html_url: `https://github.com/${login}` }) as FullPull['user'];
  const pull: FullPull = {
    url: `${api}/pulls/${p.number}`,
    id: 1000 + p.number,
    node_id: 'MDA6RW50aXR5MQ==',
    html_url: `${html}/pull/${p.number}`,
    diff_url: `${html}/pull/${p.number}.diff`,
    patch_url: `${html}/pull/${p.number}.patch`,
    issue_url: `${api}/issues/${p.number}`,
    commits_url: `${api}/pulls/${p.number}/commits`,
    review_comments_url: `${api}/pulls/${p.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${p.number}/comments`,
    statuses_url: `${api}/statuses/${p.headSha}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user,
    body: p.body,
    labels: p.labels.map(label),
    milestone: null,
    active_lock_reason: null,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    closed_at: p.closedAt,
    merged_at: p.merged ? p.closedAt : null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: p.reviewers.map(reviewer),
    requested_teams: p.teams.map((slug, i) => ({
      id: 2000 + i,
      node_id: 'MDA6RW50aXR5MQ==',
      url: `https://api.github.com/orgs/${owner}/teams/${slug}`,
      html_url: `https://github.com/orgs/${owner}/teams/${slug}`,
      name: slug,
      slug,
      description: null,
      privacy: 'closed',
      permission: 'pull',
      members_url: `https://api.github.com/orgs/${owner}/teams/${slug}/members{/member}`,
      repositories_url: `https://api.github.com/orgs/${owner}/teams/${slug}/repos`,
      parent: null,
      type: 'organization',
    })),
    head: { label: `${owner}:${p.head}`, ref: p.head, sha: p.headSha, user, repo: repository },
    base: { label: `${owner}:${p.base}`, ref: p.base, sha: p.baseSha, user, repo: repository },
    _links: {
      self: { href: `${api}/pulls/${p.number}` },
      html: { href: `${html}/pull/${p.number}` },
      issue: { href: `${api}/issues/${p.number}` },
      comments: { href: `${api}/issues/${p.number}/comments` },
      review_comments: { href: `${api}/pulls/${p.number}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${api}/pulls/${p.number}/commits` },
      statuses: { href: `${api}/statuses/${p.headSha}` },
    },
    author_association: 'MEMBER',
    auto_merge: null,
    draft: p.draft,
    merged: p.merged,
    mergeable: null,
    rebaseable: null,
    mergeable_state: 'unknown',
    merged_by: p.merged ? user : null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
  return pull;
}

/** A label as `POST /issues/{n}/labels` returns it (the recorded object, renamed). */
export function labelBody(name: string, i: number, owner: string, repo: string): Record<string, unknown> {
  return { ...recordings().label, id: 1000 + i, name, url: `https://api.github.com/repos/${owner}/${repo}/labels/${encodeURIComponent(name)}` };
}

/** A ref as `GET /git/ref/{ref}` returns it (the recorded object, re-pointed). */
export function refBody(ref: string, sha: string, owner: string, repo: string): Record<string, unknown> {
  const api = `https://api.github.com/repos/${owner}/${repo}`;
  return { ...recordings().ref, ref: `refs/${ref}`, url: `${api}/git/refs/${ref}`, object: { sha, type: 'commit', url: `${api}/git/commits/${sha}` } };
}

/** A commit as `GET /git/commits/{sha}` returns it (the recorded commit of create-file, re-pointed). */
export function commitBody(c: { sha: string; tree: string; parents: string[]; message: string; author: { name: string; email: string; date: string } }, owner: string, repo: string): Record<string, unknown> {
  const api = `https://api.github.com/repos/${owner}/${repo}`;
  return {
    ...recordings().commit,
    sha: c.sha,
    url: `${api}/git/commits/${c.sha}`,
    html_url: `https://github.com/${owner}/${repo}/commit/${c.sha}`,
    author: c.author,
    committer: c.author,
    tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
    message: c.message,
    parents: c.parents.map((p) => ({ sha: p, url: `${api}/git/commits/${p}`, html_url: `https://github.com/${owner}/${repo}/commit/${p}` })),
  };
}
