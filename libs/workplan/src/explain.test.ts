import { describe, expect, test } from 'vitest';
import { at, cellAt, find, fixture, lineOf, md, P } from './__fixtures__/test-utils.js';
import { explainDocument, ExplanationSchema, type Explanation } from './explain.js';
import { parseDocument } from './parse.js';
import { compileProfile, DEFAULT_PROFILE, mergeProfiles, ProfileSchema, type ProfileInput } from './profile.js';

// `govern explain`'s data: the parser's decisions, recorded only when asked.

const explain = (text: string, file = 'doc.md', profile = P): Explanation => ExplanationSchema.strict().parse(explainDocument({ file, text }, profile));

/** The default profile with `over` in front of it, as a repository profile that `extends: default`. */
const withRules = (over: ProfileInput) => compileProfile(mergeProfiles(DEFAULT_PROFILE, ProfileSchema.parse(over)));

const FILE_NAME_ID = 'its file name without the extension: the front matter names no id';

const LOOKED_FOR = [
  'a milestone table: a table with a `Milestone` and a `Status` column (a tracker)',
  "task headings matching the profile's taskHeadings (`## T01 - Title`)",
  "milestone headings matching the profile's planHeadings (`## Phase 1: Title`, `### K0: Title`, `## M1 - Title`)",
  "list lines with a status mark (`[ ]`, `[x]`, `[~]`, ✅) that start with an id matching the profile's listItemIds (`- [ ] T001 …`, `- [x] 1.2 …`)",
  'tables with an id column (tableColumns.id: id, task, task id, story, epic, stage, …) and a status column (tableColumns.status: status, state) ' +
    'or a depends column (tableColumns.depends: depends on, dependencies, depends, deps, blocked by, dependency, …)',
  'front matter with `id` (or `name`) and `status`: the document is one item',
  "numbered work items whose bullets hold a criteria label (`1) Close doc drift` + `- Acceptance: …`)",
  "a design proposal: at least four headings named in the profile's proposals.sections (Summary, Motivation, Proposal, Design Details, …)",
];

const NOTHING = {
  severity: 'info',
  code: 'no-governance-content',
  message:
    'nothing to track: found no milestone table (Milestone and Status columns), task heading (`## T01 - Title`), milestone heading (`## Phase 1: Title`, `### K0: Title`), ' +
    'list line with an id and a status mark (`- [ ] T001 …`), table with an id column and a status or depends column, numbered work item with an `Acceptance:` bullet, ' +
    'design proposal (Summary, Motivation, Proposal, Design Details sections), nor front matter with an id and a status',
  note: 'run `govern explain <file>` to see what was skipped and which profile rule would read it',
  line: 1,
  column: 1,
};

