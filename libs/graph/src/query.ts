import { blockersOf, isActionable, type Blocker } from './actionable.js';
import type { GraphIndex, GraphNode } from './graph.js';

/**
 * `govern next`: the items of the graph the rule (actionable.ts) finds actionable,
 * in its order — over the index buildGraph made with the same ranking, so the graph's
 * rank is not computed twice. Workplan document nodes are containers, so only
 * milestones and tasks are listed.
 */
export function nextActionable(index: GraphIndex): GraphNode[] {
  return index.graph.nodes
    .filter((n) => n.kind !== 'workplan' && isActionable(index, n))
    .sort((a, b) => index.rank.get(a.id)! - index.rank.get(b.id)!);
}

export interface Blocked {
  node: GraphNode;
  blockers: Blocker[];
}

/** Items that are not done and wait on at least one dependency that is not done. */
export function blockedItems(index: GraphIndex): Blocked[] {
  const out: Blocked[] = [];
  for (const node of index.graph.nodes) {
    if (node.status === 'done') continue;
    const blockers = blockersOf(index, node);
    if (blockers.length) out.push({ node, blockers });
  }
  return out.sort((a, b) => index.rank.get(a.node.id)! - index.rank.get(b.node.id)!);
}
