import { describe, expect, test } from 'vitest';
import { at, find, item, lineOf, md, mentions, parse } from '../__fixtures__/test-utils.js';

const WP = md(`
---
id: WP-7
type: workplan
title: Parser Hardening
status: in_progress
priority: high
state_hub_workstream_id: 11111111-2222-3333-4444-555555555555
---

# WP-7: Parser Hardening

## T01 - Read the front matter

id: WP-7-T01
status: done
priority: high
state_hub_task_id: "aaaaaaaa-0000-0000-0000-000000000001"

Read front matter with positions.

Acceptance:

- Front matter values keep their positions.
- Bad YAML is a diagnostic.

## T02 - Read task metadata

id: WP-7-T02
status: in progress
priority: medium
depends_on: WP-7-T01, WP-6-T09

- [x] Plain key/value lines are read.
- [ ] Fenced yaml blocks are read.

## T03 - Fenced metadata

\`\`\`yaml
id: WP-7-T03
status: planned
priority: low
state_hub_task_id: bbbbbbbb-0000-0000-0000-000000000003
depends_on:
  - WP-7-T01
  - WP-7-T02
\`\`\`

Acceptance:
- Lists work.

## Acceptance Criteria

- All tasks parse.
- [x] Nothing throws.
`);

const line = (needle: string) => lineOf(WP, needle);

