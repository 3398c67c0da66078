import { describe, expect, test } from 'vitest';
import { at, cellAt, find, item, lineOf, md, mentions, parse } from '../__fixtures__/test-utils.js';
import type { Diagnostic, Matrix } from '../model.js';

// ---------------------------------------------------------------------------
// Header names are matched case- and spacing-insensitively.
// ---------------------------------------------------------------------------
const HEADER = md(`
# Header Tracker

| order | MILESTONE | scope | priority | depends  on | status |
|---:|---|---|---|---|---|
| 1 | HT-01 Baseline | Base work | P0 | - | Done (#1) |
| 2 | HT-02 Store layer | Store | P1 |  | In Progress |
| 3 | HT-03 API surface | API | P1 | HT-01, HT-02 | Planned |
`);

describe('tracker milestone table', () => {
  test('is found by header names regardless of case and spacing, and every row becomes a milestone', () => {
    const { document, diagnostics } = parse(HEADER, 'trackers/header.md');
    expect(diagnostics).toEqual([]);
    expect(document?.family).toBe('tracker');
    expect(document?.id).toBe('header');
    expect(document?.title).toBe('Header Tracker');
    expect(document?.items).toEqual([
      item({
        id: 'HT-01',
        kind: 'milestone',
        title: 'Baseline',
        ...at(HEADER, 5, 'HT-01'),
        status: 'done',
        statusText: 'Done (#1)',
        statusSource: at(HEADER, 5, 'Done (#1)'),
        refs: ['#1'],
        priority: 'P0',
        order: 1,
        parent: 'header',
      }),
      item({
        id: 'HT-02',
        kind: 'milestone',
        title: 'Store layer',
        ...at(HEADER, 6, 'HT-02'),
        status: 'in_progress',
        statusText: 'In Progress',
        statusSource: at(HEADER, 6, 'In Progress'),
        priority: 'P1',
        order: 2,
        parent: 'header',
      }),
      item({
        id: 'HT-03',
        kind: 'milestone',
        title: 'API surface',
        ...at(HEADER, 7, 'HT-03'),
        status: 'planned',
        statusText: 'Planned',
        statusSource: at(HEADER, 7, 'Planned'),
        priority: 'P1',
        order: 3,
        dependencies: [
          { id: 'HT-01', origin: 'table', ...at(HEADER, 7, 'HT-01') },
          { id: 'HT-02', origin: 'table', ...at(HEADER, 7, 'HT-02') },
        ],
        parent: 'header',
      }),
    ]);
    expect(document?.matrices).toEqual([]);
  });

  test('`-` and an empty Depends On cell both mean no dependencies; a comma list gives one ref per id', () => {
    const { document } = parse(HEADER, 'trackers/header.md');
    const deps = Object.fromEntries((document?.items ?? []).map((i) => [i.id, i.dependencies.map((d) => d.id)]));
    expect(deps).toEqual({ 'HT-01': [], 'HT-02': [], 'HT-03': ['HT-01', 'HT-02'] });
  });

  test('a Milestone cell whose id is in backticks still yields the id', () => {
    const text = md(`
| Milestone | Depends On | Status |
|---|---|---|
| \`BK-01\` Backticked | none | Done |
| BK-02 Plain | \`BK-01\` | Planned |
`);
    const { document, diagnostics } = parse(text, 'bk.md');
    expect(diagnostics).toEqual([]);
    expect(document?.items.map((i) => [i.id, i.title, i.dependencies.map((d) => d.id)])).toEqual([
      ['BK-01', 'Backticked', []],
      ['BK-02', 'Plain', ['BK-01']],
    ]);
  });
});

