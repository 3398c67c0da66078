import { describe, expect, test } from 'vitest';
import { newItem as item } from './common.js';
import { at, cellAt, md, P, parse } from '../__fixtures__/test-utils.js';
import { explainDocument } from '../explain.js';

/**
 * Issue 15, class 2 (GV-WP-0009-T04): a roadmap with milestone headings and a small
 * `Milestone | Status` summary table was a tracker whose headings were all ignored. Both
 * are read: a row naming a heading adds to that item (never a second one), and where the
 * two disagree about a status or dependencies that is a drift warning, as between a
 * tracker's Depends On and its matrix.
 */
const ROADMAP = md(`
# Roadmap

### Phase 1: Setup ✅ COMPLETE

### Phase 2: Agents ✅ COMPLETE

**Depends on**: Phase 1

### Phase 3: Release

**Depends on**: Phase 2

## Summary

| Milestone | Status | Depends On |
|---|---|---|
| Phase 1: Setup | Complete | - |
| Phase 2: Agents | In Progress | Phase 1 |
| Phase 3: Release | Planned | Phase 1 |
| M4 Launch | Planned | Phase 3 |
`);

describe('a summary table beside milestone headings', () => {
  const { document, diagnostics } = parse(ROADMAP, 'docs/ROADMAP.md');
  const row = (n: string) => ROADMAP.split('\n').findIndex((l) => l.startsWith(`| ${n}`)) + 1;

  test('the document is a plan: every heading is an item, the rows add to them, a row naming no heading is an item of its own', () => {
    expect(document?.family).toBe('plan');
    expect(document?.items).toEqual([
      item({ status: 'done', statusText: '✅ COMPLETE', statusSource: at(ROADMAP, 3, '✅'), parent: 'ROADMAP', id: 'ROADMAP:PHASE-1', kind: 'milestone', localId: 'PHASE-1', title: 'Setup', line: 3, column: 5 }),
      item({
        status: 'done',
        statusText: '✅ COMPLETE',
        statusSource: at(ROADMAP, 5, '✅'),
        dependencies: [{ id: 'ROADMAP:PHASE-1', origin: 'section', ...at(ROADMAP, 7, 'Phase 1') }],
        parent: 'ROADMAP',
        id: 'ROADMAP:PHASE-2',
        kind: 'milestone',
        localId: 'PHASE-2',
        title: 'Agents',
        line: 5,
        column: 5,
      }),
      item({
        status: 'planned',
        statusText: 'Planned',
        statusSource: cellAt(ROADMAP, row('Phase 3'), 1),
        dependencies: [
          { id: 'ROADMAP:PHASE-2', origin: 'section', ...at(ROADMAP, 11, 'Phase 2') },
          { id: 'ROADMAP:PHASE-1', origin: 'table', ...cellAt(ROADMAP, row('Phase 3'), 2) },
        ],
        parent: 'ROADMAP',
        id: 'ROADMAP:PHASE-3',
        kind: 'milestone',
        localId: 'PHASE-3',
        title: 'Release',
        line: 9,
        column: 5,
      }),
      item({
        status: 'planned',
        statusText: 'Planned',
        statusSource: cellAt(ROADMAP, row('M4'), 1),
        dependencies: [{ id: 'ROADMAP:PHASE-3', origin: 'table', ...cellAt(ROADMAP, row('M4'), 2) }],
        parent: 'ROADMAP',
        id: 'ROADMAP:M4',
        kind: 'milestone',
        localId: 'M4',
        title: 'Launch',
        line: row('M4'),
        column: 3,
      }),
    ]);
  });

  test('disagreements are drift warnings at the table cell, naming where the item says otherwise; the graph keeps the heading status and the union of the dependencies', () => {
    expect(diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'status-drift',
        message: 'ROADMAP:PHASE-2: the table says "In Progress" (in_progress), but its heading says "✅ COMPLETE" (done); the heading\'s status is kept',
        file: 'docs/ROADMAP.md',
        ...cellAt(ROADMAP, row('Phase 2'), 1),
        related: [{ file: 'docs/ROADMAP.md', ...at(ROADMAP, 5, '✅'), message: 'status of ROADMAP:PHASE-2 in its heading' }],
      },
      {
        severity: 'warning',
        code: 'dependency-drift',
        message: 'the table says ROADMAP:PHASE-3 depends on PHASE-1, but its heading section does not list it; the graph keeps the edge (union of both)',
        file: 'docs/ROADMAP.md',
        ...cellAt(ROADMAP, row('Phase 3'), 2),
        related: [{ file: 'docs/ROADMAP.md', ...at(ROADMAP, 11, 'Phase 2'), message: 'dependencies of ROADMAP:PHASE-3 in its heading section' }],
      },
      {
        severity: 'warning',
        code: 'dependency-drift',
        message: 'its heading section says ROADMAP:PHASE-3 depends on PHASE-2, but the table does not list it; the graph keeps the edge (union of both)',
        file: 'docs/ROADMAP.md',
        ...at(ROADMAP, 11, 'Phase 2'),
        related: [{ file: 'docs/ROADMAP.md', ...cellAt(ROADMAP, row('Phase 3'), 2), message: 'Depends On of ROADMAP:PHASE-3 in the table' }],
      },
    ].sort((a, b) => a.line - b.line || a.column - b.column));
  });

  test('govern explain: a plan because of its headings, the table read by its columns, nothing skipped', () => {
    const e = explainDocument({ file: 'docs/ROADMAP.md', text: ROADMAP }, P);
    expect(e.document?.family).toBe('plan');
    expect(e.document?.reason).toBe('milestone headings (first at line 3) beside a milestone table (line 15): both are read, the table as their summary');
    expect(e.document?.families).toEqual(['plan', 'tracker']);
    expect(e.read).toEqual([
      {
        kind: 'table',
        line: 15,
        as: 'role-table',
        reason: 'read by its columns: id "Milestone", status "Status", depends "Depends On"',
        items: ['ROADMAP:PHASE-3', 'ROADMAP:M4'],
        roles: { id: 'Milestone', status: 'Status', depends: 'Depends On', title: null },
      },
    ]);
    expect(e.skipped).toEqual([]);
  });

  test('a table and headings that agree give no diagnostic, and a checkbox agrees with any status that is not done', () => {
    const text = md(`
# Roadmap

## Phase 1: Setup ✅

## Phase 2: Agents 🔄

- [x] **Phase 1: Setup**
- [ ] **Phase 2: Agents**

| Milestone | Status |
|---|---|
| Phase 1 | Done |
| Phase 2 | In Progress |
`);
    const r = parse(text, 'ROADMAP.md');
    expect(r.document?.items.map((i) => [i.id, i.status, i.statusText])).toEqual([
      ['ROADMAP:PHASE-1', 'done', '✅'],
      ['ROADMAP:PHASE-2', 'in_progress', '🔄'],
    ]);
    expect(r.diagnostics).toEqual([]);
  });

  test('a checkbox that says done against a heading that does not is drift too', () => {
    const text = md(`
# Roadmap

## Phase 1: Setup 🔄

- [x] **Phase 1: Setup**
`);
    const r = parse(text, 'ROADMAP.md');
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ['status-drift', 5, 3, 'ROADMAP:PHASE-1: the list line says "[x]" (done), but its heading says "🔄" (in_progress); the heading\'s status is kept'],
    ]);
  });

  test('a document declared a tracker still reads only its table (the headings are reported by govern explain)', () => {
    const r = parse(`---\ntype: tracker\n---\n${ROADMAP}`, 'ROADMAP.md');
    expect(r.document?.family).toBe('tracker');
  });
});
