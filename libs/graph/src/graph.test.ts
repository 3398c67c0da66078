import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE, compileProfile, parseDocument, type Diagnostic, type WorkDocument } from '@govern/workplan';
import { blockedItems, buildGraph, GRAPH_DIAGNOSTIC_CODES, nextActionable, type GraphNode } from './index.js';
import { node } from './__fixtures__/random-graph.js';

const profile = compileProfile(DEFAULT_PROFILE);

/** Parses inline Markdown into a document; parse diagnostics are returned alongside. */
function parse(file: string, text: string): { doc: WorkDocument; diagnostics: Diagnostic[] } {
  const r = parseDocument({ file, text }, profile);
  if (!r.document) throw new Error(`${file} did not parse: ${JSON.stringify(r.diagnostics)}`);
  return { doc: r.document, diagnostics: r.diagnostics };
}
const docOf = (file: string, text: string) => parse(file, text).doc;

/** 1-based line/column of the n-th occurrence (0-based) of `needle` in `text`. */
function pos(text: string, needle: string, nth = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`"${needle}" (#${nth}) not in fixture`);
  }
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

const ids = (nodes: GraphNode[]) => nodes.map((n) => n.id);

// ---------------------------------------------------------------------------
// Fixtures of the three families
// ---------------------------------------------------------------------------

const TRACKER = `# Memory tracker

| Order | Milestone | Scope | Priority | Depends On | Status |
|---|---|---|---|---|---|
| 1 | LM-01 OTel baseline | telemetry | P0 | - | Done (#27) |
| 2 | LM-02 memoryd store | store | P1 | LM-01 | In Progress |
| 3 | LM-03 Memory API | api | P0 | LM-01, LM-01 | Planned |

## Dependency matrix

| Row depends on column | LM-01 | LM-02 | LM-03 |
|---|---|---|---|
| LM-01 | 0 | 0 | 0 |
| LM-02 | 1 | 0 | 0 |
| LM-03 | 1 | 1 | 0 |
`;

const WORKPLAN = `---
id: WP-01
type: workplan
title: Hardening
status: in progress
state_hub_workstream_id: ws-1
---

# WP-01: Hardening

## T01 - Service runner parity

id: WP-01-T01
status: done
priority: high
depends_on: LM-01

Acceptance:

- every operation has a runner path

## T02 - Store migration

id: WP-01-T02
status: todo
priority: medium
depends_on: WP-01-T01, LM-03, WP-01-T01
`;

const PLAN = `# Kickoff plan

### K0: Contract Baseline

Status: Done

### K1: Binder — Planned

Depends on: K0

- [x] keys are sha256 fingerprints
- [ ] capsules carry staleness
`;