// ---------------------------------------------------------------------------
// Matrices, drift in both directions, partial and cross-repo matrices, packet
// ids and evidence roots.
// ---------------------------------------------------------------------------
const DRIFT = md(`
# Drift Tracker

## Milestones

| Order | Milestone | Scope | Priority | Depends On | Status |
|---|---|---|---|---|---|
| 1 | DT-01 Base | b | P0 | - | Done (#7) |
| 2 | DT-02 Store | s | P0 | - | Done |
| 3 | DT-03 API | a | P1 | DT-01, DT-02 | Partial |
| 4 | DT-04 Ops | o | P2 | DT-03 | Planned |

## Dependency Matrix

\`1\` means row item depends on column item.

| Row \\ Col | DT-01 | DT-02 | DT-03 |
|---|---:|---:|---:|
| DT-01 | 0 | 0 | 0 |
| DT-02 | 1 | 0 | 0 |
| DT-03 | 1 | 0 | 0 |

## Forward Dependency Matrix (DT-03..DT-04)

| Row \\ Col | DT-03 | DT-04 |
|---|---:|---:|
| DT-03 | 0 | 0 |
| DT-04 | 1 | 0 |

## Packet IDs

1. \`pkt-dt-01-base\`
2. \`pkt-dt-02-store\`
3. \`pkt-dt-03-api\` (planned)

## Completion

Evidence roots:

- \`ops/runtime/dt-01/\`
- \`ops/runtime/dt-02/\`

## Cross-Repo Dependency Matrix (core path)

\`1\` means row item depends on column item.

| Row \\ Col | CR-01 dome | CR-02 xtrlv2 SSOT |
|---|---:|---:|
| CR-01 dome | 0 | 1 |
| CR-02 xtrlv2 SSOT | 0 | 0 |
`);

// Lines of the fixture, found by content so the expectations read like the document.
const L = {
  dt01: lineOf(DRIFT, '| DT-01 Base'),
  dt02: lineOf(DRIFT, '| DT-02 Store'),
  dt03: lineOf(DRIFT, '| DT-03 API'),
  dt04: lineOf(DRIFT, '| DT-04 Ops'),
  m1: lineOf(DRIFT, '| Row \\ Col | DT-01'),
  m1dt02: lineOf(DRIFT, '| DT-02 | 1 | 0 | 0 |'),
  m1dt03: lineOf(DRIFT, '| DT-03 | 1 | 0 | 0 |'),
  m2: lineOf(DRIFT, '| Row \\ Col | DT-03 | DT-04 |'),
  m2dt04: lineOf(DRIFT, '| DT-04 | 1 | 0 |'),
  cr: lineOf(DRIFT, '| Row \\ Col | CR-01'),
  cr01: lineOf(DRIFT, '| CR-01 dome | 0 | 1 |'),
};
// The n-th value cell (0-based) of a matrix row `| ID | a | b | c |`.
const cell = (line: number, n: number) => cellAt(DRIFT, line, n + 1);

