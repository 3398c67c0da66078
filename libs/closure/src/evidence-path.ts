import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type EvidencePath =
  | { ok: true; rel: string; abs: string; exists: boolean }
  | { ok: false; rel: string; reason: string };

const inside = (p: string, base: string) => p === base || p.startsWith(base + path.sep);

/** The deepest path at or above `abs` that exists (as an entry: a dangling symlink counts). */
function deepestExisting(abs: string): string {
  let p = abs;
  for (;;) {
    try {
      fs.lstatSync(p);
      return p;
    } catch {
      const up = path.dirname(p);
      if (up === p) return p;
      p = up;
    }
  }
}

/**
 * Resolves an evidence root as written (`ops/runtime/lm-11/`) against the repository.
 * Evidence is committed with the repository, so it must live inside its working tree:
 * refused are absolute paths, `..` that climbs out, the repository root itself, `.git/`
 * and anything under it, and a path any of whose existing parts is a symlink leading
 * out of the repository (every existing ancestor is resolved, not only the root itself:
 * `ops/runtime` linked to `/tmp` is refused before `ops/runtime/x` exists).
 *
 * Whether git ignores the path is a separate question ({@link evidenceRootIgnored}),
 * asked by `govern close` and the audit, because it needs git.
 */
export function resolveEvidenceRoot(root: string, declared: string): EvidencePath {
  const trimmed = declared.trim();
  if (trimmed === '' || path.isAbsolute(trimmed) || /^[A-Za-z]:[\\/]/.test(trimmed)) {
    return { ok: false, rel: trimmed, reason: 'an evidence root must be a relative path inside the repository' };
  }
  const rel = path.posix.normalize(trimmed.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (rel === '.' || rel === '') return { ok: false, rel, reason: `${declared} is the repository root itself; evidence needs a folder of its own (e.g. ops/runtime/<item>/)` };
  const realRoot = fs.realpathSync(root);
  const abs = path.resolve(root, rel);
  if (!inside(abs, path.resolve(root))) return { ok: false, rel, reason: `${declared} leaves the repository` };
  if (rel.split('/').some((s) => s.toLowerCase() === '.git')) return { ok: false, rel, reason: `${declared} is inside .git/, which is never committed` };
  const existing = deepestExisting(abs);
  let real: string;
  try {
    real = fs.realpathSync(existing);
  } catch {
    return { ok: false, rel, reason: `${declared} passes through a symlink that leads nowhere (${path.relative(root, existing)})` };
  }
  if (!inside(real, realRoot)) return { ok: false, rel, reason: `${declared} passes through a symlink that leads out of the repository (${path.relative(root, existing) || '.'})` };
  if (existing === abs && real === realRoot) return { ok: false, rel, reason: `${declared} is a symlink to the repository root` };
  if (inside(real, path.join(realRoot, '.git'))) return { ok: false, rel, reason: `${declared} leads into .git/, which is never committed` };
  return { ok: true, rel, abs, exists: existing === abs };
}

/**
 * Whether git ignores the evidence root (its folder, or a manifest in it): ignored
 * evidence is never committed, so it proves nothing to anyone else. Null when `root` is
 * not a git working tree or git is not installed (nothing to ask), or when git refuses
 * the path (one that passes through a symlink, or lies in a submodule).
 */
export function evidenceRootIgnored(root: string, rel: string): boolean | null {
  const ignored = ignoredEvidenceRoots(root, [rel]);
  return ignored && ignored.has(rel);
}

/**
 * {@link evidenceRootIgnored} for many evidence roots in one git run (the audit asks for
 * every done item; a git process per item costs seconds on a large repository): the
 * subset of `rels` whose folder or manifest git ignores. Null when there is nothing to
 * ask (not a git working tree, git not installed) and also when git refuses any one of
 * the paths (a symlink on the way, a submodule), which fails the whole run: the caller
 * can then ask root by root.
 */
export function ignoredEvidenceRoots(root: string, rels: readonly string[]): Set<string> | null {
  const unique = [...new Set(rels)];
  if (!unique.length) return new Set();
  // NUL-separated both ways: a path may hold spaces, quotes or newlines, and -z keeps git from quoting it.
  const input = unique.flatMap((rel) => [`${rel}/`, `${rel}/manifest.json`]).join('\0') + '\0';
  const r = spawnSync('git', ['check-ignore', '--stdin', '-z'], { cwd: root, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['pipe', 'pipe', 'ignore'] });
  if (r.error || r.status === null) return null;
  if (r.status === 1) return new Set();
  if (r.status !== 0) return null;
  // Git prints each ignored path as it was given, so each maps back to its root.
  const hits = new Set(r.stdout.split('\0'));
  return new Set(unique.filter((rel) => hits.has(`${rel}/`) || hits.has(`${rel}/manifest.json`)));
}
