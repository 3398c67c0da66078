import { isActionable } from './actionable.js';
import type { GraphIndex, GraphNode } from './graph.js';
import { nextActionable } from './query.js';
import { reverseIndex } from './reverse.js';

/** How a {@link NextList} answered so far: a test, or a timing line, sees the path taken. */
export interface NextListStats {
  /** Answers computed by {@link nextActionable} over every node. */
  full: number;
  /** Answers computed from the previous one (the changed nodes and what reads them tested again). */
  spliced: number;
}

/**
 * {@link nextActionable} of a graph index that changes a few nodes at a time — the
 * long-lived workspace of `govern mcp`, whose engine patches its index after each edit.
 * One list per workspace: it holds the last answer (no module-level state), so two
 * servers in one process do not answer from each other's graphs.
 *
 * An index that keeps the previous one's rank object (the engine keeps it across edits
 * that change no dependency nor priority, see `patchBuilt` in @govern/workspace) and
 * its node order is answered from the previous answer: only the nodes that are new
 * objects (the changed files'), the nodes that depend on them directly, and what those
 * contain (tasks under a workplan inherit its dependencies) are tested again with
 * {@link isActionable}, and the actionable ones placed by a binary search on rank —
 * instead of testing every node (71,505 nodes, ~40 ms at 10,000 documents) after each
 * edit. Any other index (new ids, another order, another rank) takes the full
 * {@link nextActionable}. The answer is the same either way (next-list.test.ts).
 *
 * The caller must not mutate the arrays it gets: the next answer is built from them.
 */
export class NextList {
  /** How many answers took each path. */
  readonly stats: NextListStats = { full: 0, spliced: 0 };
  /** The last index answered, its rank, a copy of its nodes (the engine patches its node array in place), and its answer. */
  private previous: { index: GraphIndex; rank: ReadonlyMap<string, number>; nodes: GraphNode[]; list: GraphNode[] } | null = null;

  /** The actionable nodes of `index`, in the rule's order (what {@link nextActionable} answers). */
  of(index: GraphIndex): GraphNode[] {
    const prev = this.previous;
    if (prev?.index === index) return prev.list;
    const rank = index.rank;
    const now = index.graph.nodes;
    let list: GraphNode[] | null = null;
    if (prev && prev.rank === rank && prev.nodes.length === now.length) list = this.spliced(index, prev.list, prev.nodes);
    if (list) this.stats.spliced++;
    else {
      list = nextActionable(index);
      this.stats.full++;
    }
    this.previous = { index, rank, nodes: now.slice(), list };
    return list;
  }

  /** The previous list with the changed nodes and what reads them tested again; null when the index changed shape. */
  private spliced(index: GraphIndex, list: GraphNode[], before: GraphNode[]): GraphNode[] | null {
    const now = index.graph.nodes;
    const changed: string[] = [];
    for (let i = 0; i < now.length; i++) {
      if (now[i] === before[i]) continue;
      // Another id at this place: not an edit that keeps the graph's shape.
      if (now[i]!.id !== before[i]!.id) return null;
      changed.push(now[i]!.id);
    }
    if (!changed.length) return list;
    const rank = index.rank;
    const rev = reverseIndex(index);
    // A node's answer reads its status and the statuses of what it and its containers depend on.
    const affected = new Set<string>(changed);
    const contained = (id: string) => {
      for (const c of rev.children(id)) {
        if (affected.has(c)) continue;
        affected.add(c);
        contained(c);
      }
    };
    for (const id of changed) {
      for (const d of rev.dependents(id)) {
        affected.add(d);
        contained(d);
      }
    }
    const fresh = [...affected]
      .map((id) => index.byId.get(id)!)
      .filter((n) => n && n.kind !== 'workplan' && isActionable(index, n))
      .sort((a, b) => rank.get(a.id)! - rank.get(b.id)!);
    // Each affected node is taken out, and each actionable one put in, where its rank places
    // it (a binary search): a few lookups, not one per listed node (tens of thousands).
    const out = list.slice();
    for (const id of affected) {
      const r = rank.get(id);
      if (r === undefined) continue;
      for (let at = lowerBound(out, rank, r); at < out.length && rank.get(out[at]!.id) === r; ) {
        if (out[at]!.id === id) out.splice(at, 1);
        else at++;
      }
    }
    for (const n of fresh) out.splice(lowerBound(out, rank, rank.get(n.id)!), 0, n);
    return out;
  }
}

/** The first place in `list` (in rank order) whose node's rank is not below `r`. */
function lowerBound(list: readonly GraphNode[], rank: ReadonlyMap<string, number>, r: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rank.get(list[mid]!.id)! < r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