describe('tracker dependency matrices', () => {
  const { document, diagnostics } = parse(DRIFT, 'trackers/drift.md');

  test('the fixture helper agrees with the document: value cells of a matrix row start at column 11, 15, 19', () => {
    expect(cell(L.m1dt02, 0)).toEqual({ line: L.m1dt02, column: 11 });
    expect(cell(L.m1dt03, 1)).toEqual({ line: L.m1dt03, column: 15 });
    expect(cell(L.m1dt03, 2)).toEqual({ line: L.m1dt03, column: 19 });
  });

  test('matrix `1` cells add dependencies of origin matrix after the table ones; partial matrices cover only their ids', () => {
    expect(document?.items.map((i) => [i.id, i.dependencies])).toEqual([
      ['DT-01', []],
      ['DT-02', [{ id: 'DT-01', origin: 'matrix', ...cell(L.m1dt02, 0) }]],
      [
        'DT-03',
        [
          { id: 'DT-01', origin: 'table', ...at(DRIFT, L.dt03, 'DT-01') },
          { id: 'DT-02', origin: 'table', ...at(DRIFT, L.dt03, 'DT-02') },
          { id: 'DT-01', origin: 'matrix', ...cell(L.m1dt03, 0) },
        ],
      ],
      [
        'DT-04',
        [
          { id: 'DT-03', origin: 'table', ...at(DRIFT, L.dt04, 'DT-03') },
          { id: 'DT-03', origin: 'matrix', ...cell(L.m2dt04, 0) },
        ],
      ],
    ]);
  });

  test('drift is reported in both directions at the disagreeing matrix cell, and nothing else is reported', () => {
    const expected: Diagnostic[] = [
      {
        // Matrix says DT-02 depends on DT-01; the table's Depends On for DT-02 is `-`.
        severity: 'warning',
        code: 'dependency-drift',
        message: mentions('DT-02', 'DT-01') as string,
        file: 'trackers/drift.md',
        ...cell(L.m1dt02, 0),
        related: [{ file: 'trackers/drift.md', ...at(DRIFT, L.dt02, 'DT-02'), message: mentions('DT-02') as string }],
      },
      {
        // Table says DT-03 depends on DT-02; the matrix marks 0 in row DT-03, column DT-02.
        severity: 'warning',
        code: 'dependency-drift',
        message: mentions('DT-03', 'DT-02') as string,
        file: 'trackers/drift.md',
        ...cell(L.m1dt03, 1),
        related: [{ file: 'trackers/drift.md', ...at(DRIFT, L.dt03, 'DT-02'), message: mentions('DT-03') as string }],
      },
    ];
    expect(diagnostics).toEqual(expected);
  });

  test('matrices are described in full: kind, title, ids, labels and `1` edges with their cell positions', () => {
    const expected: Matrix[] = [
      {
        kind: 'dependency',
        title: 'Dependency Matrix',
        line: L.m1,
        rows: ['DT-01', 'DT-02', 'DT-03'],
        columns: ['DT-01', 'DT-02', 'DT-03'],
        labels: { 'DT-01': 'DT-01', 'DT-02': 'DT-02', 'DT-03': 'DT-03' },
        edges: [
          { from: 'DT-02', to: 'DT-01', ...cell(L.m1dt02, 0) },
          { from: 'DT-03', to: 'DT-01', ...cell(L.m1dt03, 0) },
        ],
      },
      {
        kind: 'dependency',
        title: 'Forward Dependency Matrix (DT-03..DT-04)',
        line: L.m2,
        rows: ['DT-03', 'DT-04'],
        columns: ['DT-03', 'DT-04'],
        labels: { 'DT-03': 'DT-03', 'DT-04': 'DT-04' },
        edges: [{ from: 'DT-04', to: 'DT-03', ...cell(L.m2dt04, 0) }],
      },
      {
        kind: 'cross-repo',
        title: 'Cross-Repo Dependency Matrix (core path)',
        line: L.cr,
        rows: ['CR-01', 'CR-02'],
        columns: ['CR-01', 'CR-02'],
        labels: { 'CR-01': 'CR-01 dome', 'CR-02': 'CR-02 xtrlv2 SSOT' },
        edges: [{ from: 'CR-01', to: 'CR-02', ...cellAt(DRIFT, L.cr01, 2) }],
      },
    ];
    expect(document?.matrices).toEqual(expected);
  });

  test('a cross-repo matrix adds no edge to any milestone', () => {
    const allDeps = (document?.items ?? []).flatMap((i) => i.dependencies.map((d) => d.id));
    expect(allDeps.filter((id) => id.startsWith('CR-'))).toEqual([]);
  });

  test('packet ids and evidence roots are listed with positions and mapped to the milestone they name', () => {
    expect(document?.packetIds).toEqual([
      { text: 'pkt-dt-01-base', ...find(DRIFT, '`pkt-dt-01-base`') },
      { text: 'pkt-dt-02-store', ...find(DRIFT, '`pkt-dt-02-store`') },
      { text: 'pkt-dt-03-api', ...find(DRIFT, '`pkt-dt-03-api`') },
    ]);
    expect(document?.evidenceRoots).toEqual([
      { text: 'ops/runtime/dt-01/', ...find(DRIFT, '`ops/runtime/dt-01/`') },
      { text: 'ops/runtime/dt-02/', ...find(DRIFT, '`ops/runtime/dt-02/`') },
    ]);
    expect(document?.items.map((i) => [i.id, i.packetId, i.evidenceRoot])).toEqual([
      ['DT-01', 'pkt-dt-01-base', 'ops/runtime/dt-01/'],
      ['DT-02', 'pkt-dt-02-store', 'ops/runtime/dt-02/'],
      ['DT-03', 'pkt-dt-03-api', null],
      ['DT-04', null, null],
    ]);
  });

  test('the milestone rows themselves are read in full', () => {
    expect(document?.items[0]).toEqual(
      item({
        id: 'DT-01',
        kind: 'milestone',
        title: 'Base',
        ...at(DRIFT, L.dt01, 'DT-01'),
        status: 'done',
        statusText: 'Done (#7)',
        statusSource: at(DRIFT, L.dt01, 'Done (#7)'),
        refs: ['#7'],
        priority: 'P0',
        order: 1,
        packetId: 'pkt-dt-01-base',
        evidenceRoot: 'ops/runtime/dt-01/',
        parent: 'drift',
      }),
    );
    expect(document?.items[2]?.status).toBe('partial');
  });
});

