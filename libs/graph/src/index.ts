/**
 * @govern/graph — builds the milestone and task graph from parsed documents and
 * answers questions about it (what is next, what is blocked). Pure, no I/O.
 */
export { buildGraph, compareNodes, GRAPH_DIAGNOSTIC_CODES } from './graph.js';
export type { BuildGraphOptions, Graph, GraphIndex, GraphNode } from './graph.js';
export { nextActionable, nextActionableIn, blockedItems, blockedItemsIn } from './query.js';
export { dependencyRank, stronglyConnected } from './order.js';
export type { Blocked } from './query.js';
export { NextList } from './next-list.js';
export type { NextListStats } from './next-list.js';
export { dependentsOf, reverseIndex } from './reverse.js';
export type { ReverseIndex, ReverseIndexStats, ReverseVersion } from './reverse.js';
export { actionable, ACTIONABLE_STATUSES, blockersOf, isActionable, ruleIndex } from './actionable.js';
export type { Actionability, Blocker, RuleIndex, RuleItem } from './actionable.js';
export {
  DIFF_KINDS,
  DiffChangeSchema,
  DiffResultSchema,
  ItemSnapshotSchema,
  MatrixSnapshotSchema,
  compareChanges,
  diffDocuments,
  diffDocumentsWithDiagnostics,
  diffWorkspaces,
  packetSlugWords,
  packetWordsMissing,
} from './diff.js';
export type { DiffChange, DiffKind, DiffResult, ItemSnapshot, MatrixSnapshot } from './diff.js';
