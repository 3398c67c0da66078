import type { GraphIndex, GraphNode } from './graph.js';

/**
 * The graph's edges read backwards: who depends on an id, and an id's children. One per
 * node array (see {@link reverseIndex}), kept up to date as the array is patched.
 */
export interface ReverseIndex {
  /** Ids of the nodes that list `id` in their `dependsOn`, in node order, each node once (what a filter over the nodes gives). */
  dependents(id: string): string[];
  /** Ids of the nodes whose `parent` is `id`, in node order. */
  children(id: string): string[];
  /** How the index was kept so far: a test sees the path taken. */
  readonly stats: ReverseIndexStats;
  /** The index's moment now: a new one each time it is built or a node is replaced. */
  readonly version: ReverseVersion;
  /**
   * Ids of the nodes replaced since `version` (one of this index's earlier {@link version}s),
   * in node order, each once: what it found comparing node arrays, so that a consumer of the
   * same array (`NextList`) need not compare them again. Null when it cannot tell,
   * and the consumer must read every node: `version` is another index's (another node
   * array's) or not one it gave, it was built again since (ids added, removed or moved), or
   * the nodes replaced since are more than it keeps (as many as the array holds).
   */
  changedSince(version: ReverseVersion): string[] | null;
}

/** A moment of one {@link ReverseIndex}: what it was when read; compare with {@link ReverseIndex.changedSince}. */
export interface ReverseVersion {
  /** The reverse index it is a moment of. */
  readonly of: ReverseIndex;
  /** Its count of builds and patches then. */
  readonly n: number;
}

/** How a {@link ReverseIndex} followed its node array. */
export interface ReverseIndexStats {
  /** Times it read every node again (the first time, or after ids moved); its edge maps are then made when first asked. */
  built: number;
  /** Times it was brought up to date from the nodes replaced since (the engine's patch after an edit). */
  patched: number;
}

/** The reverse index of one node array, with the nodes it was last brought up to date with. */
class Reverse implements ReverseIndex {
  readonly stats: ReverseIndexStats = { built: 0, patched: 0 };
  /** The index last checked against: asked again, nothing is compared. */
  index: object | null = null;
  /** A copy of the node array as last read (the engine patches the array itself in place). */
  private nodes: GraphNode[] = [];
  /**
   * Per id, the positions (ascending) of the nodes that depend on it; made when first asked
   * (the `item` tool asks for dependents only, and children are most of the edges: 68,172
   * of 105,191 at 10,000 documents).
   */
  private deps: Map<string, number[]> | null = null;
  /** Per id, the positions (ascending) of its children; made when first asked. */
  private kids: Map<string, number[]> | null = null;
  /** The current moment: a new object on each build or patch, so a consumer's copy names one state. */
  private now: ReverseVersion = { of: this, n: 0 };
  /** The oldest moment {@link changedSince} answers from: the last build, or the newest patch dropped from the log. */
  private floor = 0;
  /** The positions each patch after `floor` replaced (ascending), oldest first. */
  private log: Array<{ n: number; at: number[] }> = [];
  /** How many positions the log holds; kept to the array's length. */
  private logged = 0;

  constructor(nodes: readonly GraphNode[]) {
    this.build(nodes);
  }

  dependents(id: string): string[] {
    return this.idsAt((this.deps ??= this.edges(true)).get(id));
  }

  children(id: string): string[] {
    return this.idsAt((this.kids ??= this.edges(false)).get(id));
  }

  get version(): ReverseVersion {
    return this.now;
  }

  changedSince(version: ReverseVersion): string[] | null {
    const n = version.n;
    if (version.of !== this || n < this.floor || n > this.now.n) return null;
    const newer = this.log.filter((e) => e.n > n);
    if (newer.length <= 1) return this.idsAt(newer[0]?.at);
    const at = new Set<number>();
    for (const e of newer) for (const i of e.at) at.add(i);
    return this.idsAt([...at].sort((a, b) => a - b));
  }