describe('a summary table beside milestone headings', () => {
  const ROADMAP = md(`
# Roadmap

### Phase 1: Setup ✅ COMPLETE

### Phase 2: Billing

Depends on: Phase 1

## Summary

| Milestone | Status |
|---|---|
| M1 Launch | Done |
`);
  const row = lineOf(ROADMAP, '| M1 Launch');

  test('names both families and reads both: the headings are items, the table is read by its columns', () => {
    const heading = (needle: string) => at(ROADMAP, lineOf(ROADMAP, needle), needle.replace(/^#+ /, ''));
    expect(explain(ROADMAP, 'docs/roadmap.md')).toEqual({
      file: 'docs/roadmap.md',
      document: {
        id: 'roadmap',
        idSource: 'file-name',
        idReason: FILE_NAME_ID,
        title: 'Roadmap',
        family: 'plan',
        reason: 'milestone headings (first at line 3) beside a milestone table (line 11): both are read, the table as their summary',
        families: ['plan', 'tracker'],
        signals: [
          { family: 'tracker', reason: 'a milestone table (Milestone and Status columns)', line: 11 },
          { family: 'plan', reason: 'milestone headings (`## Phase 1: Title`, `### K0: Title`)', line: 3 },
          { family: 'plan', reason: 'a table with an id column and a status or depends column', line: 11 },
        ],
      },
      items: [
        {
          id: 'roadmap:PHASE-1',
          localId: 'PHASE-1',
          kind: 'milestone',
          title: 'Setup',
          ...heading('### Phase 1'),
          from: 'heading',
          status: 'done',
          statusText: '✅ COMPLETE',
          statusFrom: { via: 'heading', ...at(ROADMAP, 3, '✅') },
          dependencies: [],
          parent: 'roadmap',
        },
        {
          id: 'roadmap:PHASE-2',
          localId: 'PHASE-2',
          kind: 'milestone',
          title: 'Billing',
          ...heading('### Phase 2'),
          from: 'heading',
          status: null,
          statusText: null,
          statusFrom: null,
          dependencies: [{ id: 'roadmap:PHASE-1', origin: 'section', ...find(ROADMAP, 'Phase 1', 'Depends on:') }],
          parent: 'roadmap',
        },
        {
          id: 'roadmap:M1',
          localId: 'M1',
          kind: 'milestone',
          title: 'Launch',
          ...cellAt(ROADMAP, row, 0),
          from: 'table-row',
          status: 'done',
          statusText: 'Done',
          statusFrom: { via: 'table-cell', ...cellAt(ROADMAP, row, 1) },
          dependencies: [],
          parent: 'roadmap',
        },
      ],
      read: [
        {
          kind: 'table',
          line: 11,
          as: 'role-table',
          reason: 'read by its columns: id "Milestone", status "Status"',
          items: ['roadmap:M1'],
          roles: { id: 'Milestone', status: 'Status', depends: null, title: null },
        },
      ],
      skipped: [],
      nothingToTrack: null,
      diagnostics: [
        {
          severity: 'warning',
          code: 'status-missing',
          message: 'roadmap:PHASE-2 has no status',
          file: 'docs/roadmap.md',
          ...heading('### Phase 2'),
          note: 'add a status (for example Planned, In Progress, Done); a missing status is never guessed',
        },
      ],
    });
  });

  test('declared a tracker, it reads only the table and says why each phase heading was not read and what would read it', () => {
    const text = `---\ntype: tracker\n---\n${ROADMAP}`;
    const hidden = (needle: string, heading: string) => ({
      kind: 'heading',
      code: 'heading-in-tracker',
      line: lineOf(text, needle),
      lines: [lineOf(text, needle)],
      text: heading,
      reason: 'a milestone heading, but the document is a tracker (front matter `type: tracker`), which reads no headings',
      rule: 'remove `type: tracker` from the front matter: a plan reads the headings and the milestone table',
    });
    const e = explain(text, 'docs/roadmap.md');
    expect([e.document?.family, e.items.map((i) => i.id)]).toEqual(['tracker', ['M1']]);
    expect(e.skipped).toEqual([hidden('### Phase 1', 'Phase 1: Setup ✅ COMPLETE'), hidden('### Phase 2', 'Phase 2: Billing')]);
  });
});

describe('a table whose status column has a name the profile does not know', () => {
  const BOARD = md(`
# Sprint board

| Story | Title | Progress |
|---|---|---|
| S-1 | Login | Done |
| S-2 | Logout | In Progress |
`);

  test('nothing to track: the table, the roles it has and misses, the rule, and everything looked for', () => {
    expect(explain(BOARD, 'board.md')).toEqual({
      file: 'board.md',
      document: {
        id: 'board',
        idSource: 'file-name',
        idReason: FILE_NAME_ID,
        title: 'Sprint board',
        family: 'unknown',
        reason: 'none of the structures govern reads (see nothingToTrack)',
        families: ['unknown'],
        signals: [],
      },
      items: [],
      read: [],
      skipped: [
        {
          kind: 'table',
          code: 'table-roles-missing',
          line: 3,
          lines: [3],
          text: '| Story | Title | Progress |',
          reason: 'not read by its columns: neither a status nor a depends column',
          roles: { id: 'Story', status: null, depends: null, title: 'Title' },
          missing: ['status', 'depends'],
          rule: 'in the profile: add "progress" to tableColumns.status',
        },
      ],
      nothingToTrack: { lookedFor: LOOKED_FOR },
      diagnostics: [{ ...NOTHING, file: 'board.md' }],
    });
  });

  test('with the rule in the profile the table is read by its columns', () => {
    const e = explain(BOARD, 'board.md', withRules({ tableColumns: { status: ['progress'] } }));
    expect([e.document?.family, e.document?.reason, e.read, e.skipped, e.nothingToTrack]).toEqual([
      'plan',
      'list lines with an id and a status mark, numbered work items with an Acceptance line, or a table with an id column and a status or depends column, first at line 3',
      [{ kind: 'table', line: 3, as: 'role-table', reason: 'read by its columns: id "Story", status "Progress", title "Title"', items: ['board:S-1', 'board:S-2'], roles: { id: 'Story', status: 'Progress', depends: null, title: 'Title' } }],
      [],
      null,
    ]);
    expect(e.items.map((i) => [i.id, i.title, i.status, i.statusFrom])).toEqual([
      ['board:S-1', 'Login', 'done', { via: 'table-cell', ...cellAt(BOARD, 5, 2) }],
      ['board:S-2', 'Logout', 'in_progress', { via: 'table-cell', ...cellAt(BOARD, 6, 2) }],
    ]);
  });

  test('an id column the profile does not know: the column whose cells are ids', () => {
    const REFS = md(`
| Ref | Status | Needs |
|---|---|---|
| R1 Login | Done | - |
| R2 Logout | Planned | R1 |
`);
    const before = explain(REFS, 'refs.md');
    expect(before.skipped).toEqual([
      {
        kind: 'table',
        code: 'table-roles-missing',
        line: 1,
        lines: [1],
        text: '| Ref | Status | Needs |',
        reason: 'not read by its columns: no id column',
        roles: { id: null, status: 'Status', depends: null, title: null },
        missing: ['id'],
        rule: 'in the profile: add "ref" to tableColumns.id',
      },
    ]);
    const after = explain(REFS, 'refs.md', withRules({ tableColumns: { id: ['ref'], depends: ['needs'] } }));
    expect(after.items.map((i) => [i.id, i.status, i.dependencies.map((d) => d.id)])).toEqual([
      ['refs:R1', 'done', []],
      ['refs:R2', 'planned', ['refs:R1']],
    ]);
  });

  test('a status table whose rows are named, not numbered: the column naming each row once; links read as their text', () => {
    // reubs-ww/intern-village f2e7168 specs/README.md: no cell is an id, so before this
    // explain gave no rule at all; with the rule, a row's id is its name's slug.
    const SPECS = md(`
| Spec | Status | Purpose |
|------|--------|---------|
| [orchestrator.md](./orchestrator.md) | Complete | Go orchestrator |
| [frontend.md](./frontend.md "the SPA") | Draft | React SPA |
`);
    expect(explain(SPECS, 'specs.md').skipped).toEqual([
      {
        kind: 'table',
        code: 'table-roles-missing',
        line: 1,
        lines: [1],
        text: '| Spec | Status | Purpose |',
        reason: 'not read by its columns: no id column',
        roles: { id: null, status: 'Status', depends: null, title: null },
        missing: ['id'],
        rule: 'in the profile: add "spec" to tableColumns.id',
      },
    ]);
    const after = explain(SPECS, 'specs.md', withRules({ tableColumns: { id: ['spec'] } }));
    expect(after.items.map((i) => [i.id, i.title, i.status])).toEqual([
      ['specs:orchestrator-md', 'orchestrator.md', 'done'],
      ['specs:frontend-md', 'frontend.md', 'planned'],
    ]);
  });

  test('a name column is judged by its cells as the reader takes them: two links with one text name no row once', () => {
    // The reader reads `[notes](./a.md)` as "notes": these rows would both be `notes`.
    const DUP = md(`
| Spec | Status |
|---|---|
| [notes](./a.md) | Done |
| [notes](./b.md) | Draft |
`);
    expect(explain(DUP, 'dup.md').skipped.map((x) => [x.code, x.missing, x.rule])).toEqual([['table-roles-missing', ['id'], null]]);
  });

  test('no rule that would leave the table unread: an id column alone is not offered for a table that tracks nothing', () => {
    // Before, `add "package" to tableColumns.id` was offered here, and the table still had no status column.
    const PACKAGES = md(`
| Package | Purpose |
|---|---|
| T1 | Parser |
| T2 | Store |
`);
    expect(explain(PACKAGES, 'packages.md').skipped.map((x) => [x.code, x.missing, x.rule])).toEqual([['table-roles-missing', ['id', 'status', 'depends'], null]]);
    // Nor a name column for such a table.
    const NAMED = md(`
| Spec | Purpose |
|---|---|
| API | The API |
| UI | The UI |
`);
    expect(explain(NAMED, 'named.md').skipped.map((x) => [x.code, x.missing, x.rule])).toEqual([['table-roles-missing', ['id', 'status', 'depends'], null]]);
  });
});

describe('a list whose every line ends in a status after a dash', () => {
  // abhinavxd/libredesk 948ffd8 ROADMAP.md: `- Help center - WIP`, `- 2FA for password login - TODO`.
  const ROADMAP = md(`
# Roadmap

## Phase 1: Near Term

- Help center - WIP
- GDPR – Done
- 2FA for password login — todo

## Phase 2: Notes

- Redis - open
- Postgres - open, because it is there

- Lone line - done
`);

  test('in a plan its lines are items without an id, each with the status it ends in', () => {
    const e = explain(ROADMAP, 'roadmap.md');
    expect(e.items.filter((i) => i.kind === 'task').map((i) => [i.id, i.title, i.status, i.statusText, i.statusFrom])).toEqual([
      ['roadmap:help-center', 'Help center', 'in_progress', 'WIP', { via: 'list-mark', line: 5, column: 17 }],
      ['roadmap:gdpr', 'GDPR', 'done', 'Done', { via: 'list-mark', line: 6, column: 10 }],
      ['roadmap:2fa-for-password-login', '2FA for password login', 'planned', 'todo', { via: 'list-mark', line: 7, column: 28 }],
    ]);
  });

  test('a list with a line that states none, and a list of one line, give no item; outside a plan, a list-no-ids skip', () => {
    const e = explain(ROADMAP, 'roadmap.md');
    expect(e.items.map((i) => i.id)).toEqual(['roadmap:PHASE-1', 'roadmap:help-center', 'roadmap:gdpr', 'roadmap:2fa-for-password-login', 'roadmap:PHASE-2']);
    const plain = explain(ROADMAP.replace(/## Phase (\d): /g, '## '), 'roadmap.md');
    expect([plain.items, plain.skipped.map((x) => [x.code, x.lines])]).toEqual([[], [['list-no-ids', [5, 6, 7]]]]);
  });
});

describe('a plan with checkbox tasks', () => {
  const TASKS = md(`
# Tasks

## Phase 1: Setup

- [x] T001 Create the skeleton
- [ ] T002 Add the parser (depends on T001)
- [ ] Write the README

## Phase 2: Ship

Acceptance criteria:

- [ ] It builds

## Notes

- T003 is not planned yet
`);

  test('items with where their status and dependencies were read, lists read, and lines not read with why', () => {
    const l = (needle: string) => lineOf(TASKS, needle);
    expect(explain(TASKS, 'specs/tasks.md')).toEqual({
      file: 'specs/tasks.md',
      document: {
        id: 'tasks',
        idSource: 'file-name',
        idReason: FILE_NAME_ID,
        title: 'Tasks',
        family: 'plan',
        reason: 'milestone headings, first at line 3',
        families: ['plan'],
        signals: [
          { family: 'plan', reason: 'milestone headings (`## Phase 1: Title`, `### K0: Title`)', line: 3 },
          { family: 'plan', reason: 'list lines with an id and a status mark (`- [ ] T001 …`)', line: 5 },
        ],
      },
      items: [
        {
          id: 'tasks:PHASE-1',
          localId: 'PHASE-1',
          kind: 'milestone',
          title: 'Setup',
          ...at(TASKS, 3, 'Phase 1'),
          from: 'heading',
          status: null,
          statusText: null,
          statusFrom: null,
          dependencies: [],
          parent: 'tasks',
        },
        {
          id: 'tasks:T001',
          localId: 'T001',
          kind: 'task',
          title: 'Create the skeleton',
          ...at(TASKS, l('T001'), 'T001'),
          from: 'list-line',
          status: 'done',
          statusText: '[x]',
          statusFrom: { via: 'checkbox', ...at(TASKS, l('T001'), '[x]') },
          dependencies: [],
          parent: 'tasks:PHASE-1',
        },
        {
          id: 'tasks:T002',
          localId: 'T002',
          kind: 'task',
          title: 'Add the parser',
          ...at(TASKS, l('T002'), 'T002'),
          from: 'list-line',
          status: 'planned',
          statusText: '[ ]',
          statusFrom: { via: 'checkbox', ...at(TASKS, l('T002'), '[ ]') },
          dependencies: [{ id: 'tasks:T001', origin: 'section', ...at(TASKS, l('T002'), 'T001') }],
          parent: 'tasks:PHASE-1',
        },
        {
          id: 'tasks:PHASE-2',
          localId: 'PHASE-2',
          kind: 'milestone',
          title: 'Ship',
          ...at(TASKS, l('Phase 2'), 'Phase 2'),
          from: 'heading',
          status: null,
          statusText: null,
          statusFrom: null,
          dependencies: [],
          parent: 'tasks',
        },
      ],
      read: [
        { kind: 'list', line: 5, as: 'items', reason: '2 list lines read as items', items: ['tasks:T001', 'tasks:T002'] },
        // `- [ ] Write the README` has no id in a document that writes ids: a checkbox of the phase, so its criterion.
        { kind: 'list', line: 5, as: 'criteria', reason: 'criteria of tasks:PHASE-1', items: ['tasks:PHASE-1'] },
        { kind: 'list', line: l('It builds'), as: 'criteria', reason: 'criteria of tasks:PHASE-2', items: ['tasks:PHASE-2'] },
      ],
      skipped: [
        {
          kind: 'list',
          code: 'list-no-status-mark',
          line: l('T003'),
          lines: [l('T003')],
          text: 'T003 is not planned yet',
          reason: 'starts with an id but has no status mark, so it is not an item',
          rule: 'start the line with a checkbox (`- [ ] T001 …`, `- [x] T001 …`) or a status emoji (✅, 🔄, ⚪)',
        },
      ],
      nothingToTrack: null,
      diagnostics: [
        { severity: 'warning', code: 'status-missing', message: 'tasks:PHASE-1 has no status', file: 'specs/tasks.md', ...at(TASKS, 3, 'Phase 1'), note: 'add a status (for example Planned, In Progress, Done); a missing status is never guessed' },
        { severity: 'warning', code: 'status-missing', message: 'tasks:PHASE-2 has no status', file: 'specs/tasks.md', ...at(TASKS, l('Phase 2'), 'Phase 2'), note: 'add a status (for example Planned, In Progress, Done); a missing status is never guessed' },
      ],
    });
  });

  test('id-less checklists where ids are used, and under a criteria label, say so', () => {
    const MIXED = md(`
# Plan

- [x] T1 First
- [ ] A line without an id

## Definition of done

- [ ] T9 Reviewed
`);
    expect(explain(MIXED).skipped).toEqual([
      {
        kind: 'list',
        code: 'list-uses-ids',
        line: 4,
        lines: [4],
        text: 'A line without an id',
        reason: 'no id, and the document writes ids on its list lines (first at line 3): lines without one are not items',
        rule: 'start the line with an id (`- [ ] T1 …`)',
      },
      {
        kind: 'list',
        code: 'list-criteria-label',
        line: 8,
        lines: [8],
        text: 'T9 Reviewed',
        reason: 'under "Definition of done", a criteria label: its lines are criteria, not items',
        rule: null,
      },
    ]);
  });
});

describe('workplans, headings and files that are not documents', () => {
  test('a workplan: the front matter item and task sections, statuses from front matter and metadata', () => {
    const WP = md(`
---
id: WP-1
status: in progress
---

# WP-1

## T01 - Parse

id: WP-1-T01
status: done
depends_on: LM-01
`);
    const e = explain(WP, 'workplans/wp-1.md');
    expect([e.document?.idSource, e.document?.idReason, e.document?.family, e.document?.reason]).toEqual([
      'front-matter',
      'front matter `id`',
      'workplan',
      'task headings (`## T01 - Title`), first at line 8',
    ]);
    expect(e.items).toEqual([
      {
        id: 'WP-1',
        localId: 'WP-1',
        kind: 'workplan',
        title: 'WP-1',
        ...at(WP, 2, 'WP-1'),
        from: 'front-matter',
        status: 'in_progress',
        statusText: 'in progress',
        statusFrom: { via: 'front-matter', ...at(WP, 3, 'in progress') },
        dependencies: [],
        parent: null,
      },
      {
        id: 'WP-1-T01',
        localId: 'T01',
        kind: 'task',
        title: 'Parse',
        ...at(WP, 8, 'T01'),
        from: 'heading',
        status: 'done',
        statusText: 'done',
        statusFrom: { via: 'metadata', ...at(WP, 11, 'done') },
        dependencies: [{ id: 'LM-01', origin: 'metadata', ...at(WP, 12, 'LM-01') }],
        parent: 'WP-1',
      },
    ]);
  });

  test('a heading with a keyword the profile lacks: the pattern it names reads it', () => {
    const STEPS = md(`
# Migration

## Step 1: Back up ✅

## Goal
`);
    const rule = '^(?<kw>Step)\\s+(?<id>[0-9][A-Za-z0-9.-]*)\\s*(?:[—–:-]\\s*(?<rest>.*))?$';
    expect(explain(STEPS).skipped).toEqual([
      {
        kind: 'heading',
        code: 'heading-no-pattern',
        line: 3,
        lines: [3],
        text: 'Step 1: Back up ✅',
        reason: '"Step 1" looks like an item, but no planHeadings or taskHeadings pattern of the profile matches the heading',
        rule: `add a planHeadings pattern for "Step" to the profile, e.g. ${rule}`,
      },
    ]);
    const e = explain(STEPS, 'doc.md', withRules({ planHeadings: [rule] }));
    expect(e.items.map((i) => [i.id, i.title, i.status, i.statusFrom?.via])).toEqual([['doc:STEP-1', 'Back up', 'done', 'heading']]);
    expect(e.skipped).toEqual([]);
  });

  test('a file that is not text has no document: the diagnostic says why', () => {
    expect(explain('a\u0000b', 'bin.md')).toEqual({
      file: 'bin.md',
      document: null,
      items: [],
      read: [],
      skipped: [],
      nothingToTrack: null,
      diagnostics: [{ severity: 'error', code: 'file-binary', message: 'file contains NUL bytes; it is not a Markdown text file', file: 'bin.md', line: 1, column: 1 }],
    });
  });

  test.each(['seed-000-otlp-memory-execution-tracker.md', 'seed-002-implementation-kickoff-plan.md', 'PMEM-WP-0011-refinement-hardening-and-operational-readiness.md'])(
    'explaining %s reads what parsing reads: the same items and diagnostics',
    (name) => {
      const text = fixture(name);
      const parsed = parseDocument({ file: name, text }, P);
      const e = explain(text, name);
      expect(e.items.map((i) => [i.id, i.status, i.line, i.dependencies])).toEqual(parsed.document!.items.map((i) => [i.id, i.status, i.line, i.dependencies]));
      expect(e.diagnostics).toEqual(parsed.diagnostics);
    },
  );
});
