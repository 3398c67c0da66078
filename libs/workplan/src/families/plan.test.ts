import { describe, expect, test } from 'vitest';
import { at, find, item, lineOf, md, mentions, parse } from '../__fixtures__/test-utils.js';

// Seed 002's shape: `### K0: Title` headings, `Status:` lines, `Exit criteria:` lists.
const KICKOFF = md(`
# Kickoff Plan

## Milestones

### K0: Contract Baseline (must pass before feature expansion)

Status: Done (#12)

- Pin versions.

Exit criteria:
- Contract tests pass in CI.
- Fixtures are pinned.

### K1: Ingestion Hardening (\`dome\`)

Status: In Progress
Depends on: K0

Exit criteria:

- Invalid wrappers are quarantined.

### K2: Binder v1

**Status:** Planned
Depends on: K0, K1, EXT-9

### K3: Capsules

- Maintain counters.
`);

describe('plans with `### K0: Title` milestones', () => {
  const { document, diagnostics } = parse(KICKOFF, 'docs/kickoff.md');
  const h = (k: string) => find(KICKOFF, k, `### ${k}:`);

  test('the document is a plan and its milestones are qualified by the document id', () => {
    expect(document?.family).toBe('plan');
    expect(document?.id).toBe('kickoff');
    expect(document?.title).toBe('Kickoff Plan');
    expect(document?.items.map((i) => [i.id, i.localId])).toEqual([
      ['kickoff:K0', 'K0'],
      ['kickoff:K1', 'K1'],
      ['kickoff:K2', 'K2'],
      ['kickoff:K3', 'K3'],
    ]);
  });

  test('K0: `Status:` line and an `Exit criteria:` list (only the labelled list counts)', () => {
    expect(document?.items[0]).toEqual(
      item({
        id: 'kickoff:K0',
        localId: 'K0',
        kind: 'milestone',
        title: 'Contract Baseline (must pass before feature expansion)',
        ...h('K0'),
        status: 'done',
        statusText: 'Done (#12)',
        statusSource: find(KICKOFF, 'Done (#12)'),
        refs: ['#12'],
        parent: 'kickoff',
        criteria: [
          { text: 'Contract tests pass in CI.', checked: null, ...find(KICKOFF, 'Contract tests pass in CI.') },
          { text: 'Fixtures are pinned.', checked: null, ...find(KICKOFF, 'Fixtures are pinned.') },
        ],
      }),
    );
  });

  test('K1: `Depends on: K0` resolves to the qualified id `<docId>:K0`', () => {
    expect(document?.items[1]).toEqual(
      item({
        id: 'kickoff:K1',
        localId: 'K1',
        kind: 'milestone',
        title: 'Ingestion Hardening (`dome`)',
        ...h('K1'),
        status: 'in_progress',
        statusText: 'In Progress',
        statusSource: find(KICKOFF, 'In Progress', 'Status: In Progress'),
        parent: 'kickoff',
        dependencies: [{ id: 'kickoff:K0', origin: 'section', ...find(KICKOFF, 'K0', 'Depends on: K0') }],
        criteria: [{ text: 'Invalid wrappers are quarantined.', checked: null, ...find(KICKOFF, 'Invalid wrappers') }],
      }),
    );
  });

  test('K2: a bold `**Status:**` line; local ids resolve, foreign ids are kept as written', () => {
    const dl = lineOf(KICKOFF, 'Depends on: K0, K1, EXT-9');
    expect(document?.items[2]).toEqual(
      item({
        id: 'kickoff:K2',
        localId: 'K2',
        kind: 'milestone',
        title: 'Binder v1',
        ...h('K2'),
        status: 'planned',
        statusText: 'Planned',
        statusSource: find(KICKOFF, 'Planned', '**Status:** Planned'),
        parent: 'kickoff',
        dependencies: [
          { id: 'kickoff:K0', origin: 'section', ...at(KICKOFF, dl, 'K0') },
          { id: 'kickoff:K1', origin: 'section', ...at(KICKOFF, dl, 'K1') },
          { id: 'EXT-9', origin: 'section', ...at(KICKOFF, dl, 'EXT-9') },
        ],
      }),
    );
  });

  test('K3: no status anywhere is `status-missing` at the heading, and it is the only diagnostic', () => {
    expect(document?.items[3]).toEqual(
      item({ id: 'kickoff:K3', localId: 'K3', kind: 'milestone', title: 'Capsules', ...h('K3'), parent: 'kickoff' }),
    );
    expect(diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'status-missing',
        message: mentions('kickoff:K3') as string,
        file: 'docs/kickoff.md',
        ...h('K3'),
        note: expect.any(String) as string,
      },
    ]);
  });
});

