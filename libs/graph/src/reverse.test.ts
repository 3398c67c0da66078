import { describe, expect, it } from 'vitest';
import type { Status } from '@govern/workplan';
import { dependentsOf, reverseIndex, type GraphIndex, type GraphNode } from './index.js';

// The reverse index is kept per node array across the indexes the engine patches in place
// (changed nodes replaced by new objects, a new index object per update). Compared here
// with the scan it replaces — a filter over every node — after every edit, including edits
// that add, drop or duplicate a dependency or move a task to another parent: a reverse
// index that missed one would answer stale dependents.

function node(id: string, dependsOn: string[], parent: string | null = null, status: Status | null = 'planned'): GraphNode {
  return {
    id,
    kind: parent ? 'task' : 'milestone',
    title: id,
    status,
    statusText: status,
    dependsOn,
    source: { file: 'trackers/t.md', line: 1, column: 1 },
    document: 'trackers/t.md',
    localId: id,
    parent,
    priority: null,
    order: null,
    criteria: [],
    checks: [],
    evidenceRoot: null,
    packetId: null,
    stateHubId: null,
    refs: [],
  };
}

/** An index over `nodes` (only its node array is read here). */
const indexOf = (nodes: GraphNode[]): GraphIndex => ({ graph: { nodes, diagnostics: [] }, byId: new Map(nodes.map((n) => [n.id, n])), rank: new Map(), cyclic: new Set() });

/** The engine's patch: `changed` replace the nodes of the same ids in the same array, in a new index object. */
function patch(old: GraphIndex, changed: GraphNode[]): GraphIndex {
  const nodes = old.graph.nodes;
  for (const n of changed) nodes[nodes.findIndex((o) => o.id === n.id)] = n;
  return { ...old, graph: { nodes, diagnostics: [] } };
}

/** What the reverse index replaces: a scan of every node. */
const scanDependents = (nodes: GraphNode[], id: string) => nodes.filter((n) => n.dependsOn.includes(id)).map((n) => n.id);
const scanChildren = (nodes: GraphNode[], id: string) => nodes.filter((n) => n.parent === id).map((n) => n.id);

/** Every id's dependents and children, by the index and by the scan (ids of the graph, and ones it lacks). */
function both(index: GraphIndex, ids: readonly string[]) {
  const rev = reverseIndex(index);
  const nodes = index.graph.nodes;
  return {
    index: ids.map((id) => [id, rev.dependents(id), rev.children(id)]),
    scan: ids.map((id) => [id, scanDependents(nodes, id), scanChildren(nodes, id)]),
  };
}

