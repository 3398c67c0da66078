import { describe, expect, it } from 'vitest';
import type { Status } from '@govern/workplan';
import { NextList, nextActionable, reverseIndex, type GraphIndex, type GraphNode } from './index.js';
import { RANDOM_GRAPHS, at, indexOf, node, patch, rng } from './__fixtures__/random-graph.js';

// NextList answers an index the way the long-lived engine patches it after an edit: the
// changed nodes replaced by new objects in the same node array, byId updated, and the rank
// object kept when no dependency nor priority changed (a new rank otherwise). It takes the
// replaced nodes from the array's reverse index, which other readers (the MCP `item` tool)
// bring up to date too: so the reverse index is asked, at random, between two answers.

/** A tracker M1..M4 (each after the one before) and a workplan W depending on M2, holding T1 and T2 (T2 after T1). */
function small(status: Partial<Record<string, Status>> = {}): GraphNode[] {
  const s = (id: string, d: Status) => status[id] ?? d;
  const t = 'trackers/t.md';
  const w = 'workplans/w.md';
  return [
    node({ id: 'M1', status: s('M1', 'done'), source: at(t, 1) }),
    node({ id: 'M2', status: s('M2', 'planned'), dependsOn: ['M1'], source: at(t, 2) }),
    node({ id: 'M3', status: s('M3', 'planned'), dependsOn: ['M2'], source: at(t, 3) }),
    node({ id: 'M4', status: s('M4', 'planned'), dependsOn: ['M3'], source: at(t, 4) }),
    node({ id: 'W', kind: 'workplan', status: s('W', 'planned'), dependsOn: ['M2'], source: at(w, 1) }),
    node({ id: 'T1', kind: 'task', status: s('T1', 'planned'), parent: 'W', source: at(w, 2) }),
    node({ id: 'T2', kind: 'task', status: s('T2', 'planned'), dependsOn: ['T1'], parent: 'W', source: at(w, 3) }),
  ];
}

const ids = (xs: GraphNode[]) => xs.map((n) => n.id);

/** `small()`'s node `id` with other fields. */
const edited = (id: string, fields: Partial<GraphNode>) => ({ ...small().find((n) => n.id === id)!, ...fields });

