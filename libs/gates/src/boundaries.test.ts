import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Loaded by URL: tools/ belongs to no Nx project, and the module-boundary rule refuses a
// relative import of a file outside every project.
type Boundaries = typeof import('../../../tools/nx-govern/boundaries.mjs');
const { disabledProjectRoots, gateConstraint, moduleBoundaries } = (await import(new URL('../../../tools/nx-govern/boundaries.mjs', import.meta.url).href)) as Boundaries;

// The lint side of the gates (tools/nx-govern/boundaries.mjs, used by eslint.config.mjs):
// no project may depend on one the Nx plugin tags gate:disabled, except another disabled
// one. That Nx's rule then fails the import is shown end to end in docs/architecture.md
// (a scratch copy of the repository with a disabled project imported by an enabled one).

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const FILES = ['**/*.{ts,mts,cts,js,mjs,cjs}'];
const SCOPES = [{ sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] }];
const GATE = { sourceTag: '*', notDependOnLibsWithTags: ['gate:disabled'] };

describe('moduleBoundaries', () => {
  it('adds the gate constraint to the scope constraints for every file', () => {
    expect(moduleBoundaries({ files: FILES, options: { allow: [] }, depConstraints: SCOPES, disabledRoots: [] })).toEqual([
      { files: FILES, rules: { '@nx/enforce-module-boundaries': ['error', { allow: [], depConstraints: [...SCOPES, GATE] }] } },
    ]);
    expect(gateConstraint('/^scope:/')).toEqual({ sourceTag: '/^scope:/', notDependOnLibsWithTags: ['gate:disabled'] });
  });

  it('lifts it in the files of disabled projects, which may depend on each other', () => {
    const configs = moduleBoundaries({ files: FILES, depConstraints: SCOPES, gateSourceTag: '/^scope:/', disabledRoots: ['libs/adapter-kit', 'libs/binder'] });
    expect(configs).toEqual([
      { files: FILES, rules: { '@nx/enforce-module-boundaries': ['error', { depConstraints: [...SCOPES, { ...GATE, sourceTag: '/^scope:/' }] }] } },
      {
        files: ['libs/adapter-kit/**/*.{ts,mts,cts,js,mjs,cjs}', 'libs/binder/**/*.{ts,mts,cts,js,mjs,cjs}'],
        rules: { '@nx/enforce-module-boundaries': ['error', { depConstraints: SCOPES }] },
      },
    ]);
  });
});

describe('disabledProjectRoots', () => {
  it('the roots of the projects the cached graph tags gate:disabled, sorted; never the workspace root', () => {
    const node = (root: string, tags: string[]) => ({ data: { root, tags } });
    const graph = {
      nodes: {
        '@x/binder': node('libs/binder', ['gate:binder', 'gate:disabled', 'scope:core']),
        '@x/cli': node('apps/cli', ['scope:app']),
        '@x/store': node('libs/memory-store', ['gate:memory-store', 'gate:enabled']),
        '@x/adapter-kit': node('libs/adapter-kit/', ['gate:disabled']),
        '@x/root': node('.', ['gate:disabled']),
        '@x/untagged': { data: { root: 'libs/u' } },
      },
    };
    expect(disabledProjectRoots(() => graph)).toEqual(['libs/adapter-kit', 'libs/binder']);
  });

  it('none without a cached graph (the rule skips itself then too)', () => {
    expect(
      disabledProjectRoots(() => {
        throw new Error('[readCachedProjectGraph] ERROR: No cached ProjectGraph is available.');
      }),
    ).toEqual([]);
  });
});

describe('eslint.config.mjs', () => {
  it('applies the gate constraint to a file of an enabled project, next to the scope constraints', async () => {
    const config = (await new ESLint({ cwd: REPO }).calculateConfigForFile(path.join(REPO, 'apps/cli/src/main.ts'))) as { rules: Record<string, unknown> };
    const [severity, options] = config.rules['@nx/enforce-module-boundaries'] as [number, { depConstraints: unknown[] }];
    expect(severity).toBe(2);
    expect(options.depConstraints).toContainEqual({ sourceTag: '/^scope:/', notDependOnLibsWithTags: ['gate:disabled'] });
    expect(options.depConstraints).toContainEqual({ sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] });
  });
});
