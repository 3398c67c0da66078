import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { explainDocument, type CompiledProfile } from '@govern/workplan';
import { DEFAULT_FOLDERS } from './config.js';

/**
 * At most this many Markdown files are read: a monorepo's READMEs run to thousands, and
 * `govern init` should answer in seconds. The files beyond it are counted, not read.
 */
export const MAX_FILES_LOOKED_AT = 2000;
/** A larger file is not a planning document anyone edits by hand (a generated API reference, a dump). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/** A path that names a plan: only in such a file do skipped lists and headings count as tracking. */
const PLANNING_NAME = /roadmap|plan|todo|task|backlog|milestone|tracker|progress|status|spec/i;

/** Outside git, where .gitignore would usually leave them out: build output (dependencies and fixtures are {@link notPlans}). */
const BUILD_DIRS = new Set(['dist', 'build', 'target', 'out', 'coverage']);

/**
 * A folder whose Markdown is not the repository's plan, even when git tracks it: hidden
 * folders (.github's templates), dependencies, and test fixtures (AlbertoV5/agenv keeps
 * sample plans under packages/workstreams/tests/fixtures/plans/).
 */
function notPlans(dir: string): boolean {
  return dir.startsWith('.') || dir === 'node_modules' || dir === 'vendor' || dir === 'third_party' || /^_*(fixtures?|testdata|test-data|snapshots)_*$/i.test(dir);
}

/** What {@link findPlanningDocuments} found. */
export interface FoundDocuments {
  /** Files outside the default folders that hold at least one item as they are, with how many. Sorted by path. */
  tracked: { file: string; items: number }[];
  /**
   * Files without an item that hold a table that a profile rule would read, or (in a file
   * whose path names a plan: ROADMAP.md, plans/, TODO.md, …) a list or heading that a rule
   * or a declared type would; `govern explain <file>` says which.
   */
  hinted: { file: string; rules: string[] }[];
  /** Markdown files looked at, and those left unread over {@link MAX_FILES_LOOKED_AT} or {@link MAX_DOCUMENT_BYTES}. */
  lookedAt: number;
  notRead: number;
  /** Where the list of files came from: git (tracked and untracked, not ignored) or a walk of the root. */
  source: 'git' | 'walk';
}

/**
 * The planning documents of a repository that govern would not read by default: the
 * Markdown files outside `workplans/` and `trackers/` (git's files, tracked or not and not
 * ignored; outside git, a walk that skips hidden, dependency and build folders) that hold
 * an item under `profile`, and those that would with a rule. Reads only; never throws for
 * a file it cannot read (it is left out).
 *
 * Found by running govern on public repositories: every one kept its plan somewhere else
 * (a ROADMAP.md at the root, specs/README.md, an IMPLEMENTATION_PLAN.md, plans/), and
 * `govern init` wrote a configuration that read none of it.
 */
export function findPlanningDocuments(root: string, profile: CompiledProfile): FoundDocuments {
  const listed = gitMarkdownFiles(root);
  const source = listed ? 'git' : 'walk';
  const all = (listed ?? walkMarkdownFiles(root)).filter((f) => !DEFAULT_FOLDERS.some((d) => f.startsWith(`${d}/`)) && !f.split('/').slice(0, -1).some(notPlans));
  all.sort();
  const tracked: FoundDocuments['tracked'] = [];
  const hinted: FoundDocuments['hinted'] = [];
  let notRead = Math.max(0, all.length - MAX_FILES_LOOKED_AT);
  for (const file of all.slice(0, MAX_FILES_LOOKED_AT)) {
    let text: string;
    try {
      const abs = path.join(root, file);
      if (fs.statSync(abs).size > MAX_DOCUMENT_BYTES) {
        notRead += 1;
        continue;
      }
      text = fs.readFileSync(abs, 'utf8');
    } catch {
      continue; // gone since it was listed, or unreadable: not something to include
    }
    const e = explainDocument({ file, text }, profile);
    if (e.items.length > 0) tracked.push({ file, items: e.items.length });
    else {
      // A table a rule would read is a strong sign; a checklist or a heading is one only in
      // a file whose name speaks of planning (a README's `- [x] fast` lists features).
      const planning = PLANNING_NAME.test(file);
      const rules = [...new Set(e.skipped.filter((x) => x.rule !== null && (x.kind === 'table' || planning)).map((x) => x.rule!))];
      if (rules.length) hinted.push({ file, rules });
    }
  }
  return { tracked, hinted, lookedAt: Math.min(all.length, MAX_FILES_LOOKED_AT), notRead, source };
}

/** The Markdown files git knows under the root (tracked, and untracked but not ignored); null outside a git working tree. */
function gitMarkdownFiles(root: string): string[] | null {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '*.md', '*.MD', '*.markdown'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0 || r.error) return null;
  // A file both staged and changed is listed once per state.
  return [...new Set(r.stdout.split('\0').filter((f) => f !== ''))];
}

/** Outside git: the Markdown files under the root, without hidden, dependency and build folders. */
function walkMarkdownFiles(root: string): string[] {
  const out: string[] = [];
  const stack = [''];
  while (stack.length && out.length <= MAX_FILES_LOOKED_AT * 2) {
    const rel = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || (e.isDirectory() && notPlans(e.name))) continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!BUILD_DIRS.has(e.name)) stack.push(child);
      } else if (e.isFile() && /\.(md|markdown)$/i.test(e.name)) out.push(child);
    }
  }
  return out;
}
