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
  return [...new Set(files.map((f) => f.split(path.sep).join('/')))].sort();
}
