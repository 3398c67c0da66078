import { describe, expect, test } from 'vitest';
import { md, P } from './__fixtures__/test-utils.js';
import { fileNameId, pathDocumentIds, pathId } from './ids.js';
import type { WorkDocument } from './model.js';
import { parseDocument } from './parse.js';

/** Every item id of the documents, in order, and those defined twice (what the graph reports as `duplicate-id`). */
function buildGraphIds(documents: WorkDocument[]): { ids: string[]; duplicates: string[] } {
  const ids = documents.flatMap((d) => d.items.map((i) => i.id));
  return { ids, duplicates: ids.filter((id, k) => ids.indexOf(id) !== k) };
}

// Document ids when the front matter names none: the file name, or the path when
// another file of the root has the same name (issue 15, class 6).

const TASKS = md(`
# Tasks

## Phase 1: Setup

- [x] T001 Create the skeleton
- [ ] T002 Add the parser (depends on T001)
`);

describe('fileNameId, pathId and pathDocumentIds', () => {
  test('the file name and the path, without the Markdown extension', () => {
    expect([fileNameId('specs/001-x/tasks.md'), fileNameId('README.markdown'), fileNameId('notes/v1.2.md')]).toEqual(['tasks', 'README', 'v1.2']);
    expect([pathId('specs/001-x/tasks.md'), pathId('TASKS.MD'), pathId('a/b.txt')]).toEqual(['specs/001-x/tasks', 'TASKS', 'a/b.txt']);
  });

  test('only files whose name another file shares get a path id; a unique name keeps its file-name id', () => {
    const ids = pathDocumentIds(['specs/001-x/tasks.md', 'specs/002-y/tasks.md', 'trackers/main.md', 'workplans/tasks.md', 'workplans/plan.md']);
    expect(Object.fromEntries(ids)).toEqual({
      'specs/001-x/tasks.md': 'specs/001-x/tasks',
      'specs/002-y/tasks.md': 'specs/002-y/tasks',
      'workplans/tasks.md': 'workplans/tasks',
    });
    expect(pathDocumentIds(['trackers/main.md', 'workplans/plan.md']).size).toBe(0);
  });
});

describe('parseDocument with a default id', () => {
  test('without one, the document is named by its file name (as before)', () => {
    const { document } = parseDocument({ file: 'specs/001-x/tasks.md', text: TASKS }, P);
    expect([document?.id, document?.idSource, document?.items.map((i) => [i.id, i.localId, i.parent])]).toEqual([
      'tasks',
      'file-name',
      [
        ['tasks:PHASE-1', 'PHASE-1', 'tasks'],
        ['tasks:T001', 'T001', 'tasks:PHASE-1'],
        ['tasks:T002', 'T002', 'tasks:PHASE-1'],
      ],
    ]);
  });

  test('with a path id, items keep their local ids and gain the qualified global id; local dependencies follow', () => {
    const { document } = parseDocument({ file: 'specs/001-x/tasks.md', text: TASKS, defaultId: 'specs/001-x/tasks' }, P);
    expect([document?.id, document?.idSource]).toEqual(['specs/001-x/tasks', 'path']);
    expect(document?.items.map((i) => ({ id: i.id, localId: i.localId, parent: i.parent, dependsOn: i.dependencies.map((d) => d.id) }))).toEqual([
      { id: 'specs/001-x/tasks:PHASE-1', localId: 'PHASE-1', parent: 'specs/001-x/tasks', dependsOn: [] },
      { id: 'specs/001-x/tasks:T001', localId: 'T001', parent: 'specs/001-x/tasks:PHASE-1', dependsOn: [] },
      { id: 'specs/001-x/tasks:T002', localId: 'T002', parent: 'specs/001-x/tasks:PHASE-1', dependsOn: ['specs/001-x/tasks:T001'] },
    ]);
  });

  test('a front matter id wins over the default id', () => {
    const text = md(`
---
id: EPIC-7
status: planned
---

# Epic
`);
    const { document } = parseDocument({ file: 'specs/001-x/tasks.md', text, defaultId: 'specs/001-x/tasks' }, P);
    expect([document?.id, document?.idSource, document?.items.map((i) => i.id)]).toEqual(['EPIC-7', 'front-matter', ['EPIC-7']]);
  });

  test('a workplan without a front matter id says its id comes from its path', () => {
    const text = md(`
## T01 - Do it

status: planned
`);
    const { diagnostics } = parseDocument({ file: 'a/wp.md', text, defaultId: 'a/wp' }, P);
    expect(diagnostics.filter((d) => d.code === 'id-missing')).toEqual([
      {
        severity: 'warning',
        code: 'id-missing',
        message: 'workplan has no front matter id; using "a/wp" from its path',
        expected: 'front matter with `id:`',
        file: 'a/wp.md',
        line: 1,
        column: 1,
      },
    ]);
  });

  test('two `tasks.md` files with path ids give a graph without duplicate ids (with file-name ids the second collided)', () => {
    const files = ['specs/001-x/tasks.md', 'specs/002-y/tasks.md'];
    const byPath = buildGraphIds(files.map((file) => parseDocument({ file, text: TASKS, defaultId: pathId(file) }, P).document!));
    const byName = buildGraphIds(files.map((file) => parseDocument({ file, text: TASKS }, P).document!));
    expect(byPath).toEqual({
      ids: [
        'specs/001-x/tasks:PHASE-1',
        'specs/001-x/tasks:T001',
        'specs/001-x/tasks:T002',
        'specs/002-y/tasks:PHASE-1',
        'specs/002-y/tasks:T001',
        'specs/002-y/tasks:T002',
      ],
      duplicates: [],
    });
    expect(byName.duplicates).toEqual(['tasks:PHASE-1', 'tasks:T001', 'tasks:T002']);
  });
});