describe('buildGraph: nodes', () => {
  it('builds nodes from a tracker, a workplan and a plan with the contract shape', () => {
    const tracker = parse('trackers/memory.md', TRACKER);
    const workplan = parse('workplans/wp-01.md', WORKPLAN);
    const plan = parse('workplans/kickoff.md', PLAN);
    const { graph } = buildGraph([tracker.doc, workplan.doc, plan.doc], profile);

    const t = (needle: string) => ({ file: 'trackers/memory.md', ...pos(TRACKER, needle) });
    const w = (needle: string) => ({ file: 'workplans/wp-01.md', ...pos(WORKPLAN, needle) });
    const p = (needle: string) => ({ file: 'workplans/kickoff.md', ...pos(PLAN, needle) });

    expect(graph.nodes).toEqual([
      node({
        id: 'LM-01', kind: 'milestone', title: 'OTel baseline', status: 'done', statusText: 'Done (#27)',
        source: t('LM-01 OTel'), document: 'memory', localId: 'LM-01', parent: 'memory', priority: 'P0', order: 1, refs: ['#27'],
      }),
      node({
        id: 'LM-02', kind: 'milestone', title: 'memoryd store', status: 'in_progress', statusText: 'In Progress', dependsOn: ['LM-01'],
        source: t('LM-02 memoryd'), document: 'memory', localId: 'LM-02', parent: 'memory', priority: 'P1', order: 2,
      }),
      // Table says LM-01 (twice); the matrix adds LM-02: the union, deduplicated, in first-seen order.
      node({
        id: 'LM-03', kind: 'milestone', title: 'Memory API', status: 'planned', statusText: 'Planned', dependsOn: ['LM-01', 'LM-02'],
        source: t('LM-03 Memory'), document: 'memory', localId: 'LM-03', parent: 'memory', priority: 'P0', order: 3,
      }),
      node({
        id: 'kickoff:K0', kind: 'milestone', title: 'Contract Baseline', status: 'done', statusText: 'Done',
        source: p('K0: Contract'), document: 'kickoff', localId: 'K0', parent: 'kickoff',
      }),
      node({
        id: 'kickoff:K1', kind: 'milestone', title: 'Binder', status: 'planned', statusText: 'Planned', dependsOn: ['kickoff:K0'],
        source: p('K1: Binder'), document: 'kickoff', localId: 'K1', parent: 'kickoff',
        criteria: [
          { text: 'keys are sha256 fingerprints', checked: true, ...pos(PLAN, 'keys are') },
          { text: 'capsules carry staleness', checked: false, ...pos(PLAN, 'capsules carry') },
        ],
      }),
      node({
        id: 'WP-01', kind: 'workplan', title: 'Hardening', status: 'in_progress', statusText: 'in progress',
        source: { file: 'workplans/wp-01.md', line: 2, column: 5 }, document: 'WP-01', localId: 'WP-01', stateHubId: 'ws-1',
      }),
      node({
        id: 'WP-01-T01', kind: 'task', title: 'Service runner parity', status: 'done', statusText: 'done', dependsOn: ['LM-01'],
        source: w('T01 - Service'), document: 'WP-01', localId: 'T01', parent: 'WP-01', priority: 'high',
        criteria: [{ text: 'every operation has a runner path', checked: null, ...pos(WORKPLAN, 'every operation') }],
      }),
      node({
        id: 'WP-01-T02', kind: 'task', title: 'Store migration', status: 'planned', statusText: 'todo', dependsOn: ['WP-01-T01', 'LM-03'],
        source: w('T02 - Store'), document: 'WP-01', localId: 'T02', parent: 'WP-01', priority: 'medium',
      }),
    ]);
    // The only diagnostic is the parser's drift warning (matrix LM-03 → LM-02 not in the table);
    // the graph itself adds nothing for a consistent set of documents.
    expect(tracker.diagnostics.map((d) => d.code)).toEqual(['dependency-drift']);
    expect(workplan.diagnostics).toEqual([]);
    expect(plan.diagnostics).toEqual([]);
    expect(graph.diagnostics).toEqual([]);
  });

  it('serializes a node with the contract keys first: id, kind, title, status, statusText, dependsOn, source', () => {
    const { graph } = buildGraph([docOf('trackers/memory.md', TRACKER)], profile);
    const json = JSON.parse(JSON.stringify(graph.nodes[1])) as Record<string, unknown>;
    expect(Object.keys(json).slice(0, 7)).toEqual(['id', 'kind', 'title', 'status', 'statusText', 'dependsOn', 'source']);
    expect(json).toEqual({
      id: 'LM-02',
      kind: 'milestone',
      title: 'memoryd store',
      status: 'in_progress',
      statusText: 'In Progress',
      dependsOn: ['LM-01'],
      source: { file: 'trackers/memory.md', ...pos(TRACKER, 'LM-02 memoryd') },
      document: 'memory',
      localId: 'LM-02',
      parent: 'memory',
      priority: 'P1',
      order: 2,
      criteria: [],
      checks: [],
      evidenceRoot: null,
      packetId: null,
      stateHubId: null,
      refs: [],
    });
  });

  it('unions table, matrix and metadata dependencies without duplicates', () => {
    const tracker = `| Milestone | Depends On | Status |
|---|---|---|
| LM-01 A | - | Done |
| LM-02 B | - | Done |
| LM-03 C | LM-02, LM-01 and LM-02 | Planned |

| Row | LM-01 | LM-02 | LM-03 |
|---|---|---|---|
| LM-01 | 0 | 0 | 0 |
| LM-02 | 1 | 0 | 0 |
| LM-03 | 1 | 1 | 0 |
`;
    const wp = `---
id: WP-07
type: workplan
status: planned
---

## T01 - Uses both

id: WP-07-T01
status: planned
depends_on: LM-03, LM-01, LM-03
`;
    const { graph } = buildGraph([docOf('trackers/t.md', tracker), docOf('workplans/wp.md', wp)], profile);
    expect(graph.nodes.map((n) => [n.id, n.dependsOn])).toEqual([
      ['LM-01', []],
      ['LM-02', ['LM-01']], // matrix only
      ['LM-03', ['LM-02', 'LM-01']], // table (with a repeat) and matrix, first-seen order
      ['WP-07', []],
      ['WP-07-T01', ['LM-03', 'LM-01']], // metadata with a repeat
    ]);
    expect(graph.diagnostics).toEqual([]);
  });
});

