// The govern Nx plugin for the quality targets: every project (a folder under apps/,
// libs/, libs/adapters/ or tools/ with a tsconfig.json and a package.json or project.json) gets
//
//   lint       eslint <root>                                   (the root eslint.config.mjs)
//   typecheck  tsc -p <root>/tsconfig.json --noEmit
//
// both cached, with the inputs that decide their result (the project's files, its
// dependencies' sources for the types, its dependencies' package.json for the tags the
// module-boundary rule reads, the gate documents that decide the gate:* tags). Inferred
// rather than declared in each package.json so a new project gets them by having a
// tsconfig.json. The inputs and cache settings are in nx.json's targetDefaults, so this
// file only says which projects have the targets and what they run.
//
// Plain ESM for the same reason as plugin.mjs (Nx 23 on Node 20 loads a TypeScript
// plugin only through ts-node or @swc-node/register). See docs/architecture.md.
import fs from 'node:fs';
import path from 'node:path';

export const name = 'govern-targets';

/** The targets of the project at `root` (a path relative to the workspace, with `/`). */
export function projectTargets(root) {
  return {
    lint: {
      command: `eslint ${root}`,
      options: { cwd: '{workspaceRoot}' },
      metadata: { description: `ESLint (eslint.config.mjs: typescript-eslint, module boundaries, gates) over ${root}` },
    },
    typecheck: {
      command: `tsc -p ${root}/tsconfig.json --noEmit`,
      options: { cwd: '{workspaceRoot}' },
      metadata: { description: `TypeScript over ${root}/tsconfig.json (its sources and, through them, its dependencies' sources)` },
    },
  };
}

function createNodesFromTsconfigs(files, _options, context) {
  const results = [];
  for (const file of files) {
    const root = path.posix.dirname(file);
    const abs = path.join(context.workspaceRoot, root);
    if (!fs.existsSync(path.join(abs, 'package.json')) && !fs.existsSync(path.join(abs, 'project.json'))) continue;
    results.push([file, { projects: { [root]: { targets: projectTargets(root) } } }]);
  }
  return results;
}

/** `createNodes` is the name Nx 23 prefers; `createNodesV2` the one Nx 19.2–22 read. Same pair. */
// libs/adapters/<pack>/ holds the adapter packs, one level deeper than the other libraries.
export const createNodesV2 = ['{apps/*,libs/*,libs/adapters/*,tools/*}/tsconfig.json', createNodesFromTsconfigs];
export const createNodes = createNodesV2;