// Seed 004's shape: `## PHASE n — Title — COMPLETE`, `### Status: COMPLETE`, checklists.
const PHASES = md(`
# Infra Plan

## PHASE 0 — Repo + Boundaries (Day 0)

### Goal

Create a repository.

---

## PHASE 1 — Infrastructure Spine (Day 1) — COMPLETE

### Status: COMPLETE

Completed 2026-01-23.

### Validation Checklist

- [x] Temporal UI loads
- [ ] Postgres reachable

---

## PHASE 3 — Memory Infrastructure — COMPLETE

### Exit Criteria (verified)

- [x] Vector memory functions implemented
- [x] No LLM calls

### What Was Built

- src/memory/vector.py

---

## PHASE S-4 — Infrastructure Stabilization (Documentation Only) — COMPLETE

### Status: COMPLETE

### Exit Criteria

- [x] \`docs/stubs.md\` — registry of stubs

## PHASE 5 — Policy Gate

Status: Planned

## PHASE 6 — Orchestrator — COMPLETE

### Status: IN PROGRESS
`);

describe('plans with `## PHASE n — Title — STATUS` headings', () => {
  const { document, diagnostics } = parse(PHASES, 'plans/infra.md');
  const h = (heading: string) => find(PHASES, 'PHASE', heading);
  const headingStatus = (heading: string) => find(PHASES, 'COMPLETE', heading);

  test('phase ids are `PHASE-<n>` (also `PHASE-S-4`), qualified by the document id, in document order', () => {
    expect(document?.family).toBe('plan');
    expect(document?.items.map((i) => [i.id, i.localId, i.title])).toEqual([
      ['infra:PHASE-0', 'PHASE-0', 'Repo + Boundaries (Day 0)'],
      ['infra:PHASE-1', 'PHASE-1', 'Infrastructure Spine (Day 1)'],
      ['infra:PHASE-3', 'PHASE-3', 'Memory Infrastructure'],
      ['infra:PHASE-S-4', 'PHASE-S-4', 'Infrastructure Stabilization (Documentation Only)'],
      ['infra:PHASE-5', 'PHASE-5', 'Policy Gate'],
      ['infra:PHASE-6', 'PHASE-6', 'Orchestrator'],
    ]);
  });

  test('status in the heading; `### Status: COMPLETE` agrees; a Validation Checklist gives checked true/false', () => {
    const heading = '## PHASE 1 — Infrastructure Spine';
    expect(document?.items[1]).toEqual(
      item({
        id: 'infra:PHASE-1',
        localId: 'PHASE-1',
        kind: 'milestone',
        title: 'Infrastructure Spine (Day 1)',
        ...h(heading),
        status: 'done',
        statusText: 'COMPLETE',
        statusSource: headingStatus(heading),
        parent: 'infra',
        criteria: [
          { text: 'Temporal UI loads', checked: true, ...find(PHASES, 'Temporal UI loads') },
          { text: 'Postgres reachable', checked: false, ...find(PHASES, 'Postgres reachable') },
        ],
      }),
    );
  });

  test('`## PHASE 3 — Memory Infrastructure — COMPLETE` with a `### Exit Criteria (verified)` checklist', () => {
    const heading = '## PHASE 3 — Memory Infrastructure';
    expect(document?.items[2]).toEqual(
      item({
        id: 'infra:PHASE-3',
        localId: 'PHASE-3',
        kind: 'milestone',
        title: 'Memory Infrastructure',
        ...h(heading),
        status: 'done',
        statusText: 'COMPLETE',
        statusSource: headingStatus(heading),
        parent: 'infra',
        criteria: [
          { text: 'Vector memory functions implemented', checked: true, ...find(PHASES, 'Vector memory functions') },
          { text: 'No LLM calls', checked: true, ...find(PHASES, 'No LLM calls') },
        ],
      }),
    );
  });

  test('`## PHASE S-4 — ... — COMPLETE` keeps the raw criterion text', () => {
    const heading = '## PHASE S-4 — Infrastructure Stabilization';
    expect(document?.items[3]).toEqual(
      item({
        id: 'infra:PHASE-S-4',
        localId: 'PHASE-S-4',
        kind: 'milestone',
        title: 'Infrastructure Stabilization (Documentation Only)',
        ...h(heading),
        status: 'done',
        statusText: 'COMPLETE',
        statusSource: headingStatus(heading),
        parent: 'infra',
        criteria: [
          { text: '`docs/stubs.md` — registry of stubs', checked: true, ...find(PHASES, '`docs/stubs.md`') },
        ],
      }),
    );
  });

  test('a `Status:` line under a phase heading without status', () => {
    expect(document?.items[4]).toMatchObject({
      id: 'infra:PHASE-5',
      status: 'planned',
      statusText: 'Planned',
      statusSource: find(PHASES, 'Planned', 'Status: Planned'),
    });
  });

  test('conflicting statuses (heading COMPLETE, subheading IN PROGRESS) are `status-conflict`; the first status stays', () => {
    const heading = '## PHASE 6 — Orchestrator';
    expect(document?.items[5]).toMatchObject({ id: 'infra:PHASE-6', status: 'done', statusText: 'COMPLETE' });
    expect(diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'status-missing',
        message: mentions('infra:PHASE-0') as string,
        file: 'plans/infra.md',
        ...h('## PHASE 0'),
        note: expect.any(String) as string,
      },
      {
        severity: 'warning',
        code: 'status-conflict',
        message: mentions('infra:PHASE-6', 'IN PROGRESS', 'COMPLETE') as string,
        file: 'plans/infra.md',
        ...find(PHASES, 'IN PROGRESS'),
        related: [{ file: 'plans/infra.md', ...headingStatus(heading), message: expect.any(String) as string }],
      },
    ]);
  });

  test('PHASE 0 without any status has no status and no criteria', () => {
    expect(document?.items[0]).toEqual(
      item({
        id: 'infra:PHASE-0',
        localId: 'PHASE-0',
        kind: 'milestone',
        title: 'Repo + Boundaries (Day 0)',
        ...h('## PHASE 0'),
        parent: 'infra',
      }),
    );
  });
});