describe('buildGraph: plan dependencies', () => {
  it.each(['PHASE-1', 'Phase 1', '1'])('a phase plan\'s "Depends on: %s" resolves to the local phase', (written) => {
    const text = `# Phased plan

## PHASE 1 — Setup — COMPLETE

## PHASE 2 — Build

Status: Planned
Depends on: ${written}
`;
    const parsed = parse('workplans/phases.md', text);
    const { graph } = buildGraph([parsed.doc], profile);
    expect(parsed.diagnostics).toEqual([]);
    expect(graph.nodes.map((n) => [n.id, n.status, n.dependsOn])).toEqual([
      ['phases:PHASE-1', 'done', []],
      ['phases:PHASE-2', 'planned', ['phases:PHASE-1']],
    ]);
    expect(graph.diagnostics).toEqual([]);
  });
});

describe('buildGraph: duplicate ids', () => {
  const A = `| Milestone | Status |
|---|---|
| LM-01 First definition | Done |
| LM-02 Other | Planned |
`;
  const B = `# Second tracker

| Milestone | Depends On | Status |
|---|---|---|
| LM-05 Unrelated | - | Planned |
| LM-01 Second definition | LM-05 | Planned |
`;

  it('reports one duplicate-id error at the second definition, related to the first, and keeps the first node', () => {
    const { graph, byId } = buildGraph([docOf('trackers/a.md', A), docOf('trackers/b.md', B)], profile);
    const first = { file: 'trackers/a.md', ...pos(A, 'LM-01 First') };
    const second = { file: 'trackers/b.md', ...pos(B, 'LM-01 Second') };
    expect(graph.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'duplicate-id',
        message: `id LM-01 is defined twice: here and at trackers/a.md:${first.line}`,
        ...second,
        related: [{ ...first, message: 'first definition of LM-01' }],
      },
    ]);
    expect(ids(graph.nodes)).toEqual(['LM-01', 'LM-02', 'LM-05']);
    expect(byId.get('LM-01')).toEqual(
      node({ id: 'LM-01', kind: 'milestone', title: 'First definition', status: 'done', statusText: 'Done', source: first, document: 'a', localId: 'LM-01', parent: 'a' }),
    );
  });

  it('decides which definition is first by file, not by the order documents are passed in', () => {
    const forward = buildGraph([docOf('trackers/a.md', A), docOf('trackers/b.md', B)], profile);
    const backward = buildGraph([docOf('trackers/b.md', B), docOf('trackers/a.md', A)], profile);
    expect(JSON.stringify(backward.graph)).toBe(JSON.stringify(forward.graph));
    expect(backward.byId.get('LM-01')?.source.file).toBe('trackers/a.md');
  });
});

