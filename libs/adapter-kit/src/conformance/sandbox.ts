import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { literalPrefix, matchesAny } from '../glob.js';
import type { Ownership } from '../manifest.js';

/**
 * The side-effect policy's instruments: a snapshot of a sandboxed root (every
 * file's sha256, every directory and symlink), the files the kit seeds in it
 * before a run (so a pack that cleans up too eagerly is caught too), and the
 * comparison of two snapshots against an ownership boundary.
 */

/** Files the kit puts in every sandbox before a run: not any pack's, so none may change them. */
export const FOREIGN_FILES: Readonly<Record<string, string>> = {
  'README.md': '# a repository the pack does not own\n',
  '.govern/config-of-someone-else.yaml': 'owner: not-the-pack\n',
  '.govern/adapters/another-pack/data.json': '{"owner":"another pack"}\n',
};

/** Path (relative, `/`-separated) → `file:<sha256>`, `dir`, or `link:<target>`. */
export type TreeSnapshot = Map<string, string>;

/** Writes {@link FOREIGN_FILES} into `root`. */
export function seedForeignFiles(root: string): void {
  for (const [rel, text] of Object.entries(FOREIGN_FILES)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

/** Every entry under `root` (not following symlinks), sorted. */
export function snapshotTree(root: string): TreeSnapshot {
  const out: TreeSnapshot = new Map();
  const walk = (rel: string) => {
    const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const abs = path.join(root, r);
      if (e.isSymbolicLink()) out.set(r, `link:${fs.readlinkSync(abs)}`);
      else if (e.isDirectory()) {
        out.set(r, 'dir');
        walk(r);
      } else out.set(r, `file:${crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`);
    }
  };
  walk('');
  return out;
}

/** One change between two snapshots. */
export interface TreeChange {
  path: string;
  change: 'added' | 'removed' | 'modified';
  kind: 'file' | 'dir' | 'link';
}

/** What changed from `before` to `after`, by path. */
export function diffTrees(before: TreeSnapshot, after: TreeSnapshot): TreeChange[] {
  const kind = (v: string): TreeChange['kind'] => (v === 'dir' ? 'dir' : v.startsWith('link:') ? 'link' : 'file');
  const out: TreeChange[] = [];
  for (const [p, v] of after) {
    const was = before.get(p);
    if (was === undefined) out.push({ path: p, change: 'added', kind: kind(v) });
    else if (was !== v) out.push({ path: p, change: 'modified', kind: kind(v) });
  }
  for (const [p, v] of before) if (!after.has(p)) out.push({ path: p, change: 'removed', kind: kind(v) });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The changes outside the boundary. A file or link is inside when a `paths` glob
 * matches it; a directory also when it is a glob's literal prefix, or an
 * ancestor of one that was added (creating `.govern/adapters/` to reach `.govern/adapters/x/**` is not a
 * trespass, removing it is).
 */
export function outsideBoundary(changes: readonly TreeChange[], ownership: Ownership): TreeChange[] {
  const prefixes = ownership.paths.map(literalPrefix).filter((p) => p.length > 0);
  return changes.filter((c) => {
    if (matchesAny(c.path, ownership.paths)) return false;
    if (c.kind === 'dir' && prefixes.includes(c.path)) return false;
    if (c.kind === 'dir' && c.change === 'added' && prefixes.some((p) => p.startsWith(`${c.path}/`))) return false;
    return true;
  });
}
