// ESLint 9 flat config.
// - typescript-eslint "recommended" (not type-aware) for TypeScript sources;
// - @eslint/js "recommended" for the plain .mjs/.js scripts;
// - @nx/enforce-module-boundaries driven by the "scope:*" and "type:*" tags in each
//   package.json (tools/nx-govern: its project.json),
//   plus the gates: no project may depend on one tagged gate:disabled (the tags the
//   govern Nx plugin derives from govern.config.yaml and the trackers), except another
//   disabled one — see tools/nx-govern/boundaries.mjs and docs/architecture.md.
//   The rule reads Nx's cached project graph (.nx/workspace-data); when no graph has
//   been computed yet it prints "No cached ProjectGraph is available" and is skipped,
//   so .ci/run computes the graph (nx show projects) before linting. A status change
//   reaches lint through that graph: run an nx command (or let the daemon) recompute it.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import { moduleBoundaries } from './tools/nx-govern/boundaries.mjs';

const nodeGlobals = Object.fromEntries(
  [
    'AbortController', 'AbortSignal', 'Buffer', 'URL', 'URLSearchParams', 'TextDecoder', 'TextEncoder',
    'clearImmediate', 'clearInterval', 'clearTimeout', 'console', 'fetch', 'global', 'globalThis',
    'performance', 'process', 'queueMicrotask', 'setImmediate', 'setInterval', 'setTimeout', 'structuredClone',
  ].map((name) => [name, 'readonly']),
);

const unusedVars = [
  'error',
  {
    argsIgnorePattern: '^_',
    varsIgnorePattern: '^_',
    caughtErrorsIgnorePattern: '^_',
    destructuredArrayIgnorePattern: '^_',
  },
];

const SOURCE_FILES = ['**/*.{ts,mts,cts,js,mjs,cjs}'];
const BOUNDARY_OPTIONS = { allow: [], enforceBuildableLibDependency: false };

// The layers, by scope: core (pure) ← io ← app; tools may use libraries.
const SCOPE_CONSTRAINTS = [
  { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] },
  { sourceTag: 'scope:io', onlyDependOnLibsWithTags: ['scope:core', 'scope:io'] },
  { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['*'] },
  { sourceTag: 'scope:tool', onlyDependOnLibsWithTags: ['scope:core', 'scope:io'] },
];

// The kinds of project, by type: a library depends only on libraries; an app only on
// libraries (nothing depends on an app); an e2e project runs the apps' binaries, so it
// may depend on them as well (apps/cli-e2e: @govern/cli, and @govern/memoryd, which it
// runs in process as the CLI's OTLP receiver); a tool (tools/nx-govern) only on libraries.
// Nothing may depend on an e2e project or a tool: no constraint lists their tags.
const TYPE_CONSTRAINTS = [
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:app'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
];

export default tseslint.config(
  {
    ignores: ['**/dist/', '**/node_modules/', '.nx/', 'reports/', 'coverage/', 'bench/.corpus/'],
  },
  // Registers the @nx plugin (rules only, no rule settings).
  ...nx.configs['flat/base'],
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: nodeGlobals },
    rules: { 'no-unused-vars': unusedVars },
  },
  {
    files: ['**/*.{ts,mts,cts}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module' },
    rules: { '@typescript-eslint/no-unused-vars': unusedVars },
  },
  // The scope constraints, and the gate constraint ({ sourceTag: '/^scope:/',
  // notDependOnLibsWithTags: ['gate:disabled'] }) everywhere but in the disabled projects'
  // own files. '/^scope:/' rather than '*': every project that may depend on anything has
  // a scope tag, and a project without one keeps failing on any import (the rule's "no
  // matching constraint" error), which a '*' constraint would silence.
  ...moduleBoundaries({
    files: SOURCE_FILES,
    options: BOUNDARY_OPTIONS,
    gateSourceTag: '/^scope:/',
    depConstraints: [...SCOPE_CONSTRAINTS, ...TYPE_CONSTRAINTS],
  }),
  {
    // Each project's vitest.config.ts is one line over the shared vitest.shared.ts at the
    // root; test configuration is not product code, so the project boundaries do not apply.
    files: ['**/vitest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
);