describe('buildGraph: unknown dependencies', () => {
  const TRACKER_DANGLING = `# Tracker

| Milestone | Depends On | Status |
|---|---|---|
| LM-01 Base | - | Done |
| LM-02 Next | LM-01, LM-99 | Planned |
| LM-03 After | LM-02 | Planned |
`;
  const WORKPLAN_DANGLING = `---
id: WP-02
type: workplan
status: planned
---

## T01 - Dangling task

id: WP-02-T01
status: planned
depends_on: LM-01, WP-02-T09
`;

  it('reports the token in a table cell and in task metadata at its exact position, and still builds the rest', () => {
    const index = buildGraph([docOf('trackers/t.md', TRACKER_DANGLING), docOf('workplans/wp.md', WORKPLAN_DANGLING)], profile);
    expect(index.graph.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'unknown-dependency',
        message: 'LM-02 depends on LM-99, which does not exist',
        file: 'trackers/t.md',
        ...pos(TRACKER_DANGLING, 'LM-99'),
      },
      {
        severity: 'error',
        code: 'unknown-dependency',
        message: 'WP-02-T01 depends on WP-02-T09, which does not exist',
        file: 'workplans/wp.md',
        ...pos(WORKPLAN_DANGLING, 'WP-02-T09'),
      },
    ]);
    expect(index.graph.nodes.map((n) => [n.id, n.dependsOn])).toEqual([
      ['LM-01', []],
      ['LM-02', ['LM-01', 'LM-99']],
      ['LM-03', ['LM-02']],
      ['WP-02', []],
      ['WP-02-T01', ['LM-01', 'WP-02-T09']],
    ]);
    expect(index.rank.size).toBe(5);
    expect(index.rank.get('LM-01')! < index.rank.get('LM-02')!).toBe(true);
    expect(index.rank.get('LM-02')! < index.rank.get('LM-03')!).toBe(true);
  });

  it('points at the token when task metadata lists dependencies as a YAML flow sequence', () => {
    const wp = `---
id: WP-03
type: workplan
status: planned
---

## T01 - Flow list

id: WP-03-T01
status: planned
depends_on: [WP-03-T02, LM-77]

## T02 - Exists

id: WP-03-T02
status: done
`;
    const { graph } = buildGraph([docOf('workplans/wp.md', wp)], profile);
    expect(graph.diagnostics).toEqual([
      { severity: 'error', code: 'unknown-dependency', message: 'WP-03-T01 depends on LM-77, which does not exist', file: 'workplans/wp.md', ...pos(wp, 'LM-77') },
    ]);
  });

  it('keeps dependencies written as a YAML block sequence in task metadata and points at each token', () => {
    const wp = `---
id: WP-04
type: workplan
status: planned
---

## T01 - Block list

id: WP-04-T01
status: planned
depends_on:
  - WP-04-T02
  - LM-66

## T02 - Exists

id: WP-04-T02
status: done
`;
    const { graph } = buildGraph([docOf('workplans/wp.md', wp)], profile);
    expect(graph.nodes.find((n) => n.id === 'WP-04-T01')?.dependsOn).toEqual(['WP-04-T02', 'LM-66']);
    expect(graph.diagnostics).toEqual([
      { severity: 'error', code: 'unknown-dependency', message: 'WP-04-T01 depends on LM-66, which does not exist', file: 'workplans/wp.md', ...pos(wp, 'LM-66') },
    ]);
  });
});

