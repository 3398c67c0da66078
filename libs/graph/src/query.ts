import type { GraphIndex, GraphNode } from './graph.js';

const ACTIONABLE = new Set(['planned', 'in_progress', 'partial']);

export interface Blocker {
  id: string;
  status: GraphNode['status'];
  exists: boolean;
  /** Set when the blocker is inherited from a containing workplan rather than the item's own dependency. */
  via?: string;
}

/**
 * Dependencies of a node that are not done, including those inherited from the
 * workplan that contains it: a task cannot start before its workplan can.
 */
export function blockersOf(index: GraphIndex, node: GraphNode): Blocker[] {
  const out: Blocker[] = [];
  const seen = new Set<string>();
  let via: string | undefined;
  for (let n: GraphNode | undefined = node; n && !seen.has(n.id); n = n.parent ? index.byId.get(n.parent) : undefined) {
    seen.add(n.id);
    for (const id of n.dependsOn) {
      const dep = index.byId.get(id);
      if (dep?.status === 'done' || out.some((b) => b.id === id)) continue;
      out.push({ id, status: dep?.status ?? null, exists: dep !== undefined, ...(via ? { via } : {}) });
    }
    via = n.parent ?? undefined;
  }
  return out;
}

/**
 * Actionable items: not done (and not explicitly blocked or without a status),
 * every dependency done, including those of the containing workplan. Workplan
 * document nodes are containers, so only milestones and tasks are listed.
 * Ordered by dependency order, then priority, then document order.
 */
export function nextActionable(index: GraphIndex): GraphNode[] {
  return index.graph.nodes
    .filter((n) => n.kind !== 'workplan' && n.status !== null && ACTIONABLE.has(n.status) && !index.cyclic.has(n.id))
    .filter((n) => blockersOf(index, n).length === 0)
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
