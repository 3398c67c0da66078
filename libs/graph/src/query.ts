import type { GraphIndex, GraphNode } from './graph.js';

const ACTIONABLE = new Set(['planned', 'in_progress', 'partial']);

/**
 * Actionable items: not done (and not explicitly blocked or without a status),
 * and every dependency done. Workplan document nodes are containers, so only
 * milestones and tasks are listed. Ordered by dependency order, then priority,
 * then document order.
 */
export function nextActionable(index: GraphIndex): GraphNode[] {
  return index.graph.nodes
    .filter((n) => n.kind !== 'workplan' && n.status !== null && ACTIONABLE.has(n.status))
    .filter((n) => n.dependsOn.every((d) => index.byId.get(d)?.status === 'done'))
    .sort((a, b) => index.rank.get(a.id)! - index.rank.get(b.id)!);
}

export interface Blocked {
  node: GraphNode;
  /** Dependencies that are not done, with their status (null when unknown or missing). */
  blockers: { id: string; status: GraphNode['status']; exists: boolean }[];
}

/** Items that are not done and wait on at least one dependency that is not done. */
export function blockedItems(index: GraphIndex): Blocked[] {
  const out: Blocked[] = [];
  for (const node of index.graph.nodes) {
    if (node.status === 'done') continue;
    const blockers = node.dependsOn
      .map((id) => ({ id, dep: index.byId.get(id) }))
      .filter(({ dep }) => dep?.status !== 'done')
      .map(({ id, dep }) => ({ id, status: dep?.status ?? null, exists: dep !== undefined }));
    if (blockers.length) out.push({ node, blockers });
  }
  return out.sort((a, b) => index.rank.get(a.node.id)! - index.rank.get(b.node.id)!);
}