describe('buildGraph: cycles', () => {
  // LM-10 → LM-12 → LM-11 → LM-10 (arrows: "depends on"); LM-13 is outside the cycle.
  const CYCLE = `| Milestone | Priority | Depends On | Status |
|---|---|---|---|
| LM-10 Alpha | P1 | LM-12 | Planned |
| LM-11 Beta | P1 | LM-10 | Planned |
| LM-12 Gamma | P1 | LM-11 | Planned |
| LM-13 Free | P2 | - | Done |
| LM-14 Also free | P1 | LM-13 | Planned |
| LM-15 Behind the cycle | P0 | LM-11 | Planned |
`;

  it('reports one dependency-cycle error naming every id on a 3-node cycle', () => {
    const { graph } = buildGraph([docOf('trackers/c.md', CYCLE)], profile);
    const cycles = graph.diagnostics.filter((d) => d.code === 'dependency-cycle');
    expect(cycles).toHaveLength(1);
    const [cycle] = cycles;
    expect(cycle).toMatchObject({ severity: 'error', code: 'dependency-cycle', file: 'trackers/c.md', ...pos(CYCLE, 'LM-10 Alpha') });
    for (const id of ['LM-10', 'LM-11', 'LM-12']) expect(cycle!.message).toContain(id);
    expect(cycle!.message).not.toContain('LM-13');
    expect(cycle!.related).toEqual([
      // related entries follow the cycle's edges, like the message
      { file: 'trackers/c.md', ...pos(CYCLE, 'LM-12 Gamma'), message: 'LM-12 is on the cycle' },
      { file: 'trackers/c.md', ...pos(CYCLE, 'LM-11 Beta'), message: 'LM-11 is on the cycle' },
    ]);
    expect(graph.diagnostics).toEqual([cycle]);
  });

  it('writes the cycle in the direction of its dependency edges', () => {
    const { graph } = buildGraph([docOf('trackers/c.md', CYCLE)], profile);
    const cycle = graph.diagnostics.find((d) => d.code === 'dependency-cycle')!;
    // Each "X → Y" in the message must be a real edge "X depends on Y".
    const path = cycle.message.replace(/^dependency cycle: /, '').split(' → ');
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    for (let i = 0; i + 1 < path.length; i++) expect(byId.get(path[i]!)?.dependsOn, `${path[i]} → ${path[i + 1]}`).toContain(path[i + 1]);
    expect(cycle.message).toBe('dependency cycle: LM-10 → LM-12 → LM-11 → LM-10');
  });

  it('excludes nodes on a cycle (and behind it) from nextActionable; other nodes still get ranks', () => {
    const index = buildGraph([docOf('trackers/c.md', CYCLE)], profile);
    expect(ids(nextActionable(index))).toEqual(['LM-14']);
    expect(index.rank.size).toBe(6);
    // Nodes off the cycle are ranked by dependency order before the cycle and what waits on it.
    expect(index.rank.get('LM-13')).toBe(0);
    expect(index.rank.get('LM-14')).toBe(1);
    expect([...index.rank.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id)).toEqual(['LM-13', 'LM-14', 'LM-10', 'LM-11', 'LM-12', 'LM-15']);
  });

  it('does not offer a node on a cycle even when the other members of the cycle are done', () => {
    const tracker = `| Milestone | Depends On | Status |
|---|---|---|
| LM-20 Open | LM-22 | Planned |
| LM-21 Closed | LM-20 | Done |
| LM-22 Closed too | LM-21 | Done |
| LM-23 Fine | - | Planned |
`;
    const index = buildGraph([docOf('trackers/c.md', tracker)], profile);
    expect(index.graph.diagnostics.map((d) => d.code)).toEqual(['dependency-cycle']);
    expect(ids(nextActionable(index))).toEqual(['LM-23']);
  });

  it('reports a self-dependency as a cycle at the token and does not offer the node as actionable', () => {
    const tracker = `| Milestone | Depends On | Status |
|---|---|---|
| LM-30 Base | - | Done |
| LM-31 Self | LM-30, LM-31 | Planned |
| LM-32 Fine | LM-30 | Planned |
`;
    const index = buildGraph([docOf('trackers/s.md', tracker)], profile);
    expect(index.graph.diagnostics).toEqual([
      { severity: 'error', code: 'dependency-cycle', message: 'dependency cycle: LM-31 depends on itself', file: 'trackers/s.md', ...pos(tracker, 'LM-31', 1) },
    ]);
    expect(index.rank.size).toBe(3);
    expect(ids(nextActionable(index))).toEqual(['LM-32']);
  });
});

