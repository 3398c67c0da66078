import { describe, expect, it } from 'vitest';
import { stronglyConnected } from './order.js';
import { randomEdges, rng } from './__fixtures__/random-graph.js';

/** Components as sorted sets, sorted: what they are, whatever the traversal order. */
const normalized = (comps: string[][]) => comps.map((c) => [...c].sort()).sort((a, b) => (a.join() < b.join() ? -1 : 1));

/** Naive reference: a and b share a component when each reaches the other. */
function naive(edges: Record<string, string[]>): string[][] {
  const keys = Object.keys(edges);
  const reach = (from: string) => {
    const seen = new Set<string>([from]);
    const todo = [from];
    while (todo.length) {
      for (const n of edges[todo.pop()!] ?? []) {
        if (seen.has(n)) continue;
        seen.add(n);
        todo.push(n);
      }
    }
    return seen;
  };
  const r = new Map(keys.map((k) => [k, reach(k)]));
  const out: string[][] = [];
  const done = new Set<string>();
  for (const k of keys) {
    if (done.has(k)) continue;
    const comp = keys.filter((o) => r.get(k)!.has(o) && r.get(o)!.has(k));
    comp.forEach((c) => done.add(c));
    out.push(comp);
  }
  return out;
}

describe('stronglyConnected', () => {
  it('finds the components of ids under a successor function, a component after every one it reaches', () => {
    const edges: Record<string, string[]> = { a: ['b'], b: ['c', 'a'], c: ['d'], d: ['c'], e: ['e', 'a'], f: [] };
    const comps = stronglyConnected(Object.keys(edges), (k) => edges[k]!);
    expect(comps).toEqual([['d', 'c'], ['b', 'a'], ['e'], ['f']]);
  });

  it('equals the reachability definition over random graphs, and survives a 100,000-deep chain', () => {
    const r = rng(3);
    for (let g = 0; g < 200; g++) {
      const edges = randomEdges(r);
      expect(normalized(stronglyConnected(Object.keys(edges), (k) => edges[k]!)), `graph ${g}`).toEqual(normalized(naive(edges)));
    }
    const deep = stronglyConnected([0], (i) => (i < 100_000 ? [i + 1] : [0]));
    expect(deep.map((c) => c.length)).toEqual([100_001]);
  });
});
