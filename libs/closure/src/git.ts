import { spawnSync } from 'node:child_process';

/**
 * The git questions closure and audit ask, each one `git` process, answers cached per
 * instance. Null answers mean "cannot tell" (not a git working tree, git missing), which
 * callers report as such rather than as a forgery.
 */
export class Git {
  private readonly commits = new Map<string, boolean>();
  private readonly ancestors = new Map<string, boolean>();
  private readonly changed = new Map<string, string[] | null>();
  private headCache: string | null | undefined;
  private untracked: string | undefined;

  constructor(readonly root: string) {}

  private run(args: string[]): { status: number | null; stdout: string } {
    const r = spawnSync('git', args, { cwd: this.root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
    return { status: r.error ? null : r.status, stdout: r.stdout ?? '' };
  }

  /** HEAD's commit, or null outside a git working tree. */
  head(): string | null {
    if (this.headCache === undefined) {
      const r = this.run(['rev-parse', '--verify', '-q', 'HEAD']);
      this.headCache = r.status === 0 ? r.stdout.trim() : null;
    }
    return this.headCache;
  }

  /** Whether `sha` names a commit object in this repository. */
  isCommit(sha: string): boolean {
    if (!/^[0-9a-f]{40}$/.test(sha)) return false;
    let v = this.commits.get(sha);
    if (v === undefined) this.commits.set(sha, (v = this.run(['cat-file', '-e', `${sha}^{commit}`]).status === 0));
    return v;
  }

  /** Whether `sha` is HEAD or one of its ancestors. */
  isAncestorOfHead(sha: string): boolean {
    let v = this.ancestors.get(sha);
    if (v === undefined) this.ancestors.set(sha, (v = this.run(['merge-base', '--is-ancestor', sha, 'HEAD']).status === 0));
    return v;
  }

  /** Paths changed between `sha` and the working tree (committed or not), or null when git cannot tell. */
  changedSince(sha: string): string[] | null {
    if (!this.changed.has(sha)) {
      const r = this.run(['diff', '--name-only', '--no-renames', sha, '--']);
      // The untracked files are the same for every commit: listed once per instance (per audit).
      this.untracked ??= this.run(['ls-files', '--others', '--exclude-standard']).stdout;
      this.changed.set(sha, r.status === 0 ? [...new Set([...r.stdout.split('\n'), ...this.untracked.split('\n')].filter(Boolean))].sort() : null);
    }
    return this.changed.get(sha)!;
  }

  /**
   * Whether `file` (relative to the root) differs from HEAD: changed, staged, untracked or
   * deleted; null when git cannot tell. A pathspec, so it holds where the root is a
   * folder of the repository.
   */
  hasUncommitted(file: string): boolean | null {
    const r = this.run(['status', '--porcelain', '--untracked-files=all', '--', file]);
    return r.status === 0 ? r.stdout.trim() !== '' : null;
  }

  /** Uncommitted changes (`git status --porcelain`), as paths; null outside git. */
  dirtyPaths(): string[] | null {
    const r = this.run(['status', '--porcelain', '--untracked-files=all', '--no-renames']);
    if (r.status !== 0) return null;
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3).replace(/^"(.*)"$/, '$1'))
      .sort();
  }
}
