import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RepoNameSchema } from './config.js';

/**
 * A repository's name and where it came from. Never from the folder a clone sits in:
 * two clones of one repository in differently named folders are one repository (on
 * StateHub, in `repo:ID` references), and two repositories cloned into folders of the
 * same name are not.
 */
export interface RepoIdentity {
  name: string;
  /** `config`: the `repo:` key of govern.config.yaml (or a `repos:` entry's `name`); `git-remote`: the remote's repository name. */
  source: 'config' | 'git-remote';
  /** The remote's URL, credentials removed, when the name came from it. */
  remote?: string;
}

/** A root's identity, or why it has none (a sentence naming what to set). */
export type IdentityResult = { identity: RepoIdentity; problem?: undefined } | { identity: null; problem: string };

/**
 * The repository name a remote URL names: its last path segment without `.git`
 * (`git@github.com:acme/dome.git`, `https://github.com/acme/dome`, `/srv/git/dome.git`
 * → `dome`). Null when that segment is not a valid repository name.
 */
export function remoteRepoName(url: string): string | null {
  const trimmed = url.trim().replace(/[/\\]+$/, '');
  const last = trimmed.split(/[/\\:]/).pop() ?? '';
  const name = last.replace(/\.git$/i, '');
  return RepoNameSchema.safeParse(name).success ? name : null;
}

/** The URL without user and password, for reports (a token in a remote URL must not be printed). */
function redactRemote(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  } catch {
    return null; // not a repository, no such key, or no git at all
  }
}

/**
 * The URL of the remote that names `root`'s repository: `origin`, else the only remote.
 * Null when `root` is not the top of a git work tree (a folder inside another
 * repository is not that repository) or has no such remote.
 */
export function gitRemoteUrl(root: string): string | null {
  const top = git(root, ['rev-parse', '--show-toplevel'])?.trim();
  if (!top || !samePath(top, root)) return null;
  const out = git(root, ['config', '--get-regexp', '^remote\\..*\\.url$']);
  if (!out) return null;
  const remotes = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^remote\.(.+)\.url\s+(.+)$/.exec(line.trim());
    if (m) remotes.set(m[1]!, m[2]!);
  }
  return remotes.get('origin') ?? (remotes.size === 1 ? [...remotes.values()][0]! : null);
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

/**
 * The identity of the repository at `root`: `configured` (its `repo:` key, or the name a
 * `repos:` entry gives it) when set, else the name its git remote gives.
 */
export function repoIdentity(root: string, configured: string | undefined): IdentityResult {
  if (configured) return { identity: { name: configured, source: 'config' } };
  const url = gitRemoteUrl(root);
  if (!url) {
    return { identity: null, problem: 'it has no `repo:` in govern.config.yaml and no git remote (origin, or a single remote) to take a name from' };
  }
  const name = remoteRepoName(url);
  if (!name) return { identity: null, problem: `its git remote ${redactRemote(url)} does not end in a valid repository name; set \`repo:\` in govern.config.yaml` };
  return { identity: { name, source: 'git-remote', remote: redactRemote(url) } };
}
