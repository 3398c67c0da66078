import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectsOf } from './projects.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

/** A workspace of `files` (relative path → JSON value or text) in a temporary directory. */
function workspace(files: Record<string, unknown>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-projects-'));
  roots.push(root);
  for (const [rel, v] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), typeof v === 'string' ? v : JSON.stringify(v));
  }
  return root;
}

// The layouts of this repository: a package under libs/, adapter packs one level deeper
// with an `nx.tags` tag, an Nx plugin under tools/ with a project.json only and an implicit
// dependency, an app with a project.json naming it.
const LAYOUT = {
  'libs/core/package.json': { name: '@x/core' },
  'libs/core/src/a.ts': '',
  'libs/adapters/alpha/package.json': { name: '@x/adapter-alpha', nx: { tags: ['adapter-pack'] }, dependencies: { '@x/core': '*' } },
  'libs/adapters/beta/package.json': { name: '@x/adapter-beta', nx: { tags: ['adapter-pack', 'scope:io'] } },
  'tools/plug/project.json': { name: 'plug', tags: ['type:tool'], implicitDependencies: ['@x/adapter-beta'] },
  'apps/web/package.json': { name: 'web-pkg', devDependencies: { '@x/core': '*' } },
  'apps/web/project.json': { name: 'web' },
};

const CHANGED = [
  'libs/core/src/a.ts',
  'libs/adapters/alpha/src/pack.ts',
  'libs/adapters/beta/README.md',
  'tools/plug/plugin.mjs',
  'apps/web/src/main.ts',
  'docs/x.md',
  'nx.json',
];

describe('projectsOf: the changes that make a closure stale', () => {
  it('finds nested adapter packs, project.json-only projects, tags and implicit dependencies', () => {
    const projects = projectsOf(workspace(LAYOUT))!;
    const touched = (inputs: string[] | null): string[] => projects.touched(CHANGED, inputs);
    expect({
      alpha: touched(['@x/adapter-alpha']),
      tag: touched(['tag:adapter-pack']),
      plug: touched(['plug']),
      web: touched(['web']),
      core: touched(['@x/core']),
      none: touched([]),
      whole: touched(null),
    }).toEqual({
      alpha: ['libs/core/src/a.ts', 'libs/adapters/alpha/src/pack.ts', 'nx.json'],
      tag: ['libs/core/src/a.ts', 'libs/adapters/alpha/src/pack.ts', 'libs/adapters/beta/README.md', 'nx.json'],
      plug: ['libs/adapters/beta/README.md', 'tools/plug/plugin.mjs', 'nx.json'],
      web: ['libs/core/src/a.ts', 'apps/web/src/main.ts', 'nx.json'],
      core: ['libs/core/src/a.ts', 'nx.json'],
      none: [],
      whole: CHANGED,
    });
  });

  it('an input that names no project, or a tag nobody carries, counts every change', () => {
    const projects = projectsOf(workspace(LAYOUT))!;
    expect({
      gone: projects.touched(CHANGED, ['@x/renamed']),
      tag: projects.touched(CHANGED, ['tag:nobody']),
      mixed: projects.touched(CHANGED, ['@x/core', '@x/renamed']),
    }).toEqual({ gone: CHANGED, tag: CHANGED, mixed: CHANGED });
  });

  it('node_modules, dist and hidden folders hold no projects; no project at all is null', () => {
    const root = workspace({
      ...LAYOUT,
      'libs/core/node_modules/dep/package.json': { name: '@x/adapter-beta' },
      'libs/.cache/package.json': { name: '@x/hidden' },
    });
    const changed = ['libs/core/node_modules/dep/x.js', 'libs/.cache/x', 'libs/adapters/beta/x'];
    // The package in node_modules does not replace the pack; the hidden one is not found.
    expect(projectsOf(root)!.touched(changed, ['@x/adapter-beta'])).toEqual(['libs/adapters/beta/x']);
    expect(projectsOf(root)!.touched(changed, ['@x/hidden'])).toEqual(changed);
    expect(projectsOf(workspace({ 'docs/a.md': '' }))).toBeNull();
  });
});
