import { describe, expect, it } from 'vitest';
import { dependentsOf, reverseIndex, type GraphIndex, type GraphNode } from './index.js';
import { RANDOM_GRAPHS, indexOf, node, patch, rng } from './__fixtures__/random-graph.js';

// The reverse index is kept per node array across the indexes the engine patches in place
// (changed nodes replaced by new objects, a new index object per update). Compared here
// with the scan it replaces — a filter over every node — after every edit, including edits
// that add, drop or duplicate a dependency or move a task to another parent: a reverse
// index that missed one would answer stale dependents.

/** Node `id` depending on `on`, under `parent`. */
const n = (id: string, on: string[] = [], parent: string | null = null) => node({ id, dependsOn: on, parent });

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

describe('reverseIndex', () => {
  it('answers what a scan of every node answers', () => {
    const nodes = [n('A', []), n('B', ['A']), n('C', ['A', 'B', 'A']), n('D', ['X'], 'C'), n('E', ['E', 'A'], 'C')];
    const index = indexOf(nodes);
    const expected = [
      ['A', ['B', 'C', 'E'], []],
      ['B', ['C'], []],
      ['C', [], ['D', 'E']],
      ['D', [], []],
      ['E', ['E'], []],
      ['X', ['D'], []],
      ['Y', [], []],
    ];
    expect(both(index, ['A', 'B', 'C', 'D', 'E', 'X', 'Y'])).toEqual({ index: expected, scan: expected });
    expect(dependentsOf(index, 'A')).toEqual(['B', 'C', 'E']);
  });

  it('sees a dependency an edit adds, and one it drops, in the patched index', () => {
    const first = indexOf([n('A', []), n('B', ['A']), n('C', []), n('D', ['C'])]);
    expect([dependentsOf(first, 'A'), dependentsOf(first, 'C')]).toEqual([['B'], ['D']]);
    // D now depends on A too (before B in node order: C's list keeps the order), B on nothing.
    const second = patch(first, [n('D', ['C', 'A']), n('B', [])]);
    expect([dependentsOf(second, 'A'), dependentsOf(second, 'C')]).toEqual([['D'], ['D']]);
    const third = patch(second, [n('B', ['A']), n('C', ['A'])]);
    expect(dependentsOf(third, 'A')).toEqual(['B', 'C', 'D']);
    // Brought up to date from the replaced nodes, not built again.
    expect(reverseIndex(third).stats).toEqual({ built: 1, patched: 2 });
  });

  it('is built again when the nodes move, and is one per node array', () => {
    const first = indexOf([n('A', []), n('B', ['A'])]);
    expect(dependentsOf(first, 'A')).toEqual(['B']);
    // A node added in place (the engine builds a new array then; this one changes the same one).
    first.graph.nodes.push(n('C', ['A']));
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

  it('tells what was replaced since one of its versions, or that it cannot tell', () => {
    const first = indexOf([n('A'), n('B', ['A']), n('C'), n('D', ['C'])]);
    const rev = reverseIndex(first);
    const v1 = rev.version;
    expect(rev.changedSince(v1)).toEqual([]);
    const second = patch(first, [n('D', ['C', 'A']), n('B')]);
    expect(reverseIndex(second)).toBe(rev);
    const v2 = rev.version;
    // Asked again, or with the older index over the same array: nothing compared, nothing new.
    expect([reverseIndex(second).version, reverseIndex(first).version]).toEqual([v2, v2]);
    patch(second, [n('A', ['C'])]);
    const third = patch(second, [n('B', ['A'])]);
    reverseIndex(third);
    // Both of the third update's nodes, in node order; since v1, those of both updates, each once.
    expect([rev.changedSince(v2), rev.changedSince(v1), rev.changedSince(rev.version)]).toEqual([['A', 'B'], ['A', 'B', 'D'], []]);
    // Another array's version, one it never gave: it cannot tell.
    const other = reverseIndex(indexOf(first.graph.nodes.slice()));
    expect([rev.changedSince(other.version), rev.changedSince({ of: rev, n: rev.version.n + 1 })]).toEqual([null, null]);
    // Ids moved: built again, what was replaced before is unknown.
    const nodes = third.graph.nodes;
    [nodes[0], nodes[1]] = [nodes[1]!, nodes[0]!];
    reverseIndex({ ...third, graph: { nodes, diagnostics: [] } });
    expect([rev.changedSince(v1), rev.changedSince(v2), rev.changedSince(rev.version)]).toEqual([null, null, []]);
    expect(rev.stats).toEqual({ built: 2, patched: 2 });
  });

  it('keeps as many replaced nodes as its array holds, the newest', () => {
    let index = indexOf([n('A'), n('B'), n('C'), n('D')]);
    const rev = reverseIndex(index);
    const versions = [rev.version];
    // Three nodes replaced per update: the fourth's log would hold 12 replacements of 4 nodes.
    for (let i = 0; i < 4; i++) {
      index = patch(index, [n('A', [`X${i}`]), n('C'), n('D')]);
      versions.push(reverseIndex(index).version);
    }
    expect(versions.map((v) => rev.changedSince(v))).toEqual([null, null, null, ['A', 'C', 'D'], []]);
  });

  it('answers what a scan answers over random graphs and random edits, patched, and tells what they replaced', () => {
    const totals = { patched: 0, edges: 0, told: 0, unknown: 0 };
    for (const make of RANDOM_GRAPHS) {
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const r = rng(seed);
        const graph = make(r);
        let index = indexOf(graph.nodes);
        const first = both(index, graph.asked);
        expect(first.index, `${graph.kind} ${seed}`).toEqual(first.scan);
        // Two readers: one asks what was replaced at each question, the other now and then;
        // each compares with its own copy of the nodes as they were at its version.
        const readers = [0, 1].map(() => ({ version: reverseIndex(index).version, nodes: index.graph.nodes.slice() }));
        for (let step = 0; step < 60; step++) {
          index = patch(index, graph.edit(index));
          // Asked now and then only: patches pile up between two questions.
          if (r.next() < 0.3 && step < 59) continue;
          const got = both(index, graph.asked);
          expect(got.index, `${graph.kind} ${seed} step ${step}`).toEqual(got.scan);
          totals.edges += graph.asked.reduce((s, id) => s + scanDependents(index.graph.nodes, id).length, 0);
          for (const reader of readers.slice(0, r.next() < 0.3 ? 2 : 1)) {
            const rev = reverseIndex(index);
            const now = index.graph.nodes;
            const replaced = now.filter((x, i) => x !== reader.nodes[i]).map((x) => x.id);
            const told = rev.changedSince(reader.version);
            // Null when the replacements since are more than it keeps: the reader reads every node.
            if (told) expect(told, `${graph.kind} ${seed} step ${step}`).toEqual(replaced);
            totals[told ? 'told' : 'unknown']++;
            Object.assign(reader, { version: rev.version, nodes: now.slice() });
          }
        }
        expect(reverseIndex(index).stats.built, `${graph.kind} ${seed}`).toBe(1);
        totals.patched += reverseIndex(index).stats.patched;
      }
    }
    expect(totals.patched).toBeGreaterThan(400);
    expect(totals.edges).toBeGreaterThan(4000);
    expect(totals.told).toBeGreaterThan(400);
    expect(totals.unknown).toBeGreaterThan(0);
  });
});