describe('tracker drift: each direction on its own', () => {
  const table = (dep2: string) =>
    md(`
| Order | Milestone | Depends On | Status |
|---|---|---|---|
| 1 | ON-01 One | - | Done |
| 2 | ON-02 Two | ${dep2} | Planned |

| Row \\ Col | ON-01 | ON-02 |
|---|---|---|
| ON-01 | 0 | 0 |
| ON-02 | MARK | 0 |
`);

  test('matrix 1 where the table lacks the edge: one warning at the `1` cell, and the edge is kept', () => {
    const text = table('-').replace('MARK', '1');
    const { document, diagnostics } = parse(text, 'one.md');
    const row = lineOf(text, '| ON-02 | 1 | 0 |');
    expect(diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'dependency-drift',
        message: mentions('ON-02', 'ON-01') as string,
        file: 'one.md',
        ...cellAt(text, row, 1),
        related: [{ file: 'one.md', ...find(text, 'ON-02', '| ON-02 Two'), message: mentions('ON-02') as string }],
      },
    ]);
    expect(document?.items[1]?.dependencies).toEqual([{ id: 'ON-01', origin: 'matrix', ...cellAt(text, row, 1) }]);
  });

  test('table edge where the matrix says 0: one warning at the `0` cell, and the edge is kept', () => {
    const text = table('ON-01').replace('MARK', '0');
    const { document, diagnostics } = parse(text, 'one.md');
    const row = lineOf(text, '| ON-02 | 0 | 0 |');
    const tableRow = lineOf(text, '| ON-02 Two');
    expect(diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'dependency-drift',
        message: mentions('ON-02', 'ON-01') as string,
        file: 'one.md',
        ...cellAt(text, row, 1),
        related: [{ file: 'one.md', ...at(text, tableRow, 'ON-01'), message: mentions('ON-02') as string }],
      },
    ]);
    expect(document?.items[1]?.dependencies).toEqual([{ id: 'ON-01', origin: 'table', ...at(text, tableRow, 'ON-01') }]);
  });

  test('agreement between table and matrix gives no diagnostic', () => {
    const text = table('ON-01').replace('MARK', '1');
    expect(parse(text, 'one.md').diagnostics).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// Errors inside the table and the matrix.
// ---------------------------------------------------------------------------
const BAD = md(`
# Bad Tracker

| Order | Milestone | Depends On | Status |
|---|---|---|---|
| 1 | BT-01 Base | - | Done |
| 2 | Untitled work | BT-01 | Planned |
| 3 | BT-03 Next | BT-01, later | Planned |

## Matrix

| Row \\ Col | BT-01 | BT-03 |
|---|---|---|
| BT-01 | 0 | 0 |
| BT-03 | 1 | maybe |
`);

describe('tracker errors', () => {
  const { document, diagnostics } = parse(BAD, 'bad.md');

  test('a Milestone cell without an id, a dependency that is not an id and an invalid matrix cell are each reported where they are', () => {
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'id-missing',
        message: mentions('Untitled work') as string,
        file: 'bad.md',
        ...find(BAD, 'Untitled work'),
        expected: expect.any(String) as string,
        actual: 'Untitled work',
      },
      {
        severity: 'error',
        code: 'dependency-invalid',
        message: mentions('later') as string,
        file: 'bad.md',
        ...find(BAD, 'later'),
        expected: expect.any(String) as string,
        actual: 'later',
      },
      {
        severity: 'warning',
        code: 'matrix-invalid-cell',
        message: mentions('maybe') as string,
        file: 'bad.md',
        ...find(BAD, 'maybe'),
        expected: '0 or 1',
        actual: 'maybe',
      },
    ]);
  });

  test('the rest of the table is still read: the row without id is skipped, the valid ids are kept, the unreadable one kept as such', () => {
    expect(document?.items.map((i) => i.id)).toEqual(['BT-01', 'BT-03']);
    expect(document?.items[1]?.dependencies).toEqual([
      { id: 'BT-01', origin: 'table', ...find(BAD, 'BT-01', '| BT-03 Next') },
      // Kept so that BT-03 is not free to start while its Depends On cannot be read (GV-WP-0025-T01).
      { id: 'later', origin: 'table', ...find(BAD, 'later'), unreadable: true },
      { id: 'BT-01', origin: 'matrix', ...cellAt(BAD, lineOf(BAD, '| BT-03 | 1 | maybe |'), 1) },
    ]);
  });

  test('a dependency matrix that names an id which is not a milestone warns and ignores that id', () => {
    const text = md(`
| Milestone | Depends On | Status |
|---|---|---|
| UK-01 One | - | Done |
| UK-02 Two | UK-01 | Done |

| Row \\ Col | UK-01 | UK-99 |
|---|---|---|
| UK-02 | 1 | 1 |
`);
    const { document, diagnostics } = parse(text, 'uk.md');
    expect(diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'matrix-unknown-id',
        message: mentions('UK-99') as string,
        file: 'uk.md',
        ...find(text, 'UK-99'),
      },
    ]);
    expect(document?.items[1]?.dependencies.map((d) => [d.id, d.origin])).toEqual([
      ['UK-01', 'table'],
      ['UK-01', 'matrix'],
    ]);
  });

  test('a table without milestone rows is an empty tracker (warning), not a crash', () => {
    const text = md(`
# Empty

| Order | Milestone | Status |
|---|---|---|
`);
    const { document, diagnostics } = parse(text, 'empty.md');
    expect(document?.family).toBe('tracker');
    expect(document?.items).toEqual([]);
    expect(diagnostics).toEqual([
      { severity: 'warning', code: 'tracker-empty', message: expect.any(String) as string, file: 'empty.md', line: 1, column: 1 },
    ]);
  });
});

describe('a tracker whose front matter names it and states a status', () => {
  test('is an item too (an epic board), and its milestones are its items', () => {
    const text = md(`
---
id: cli
title: CLI Experience
status: active
---

# CLI Experience

| ID | Milestone | Status |
|----|-----------|--------|
| 01 | Command Line Control | done |
| 02 | Guided Setup | planned |
`);
    const { document, diagnostics } = parse(text, 'docs/board/epics/cli/README.md');
    expect(document?.family).toBe('tracker');
    expect(document?.items).toEqual([
      item({ id: 'cli', kind: 'workplan', title: 'CLI Experience', status: 'in_progress', statusText: 'active', statusSource: at(text, 4, 'active'), line: 2, column: 5 }),
      item({ id: '01', kind: 'milestone', title: 'Command Line Control', status: 'done', statusText: 'done', statusSource: cellAt(text, 11, 2), parent: 'cli', ...cellAt(text, 11, 0) }),
      item({ id: '02', kind: 'milestone', title: 'Guided Setup', status: 'planned', statusText: 'planned', statusSource: cellAt(text, 12, 2), parent: 'cli', ...cellAt(text, 12, 0) }),
    ]);
    expect(diagnostics).toEqual([]);
  });
});
