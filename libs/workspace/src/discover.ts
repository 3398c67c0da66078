import fs from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import { DEFAULT_FOLDERS, type Config } from './config.js';

/**
 * Lists the documents of a root: `workplans/` and `trackers/` recursively
 * (`*.md`), plus the configured include globs, minus excludes. Paths are
 * relative, `/`-separated and sorted, so every later step is deterministic.
 *
 * The default folders are walked with readdir rather than a glob: glob walkers
 * drop symlinks whose target is missing, and a document that silently vanishes
 * is worse than one the reader reports as unreadable.
 */
export function discover(root: string, config: Config): string[] {
  const files = new Set<string>();
  for (const dir of DEFAULT_FOLDERS) walk(root, dir, files);
  const globOpts = { cwd: root, ignore: ['**/node_modules/**', '**/.*/**'], onlyFiles: true, dot: false, expandDirectories: false };
  if (config.include.length) for (const f of globSync(config.include, globOpts)) files.add(toPosix(f));
  if (config.exclude.length) for (const f of globSync(config.exclude, globOpts)) files.delete(toPosix(f));
  return [...files].sort();
}

function walk(root: string, rel: string, out: Set<string>): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
  } catch {
    return; // the folder is absent: nothing to read
  }
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const child = `${rel}/${e.name}`;
    if (e.isDirectory()) walk(root, child, out);
    else if (e.name.endsWith('.md') && !(e.isSymbolicLink() && isDirectory(path.join(root, child)))) out.add(child);
  }
}

function isDirectory(abs: string): boolean {
  try {
    return fs.statSync(abs).isDirectory();
  } catch {
    return false; // a dangling link: keep it, the reader reports it
  }
}

function toPosix(f: string): string {
  return f.split(path.sep).join('/');
}
