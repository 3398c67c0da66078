import { execFileSync } from 'node:child_process';
import { z } from 'zod';

const NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Where and how closure PRs are opened. The zod schema is the source of the
 * type; it is the shape a future `github:` section of govern.config.yaml would
 * take (docs/decisions/0002-closure-pr-branches.md explains why it is read from
 * flags and the environment for now).
 */
export const GitHubSettingsSchema = z.strictObject({
  owner: z.string().regex(NAME, 'an owner is letters, digits, "-", "_" and "."'),
  repo: z.string().regex(NAME, 'a repository name is letters, digits, "-", "_" and "."'),
  /** The branch the PR merges into. */
  base: z
    .string()
    .min(1)
    .refine((b) => !/[\s~^:?*[\\]|\.\.|^\/|\/$|\.lock$|@\{/.test(b), 'not a valid branch name'),
  labels: z.array(z.string().min(1).max(50)).default([]),
  /** User logins. */
  reviewers: z.array(z.string().regex(/^[A-Za-z0-9-]+$/, 'a reviewer is a GitHub login')).default([]),
  /** Team slugs of the owner organization (`--reviewer org/team`). */
  teamReviewers: z.array(z.string().regex(NAME, 'a team is its slug')).default([]),
  /** Open new PRs as drafts (GitHub's REST API cannot toggle draft on an existing PR). */
  draft: z.boolean().default(false),
  apiUrl: z.url().default('https://api.github.com'),
  /** Where links in the PR body point. */
  webUrl: z.url().default('https://github.com'),
});
export type GitHubSettings = z.output<typeof GitHubSettingsSchema>;

/** What the command line gives; everything is optional. */
export interface SettingsFlags {
  /** `owner/name`. */
  repo?: string;
  base?: string;
  labels?: string[];
  /** Logins, or `org/team` for a team. */
  reviewers?: string[];
  draft?: boolean;
  apiUrl?: string;
}

export type SettingsResult = { ok: true; settings: GitHubSettings; repoFrom: 'flag' | 'GITHUB_REPOSITORY' | 'git-remote' } | { ok: false; problems: string[] };

/**
 * Resolves the settings: `--repo`, else `GITHUB_REPOSITORY` (set by GitHub
 * Actions), else the `origin` remote's URL; `--base`, else the branch
 * `origin/HEAD` names, else `main`; `--api-url`, else `GITHUB_API_URL`; the web
 * URL from `GITHUB_SERVER_URL`, else derived from the API URL. Problems (a
 * malformed `--repo`, no repository at all) come back as data.
 */
export function resolveSettings(flags: SettingsFlags, env: Record<string, string | undefined>, root: string): SettingsResult {
  const problems: string[] = [];
  let slug = flags.repo;
  let repoFrom: 'flag' | 'GITHUB_REPOSITORY' | 'git-remote' = 'flag';
  if (!slug && env.GITHUB_REPOSITORY) [slug, repoFrom] = [env.GITHUB_REPOSITORY, 'GITHUB_REPOSITORY'];
  if (!slug) {
    const remote = git(root, ['remote', 'get-url', 'origin']);
    const parsed = remote ? repoFromRemote(remote) : null;
    if (parsed) [slug, repoFrom] = [parsed, 'git-remote'];
  }
  if (!slug) problems.push('no repository: pass --repo owner/name (or set GITHUB_REPOSITORY, or add an origin remote on GitHub)');
  const [owner, repo, ...extra] = (slug ?? '').split('/');
  if (slug && (extra.length || !owner || !repo)) problems.push(`--repo ${slug}: expected owner/name`);

  const teams: string[] = [];
  const users: string[] = [];
  for (const r of flags.reviewers ?? []) {
    const t = /^[^/]+\/(.+)$/.exec(r);
    if (t) teams.push(t[1]!);
    else users.push(r.replace(/^@/, ''));
  }
  const apiUrl = (flags.apiUrl ?? env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, '');
  const base = flags.base ?? git(root, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'])?.replace(/^origin\//, '') ?? 'main';
  const parsed = GitHubSettingsSchema.safeParse({
    owner,
    repo: repo?.replace(/\.git$/, ''),
    base,
    labels: unique(flags.labels ?? []),
    reviewers: unique(users),
    teamReviewers: unique(teams),
    draft: flags.draft === true,
    apiUrl,
    webUrl: (env.GITHUB_SERVER_URL ?? webUrlFor(apiUrl)).replace(/\/+$/, ''),
  });
  if (!parsed.success && !problems.length) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.') || 'settings'}: ${issue.message}`);
  }
  if (problems.length || !parsed.success) return { ok: false, problems };
  return { ok: true, settings: parsed.data, repoFrom };
}

/** `git@github.com:o/r.git`, `https://github.com/o/r(.git)`, `ssh://git@github.com/o/r` → `o/r`. */
export function repoFromRemote(url: string): string | null {
  const m = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?[^:/]+(?::\d+)?[:/]([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? `${m[1]}/${m[2]}` : null;
}

/** `https://api.github.com` → `https://github.com`; GitHub Enterprise `https://host/api/v3` → `https://host`. */
export function webUrlFor(apiUrl: string): string {
  if (/^https:\/\/api\.github\.com$/.test(apiUrl)) return 'https://github.com';
  const ghes = /^(.*)\/api\/v3$/.exec(apiUrl);
  return ghes ? ghes[1]! : 'https://github.com';
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
