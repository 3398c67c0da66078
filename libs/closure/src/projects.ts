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

/**
 * The workspace's packages (`apps/*`, `libs/*`, `tools/*` with a package.json) and their
 * dependencies on each other, read from package.json: what Nx's project graph says for
 * this repository's layout, without starting Nx for every audit. Null when none is found.
 */
export function projectsOf(root: string): Projects | null {
  const roots = new Map<string, string>();
  const deps = new Map<string, string[]>();
  for (const group of ['apps', 'libs', 'tools']) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, group), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const rel = `${group}/${e.name}`;
      try {
        const pkg = JSON.parse(fs.readFileSync(path.join(root, rel, 'package.json'), 'utf8')) as { name?: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
        if (!pkg.name) continue;
        roots.set(pkg.name, rel);
        deps.set(pkg.name, Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }));
      } catch {
        // Not a package.
      }
    }
  }
  if (!roots.size) return null;
  const closure = (names: string[]): Set<string> => {
    const seen = new Set<string>();
    const stack = [...names];
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n) || !roots.has(n)) continue;
      seen.add(n);
      stack.push(...(deps.get(n) ?? []));
    }
    return seen;
  };
  return {
    touched(changed, inputs) {
      if (inputs === null) return changed;
      if (!inputs.length) return [];
      const dirs = [...closure(inputs)].map((n) => `${roots.get(n)}/`);
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
