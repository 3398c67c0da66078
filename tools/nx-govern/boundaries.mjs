// The module-boundary constraint the gates generate: a project that is not gate:disabled
// may not depend on one that is (directly or through another project), so enabled code
// cannot import a library whose milestones are not done. eslint.config.mjs builds its
// @nx/enforce-module-boundaries settings with moduleBoundaries() below; the tags come
// from the Nx plugin next to this file (plugin.mjs), which reads govern.config.yaml and
// the trackers. See docs/architecture.md#gates-in-lint.
//
// Why two config objects. The rule applies every depConstraint whose sourceTag matches
// one of the importing project's tags, and they all must hold. '*' (or '/^scope:/')
// matches a disabled project too, yet a disabled project may depend on other disabled
// ones (two libraries built by the same milestone). A sourceTag cannot say "has no
// gate:disabled tag", so the exemption is by file: the files of the projects that the
// cached project graph tags gate:disabled get the same settings without the gate
// constraint. That is the cached graph the rule itself reads, so both agree.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const GATE_DISABLED_TAG = 'gate:disabled';

/**
 * The gate constraint for the projects `sourceTag` matches (default '*', every project):
 * they may not depend on a gate:disabled one. Lifted inside disabled projects.
 */
export function gateConstraint(sourceTag = '*') {
  return { sourceTag, notDependOnLibsWithTags: [GATE_DISABLED_TAG] };
}

/** Nx's cached project graph (.nx/workspace-data), as @nx/enforce-module-boundaries reads it. Throws when none was computed. */
function readCachedProjectGraph() {
  return require('@nx/devkit').readCachedProjectGraph();
}

/**
 * The roots of the projects the cached project graph tags `gate:disabled`, sorted.
 * None when no graph has been computed yet (the rule then skips itself as well).
 */
export function disabledProjectRoots(readGraph = readCachedProjectGraph) {
  let graph;
  try {
    graph = readGraph();
  } catch {
    return [];
  }
  return Object.values(graph?.nodes ?? {})
    .filter((n) => n?.data?.tags?.includes(GATE_DISABLED_TAG) && n.data.root && n.data.root !== '.')
    .map((n) => n.data.root.replace(/\/+$/, ''))
    .sort();
}

/**
 * Flat-config objects for `@nx/enforce-module-boundaries`: `options` and `depConstraints`
 * plus {@link gateConstraint}(`gateSourceTag`) for `files`, then, for the same files under
 * each disabled project root, the settings without it.
 */
export function moduleBoundaries({ files, options = {}, depConstraints, gateSourceTag = '*', disabledRoots = disabledProjectRoots() }) {
  const rule = (constraints) => ({ '@nx/enforce-module-boundaries': ['error', { ...options, depConstraints: constraints }] });
  const configs = [{ files, rules: rule([...depConstraints, gateConstraint(gateSourceTag)]) }];
  if (disabledRoots.length) {
    configs.push({ files: disabledRoots.flatMap((root) => files.map((f) => `${root}/${f}`)), rules: rule(depConstraints) });
  }
  return configs;
}