  /**
   * Brought up to date with `nodes`: a node object that is not the one read last time is a
   * changed node, its edges moved from the old object's to the new one's. Ids at other
   * places (nodes added, removed or reordered) build it again.
   */
  sync(nodes: readonly GraphNode[]): void {
    const was = this.nodes;
    if (was.length !== nodes.length) return this.build(nodes);
    const changed: number[] = [];
    for (let i = 0; i < nodes.length; i++) {
      if (nodes[i] === was[i]) continue;
      if (nodes[i]!.id !== was[i]!.id) return this.build(nodes);
      changed.push(i);
    }
    if (!changed.length) return;
    for (const i of changed) {
      const o = was[i]!;
      const n = nodes[i]!;
      const deps = this.deps;
      if (deps && !sameIds(o.dependsOn, n.dependsOn)) {
        o.dependsOn.forEach((d, k) => {
          if (o.dependsOn.indexOf(d) === k && !n.dependsOn.includes(d)) remove(deps, d, i);
        });
        n.dependsOn.forEach((d, k) => {
          if (n.dependsOn.indexOf(d) === k && !o.dependsOn.includes(d)) insert(deps, d, i);
        });
      }
      const kids = this.kids;
      if (kids && o.parent !== n.parent) {
        if (o.parent) remove(kids, o.parent, i);
        if (n.parent) insert(kids, n.parent, i);
      }
      was[i] = n;
    }
    this.stats.patched++;
    this.now = { of: this, n: this.now.n + 1 };
    this.log.push({ n: this.now.n, at: changed });
    this.logged += changed.length;
    // A consumer further behind than the array's length in replaced nodes reads every node
    // (as after a build): the log stays bounded however rarely it is asked.
    while (this.logged > nodes.length && this.log.length > 1) {
      const dropped = this.log.shift()!;
      this.logged -= dropped.at.length;
      this.floor = dropped.n;
    }
  }

  private build(nodes: readonly GraphNode[]): void {
    this.nodes = nodes.slice();
    this.deps = null;
    this.kids = null;
    this.stats.built++;
    this.now = { of: this, n: this.now.n + 1 };
    this.floor = this.now.n;
    this.log = [];
    this.logged = 0;
  }

  /** The dependency edges (`deps`) or the parent edges of the nodes read, backwards. */
  private edges(deps: boolean): Map<string, number[]> {
    const map = new Map<string, number[]>();
    const nodes = this.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (!deps) {
        if (n.parent) append(map, n.parent, i);
        continue;
      }
      const on = n.dependsOn;
      // Each node once per id it lists (a node may list a dependency twice).
      for (let k = 0; k < on.length; k++) if (k === 0 || on.indexOf(on[k]!) === k) append(map, on[k]!, i);
    }
    return map;
  }

  private idsAt(at: number[] | undefined): string[] {
    return at ? at.map((i) => this.nodes[i]!.id) : [];
  }
}

/** One reverse index per node array: the engine keeps the array across edits and patches it in place. */
const byNodes = new WeakMap<readonly GraphNode[], Reverse>();

/**
 * The reverse index of `index` (who depends on an id, an id's children), made once per node
 * array and kept across the indexes the long-lived engine of `govern mcp` patches after each
 * edit: those share the node array and replace the changed nodes' objects in it, so the
 * index is brought up to date by comparing node objects (71,505 pointers at 10,000
 * documents, well under a millisecond) and moving the changed nodes' edges, instead of
 * scanning every node's dependencies (~5 ms) on each call. A dependency added or dropped
 * by an edit is seen that way too, whether or not the engine kept its rank. Nodes added,
 * removed or moved build it again. That comparison is the only one per update: the nodes it
 * found replaced are kept ({@link ReverseIndex.changedSince}) for `NextList`, which answers
 * from them.
 *
 * An index asked again is answered without comparing: one whose node array is changed in
 * place must be a new index object (as the engine makes one per update).
 */
export function reverseIndex(index: Pick<GraphIndex, 'graph'>): ReverseIndex {
  const nodes = index.graph.nodes;
  let rev = byNodes.get(nodes);
  if (!rev) {
    rev = new Reverse(nodes);
    byNodes.set(nodes, rev);
  } else if (rev.index !== index) rev.sync(nodes);
  rev.index = index;
  return rev;
}

/** Ids of the nodes of `index` that list `id` in their `dependsOn`, in node order (see {@link reverseIndex}). */
export function dependentsOf(index: Pick<GraphIndex, 'graph'>, id: string): string[] {
  return reverseIndex(index).dependents(id);
}

/** Whether two id lists are equal, element by element. */
function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, k) => x === b[k]);
}

function append(map: Map<string, number[]>, key: string, i: number): void {
  const at = map.get(key);
  if (at) at.push(i);
  else map.set(key, [i]);
}

/** Puts position `i` in `key`'s ascending list. */
function insert(map: Map<string, number[]>, key: string, i: number): void {
  const at = map.get(key);
  if (!at) return void map.set(key, [i]);
  at.splice(lowerBound(at, i), 0, i);
}

/** Takes position `i` out of `key`'s ascending list. */
function remove(map: Map<string, number[]>, key: string, i: number): void {
  const at = map.get(key);
  if (!at) return;
  const k = lowerBound(at, i);
  if (at[k] === i) at.splice(k, 1);
  if (!at.length) map.delete(key);
}

/** The first place in ascending `xs` whose value is not below `x`. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
