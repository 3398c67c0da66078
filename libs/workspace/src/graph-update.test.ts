import { describe, expect, it } from 'vitest';
import type { Contribution } from './fragment.js';
import { GraphState } from './graph-update.js';

/** A contribution of nodes `id → deps`, positioned one per line. */
function doc(nodes: Record<string, string[]>): Contribution {
  const flat: (string | number)[] = [];
  Object.entries(nodes).forEach(([id, deps], i) => {
    flat.push(id, i + 1, 1, deps.length);
    deps.forEach((d, j) => flat.push(d, i + 1, 10 + j));
  });
  return { docId: null, idSource: null, nodes: flat, jsonLengths: Object.keys(nodes).map(() => 2), diagnostics: [], info: [], doc: null };
}

const cold = (files: string[], docs: Map<string, Contribution>) => GraphState.build(files, docs).result();

describe('GraphState.update', () => {
  it('a cycle broken by a change leaves the smaller cycle that no changed node reaches', () => {
    // u → s1 → s2 → p → u, and s2 → s1: one component. Removing u → s1 leaves s1 ↔ s2.
    const files = ['a.md', 'b.md'];
    const docs = new Map([
      ['a.md', doc({ u: ['s1'] })],
      ['b.md', doc({ p: ['u'], s1: ['s2'], s2: ['s1', 'p'] })],
    ]);
    const state = GraphState.build(files, docs);
    expect(state.cycleIds()).toEqual([['u', 'p', 's1', 's2']]);
    const changed = doc({ u: [] });
    state.update(files, new Map([['a.md', changed]]));
    docs.set('a.md', changed);
    expect(state.cycleIds()).toEqual([['s1', 's2']]);
    expect(state.result()).toEqual(cold(files, docs));
  });

  it('over random graphs and random edits (nodes, edges, duplicates, removed documents), updating equals building', () => {
    let a = 12345;
    const rand = () => {
      a = (Math.imul(a, 1103515245) + 12345) >>> 0;
      return a / 4294967296;
    };
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    const ids = Array.from({ length: 14 }, (_, i) => `N${i}`);
    const files = ['d0.md', 'd1.md', 'd2.md', 'd3.md', 'd4.md'];
    const randomDoc = () => {
      const nodes: Record<string, string[]> = {};
      for (let i = Math.floor(rand() * 4); i > 0; i--) nodes[pick(ids)] = Array.from({ length: Math.floor(rand() * 3) }, () => (rand() < 0.1 ? 'MISSING' : pick(ids)));
      return doc(nodes);
    };
    let codes = new Set<string>();
    for (let round = 0; round < 40; round++) {
      const docs = new Map(files.map((f) => [f, randomDoc()]));
      const state = GraphState.build(files, docs);
      for (let step = 0; step < 15; step++) {
        const f = pick(files);
        const next = rand() < 0.15 ? null : randomDoc();
        if (next) docs.set(f, next);
        else docs.delete(f);
        state.update(files, new Map([[f, next]]));
        const expected = cold(files, docs);
        expect(state.result(), `round ${round} step ${step}`).toEqual(expected);
        codes = new Set([...codes, ...expected.diagnostics.map((d) => d.code)]);
      }
    }
    expect([...codes].sort()).toEqual(['dependency-cycle', 'duplicate-id', 'unknown-dependency']);
  });
});
