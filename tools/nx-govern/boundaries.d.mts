// Types of boundaries.mjs (plain ESM, loaded by eslint.config.mjs), for the tests in libs/gates.
export interface DepConstraint {
  sourceTag?: string;
  allSourceTags?: string[];
  onlyDependOnLibsWithTags?: string[];
  notDependOnLibsWithTags?: string[];
}
export interface FlatConfigObject {
  files: string[];
  rules: Record<string, ['error', Record<string, unknown> & { depConstraints: DepConstraint[] }]>;
}
export const GATE_DISABLED_TAG: 'gate:disabled';
export function gateConstraint(sourceTag?: string): { sourceTag: string; notDependOnLibsWithTags: ['gate:disabled'] };
export function disabledProjectRoots(readGraph?: () => { nodes: Record<string, { data: { root: string; tags?: string[] } }> }): string[];
export function moduleBoundaries(spec: {
  files: string[];
  options?: Record<string, unknown>;
  depConstraints: DepConstraint[];
  /** Which projects the gate constraint applies to (default '*'). */
  gateSourceTag?: string;
  disabledRoots?: string[];
}): FlatConfigObject[];