describe('NextList', () => {
  it('lists a dependent that a status edit unblocked, from its previous answer', () => {
    const list = new NextList();
    const first = indexOf(small());
    expect(ids(list.of(first))).toEqual(['M2']);
    const second = patch(first, [edited('M2', { status: 'done' })]);
    // M3 depends on M2; T1 is under W, which depends on M2 (T2 waits on T1).
    expect(ids(list.of(second))).toEqual(ids(nextActionable(indexOf(small({ M2: 'done' })))));
    expect(ids(list.of(second))).toEqual(['M3', 'T1']);
    expect(list.stats).toEqual({ full: 1, spliced: 1 });
  });

  it('answers the same index once, and a rank change over every node', () => {
    const list = new NextList();
    const first = indexOf(small());
    expect(list.of(first)).toBe(list.of(first));
    // M3 no longer depends on M2: a new rank, so the whole list is computed again.
    const second = patch(first, [edited('M3', { dependsOn: [] })]);
    expect(second.rank).not.toBe(first.rank);
    expect(ids(list.of(second))).toEqual(['M2', 'M3']);
    expect(list.stats).toEqual({ full: 2, spliced: 0 });
  });

  it('keeps no state between lists: each answers its own graphs', () => {
    const a = new NextList();
    const b = new NextList();
    const one = indexOf(small());
    expect(ids(a.of(one))).toEqual(['M2']);
    const other = indexOf(small({ M1: 'planned' }));
    expect(ids(b.of(other))).toEqual(['M1']);
    expect([a.stats, b.stats]).toEqual([
      { full: 1, spliced: 0 },
      { full: 1, spliced: 0 },
    ]);
  });

  it('takes the replaced nodes from the reverse index, whoever brought it up to date since', () => {
    const list = new NextList();
    const first = indexOf(small());
    expect(ids(list.of(first))).toEqual(['M2']);
    // Two updates, each read by another reader of the reverse index (the MCP item tool)
    // before the list is asked again: it answers from the nodes replaced by both.
    const second = patch(first, [edited('M2', { status: 'done' })]);
    expect(reverseIndex(second).dependents('M2')).toEqual(['M3', 'W']);
    const third = patch(second, [edited('T1', { status: 'done' })]);
    expect(reverseIndex(third).dependents('T1')).toEqual(['T2']);
    // An older index object over the same array asked after: nothing more to compare.
    expect(reverseIndex(second).changedSince(reverseIndex(third).version)).toEqual([]);
    expect(ids(list.of(third))).toEqual(ids(nextActionable(indexOf(small({ M2: 'done', T1: 'done' })))));
    expect(ids(list.of(third))).toEqual(['M3', 'T2']);
    expect(list.stats).toEqual({ full: 1, spliced: 1 });
    expect(reverseIndex(third).stats).toEqual({ built: 1, patched: 2 });
  });

  it('tests again what a node moved to another parent contains', () => {
    // C is under X, X under P1, which waits on A: C inherits the wait through X. X moved
    // under P2 (the rank stands: no dependency changed), C is free, though only X was replaced.
    const list = new NextList();
    const first = indexOf([
      node({ id: 'A' }),
      node({ id: 'P1', kind: 'workplan', dependsOn: ['A'] }),
      node({ id: 'P2', kind: 'workplan' }),
      node({ id: 'X', kind: 'task', parent: 'P1' }),
      node({ id: 'C', kind: 'task', parent: 'X' }),
    ]);
    expect(ids(list.of(first))).toEqual(['A']);
    const second = patch(first, [{ ...first.byId.get('X')!, parent: 'P2' }]);
    expect(second.rank).toBe(first.rank);
    expect(ids(list.of(second))).toEqual(['A', 'X', 'C']);
    expect(list.of(second)).toEqual(nextActionable(second));
    expect(list.stats).toEqual({ full: 1, spliced: 1 });
  });

  it('reads every node when the reverse index cannot tell what was replaced', () => {
    const cases: Record<string, (first: GraphIndex) => GraphIndex> = {
      // The same nodes in another array, the rank object kept: another reverse index.
      'another node array': (first) => ({ ...first, graph: { nodes: first.graph.nodes.slice(), diagnostics: [] } }),
      // Two ids swap places in the array, the rank object kept: the reverse index is built again.
      'ids moved': (first) => {
        const nodes = first.graph.nodes;
        [nodes[2], nodes[3]] = [nodes[3]!, nodes[2]!];
        return { ...first, graph: { nodes, diagnostics: [] } };
      },
      // More nodes replaced, over updates the list did not see, than the array holds: the
      // reverse index (asked after each by another reader) kept the newest ones only.
      'more replaced than kept': (first) => {
        let index = first;
        for (const status of ['done', 'blocked', 'planned'] as const) {
          index = patch(index, ['M3', 'M4', 'T2'].map((id) => edited(id, { status })));
          reverseIndex(index);
        }
        return index;
      },
    };
    const got = Object.entries(cases).map(([name, change]) => {
      const list = new NextList();
      const first = indexOf(small());
      list.of(first);
      const second = change(first);
      expect(second.rank, name).toBe(first.rank);
      return [name, list.of(second), list.stats];
    });
    const expected = Object.keys(cases).map((name) => [name, nextActionable(indexOf(small())), { full: 2, spliced: 0 }]);
    expect(got).toEqual(expected);
  });

  it('answers what nextActionable answers over random edits, mostly from its previous answer', () => {
    const totals = { plan: { spliced: 0, listed: 0 }, tangle: { spliced: 0, listed: 0 } };
    for (const make of RANDOM_GRAPHS) {
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        const r = rng(seed);
        const graph = make(r);
        let index = indexOf(graph.nodes);
        const seen = [index];
        // One list asked after every edit; another now and then, edits piling up between.
        const every = new NextList();
        const some = new NextList();
        for (const list of [every, some]) expect(list.of(index), `${graph.kind} ${seed}`).toEqual(nextActionable(index));
        for (let step = 0; step < 40; step++) {
          index = patch(index, graph.edit(index));
          seen.push(index);
          // Other readers bring the reverse index up to date between two answers, with this
          // index or an older object over the same array (a reader that kept it).
          while (r.next() < 0.4) reverseIndex(r.pick(seen.slice(-3)));
          const expected = nextActionable(indexOf(index.graph.nodes.slice()));
          const lists = r.next() < 0.3 || step === 39 ? [every, some] : [every];
          for (const list of lists) expect(list.of(index), `${graph.kind} ${seed} step ${step}`).toEqual(expected);
          totals[graph.kind].listed += expected.length;
        }
        expect(every.stats.full + every.stats.spliced).toBe(41);
        totals[graph.kind].spliced += every.stats.spliced + some.stats.spliced;
      }
    }
    // The edits were answered from the previous answer (a tangle's edits change dependencies
    // more often: a new rank), and there was something to answer.
    expect(totals.plan.spliced).toBeGreaterThan(250);
    expect(totals.tangle.spliced).toBeGreaterThan(60);
    expect(Math.min(totals.plan.listed, totals.tangle.listed)).toBeGreaterThan(500);
  });
});