/** mulberry32: seeded, so a failure replays. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

describe('reverseIndex', () => {
  it('answers what a scan of every node answers', () => {
    const nodes = [node('A', []), node('B', ['A']), node('C', ['A', 'B', 'A']), node('D', ['X'], 'C'), node('E', ['E', 'A'], 'C')];
    const index = indexOf(nodes);
    expect(both(index, ['A', 'B', 'C', 'D', 'E', 'X', 'Y'])).toEqual({
      index: [
        ['A', ['B', 'C', 'E'], []],
        ['B', ['C'], []],
        ['C', [], ['D', 'E']],
        ['D', [], []],
        ['E', ['E'], []],
        ['X', ['D'], []],
        ['Y', [], []],
      ],
      scan: [
        ['A', ['B', 'C', 'E'], []],
        ['B', ['C'], []],
        ['C', [], ['D', 'E']],
        ['D', [], []],
        ['E', ['E'], []],
        ['X', ['D'], []],
        ['Y', [], []],
      ],
    });
    expect(dependentsOf(index, 'A')).toEqual(['B', 'C', 'E']);
  });

  it('sees a dependency an edit adds, and one it drops, in the patched index', () => {
    const first = indexOf([node('A', []), node('B', ['A']), node('C', []), node('D', ['C'])]);
    expect([dependentsOf(first, 'A'), dependentsOf(first, 'C')]).toEqual([['B'], ['D']]);
    // D now depends on A too (before B in node order: C's list keeps the order), B on nothing.
    const second = patch(first, [node('D', ['C', 'A']), node('B', [])]);
    expect([dependentsOf(second, 'A'), dependentsOf(second, 'C')]).toEqual([['D'], ['D']]);
    const third = patch(second, [node('B', ['A']), node('C', ['A'])]);
    expect(dependentsOf(third, 'A')).toEqual(['B', 'C', 'D']);
    // Brought up to date from the replaced nodes, not built again.
    expect(reverseIndex(third).stats).toEqual({ built: 1, patched: 2 });
  });

  it('is built again when the nodes move, and is one per node array', () => {
    const first = indexOf([node('A', []), node('B', ['A'])]);
    expect(dependentsOf(first, 'A')).toEqual(['B']);
    // A node added in place (the engine builds a new array then; this one changes the same one).
    first.graph.nodes.push(node('C', ['A']));
    const second = { ...first, graph: { nodes: first.graph.nodes, diagnostics: [] } };
    expect(dependentsOf(second, 'A')).toEqual(['B', 'C']);
    // Two ids swap places.
    const nodes = first.graph.nodes;
    [nodes[1], nodes[2]] = [nodes[2]!, nodes[1]!];
    const third = { ...first, graph: { nodes, diagnostics: [] } };
    expect(dependentsOf(third, 'A')).toEqual(['C', 'B']);
    expect(reverseIndex(third).stats).toEqual({ built: 3, patched: 0 });
    // Another array with the same nodes has its own index.
    const other = indexOf(nodes.slice());
    expect(reverseIndex(other)).not.toBe(reverseIndex(third));
    expect(reverseIndex(other).stats).toEqual({ built: 1, patched: 0 });
  });

  it('answers what a scan answers over random graphs and random edits, patched', () => {
    let patched = 0;
    let edges = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const r = rng(seed);
      const size = r.int(20, 60);
      const ids = Array.from({ length: size }, (_, i) => `N${i}`);
      // Dependencies drawn from the graph's ids and ones it lacks, now and then twice or on itself.
      const pool = [...ids, 'X1', 'X2'];
      const deps = () => Array.from({ length: r.int(0, 4) }, () => r.pick(pool));
      const parent = () => (r.next() < 0.4 ? r.pick([...ids, 'X3']) : null);
      let index = indexOf(ids.map((id) => node(id, deps(), parent())));
      const asked = [...pool, 'X3', 'Y'];
      const first = both(index, asked);
      expect(first.index, `seed ${seed}`).toEqual(first.scan);
      for (let step = 0; step < 60; step++) {
        // A few nodes replaced: a status only, or their dependencies or parent too.
        const changed = Array.from({ length: r.int(1, 4) }, () => {
          const was = index.byId.get(r.pick(ids))!;
          const k = r.next();
          return { ...was, status: r.pick<Status>(['done', 'planned', 'blocked']), dependsOn: k < 0.3 ? deps() : k < 0.45 ? [...was.dependsOn, r.pick(pool)] : was.dependsOn, parent: k > 0.85 ? parent() : was.parent };
        });
        index = patch(index, changed);
        for (const n of changed) index.byId.set(n.id, n);
        // Asked now and then only: patches pile up between two questions.
        if (r.next() < 0.3 && step < 59) continue;
        const got = both(index, asked);
        expect(got.index, `seed ${seed} step ${step}`).toEqual(got.scan);
        edges += asked.reduce((s, id) => s + scanDependents(index.graph.nodes, id).length, 0);
      }
      expect(reverseIndex(index).stats.built, `seed ${seed}`).toBe(1);
      patched += reverseIndex(index).stats.patched;
    }
    expect(patched).toBeGreaterThan(200);
    expect(edges).toBeGreaterThan(2000);
  });
});
