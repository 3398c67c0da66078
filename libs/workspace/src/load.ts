import { WorkspaceEngine, type LoadOptions, type Workspace } from './engine.js';

export type { LoadOptions, LoadProgress, Workspace } from './engine.js';

/**
 * Discovers, reads (through the store) and builds the graph of a root: one pass of
 * the engine's stages (see engine.ts). This is what every CLI command starts from; a
 * long-lived process keeps a {@link WorkspaceEngine} instead and calls its `update`.
 *
 * A warm run whose inputs the stored output was computed from prints that output
 * without decoding a fragment; a run with changed files parses only those, updates the
 * graph where they reach, and appends their fragments to the store.
 */
export async function loadWorkspace(opts: LoadOptions): Promise<Workspace> {
  return (await WorkspaceEngine.open(opts)).workspace();
}
