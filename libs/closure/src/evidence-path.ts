import fs from 'node:fs';
import path from 'node:path';

export type EvidencePath =
  | { ok: true; rel: string; abs: string; exists: boolean }
  | { ok: false; rel: string; reason: string };

/**
 * Resolves an evidence root as written (`ops/runtime/lm-11/`) against the
 * repository. Evidence must live inside the repository: absolute paths, `..`
 * that climbs out, and symlinks that lead out are refused.
 */
export function resolveEvidenceRoot(root: string, declared: string): EvidencePath {
  const rel = declared.trim().replace(/\/+$/, '');
  if (rel === '' || path.isAbsolute(rel) || /^[A-Za-z]:[\\/]/.test(rel)) {
    return { ok: false, rel, reason: 'an evidence root must be a relative path inside the repository' };
  }
  const abs = path.resolve(root, rel);
  const inside = (p: string, base: string) => p === base || p.startsWith(base + path.sep);
  if (!inside(abs, path.resolve(root))) return { ok: false, rel, reason: `${declared} leaves the repository` };
  if (!fs.existsSync(abs)) return { ok: true, rel, abs, exists: false };
  const real = fs.realpathSync(abs);
  if (!inside(real, fs.realpathSync(root))) return { ok: false, rel, reason: `${declared} is a symlink that leads out of the repository` };
  return { ok: true, rel, abs, exists: true };
}
