import { describe, expect, test } from 'vitest';
import { newItem as item } from './common.js';
import { at, md, parse } from '../__fixtures__/test-utils.js';
import { explainDocument } from '../explain.js';
import { P } from '../__fixtures__/test-utils.js';

/**
 * A parent (phase, milestone, the document's own item) that states no status and whose
 * items are all done is done, with `statusOrigin: "derived"`; a stated status is never
 * overridden, and one that contradicts all-done children is a warning (GV-WP-0009-T04).
 */
const PLAN = md(`
# Roadmap

## Phase 1: Setup

- [x] T001 Create the skeleton
- [x] T002 Add the config

## Phase 2: Core

- [x] T003 Parser
- [ ] T004 Graph

## Phase 3: Release 🔄

- [x] T005 Tag

## Milestone 4: Hardening

### Phase 5: Limits

- [x] T006 Linear scanner

## Phase 6: Docs
`);

describe('derived status', () => {
  const { document, diagnostics } = parse(PLAN, 'ROADMAP.md');

  test('a parent whose items are all done and which states no status is done, derived; its statusText and statusSource stay null', () => {
    expect(document?.items.filter((i) => i.kind === 'milestone')).toEqual([
      item({ status: 'done', statusOrigin: 'derived', parent: 'ROADMAP', id: 'ROADMAP:PHASE-1', kind: 'milestone', localId: 'PHASE-1', title: 'Setup', line: 3, column: 4 }),
      item({ parent: 'ROADMAP', id: 'ROADMAP:PHASE-2', kind: 'milestone', localId: 'PHASE-2', title: 'Core', line: 8, column: 4 }),
      item({ status: 'in_progress', statusText: '🔄', statusSource: at(PLAN, 13, '🔄'), parent: 'ROADMAP', id: 'ROADMAP:PHASE-3', kind: 'milestone', localId: 'PHASE-3', title: 'Release', line: 13, column: 4 }),
      item({ status: 'done', statusOrigin: 'derived', parent: 'ROADMAP', id: 'ROADMAP:MILESTONE-4', kind: 'milestone', localId: 'MILESTONE-4', title: 'Hardening', line: 17, column: 4 }),
      item({ status: 'done', statusOrigin: 'derived', parent: 'ROADMAP:MILESTONE-4', id: 'ROADMAP:PHASE-5', kind: 'milestone', localId: 'PHASE-5', title: 'Limits', line: 19, column: 5 }),
      item({ parent: 'ROADMAP', id: 'ROADMAP:PHASE-6', kind: 'milestone', localId: 'PHASE-6', title: 'Docs', line: 23, column: 4 }),
    ]);
  });

  test('no status-missing for a derived status; a stated status contradicting all-done children is a warning at the status, naming the children', () => {
    expect(diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'status-missing',
        message: 'ROADMAP:PHASE-2 has no status',
        file: 'ROADMAP.md',
        line: 8,
        column: 4,
        note: 'add a status (for example Planned, In Progress, Done); a missing status is never guessed',
      },
      {
        severity: 'warning',
        code: 'status-children-done',
        message: 'ROADMAP:PHASE-3 is "🔄" (in_progress), but its one item is done; the stated status is kept',
        file: 'ROADMAP.md',
        ...at(PLAN, 13, '🔄'),
        related: [{ file: 'ROADMAP.md', line: 15, column: 7, message: 'ROADMAP:T005: done' }],
      },
      {
        severity: 'warning',
        code: 'status-missing',
        message: 'ROADMAP:PHASE-6 has no status',
        file: 'ROADMAP.md',
        line: 23,
        column: 4,
        note: 'add a status (for example Planned, In Progress, Done); a missing status is never guessed',
      },
    ]);
  });

  test('govern explain marks the derived status', () => {
    const e = explainDocument({ file: 'ROADMAP.md', text: PLAN }, P);
    expect(e.items.filter((i) => i.statusOrigin === 'derived').map((i) => [i.id, i.status, i.statusFrom])).toEqual([
      ['ROADMAP:PHASE-1', 'done', null],
      ['ROADMAP:MILESTONE-4', 'done', null],
      ['ROADMAP:PHASE-5', 'done', null],
    ]);
  });

  test('a workplan without a status whose tasks are all done is derived done too; one in progress is not warned about; without tasks it stays without status', () => {
    const text = md(`
---
id: WP-1
type: workplan
title: W
---

## T01 - One

id: WP-1-T01
status: done

## T02 - Two

id: WP-1-T02
status: done
`);
    const r = parse(text, 'workplans/WP-1.md');
    expect(r.document?.items.map((i) => [i.id, i.status, i.statusOrigin ?? null])).toEqual([
      ['WP-1', 'done', 'derived'],
      ['WP-1-T01', 'done', null],
      ['WP-1-T02', 'done', null],
    ]);
    expect(r.diagnostics).toEqual([]);
    // A workplan that says it is in progress while its tasks are all done is only waiting to be closed: no warning.
    const open = parse(text.replace('title: W\n', 'title: W\nstatus: in_progress\n'), 'workplans/WP-1.md');
    expect([open.document?.items[0]?.status, open.diagnostics]).toEqual(['in_progress', []]);
    const bare = parse('---\nid: WP-2\ntype: workplan\n---\n', 'workplans/WP-2.md');
    expect(bare.document?.items.map((i) => [i.id, i.status, i.statusOrigin ?? null])).toEqual([['WP-2', null, null]]);
    expect(bare.diagnostics.map((d) => d.code)).toEqual(['status-missing']);
  });
});
