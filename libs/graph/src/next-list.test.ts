import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE, compileProfile, type Status } from '@govern/workplan';
import { NextList, nextActionable, ruleIndex, type GraphIndex, type GraphNode } from './index.js';

// NextList answers an index the way the long-lived engine patches it after an edit: the
// changed nodes replaced by new objects in the same node array, byId updated, and the rank
// object kept when no dependency nor priority changed (a new rank otherwise).

const profile = compileProfile(DEFAULT_PROFILE);

function node(id: string, kind: GraphNode['kind'], status: Status | null, dependsOn: string[], parent: string | null, file: string, line: number): GraphNode {
  return {
    id,
    kind,
    title: id,
    status,
    statusText: status,
    dependsOn,
    source: { file, line, column: 1 },
    document: file,
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

/** An index over `nodes` as buildGraph makes one (rank, cycles), its node array the one given. */
function indexOf(nodes: GraphNode[]): GraphIndex {
  const rule = ruleIndex(nodes, profile);
  return { graph: { nodes, diagnostics: [] }, byId: new Map(rule.byId), rank: new Map(rule.rank), cyclic: new Set(rule.cyclic) };
}

/** The engine's patch: `changed` replace the nodes of the same ids in place; the rank is kept unless `rank` is given. */
function patch(old: GraphIndex, changed: GraphNode[], fresh?: GraphIndex): GraphIndex {
  const nodes = old.graph.nodes;
  for (const n of changed) {
    nodes[nodes.findIndex((o) => o.id === n.id)] = n;
    old.byId.set(n.id, n);
  }
  return { graph: { nodes, diagnostics: [] }, byId: old.byId, rank: fresh?.rank ?? old.rank, cyclic: fresh?.cyclic ?? old.cyclic };
}

/** A tracker M1..M4 (each after the one before) and a workplan W depending on M2, holding T1 and T2 (T2 after T1). */
function small(status: Partial<Record<string, Status>> = {}): GraphNode[] {
  const s = (id: string, d: Status) => status[id] ?? d;
  return [
    node('M1', 'milestone', s('M1', 'done'), [], null, 'trackers/t.md', 1),
    node('M2', 'milestone', s('M2', 'planned'), ['M1'], null, 'trackers/t.md', 2),
    node('M3', 'milestone', s('M3', 'planned'), ['M2'], null, 'trackers/t.md', 3),
    node('M4', 'milestone', s('M4', 'planned'), ['M3'], null, 'trackers/t.md', 4),
    node('W', 'workplan', s('W', 'planned'), ['M2'], null, 'workplans/w.md', 1),
    node('T1', 'task', s('T1', 'planned'), [], 'W', 'workplans/w.md', 2),
    node('T2', 'task', s('T2', 'planned'), ['T1'], 'W', 'workplans/w.md', 3),
  ];
}

const ids = (xs: GraphNode[]) => xs.map((n) => n.id);

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

const STATUSES: Status[] = ['done', 'planned', 'in_progress', 'blocked', 'partial'];

describe('NextList', () => {
  it('lists a dependent that a status edit unblocked, from its previous answer', () => {
    const list = new NextList();
    const first = indexOf(small());
    expect(ids(list.of(first))).toEqual(['M2']);
    const done = node('M2', 'milestone', 'done', ['M1'], null, 'trackers/t.md', 2);
    const second = patch(first, [done]);
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
    const m3 = node('M3', 'milestone', 'planned', [], null, 'trackers/t.md', 3);
    const second = patch(first, [m3], indexOf(small().map((n) => (n.id === 'M3' ? m3 : n))));
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

  it('answers what nextActionable answers over random edits, mostly from its previous answer', () => {
    let spliced = 0;
    let listed = 0;
    for (const seed of [1, 2, 3, 4]) {
      const r = rng(seed);
      // Trackers TR-t-1..6 (each after the one before, now and then after another tracker's),
      // workplans WP-w (after a tracker milestone, inherited by their tasks) holding tasks WP-w-T1..3.
      const make = (): GraphNode[] => {
        const out: GraphNode[] = [];
        for (let t = 1; t <= 3; t++) {
          for (let i = 1; i <= 6; i++) {
            const deps = [...(i > 1 ? [`TR-${t}-${i - 1}`] : []), ...(r.next() < 0.4 ? [`TR-${r.int(1, 3)}-${r.int(1, 6)}`] : [])];
            out.push(node(`TR-${t}-${i}`, 'milestone', r.pick(STATUSES), deps, null, `trackers/t${t}.md`, i));
          }
        }
        for (let w = 1; w <= 3; w++) {
          const file = `workplans/wp-${w}.md`;
          out.push(node(`WP-${w}`, 'workplan', 'planned', r.next() < 0.7 ? [`TR-${r.int(1, 3)}-${r.int(1, 6)}`] : [], null, file, 1));
          for (let i = 1; i <= 3; i++) out.push(node(`WP-${w}-T${i}`, 'task', r.pick(STATUSES), i > 1 ? [`WP-${w}-T${i - 1}`] : [], `WP-${w}`, file, i + 1));
        }
        return out;
      };
      let index = indexOf(make());
      const list = new NextList();
      expect(list.of(index), `seed ${seed}`).toEqual(nextActionable(index));
      for (let step = 0; step < 40; step++) {
        // One file's nodes change: statuses mostly (the rank stands); now and then a dependency (a new rank).
        const file = r.pick([...new Set(index.graph.nodes.map((n) => n.source.file))]);
        const rewire = r.next() < 0.15;
        const changed = index.graph.nodes
          .filter((n) => n.source.file === file)
          .map((n) => ({ ...n, status: n.kind === 'workplan' ? n.status : r.next() < 0.5 ? r.pick(STATUSES) : n.status, dependsOn: rewire && r.next() < 0.5 ? [`TR-${r.int(1, 3)}-${r.int(1, 6)}`] : n.dependsOn }));
        const after = index.graph.nodes.map((n) => changed.find((c) => c.id === n.id) ?? n);
        const fresh = indexOf(after);
        const rankStands = changed.every((c) => c.dependsOn === index.byId.get(c.id)!.dependsOn);
        index = patch(index, changed, rankStands ? undefined : fresh);
        const expected = nextActionable(fresh);
        expect(list.of(index), `seed ${seed} step ${step} (${file})`).toEqual(expected);
        listed += expected.length;
      }
      expect(list.stats.full + list.stats.spliced).toBe(41);
      spliced += list.stats.spliced;
    }
    // The edits were answered from the previous answer, and there was something to answer.
    expect(spliced).toBeGreaterThan(100);
    expect(listed).toBeGreaterThan(200);
  });
});
