/**
 * Test support for the @govern/graph tests and the tests of the libraries above it
 * (`@govern/graph/testing`; product code never imports it: the library's entry does not,
 * and nx.json's `production` inputs leave __fixtures__ out): whole nodes, indexes as
 * buildGraph makes them, the long-lived engine's in-place patch, a seeded generator
 * (`@govern/workspace/testing` re-exports it), and random graphs with the random edits the
 * engine's updates make.
 */
import { DEFAULT_PROFILE, compileProfile, type Status } from '@govern/workplan';
import { ruleIndex } from '../actionable.js';
import type { GraphIndex, GraphNode } from '../graph.js';

/** The default profile, compiled (what the random indexes rank with). */
export const profile = compileProfile(DEFAULT_PROFILE);

/** A seeded generator: `next()` in [0, 1), `int(lo, hi)` inclusive, `pick(xs)`. */
export interface Rng {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
}

/** mulberry32: a small seeded generator, so that a failing random test replays from its seed. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), pick: (xs) => xs[Math.floor(next() * xs.length)]! };
}

/** Where a node is written: line `line` (column 1) of `file`. */
export const at = (file: string, line = 1): GraphNode['source'] => ({ file, line, column: 1 });

/**
 * A whole node: its id and what a test sets; the rest is what a node nobody filled in has
 * (a planned milestone titled its id, at line 1 of trackers/t.md, its document its file,
 * its status as written its status).
 */
export function node(fields: Partial<GraphNode> & Pick<GraphNode, 'id'>): GraphNode {
  const source = fields.source ?? at('trackers/t.md');
  const status = fields.status === undefined ? 'planned' : fields.status;
  return {
    kind: 'milestone',
    title: fields.id,
    status,
    statusText: status,
    dependsOn: [],
    source,
    document: source.file,
    localId: fields.id,
    parent: null,
    priority: null,
    order: null,
    criteria: [],
    checks: [],
    evidenceRoot: null,
    packetId: null,
    stateHubId: null,
    refs: [],
    ...fields,
  };
}

/** An index over `nodes` as buildGraph makes one (byId, rank, cycles), its node array the one given. */
export function indexOf(nodes: GraphNode[]): GraphIndex {
  const rule = ruleIndex(nodes, profile);
  return { graph: { nodes, diagnostics: [] }, byId: new Map(rule.byId), rank: new Map(rule.rank), cyclic: new Set(rule.cyclic) };
}

/**
 * The engine's patch after an edit that keeps the files' ids (`patchBuilt` in
 * @govern/workspace): `changed` replace the nodes of their ids in the same node array and
 * byId, in a new index object; the rank and cycles are the previous ones (the same
 * objects) unless a dependency or priority changed, when they are made again.
 */
export function patch(old: GraphIndex, changed: readonly GraphNode[]): GraphIndex {
  const nodes = old.graph.nodes;
  let rankStands = true;
  for (const n of changed) {
    const o = old.byId.get(n.id)!;
    if (o.priority !== n.priority || o.dependsOn.length !== n.dependsOn.length || o.dependsOn.some((d, k) => d !== n.dependsOn[k])) rankStands = false;
    nodes[nodes.findIndex((x) => x.id === n.id)] = n;
    old.byId.set(n.id, n);
  }
  const fresh = rankStands ? old : indexOf(nodes);
  return { graph: { nodes, diagnostics: [] }, byId: old.byId, rank: fresh.rank, cyclic: fresh.cyclic };
}

/** A random graph, and the edits made to it. */
export interface RandomGraph {
  /** What kind of graph it is (the function that made it), for a failure's message. */
  readonly kind: 'plan' | 'tangle';
  /** Its nodes as first made. */
  readonly nodes: GraphNode[];
  /** Ids to ask about: every node's, and ids that dependencies or parents name but no node has. */
  readonly asked: readonly string[];
  /** New objects for some of `index`'s nodes, as one update makes them: {@link patch} puts them in. */
  edit(index: GraphIndex): GraphNode[];
}

/** The statuses a random node takes. */
export const STATUSES: readonly Status[] = ['done', 'planned', 'in_progress', 'blocked', 'partial'];

/**
 * What `govern mcp` edits: trackers TR-t-1..6 (t in 1..3; each after the one before, now and
 * then after another tracker's), workplans WP-w (w in 1..3; after a tracker milestone now
 * and then, inherited by their tasks) holding tasks WP-w-T1..3, each after the one before.
 * An edit rewrites one file: statuses mostly (the rank stands); one edit in seven or so
 * gives some of its nodes another dependency (a new rank).
 */
