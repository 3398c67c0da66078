import { isActionable } from './actionable.js';
import type { GraphIndex, GraphNode } from './graph.js';
import { nextActionable } from './query.js';
import { reverseIndex, type ReverseIndex, type ReverseVersion } from './reverse.js';

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
 * An index over the same node array as the previous one (the engine patches it in place,
 * replacing the changed files' node objects) that keeps the previous one's rank object
 * (the engine keeps it across edits that change no dependency nor priority, see
 * `patchBuilt` in @govern/workspace) is answered from the previous answer: only the
 * replaced nodes, what they contain, the nodes that depend on them directly, and what
 * those contain (tasks under a workplan inherit its dependencies) are tested again with
 * {@link isActionable}, and the actionable ones placed by a binary search on rank —
 * instead of testing every node (71,505 nodes, ~40 ms at 10,000 documents) after each
 * edit. The replaced nodes are the ones the array's {@link reverseIndex} found when
 * brought up to date with `index` (its {@link ReverseIndex.changedSince} the version it
 * had at the previous answer): the list takes the reverse index from the index it is
 * given, so the two cannot follow different indexes, and the node array is compared once
 * per update, not once by each.
 * Any other index (another node array, ids moved, another rank, or more replaced nodes
 * since than the reverse index keeps) takes the full {@link nextActionable}. The answer
 * is the same either way (next-list.test.ts).
 *
 * The caller must not mutate the arrays it gets: the next answer is built from them.
 */
export class NextList {
  /** How many answers took each path. */
  readonly stats: NextListStats = { full: 0, spliced: 0 };
  /** The last index answered, its rank, the version its reverse index had then, and its answer. */
  private previous: { index: GraphIndex; rank: ReadonlyMap<string, number>; version: ReverseVersion; list: GraphNode[] } | null = null;

  /** The actionable nodes of `index`, in the rule's order (what {@link nextActionable} answers). */
  of(index: GraphIndex): GraphNode[] {
    const prev = this.previous;
    if (prev?.index === index) return prev.list;
    const rank = index.rank;
    const rev = reverseIndex(index);
    const changed = prev && prev.rank === rank ? rev.changedSince(prev.version) : null;
    let list: GraphNode[];
    if (prev && changed) {
      list = changed.length ? this.spliced(index, rev, prev.list, changed) : prev.list;
      this.stats.spliced++;
    } else {
      list = nextActionable(index);
      this.stats.full++;
    }
    this.previous = { index, rank, version: rev.version, list };
    return list;
  }

  /** `list` (the answer before the `changed` nodes were replaced) with them and what reads them tested again. */
  private spliced(index: GraphIndex, rev: ReverseIndex, list: GraphNode[], changed: readonly string[]): GraphNode[] {
    const rank = index.rank;
    // A node's answer reads its status, its containers (its parent, theirs), and the statuses
    // of what it and they depend on: a replaced node's dependents and what it contains (its
    // parent may have changed) are tested again, with what those contain.
    const affected = new Set<string>(changed);
    const contained = (id: string) => {
      for (const c of rev.children(id)) {
        if (affected.has(c)) continue;
        affected.add(c);
        contained(c);
      }
    };
    for (const id of changed) {
      contained(id);
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
