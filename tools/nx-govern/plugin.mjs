// The govern Nx plugin: tags every project a gate in govern.config.yaml names with
// `gate:<name>` and `gate:enabled`/`gate:disabled`, explains why in `metadata.govern`,
// and adds a `gate` target whose line in `nx show project` says why in one line (see
// docs/architecture.md#the-nx-plugin). The lint constraint built on these tags is in
// boundaries.mjs, next to this file.
//
// Plain ESM on purpose: Nx 23 on Node 20 loads a TypeScript plugin only through
// ts-node or @swc-node/register, which this repository does not install. The logic is
// TypeScript in libs/gates (createGateNodes, unit-tested there) and reaches Nx through
// the bundle that `npm ci`/`npm run build` writes to apps/cli/dist/gates.js.
//
// Nx does not cache createNodes results: it calls this on every project-graph
// computation (each command without the daemon; with the daemon, after any watched
// file changes). The pattern covers the gate declarations and the documents whose
// statuses decide them, and createGateNodes re-reads them every time.

const BUNDLE = new URL('../../apps/cli/dist/gates.js', import.meta.url);

/** Never throws: a missing bundle or any failure is a warning, and the Nx graph builds without gate tags. */
async function createNodesFromGates(files, options, context) {
  let gates;
  try {
    gates = await import(BUNDLE.href);
  } catch (err) {
    console.warn(`govern gates: ${BUNDLE.pathname} cannot be loaded (${err?.message ?? err}); run \`npm run build\`. No gate tags are added.`);
    return [];
  }
  return gates.createGateNodes(files, options, context);
}

export const name = 'govern-gates';

/** `createNodes` is the name Nx 23 prefers; `createNodesV2` the one Nx 19.2–22 read. Same pair. */
export const createNodesV2 = ['{govern.config.yaml,workplans/**/*.md,trackers/**/*.md}', createNodesFromGates];
export const createNodes = createNodesV2;