describe('nextActionable and blockedItems', () => {
  const TRACKER_Q = `# Queue

| Milestone | Priority | Depends On | Status |
|---|---|---|---|
| LM-01 Root | P0 | - | Done |
| LM-02 Low | P1 | - | Planned |
| LM-03 Urgent | P0 | - | In Progress |
| LM-04 After root | P3 | LM-01 | Partial |
| LM-05 Explicitly blocked | P0 | - | Blocked |
| LM-06 No status | P0 | - | |
| LM-07 Waits | P0 | LM-02 | Planned |
| LM-08 Missing dep | P0 | LM-99 | Planned |
| LM-09 Same as low | P1 | - | Planned |
| LM-10 Unrecognized | P0 | - | Someday maybe |
`;
  const WORKPLAN_Q = `---
id: WP-09
type: workplan
title: Queue plan
status: planned
---

## T01 - High task

id: WP-09-T01
status: planned
priority: high

## T02 - Medium task

id: WP-09-T02
status: planned
priority: medium

## T03 - Done task

id: WP-09-T03
status: done
priority: high
`;
  const build = () => buildGraph([docOf('trackers/q.md', TRACKER_Q), docOf('workplans/q.md', WORKPLAN_Q)], profile);

  it('lists items that are not done and whose dependencies are all done, in dependency, priority, document order', () => {
    // P0 before P1 (LM-03 before LM-02), equal priority in document order (LM-02 before LM-09),
    // high before medium (T01 before T02), a dependent after its dependency (LM-04).
    // Excluded: done (LM-01, T03), blocked (LM-05), no or unrecognized status (LM-06, LM-10),
    // waiting (LM-07), missing dependency (LM-08), the workplan node (WP-09).
    expect(ids(nextActionable(build()))).toEqual(['LM-03', 'LM-02', 'LM-09', 'WP-09-T01', 'WP-09-T02', 'LM-04']);
  });

  it('ranks a dependency before its dependent even when the dependent is more urgent', () => {
    const tracker = `| Milestone | Priority | Depends On | Status |
|---|---|---|---|
| LM-41 Dependent | P0 | LM-42 | Planned |
| LM-42 Dependency | P3 | - | Planned |
| LM-43 Middle | P1 | - | Planned |
`;
    const index = buildGraph([docOf('trackers/r.md', tracker)], profile);
    expect([...index.rank.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id)).toEqual(['LM-43', 'LM-42', 'LM-41']);
    expect(ids(nextActionable(index))).toEqual(['LM-43', 'LM-42']);
  });

  it('lists blocked items with each blocker, its status, and exists: false for a missing dependency', () => {
    const index = build();
    expect(blockedItems(index).map((b) => ({ id: b.node.id, blockers: b.blockers }))).toEqual([
      { id: 'LM-08', blockers: [{ id: 'LM-99', status: null, exists: false }] },
      { id: 'LM-07', blockers: [{ id: 'LM-02', status: 'planned', exists: true }] },
    ]);
  });

  it('a task inherits the blockers of its workplan (marked via), so it is not actionable before its workplan', () => {
    const wp = `---
id: WP-05
type: workplan
status: planned
depends_on: LM-02
---

## T01 - Waits for the workplan

id: WP-05-T01
status: planned
`;
    const index = buildGraph([docOf('trackers/q.md', TRACKER_Q), docOf('workplans/wp-05.md', wp)], profile);
    expect(ids(nextActionable(index))).not.toContain('WP-05-T01');
    const blocked = blockedItems(index).map((b) => ({ id: b.node.id, blockers: b.blockers }));
    expect(blocked).toContainEqual({ id: 'WP-05', blockers: [{ id: 'LM-02', status: 'planned', exists: true }] });
    expect(blocked).toContainEqual({ id: 'WP-05-T01', blockers: [{ id: 'LM-02', status: 'planned', exists: true, via: 'WP-05' }] });
  });

  it('returns node objects of the graph itself', () => {
    const index = build();
    const [first] = nextActionable(index);
    expect(first).toBe(index.byId.get('LM-03'));
  });
});

