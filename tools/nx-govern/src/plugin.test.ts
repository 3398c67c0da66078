import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleChild, NPM_EXTERNAL } from '@govern/testkit';
import { afterAll, describe, expect, it } from 'vitest';

// The local Nx plugins as Nx loads them: plain ESM files. plugin.mjs reaches libs/gates
// through its bundle (apps/cli/dist/gates.js); these tests build that bundle into a
// temporary copy of the layout, so they never touch apps/cli/dist. (The settings of
// boundaries.mjs are tested in libs/gates/src/boundaries.test.ts.)

const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

/**
 * A temporary directory holding `files` (relative path → text), removed after the file's
 * tests. `under`: where (default the system's temporary directory).
 */
function tempRoot(files: Record<string, string> = {}, prefix = 'govern-nx-', under = os.tmpdir()): string {
  fs.mkdirSync(under, { recursive: true });
  const root = fs.mkdtempSync(path.join(under, prefix));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

// Ids with a colon (plan ids), quotes, angle brackets, `&` and `#` in titles.
const FILES = {
  'trackers/t.md': `| Milestone | Depends On | Status |
|---|---|---|
| GV-01 Read "fast" path | - | Done (#27) |
| GV-02 Gates <and> writes & more | GV-01 | In Progress |
`,
  'workplans/kickoff.md': `# Kickoff

## K0: Contract #1 baseline
Status: Planned
Depends on: GV-02

## K1: Rollout
Depends on: K0
`,
  'govern.config.yaml': `gates:
  writer:
    description: status writes
    requires: [GV-02, kickoff:K0]
    project: libs/writer
  reader:
    requires: [GV-01]
`,
  'libs/writer/package.json': '{}',
};

describe('the Nx plugin (tools/nx-govern/plugin.mjs)', () => {
  it('loads the gates bundle and tags an existing gated project', async () => {
    // A copy of the plugin next to a freshly built bundle, laid out as in the repository,
    // so the test exercises the plain-ESM plugin → bundle path without touching apps/cli/dist.
    // The copy lives under the repository's node_modules (git-ignored), so the bundle can
    // leave npm packages to node: govern's sources alone are ~0.3 MB to build and load,
    // where inlining zod, yaml and the rest made 2 MB and put this case near 5 s under CI's load.
    const root = tempRoot({ ...FILES, 'tools/nx-govern/plugin.mjs': fs.readFileSync(path.join(REPO, 'tools/nx-govern/plugin.mjs'), 'utf8') }, 'govern-nx-', path.join(REPO, 'node_modules/.cache'));
    await bundleChild({ entryPoints: { gates: path.join(REPO, 'libs/gates/src/index.ts') }, outdir: path.join(root, 'apps/cli/dist'), plugins: [NPM_EXTERNAL] });
    const plugin = await import(pathToFileURL(path.join(root, 'tools/nx-govern/plugin.mjs')).href);
    expect(plugin.name).toBe('govern-gates');
    expect(plugin.createNodes).toBe(plugin.createNodesV2);
    expect(plugin.createNodesV2[0]).toBe('{govern.config.yaml,workplans/**/*.md,trackers/**/*.md}');
    const result = await plugin.createNodesV2[1](['govern.config.yaml', 'trackers/t.md'], undefined, { workspaceRoot: root });
    expect(result.map(([file, r]: [string, { projects: Record<string, { tags: string[] }> }]) => [file, Object.entries(r.projects).map(([k, p]) => [k, p.tags])])).toEqual([
      ['govern.config.yaml', [['libs/writer', ['gate:writer', 'gate:disabled']]]],
    ]);
    // The text `nx show project` prints in a terminal for the project's gate target, and what running it does.
    expect(result[0][1].projects['libs/writer'].targets.gate).toMatchObject({
      options: { command: 'node apps/cli/bin/govern.mjs gates --require writer', cwd: '{workspaceRoot}' },
      metadata: { scriptContent: 'gate writer: disabled — waits on GV-02 (in_progress), kickoff:K0 (planned)' },
    });
  }, 60_000);

  it('without the bundle it warns once and adds nothing, so the graph still builds', async () => {
    const root = tempRoot({ ...FILES, 'tools/nx-govern/plugin.mjs': fs.readFileSync(path.join(REPO, 'tools/nx-govern/plugin.mjs'), 'utf8') });
    const plugin = await import(pathToFileURL(path.join(root, 'tools/nx-govern/plugin.mjs')).href);
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => void warnings.push(m);
    try {
      expect(await plugin.createNodesV2[1](['govern.config.yaml'], undefined, { workspaceRoot: root })).toEqual([]);
    } finally {
      console.warn = warn;
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^govern gates: .*apps\/cli\/dist\/gates\.js cannot be loaded .*run `npm run build`/);
  });
});

describe('the targets plugin (tools/nx-govern/targets.mjs)', () => {
  it('gives every project with a tsconfig.json cached-by-default lint and typecheck targets run from the workspace root', async () => {
    const targets = await import(pathToFileURL(path.join(REPO, 'tools/nx-govern/targets.mjs')).href);
    expect(targets.name).toBe('govern-targets');
    expect(targets.createNodes).toBe(targets.createNodesV2);
    expect(targets.createNodesV2[0]).toBe('{apps/*,libs/*,libs/adapters/*,tools/*}/tsconfig.json');
    const root = tempRoot({
      'libs/a/tsconfig.json': '{}',
      'libs/a/package.json': '{}',
      'libs/adapters/p/tsconfig.json': '{}',
      'libs/adapters/p/package.json': '{}',
      'tools/t/tsconfig.json': '{}',
      'tools/t/project.json': '{}',
      'libs/not-a-project/tsconfig.json': '{}',
    });
    const result = targets.createNodesV2[1](['libs/a/tsconfig.json', 'libs/adapters/p/tsconfig.json', 'tools/t/tsconfig.json', 'libs/not-a-project/tsconfig.json'], undefined, { workspaceRoot: root });
    expect(result.map(([file, r]: [string, { projects: Record<string, unknown> }]) => [file, Object.keys(r.projects)])).toEqual([
      ['libs/a/tsconfig.json', ['libs/a']],
      ['libs/adapters/p/tsconfig.json', ['libs/adapters/p']],
      ['tools/t/tsconfig.json', ['tools/t']],
    ]);
    expect(result[0][1].projects['libs/a'].targets).toMatchObject({
      lint: { command: 'eslint libs/a', options: { cwd: '{workspaceRoot}' } },
      typecheck: { command: 'tsc -p libs/a/tsconfig.json --noEmit', options: { cwd: '{workspaceRoot}' } },
    });
  });
});
