import { describe, expect, test } from 'vitest';
import { newItem as item } from './common.js';
import { at, P, parse } from '../__fixtures__/test-utils.js';
import { normalizeStatus } from '../status.js';

/**
 * A code span names something (a field, a flag, a file); it states a status only when it
 * is nothing but a status spelling (`### M1 — Bootstrap \`done\``). `x` is a status
 * spelling (`[x]`), so `x-kubernetes-immutable` was read as done (GV-WP-0009-T04).
 */
describe('a status word inside a code span is not a status', () => {
  test('a heading ending in a code span that starts with a status word keeps it in its title and states no status', () => {
    const text = '# Plan\n\n## Phase 1: Field `x-kubernetes-immutable`\n\n## Phase 2: Bootstrap `done`\n';
    const { document, diagnostics } = parse(text, 'ROADMAP.md');
    expect(document?.items).toEqual([
      item({ parent: 'ROADMAP', id: 'ROADMAP:PHASE-1', kind: 'milestone', localId: 'PHASE-1', title: 'Field `x-kubernetes-immutable`', line: 3, column: 4 }),
      item({ status: 'done', statusText: 'done', statusSource: at(text, 5, 'done'), parent: 'ROADMAP', id: 'ROADMAP:PHASE-2', kind: 'milestone', localId: 'PHASE-2', title: 'Bootstrap', line: 5, column: 4 }),
    ]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['status-missing', 3, 4]]);
  });

  test('a code span as the last ` — ` segment of a heading is a status only when it is one', () => {
    const text = '# Plan\n\n## Phase 1 — Flags — `x-enable-foo`\n\n## Phase 2 — Flags — `in progress`\n';
    const { document } = parse(text, 'ROADMAP.md');
    expect(document?.items.map((i) => [i.localId, i.title, i.status, i.statusText])).toEqual([
      ['PHASE-1', 'Flags — `x-enable-foo`', null, null],
      ['PHASE-2', 'Flags', 'in_progress', '`in progress`'],
    ]);
  });

  test.each([
    ['`x-kubernetes-immutable`', null],
    ['`x-kubernetes-immutable` set', null],
    ['`done-ish`', null],
    ['`done`', 'done'],
    ['`Done` (#12)', 'done'],
    ['`in progress`', 'in_progress'],
  ] as const)('normalizeStatus(%j) is %j', (raw, status) => {
    expect(normalizeStatus(raw, P).status).toBe(status);
  });
});
