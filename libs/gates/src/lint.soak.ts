import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// End to end, with the real tools: a small Nx workspace carrying this repository's
// eslint.config.mjs, tools/nx-govern (the plugin and the boundary constraint) and the
// gates bundle (apps/cli/dist, from `npm run build`). Nx computes the graph (the plugin
// tags the projects from govern.config.yaml and the tracker), then ESLint runs
// @nx/enforce-module-boundaries over it. A soak case: two Nx runs and two ESLint runs
// take several seconds.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const NX = path.join(REPO, 'node_modules/nx/dist/bin/nx.js');
const ESLINT = path.join(REPO, 'node_modules/eslint/bin/eslint.js');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const pkg = (name: string, deps: string[] = []) =>
  JSON.stringify({
    name: `@proof/${name}`,
    private: true,
    type: 'module',
    exports: { '.': './src/index.ts' },
    nx: { tags: ['scope:core'] },
    dependencies: Object.fromEntries(deps.map((d) => [`@proof/${d}`, '*'])),
  });
const tracker = (a02: string) => `| Milestone | Status |\n|---|---|\n| A-01 One | Done |\n| A-02 Two | ${a02} |\n`;

function workspace(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-lint-gates-'));
  dirs.push(root);
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'proof', private: true, type: 'module', workspaces: ['libs/*'] }),
    'nx.json': JSON.stringify({ plugins: ['./tools/nx-govern/plugin.mjs'], neverConnectToCloud: true, analytics: false }),
    'eslint.config.mjs': fs.readFileSync(path.join(REPO, 'eslint.config.mjs'), 'utf8'),
    'tools/nx-govern/plugin.mjs': fs.readFileSync(path.join(REPO, 'tools/nx-govern/plugin.mjs'), 'utf8'),
    'tools/nx-govern/boundaries.mjs': fs.readFileSync(path.join(REPO, 'tools/nx-govern/boundaries.mjs'), 'utf8'),
    'govern.config.yaml': 'gates:\n  ok:\n    requires: [A-01]\n    project: libs/ok\n  off:\n    requires: [A-02]\n    project: libs/off\n  off2:\n    requires: [A-02]\n    project: libs/off2\n',
    'trackers/t.md': tracker('Planned'),
    'libs/off/package.json': pkg('off'),
    'libs/off/src/index.ts': 'export const off = 1;\n',
    // An enabled project importing a disabled one: the case lint must fail.
    'libs/ok/package.json': pkg('ok', ['off']),
    'libs/ok/src/index.ts': "import { off } from '@proof/off';\n\nexport const ok = off + 1;\n",
    // A disabled project importing another disabled one: allowed.
    'libs/off2/package.json': pkg('off2', ['off']),
    'libs/off2/src/index.ts': "import { off } from '@proof/off';\n\nexport const off2 = off + 2;\n",
    // An ungated project importing the enabled one, which depends on a disabled one: the rule follows the path.
    'libs/plain/package.json': pkg('plain', ['ok']),
    'libs/plain/src/index.ts': "import { ok } from '@proof/ok';\n\nexport const plain = ok + 3;\n",
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  fs.mkdirSync(path.join(root, 'apps/cli'), { recursive: true });
  fs.symlinkSync(path.join(REPO, 'apps/cli/dist'), path.join(root, 'apps/cli/dist'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  return root;
}

const env = { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
function run(root: string, script: string, args: string[]) {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Computes the project graph (as .ci/run does before linting), then lints libs/: the exit code and `file: rule: message` per problem. */
function lint(root: string): { disabled: string[]; code: number | null; problems: string[] } {
  const shown = run(root, NX, ['show', 'projects', '--projects=tag:gate:disabled']);
  expect(shown.code, shown.stderr).toBe(0);
  const r = run(root, ESLINT, ['--format', 'json', 'libs']);
  const results = JSON.parse(r.stdout) as { filePath: string; messages: { ruleId: string; message: string }[] }[];
  return {
    disabled: shown.stdout.split('\n').filter(Boolean).sort(),
    code: r.code,
    problems: results.flatMap((f) => f.messages.map((m) => `${path.relative(root, f.filePath)}: ${m.ruleId}: ${m.message.split('\n')[0]}`)),
  };
}

describe('lint and the gates', () => {
  it('fails where an enabled (or ungated) project depends on a disabled one; passes once the milestone is done', () => {
    const root = workspace();
    const violation = 'A project tagged with "/^scope:/" can not depend on libs tagged with "gate:disabled"';
    expect(lint(root)).toEqual({
      disabled: ['@proof/off', '@proof/off2'],
      code: 1,
      problems: [`libs/ok/src/index.ts: @nx/enforce-module-boundaries: ${violation}`, `libs/plain/src/index.ts: @nx/enforce-module-boundaries: ${violation}`],
    });
    fs.writeFileSync(path.join(root, 'trackers/t.md'), tracker('Done'));
    expect(lint(root)).toEqual({ disabled: [], code: 0, problems: [] });
  }, 120_000);
});