describe('workplan front matter and tasks', () => {
  const { document, diagnostics } = parse(WP, 'workplans/WP-7-parser-hardening.md');

  test('the document is a workplan whose id, title and status come from front matter', () => {
    expect(diagnostics).toEqual([]);
    expect(document).toMatchObject({
      file: 'workplans/WP-7-parser-hardening.md',
      id: 'WP-7',
      family: 'workplan',
      title: 'Parser Hardening',
      status: 'in_progress',
      statusText: 'in_progress',
      frontMatter: {
        id: 'WP-7',
        type: 'workplan',
        title: 'Parser Hardening',
        status: 'in_progress',
        priority: 'high',
        state_hub_workstream_id: '11111111-2222-3333-4444-555555555555',
      },
      lineEnding: 'lf',
      bom: false,
    });
  });

  test('front matter becomes the workplan node, with the criteria of `## Acceptance Criteria`', () => {
    expect(document?.items[0]).toEqual(
      item({
        id: 'WP-7',
        kind: 'workplan',
        title: 'Parser Hardening',
        // The workplan node points at its id in the front matter.
        ...find(WP, 'WP-7', 'id: WP-7'),
        status: 'in_progress',
        statusText: 'in_progress',
        statusSource: find(WP, 'in_progress', 'status: in_progress'),
        priority: 'high',
        stateHubId: '11111111-2222-3333-4444-555555555555',
        criteria: [
          { text: 'All tasks parse.', checked: null, ...find(WP, 'All tasks parse.') },
          { text: 'Nothing throws.', checked: true, ...find(WP, 'Nothing throws.') },
        ],
      }),
    );
  });

  test('a task with plain `key: value` lines and an `Acceptance:` list (criteria unchecked = null)', () => {
    const h = line('## T01 - Read the front matter');
    expect(document?.items[1]).toEqual(
      item({
        id: 'WP-7-T01',
        localId: 'T01',
        kind: 'task',
        title: 'Read the front matter',
        ...at(WP, h, 'T01'),
        status: 'done',
        statusText: 'done',
        statusSource: find(WP, 'done', 'status: done'),
        priority: 'high',
        stateHubId: 'aaaaaaaa-0000-0000-0000-000000000001',
        parent: 'WP-7',
        criteria: [
          { text: 'Front matter values keep their positions.', checked: null, ...find(WP, 'Front matter values keep') },
          { text: 'Bad YAML is a diagnostic.', checked: null, ...find(WP, 'Bad YAML is a diagnostic.') },
        ],
      }),
    );
  });

  test('a task with a comma-separated depends_on and `- [x]`/`- [ ]` criteria', () => {
    const h = line('## T02 - Read task metadata');
    const dep = line('depends_on: WP-7-T01, WP-6-T09');
    expect(document?.items[2]).toEqual(
      item({
        id: 'WP-7-T02',
        localId: 'T02',
        kind: 'task',
        title: 'Read task metadata',
        ...at(WP, h, 'T02'),
        status: 'in_progress',
        statusText: 'in progress',
        statusSource: find(WP, 'in progress', 'status: in progress'),
        priority: 'medium',
        parent: 'WP-7',
        dependencies: [
          { id: 'WP-7-T01', origin: 'metadata', ...at(WP, dep, 'WP-7-T01') },
          { id: 'WP-6-T09', origin: 'metadata', ...at(WP, dep, 'WP-6-T09') },
        ],
        criteria: [
          { text: 'Plain key/value lines are read.', checked: true, ...find(WP, 'Plain key/value lines') },
          { text: 'Fenced yaml blocks are read.', checked: false, ...find(WP, 'Fenced yaml blocks are read.') },
        ],
      }),
    );
  });

  test('a task whose metadata is a fenced yaml block, with depends_on as a YAML list', () => {
    const h = line('## T03 - Fenced metadata');
    const t3 = document?.items[3];
    expect(t3).toEqual(
      item({
        id: 'WP-7-T03',
        localId: 'T03',
        kind: 'task',
        title: 'Fenced metadata',
        ...at(WP, h, 'T03'),
        status: 'planned',
        statusText: 'planned',
        statusSource: find(WP, 'planned', 'status: planned'),
        priority: 'low',
        stateHubId: 'bbbbbbbb-0000-0000-0000-000000000003',
        parent: 'WP-7',
        // Positions of list dependencies are checked in their own test below.
        dependencies: [
          expect.objectContaining({ id: 'WP-7-T01', origin: 'metadata' }),
          expect.objectContaining({ id: 'WP-7-T02', origin: 'metadata' }),
        ] as never,
        criteria: [{ text: 'Lists work.', checked: null, ...find(WP, 'Lists work.') }],
      }),
    );
  });

  test('each id of a YAML-list depends_on points at that id in the file', () => {
    const t3 = document?.items[3];
    expect(t3?.dependencies).toEqual([
      { id: 'WP-7-T01', origin: 'metadata', ...find(WP, 'WP-7-T01', '  - WP-7-T01') },
      { id: 'WP-7-T02', origin: 'metadata', ...find(WP, 'WP-7-T02', '  - WP-7-T02') },
    ]);
  });

  test('the document has exactly the workplan node and its three tasks, in order', () => {
    expect(document?.items.map((i) => [i.id, i.kind, i.parent])).toEqual([
      ['WP-7', 'workplan', null],
      ['WP-7-T01', 'task', 'WP-7'],
      ['WP-7-T02', 'task', 'WP-7'],
      ['WP-7-T03', 'task', 'WP-7'],
    ]);
  });
});

describe('workplan depends_on forms', () => {
  test('a flow list `[a, b]` in plain metadata lines gives one ref per id, at its position', () => {
    const text = md(`
---
id: WP-8
type: workplan
status: planned
---

## T01 - Flow list

id: WP-8-T01
status: planned
depends_on: [WP-8-T00, WP-3-T02]
`);
    const { document, diagnostics } = parse(text, 'wp8.md');
    expect(diagnostics).toEqual([]);
    const dl = lineOf(text, 'depends_on:');
    expect(document?.items[1]?.dependencies).toEqual([
      { id: 'WP-8-T00', origin: 'metadata', ...at(text, dl, 'WP-8-T00') },
      { id: 'WP-3-T02', origin: 'metadata', ...at(text, dl, 'WP-3-T02') },
    ]);
  });

  test('a block list under `depends_on:` in plain metadata lines (Markdown reads it as a list) gives one ref per entry', () => {
    const text = md(`
---
id: WP-8
type: workplan
status: planned
---

## T02 - Block list

id: WP-8-T02
status: planned
depends_on:
  - WP-8-T00
  - WP-3-T02

Some description.
`);
    const { document, diagnostics } = parse(text, 'wp8.md');
    expect(diagnostics).toEqual([]);
    expect(document?.items[1]?.dependencies).toEqual([
      { id: 'WP-8-T00', origin: 'metadata', ...find(text, 'WP-8-T00') },
      { id: 'WP-3-T02', origin: 'metadata', ...find(text, 'WP-3-T02') },
    ]);
    expect(document?.items[1]?.criteria).toEqual([]);
  });

  test('front matter depends_on (a YAML list) becomes dependencies of the workplan node', () => {
    const text = md(`
---
id: WP-9
type: workplan
status: planned
depends_on:
  - WP-7
  - WP-8
---

# WP-9
`);
    const { document, diagnostics } = parse(text, 'wp9.md');
    expect(diagnostics).toEqual([]);
    expect(document?.items[0]?.dependencies).toEqual([
      { id: 'WP-7', origin: 'front-matter', ...find(text, 'WP-7', '  - WP-7') },
      { id: 'WP-8', origin: 'front-matter', ...find(text, 'WP-8', '  - WP-8') },
    ]);
  });
});

