import fs from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import { DEFAULT_FOLDERS, type Config } from './config.js';

/**
 * Lists the documents of a root: `workplans/` and `trackers/` recursively
 * (`*.md`), plus the configured include globs, minus excludes. Paths are
 * relative, `/`-separated and sorted, so every later step is deterministic.
 */
export function discover(root: string, config: Config): string[] {
  const patterns = [...DEFAULT_FOLDERS.filter((d) => fs.existsSync(path.join(root, d))).map((d) => `${d}/**/*.md`), ...config.include];
  if (patterns.length === 0) return [];
  const files = globSync(patterns, {
    cwd: root,
    ignore: ['**/node_modules/**', '**/.*/**', ...config.exclude],
    onlyFiles: true,
    dot: false,
    expandDirectories: false,
  });
  // Glob walkers drop symlinks whose target is missing; a document that silently
  // vanishes is worse than an error, so find them and let the reader report them.
  const links: string[] = [];
  for (const dir of DEFAULT_FOLDERS) {
    const abs = path.join(root, dir);
    if (!fs.existsSync(abs)) continue;
    for (const e of fs.readdirSync(abs, { recursive: true, withFileTypes: true })) {
      if (!e.isSymbolicLink() || !e.name.endsWith('.md')) continue;
      const full = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
      const rel = path.relative(root, full).split(path.sep).join('/');
      if (rel.split('/').some((seg) => seg.startsWith('.') || seg === 'node_modules')) continue;
      if (!fs.existsSync(full)) links.push(rel);
    }
  }
  return [...new Set([...files, ...links].map((f) => f.split(path.sep).join('/')))].sort();
}