export function randomPlan(r: Rng): RandomGraph {
  const milestone = () => `TR-${r.int(1, 3)}-${r.int(1, 6)}`;
  const nodes: GraphNode[] = [];
  for (let t = 1; t <= 3; t++) {
    for (let i = 1; i <= 6; i++) {
      const dependsOn = [...(i > 1 ? [`TR-${t}-${i - 1}`] : []), ...(r.next() < 0.4 ? [milestone()] : [])];
      nodes.push(node({ id: `TR-${t}-${i}`, status: r.pick(STATUSES), dependsOn, source: at(`trackers/t${t}.md`, i) }));
    }
  }
  for (let w = 1; w <= 3; w++) {
    const file = `workplans/wp-${w}.md`;
    nodes.push(node({ id: `WP-${w}`, kind: 'workplan', dependsOn: r.next() < 0.7 ? [milestone()] : [], source: at(file) }));
    for (let i = 1; i <= 3; i++) {
      nodes.push(node({ id: `WP-${w}-T${i}`, kind: 'task', status: r.pick(STATUSES), dependsOn: i > 1 ? [`WP-${w}-T${i - 1}`] : [], parent: `WP-${w}`, source: at(file, i + 1) }));
    }
  }
  const files = [...new Set(nodes.map((n) => n.source.file))];
  return {
    kind: 'plan',
    nodes,
    asked: nodes.map((n) => n.id),
    edit(index) {
      const file = r.pick(files);
      const rewire = r.next() < 0.15;
      return index.graph.nodes
        .filter((n) => n.source.file === file)
        .map((n) => ({ ...n, status: n.kind === 'workplan' ? n.status : r.next() < 0.5 ? r.pick(STATUSES) : n.status, dependsOn: rewire && r.next() < 0.5 ? [milestone()] : n.dependsOn }));
    },
  };
}

/**
 * Edges with no files' shape: N0..N(k-1) (k in 20..60), each depending on 0-4 ids drawn
 * from the graph's and two it lacks (X1, X2) — now and then the same one twice, or itself —
 * and, two in five, the child of another node or of a missing X3. An edit replaces 1-4
 * nodes: a status only, or their dependencies (drawn again, or one more) or parent too.
 */
export function randomTangle(r: Rng): RandomGraph {
  const ids = Array.from({ length: r.int(20, 60) }, (_, i) => `N${i}`);
  const pool = [...ids, 'X1', 'X2'];
  const deps = () => Array.from({ length: r.int(0, 4) }, () => r.pick(pool));
  const parent = () => (r.next() < 0.4 ? r.pick([...ids, 'X3']) : null);
  // Done mostly: a node is then often free to be listed, and a stale answer shows.
  const status = () => r.pick<Status>(['done', 'done', 'planned', 'in_progress', 'blocked']);
  const nodes = ids.map((id) => {
    const dependsOn = deps();
    const up = parent();
    return node({ id, kind: up ? 'task' : 'milestone', status: status(), dependsOn, parent: up });
  });
  return {
    kind: 'tangle',
    nodes,
    asked: [...pool, 'X3', 'Y'],
    edit(index) {
      return Array.from({ length: r.int(1, 4) }, () => {
        const was = index.byId.get(r.pick(ids))!;
        const k = r.next();
        const now = status();
        const dependsOn = k < 0.3 ? deps() : k < 0.45 ? [...was.dependsOn, r.pick(pool)] : was.dependsOn;
        return { ...was, status: now, statusText: now, dependsOn, parent: k > 0.7 ? parent() : was.parent };
      });
    },
  };
}

/** Both kinds of random graph, for a test to run over each. */
export const RANDOM_GRAPHS: ReadonlyArray<(r: Rng) => RandomGraph> = [randomPlan, randomTangle];

/** A random directed graph over n0..n(k-1) (k in 1..`most`), each edge present with odds `odds`: cycles of every length, self-loops. */
export function randomEdges(r: Rng, most = 12, odds = 0.2): Record<string, string[]> {
  const keys = Array.from({ length: r.int(1, most) }, (_, i) => `n${i}`);
  return Object.fromEntries(keys.map((k) => [k, keys.filter(() => r.next() < odds)]));
}
