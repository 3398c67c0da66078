import fs from 'node:fs';
import path from 'node:path';

/** Files at the root that every project's build and tests read (Nx's sharedGlobals and the install). */
const SHARED = new Set(['package.json', 'package-lock.json', 'nx.json', 'tsconfig.base.json', 'tsconfig.json', 'vitest.shared.ts']);

export interface Projects {
  /**
   * Of the changed paths, those that affect `inputs` (project names; null for the whole
   * repository): files under an input project or a project it depends on, and the shared
   * root files. For null every changed path counts.
   */
  touched(changed: string[], inputs: string[] | null): string[];
}

/** Where projects live, and how deep below these folders a project may sit (`libs/adapters/x`). */
const PROJECT_FOLDERS = ['apps', 'libs', 'tools'];
const MAX_DEPTH = 3;
const SKIP = new Set(['node_modules', 'dist', 'src', 'coverage']);

interface Project {
  dir: string;
  tags: string[];
  deps: string[];
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const keys = (v: unknown): string[] => (v && typeof v === 'object' ? Object.keys(v) : []);

/**
 * The workspace's projects as Nx finds them in this layout: every folder under `apps/`,
 * `libs/` or `tools/` (up to three levels, so `libs/adapters/<pack>` counts) with a
 * project.json or a named package.json. Its name is project.json's `name`, else the
 * package's; its tags are project.json's `tags` and package.json's `nx.tags`; its
 * dependencies are the package's dependencies and devDependencies and the
 * `implicitDependencies` of either file. Read without starting Nx for every audit.
 *
 * Until GV-22 only `<folder>/<name>/package.json` counted: the adapter packs, the Nx plugin
 * (project.json only) and `tag:` inputs were found by nothing, so evidence of the checks
 * that ran them never went stale.
 */
function findProjects(root: string): Map<string, Project> {
  const found = new Map<string, Project>();
  const visit = (rel: string, depth: number): void => {
    const pj = readJson(path.join(root, rel, 'project.json'));
    const pkg = readJson(path.join(root, rel, 'package.json'));
    const nx = (pkg?.nx ?? null) as Record<string, unknown> | null;
    const name = (typeof pj?.name === 'string' && pj.name) || (typeof pkg?.name === 'string' && pkg.name) || null;
    if (name) {
      found.set(name, {
        dir: `${rel}/`,
        tags: [...strings(pj?.tags), ...strings(nx?.tags)],
        deps: [...keys(pkg?.dependencies), ...keys(pkg?.devDependencies), ...strings(pj?.implicitDependencies), ...strings(nx?.implicitDependencies)],
      });
      return;
    }
    if (depth >= MAX_DEPTH) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory() && !SKIP.has(e.name) && !e.name.startsWith('.')) visit(`${rel}/${e.name}`, depth + 1);
  };
  for (const folder of PROJECT_FOLDERS) visit(folder, 0);
  return found;
}

/**
 * The workspace's projects and their dependencies on each other (see `findProjects`).
 * Null when none is found.
 */
export function projectsOf(root: string): Projects | null {
  const projects = findProjects(root);
  if (!projects.size) return null;
  const byTag = (tag: string): string[] => [...projects].filter(([, p]) => p.tags.includes(tag)).map(([n]) => n);
  const closure = (names: string[]): Set<string> => {
    const seen = new Set<string>();
    const stack = [...names];
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n) || !projects.has(n)) continue;
      seen.add(n);
      stack.push(...projects.get(n)!.deps);
    }
    return seen;
  };
  return {
    touched(changed, inputs) {
      if (inputs === null) return changed;
      if (!inputs.length) return [];
      const names = inputs.flatMap((i) => (i.startsWith('tag:') ? byTag(i.slice(4)) : [i]));
      // An input that names no project (renamed, removed, a tag nobody carries) cannot be
      // scoped: every change counts, rather than none.
      if (inputs.some((i) => (i.startsWith('tag:') ? !byTag(i.slice(4)).length : !projects.has(i)))) return changed;
      const dirs = [...closure(names)].map((n) => projects.get(n)!.dir);
      return changed.filter((p) => SHARED.has(p) || dirs.some((d) => p.startsWith(d)));
    },
  };
}

/**
 * The Nx projects a closure's checks ran (`nx run p:t`, `nx run-many … --projects=a,b`,
 * `nx test p`), sorted; null when a check is anything else, which means the closure
 * covers the whole repository. `govern validate`/`govern audit` checks read documents
 * and cover no code.
 */
export function checkedProjects(commands: string[]): string[] | null {
  const out = new Set<string>();
  for (const c of commands) {
    if (/\bgovern\s+(validate|audit)\b/.test(c)) continue;
    const one = /\bnx\s+run\s+([^\s:]+):\S+/.exec(c);
    const many = /\bnx\s+run-many\b.*--projects[= ]([^\s]+)/.exec(c);
    const short = /\bnx\s+(?:test|build|lint|typecheck|soak)\s+([^\s-][^\s]*)/.exec(c);
    if (one) out.add(one[1]!);
    else if (many) many[1]!.split(',').filter(Boolean).forEach((p) => out.add(p));
    else if (short) out.add(short[1]!);
    else return null;
  }
  return [...out].sort();
}