describe('buildGraph: determinism', () => {
  const documents = () => [
    docOf('trackers/memory.md', TRACKER),
    docOf('workplans/wp-01.md', WORKPLAN),
    docOf('workplans/kickoff.md', PLAN),
    // Problems too, so diagnostics take part in the comparison.
    docOf('trackers/dup.md', `| Milestone | Depends On | Status |\n|---|---|---|\n| LM-02 Duplicate | LM-404 | Planned |\n| LM-50 Loop | LM-51 | Planned |\n| LM-51 Loop back | LM-50 | Planned |\n`),
  ];
  const snapshot = (docs: WorkDocument[]) => {
    const index = buildGraph(docs, profile);
    return JSON.stringify({ graph: index.graph, rank: [...index.rank], next: ids(nextActionable(index)), blocked: blockedItems(index).map((b) => [b.node.id, b.blockers]) });
  };

  it('gives identical JSON when built twice from the same documents', () => {
    const docs = documents();
    const once = snapshot(docs);
    expect(snapshot(docs)).toBe(once);
    expect(snapshot(documents())).toBe(once);
    expect(JSON.parse(once).graph.diagnostics.map((d: Diagnostic) => d.code)).toEqual(
      expect.arrayContaining(['duplicate-id', 'unknown-dependency', 'dependency-cycle']),
    );
  });

  it('gives identical JSON whatever order the documents are passed in', () => {
    const docs = documents();
    const expected = snapshot(docs);
    expect(snapshot([...docs].reverse())).toBe(expected);
    expect(snapshot([docs[2]!, docs[0]!, docs[3]!, docs[1]!])).toBe(expected);
  });
});

describe('missingNote: why a dependency is missing (a graph across repositories)', () => {
  const text = '| Milestone | Depends On | Status |\n|---|---|---|\n| LM-10 A | xtrlv2:SS-99 | Planned |\n| LM-11 B | lm-10 | Done |\n';

  it('says why for the ids it knows, keeps "did you mean" for the others, and its codes are the graph\'s own', () => {
    const doc = docOf('trackers/t.md', text);
    const index = buildGraph([doc], profile, { missingNote: (id) => (id.startsWith('xtrlv2:') ? `repository xtrlv2 has no item ${id.slice(7)}` : undefined) });
    expect(index.graph.diagnostics).toEqual([
      { severity: 'error', code: 'unknown-dependency', message: 'LM-10 depends on xtrlv2:SS-99, which does not exist', file: 'trackers/t.md', ...pos(text, 'xtrlv2'), note: 'repository xtrlv2 has no item SS-99' },
      { severity: 'error', code: 'unknown-dependency', message: 'LM-11 depends on lm-10, which does not exist', file: 'trackers/t.md', ...pos(text, 'lm-10'), note: 'did you mean LM-10?' },
    ]);
    expect(index.graph.diagnostics.every((d) => GRAPH_DIAGNOSTIC_CODES.has(d.code))).toBe(true);
    // Without the option, the same graph and diagnostics bar the note.
    expect(buildGraph([doc], profile).graph.diagnostics.map((d) => d.note)).toEqual([undefined, 'did you mean LM-10?']);
  });
});