describe('plan headings that are not milestones', () => {
  test('section headings such as `## Phase Overview` or `## Milestone Summary` do not become milestones', () => {
    const text = md(`
# Rollout

## Phase Overview

Some prose.

## Milestone Summary

More prose.

## PHASE 1 — Real work — COMPLETE
`);
    const { document } = parse(text, 'rollout.md');
    expect(document?.items.map((i) => i.localId)).toEqual(['PHASE-1']);
  });

  test('numbered subsections (`### 3.1 Relational Memory`) and prose headings are not milestones', () => {
    const text = md(`
# Plan

## PHASE 3 — Memory — COMPLETE

### 3.1 Relational Memory (Postgres)

### End State: What You Have After Phase 15
`);
    const { document } = parse(text, 'p.md');
    expect(document?.items.map((i) => i.localId)).toEqual(['PHASE-3']);
  });
});

describe('plans with front matter', () => {
  const body = md(`
# Infra plan

## PHASE 1 — Spine — COMPLETE

## PHASE 2 — Data — COMPLETE
`);

  test('`type: plan` in front matter declares the family and the front matter id qualifies the phases', () => {
    const text = `---\nid: PLAN-4\ntype: plan\ntitle: Infra plan\nstatus: active\n---\n\n${body}`;
    const { document, diagnostics } = parse(text, 'docs/infra.md');
    expect(diagnostics).toEqual([]);
    expect(document?.family).toBe('plan');
    expect(document?.items.map((i) => [i.id, i.status])).toEqual([
      ['PLAN-4:PHASE-1', 'done'],
      ['PLAN-4:PHASE-2', 'done'],
    ]);
  });

  test('a plan whose front matter has an id and a status but no `type` keeps its phases (it has no task sections)', () => {
    const text = `---\nid: PLAN-4\ntitle: Infra plan\nstatus: active\n---\n\n${body}`;
    const { document } = parse(text, 'docs/infra.md');
    expect(document?.family).toBe('plan');
    expect(document?.items.map((i) => i.id)).toEqual(['PLAN-4:PHASE-1', 'PLAN-4:PHASE-2']);
  });
});

describe('a per-phase plan file (GV-WP-0025-T02)', () => {
  // The shape of GLaDO8/social-connections-tree 4af562f plans/phase-2-visual-properties-devpanel.md:
  // it read as "nothing to track" because only level-2 and deeper headings were milestones.
  const PHASE_FILE = md(`
# Phase 2: Visual Encoding + Properties Panel

**Status**: done
**Goal**: Correct visual encoding and editable properties.

## Tasks

### 2.1 Edge colors by category
- Update \`canvas-renderer.ts\`: color edges by category
- **Depends on**: 1.7

### 2.2 Hover tooltips
**Status**: in progress
- **Depends on**: 2.1
`);

  test('its title is its one milestone, with the status under it; the sections below are not its dependencies nor its status', () => {
    const { document, diagnostics } = parse(PHASE_FILE, 'plans/phase-2.md');
    expect([document?.family, diagnostics]).toEqual(['plan', []]);
    expect(document?.items.map((i) => [i.id, i.kind, i.title, i.status, i.dependencies])).toEqual([
      ['phase-2:PHASE-2', 'milestone', 'Visual Encoding + Properties Panel', 'done', []],
    ]);
  });

  test('a title that names no milestone still reads as nothing to track', () => {
    const { document, diagnostics } = parse(PHASE_FILE.replace('# Phase 2: ', '# '), 'plans/notes.md');
    expect([document?.family, document?.items, diagnostics.map((d) => d.code)]).toEqual(['unknown', [], ['no-governance-content']]);
  });
});
