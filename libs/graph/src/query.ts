import { blockersOf, isActionable, type Blocker, type RuleIndex, type RuleItem } from './actionable.js';
import type { GraphIndex, GraphNode } from './graph.js';

/**
 * `govern next`: the items of the graph the rule (actionable.ts) finds actionable,
 * in its order — over the index buildGraph made with the same ranking, so the graph's
 * rank is not computed twice. Workplan document nodes are containers, so only
 * milestones and tasks are listed.
 */
export function nextActionable(index: GraphIndex): GraphNode[] {
  return nextActionableIn(index.graph.nodes, index);
}

/**
 * {@link nextActionable} over any items the rule reads (`nodes` in document order, the
 * first of an id only), with a {@link RuleIndex} of them: what a command that reads an
 * index instead of the graph (`ruleIndex` over the same items) answers with.
 */
export function nextActionableIn<T extends RuleItem & { kind: string }>(nodes: readonly T[], index: RuleIndex<T>): T[] {
  return nodes.filter((n) => n.kind !== 'workplan' && isActionable(index, n)).sort((a, b) => index.rank.get(a.id)! - index.rank.get(b.id)!);
}

export interface Blocked<T extends RuleItem = GraphNode> {
  node: T;
  blockers: Blocker[];
}

/** Items that are not done and wait on at least one dependency that is not done. */
export function blockedItems(index: GraphIndex): Blocked[] {
  return blockedItemsIn(index.graph.nodes, index);
}

/** {@link blockedItems} over any items the rule reads (see {@link nextActionableIn}). */
export function blockedItemsIn<T extends RuleItem>(nodes: readonly T[], index: RuleIndex<T>): Blocked<T>[] {
  const out: Blocked<T>[] = [];
  for (const node of nodes) {
    if (node.status === 'done') continue;
    const blockers = blockersOf(index, node);
    if (blockers.length) out.push({ node, blockers });
  }
  return out.sort((a, b) => index.rank.get(a.node.id)! - index.rank.get(b.node.id)!);
}