describe('workplan diagnostics', () => {
  test('a task without status: `status-missing` at the task heading; an unknown status: `status-unrecognized` with `actual`', () => {
    const text = md(`
---
id: WP-10
type: workplan
status: planned
---

## T01 - No status

id: WP-10-T01
priority: high

## T02 - Odd status

id: WP-10-T02
status: someday maybe
`);
    const { document, diagnostics } = parse(text, 'workplans/wp10.md');
    const h1 = lineOf(text, '## T01');
    expect(diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'status-missing',
        message: mentions('WP-10-T01') as string,
        file: 'workplans/wp10.md',
        ...at(text, h1, 'T01'),
        note: expect.any(String) as string,
      },
      {
        severity: 'warning',
        code: 'status-unrecognized',
        message: mentions('WP-10-T02', 'someday maybe') as string,
        file: 'workplans/wp10.md',
        ...find(text, 'someday maybe'),
        expected: expect.any(String) as string,
        actual: 'someday maybe',
        note: expect.any(String) as string,
      },
    ]);
    expect(document?.items.slice(1).map((i) => [i.id, i.status, i.statusText, i.statusSource])).toEqual([
      ['WP-10-T01', null, null, null],
      ['WP-10-T02', null, 'someday maybe', find(text, 'someday maybe')],
    ]);
  });

  test('invalid YAML in front matter: `front-matter-yaml` on the file line of the bad value', () => {
    const text = md(`
---
id: WP-11
type: workplan
title: a: b
status: done
---

# WP-11
`);
    const { document, diagnostics } = parse(text, 'workplans/WP-11.md');
    expect(diagnostics).toContainEqual({
      severity: 'error',
      code: 'front-matter-yaml',
      message: expect.stringMatching(/^front matter YAML: /) as string,
      file: 'workplans/WP-11.md',
      ...find(text, 'a: b', 'title: a: b'),
    });
    expect(diagnostics.filter((d) => d.code === 'front-matter-yaml')).toHaveLength(1);
    expect(document?.frontMatter).toBeNull();
  });

  test('a duplicate front matter key is reported on the line of the second key', () => {
    const text = md(`
---
id: WP-12
type: workplan
status: done
id: WP-13
---
`);
    const { diagnostics } = parse(text, 'wp12.md');
    expect(diagnostics).toContainEqual({
      severity: 'error',
      code: 'front-matter-yaml',
      message: expect.stringMatching(/^front matter YAML: /) as string,
      file: 'wp12.md',
      line: lineOf(text, 'id: WP-13'),
      column: 1,
    });
  });

  test('invalid YAML in plain task metadata: `metadata-invalid` at the bad value; the task id is derived', () => {
    const text = md(`
---
id: WP-14
type: workplan
status: planned
---

## T01 - Broken metadata

id: WP-14-T01
status: done
priority: a: b
`);
    const { document, diagnostics } = parse(text, 'wp14.md');
    expect(diagnostics).toContainEqual({
      severity: 'error',
      code: 'metadata-invalid',
      message: expect.stringMatching(/^task metadata: /) as string,
      file: 'wp14.md',
      ...find(text, 'a: b', 'priority: a: b'),
    });
    expect(diagnostics.filter((d) => d.severity === 'error')).toHaveLength(1);
    expect(document?.items.map((i) => i.id)).toEqual(['WP-14', 'WP-14-T01']);
  });

  test('invalid YAML in a fenced metadata block: `metadata-invalid` on the file line of the duplicate key', () => {
    const text = md(`
---
id: WP-15
type: workplan
status: planned
---

## T01 - Broken fence

\`\`\`yaml
id: WP-15-T01
status: done
status: planned
\`\`\`
`);
    const { diagnostics } = parse(text, 'wp15.md');
    expect(diagnostics).toContainEqual({
      severity: 'error',
      code: 'metadata-invalid',
      message: expect.stringMatching(/^task metadata: /) as string,
      file: 'wp15.md',
      line: lineOf(text, 'status: planned', lineOf(text, '```yaml')),
      column: 1,
    });
  });

  test('an alias to an undefined anchor in task metadata is `metadata-invalid`, not a status "[object Object]"', () => {
    const text = md(`
---
id: WP-16
type: workplan
status: planned
---

## T01 - Alias status

id: WP-16-T01
status: *s

## T02 - Alias dependency

\`\`\`yaml
id: WP-16-T02
status: done
depends_on: [*x]
\`\`\`
`);
    const { document, diagnostics } = parse(text, 'wp16.md');
    expect(diagnostics).toContainEqual({
      severity: 'error',
      code: 'metadata-invalid',
      message: expect.stringMatching(/^task metadata: /) as string,
      file: 'wp16.md',
      ...find(text, '*s'),
    });
    expect(diagnostics).toContainEqual({
      severity: 'error',
      code: 'metadata-invalid',
      message: expect.stringMatching(/^task metadata: /) as string,
      file: 'wp16.md',
      ...find(text, '*x'),
    });
    const texts = (document?.items ?? []).flatMap((i) => [i.statusText, ...i.dependencies.map((d) => d.id)]);
    expect(texts).not.toContain('[object Object]');
    expect(diagnostics.map((d) => d.actual)).not.toContain('[object Object]');
  });

  test('a workplan without a front matter id: `id-missing`, and the id comes from the file name', () => {
    const text = md(`
---
type: workplan
title: Loose Plan
status: planned
---

## T01 - Something

status: planned
`);
    const { document, diagnostics } = parse(text, 'workplans/WP-LOOSE-3.md');
    expect(document?.id).toBe('WP-LOOSE-3');
    expect(document?.title).toBe('Loose Plan');
    expect(diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'id-missing',
        message: mentions('WP-LOOSE-3') as string,
        file: 'workplans/WP-LOOSE-3.md',
        line: 1,
        column: 1,
        expected: 'front matter with `id:`',
      },
      {
        severity: 'info',
        code: 'id-derived',
        message: mentions('T01', 'WP-LOOSE-3-T01') as string,
        file: 'workplans/WP-LOOSE-3.md',
        ...find(text, 'T01'),
      },
    ]);
    expect(document?.items.map((i) => [i.id, i.localId, i.kind, i.status])).toEqual([
      ['WP-LOOSE-3', 'WP-LOOSE-3', 'workplan', 'planned'],
      ['WP-LOOSE-3-T01', 'T01', 'task', 'planned'],
    ]);
  });

  test('a workplan with no front matter at all is recognized by its task headings', () => {
    const text = md(`
# Loose notes

## T01 - Something

status: planned
`);
    const { document, diagnostics } = parse(text, 'notes/wp-loose-4.md');
    expect(document?.family).toBe('workplan');
    expect(document?.id).toBe('wp-loose-4');
    expect(document?.title).toBe('Loose notes');
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['id-missing', 1],
      ['status-missing', 1],
      ['id-derived', 3],
    ]);
  });
});
