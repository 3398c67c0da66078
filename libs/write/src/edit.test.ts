import { compileProfile, DEFAULT_PROFILE, parseDocument, type Status } from '@govern/workplan';
import { describe, expect, test } from 'vitest';
import { planStatusEdit, spell } from './edit.js';
import { WriteError } from './errors.js';

const P = compileProfile(DEFAULT_PROFILE);
const NOW = new Date('2026-11-21T10:20:30.456Z');

/** Sets `id` to `to` in `text` and returns the new text (the file as it would be written). */
function set(text: string, id: string, to: Status, file = 'trackers/t.md'): string {
  const { document } = parseDocument({ file, text }, P);
  const item = document!.items.find((i) => i.id === id);
  if (!item) throw new Error(`no ${id} in fixture`);
  const out = planStatusEdit(text, document!, item, to, P, NOW).text;
  // Whatever the edit, the result must read back as the new status.
  expect(parseDocument({ file, text: out }, P).document!.items.find((i) => i.id === id)!.status).toBe(to);
  return out;
}

const lines = (...l: string[]) => l.join('\n');

describe('tracker table cells', () => {
  test('aligned table: a shorter token is padded, so every pipe stays in its column', () => {
    const before = lines(
      '| Order | Milestone     | Depends On | Status      |',
      '|------:|---------------|------------|-------------|',
      '|     1 | LM-01 Tel     | -          | In Progress |',
      '|     2 | LM-02 Store   | LM-01      | Planned     |',
      '',
    );
    expect(set(before, 'LM-01', 'blocked')).toBe(
      lines(
        '| Order | Milestone     | Depends On | Status      |',
        '|------:|---------------|------------|-------------|',
        '|     1 | LM-01 Tel     | -          | Blocked     |',
        '|     2 | LM-02 Store   | LM-01      | Planned     |',
        '',
      ),
    );
  });

  test('aligned table: a longer token uses the padding, then widens the column in every row', () => {
    const before = lines(
      '| Milestone | Status  |',
      '|-----------|:-------:|',
      '| LM-01 Tel | Done    |',
      '| LM-02 Sto | Planned |',
      '',
    );
    expect(set(before, 'LM-02', 'in_progress')).toBe(
      lines(
        '| Milestone | Status      |',
        '|-----------|:-----------:|',
        '| LM-01 Tel | Done        |',
        '| LM-02 Sto | In Progress |',
        '',
      ),
    );
  });

  test('unaligned table: only the token changes', () => {
    const before = lines('| Milestone | Status |', '|---|---|', '| LM-01 Tel | Planned |', '| LM-02 Sto | Done |', '');
    expect(set(before, 'LM-01', 'in_progress')).toBe(
      lines('| Milestone | Status |', '|---|---|', '| LM-01 Tel | In Progress |', '| LM-02 Sto | Done |', ''),
    );
  });

  test('commentary and emphasis around the status survive: **Done** (#27) → **In Progress** (#27)', () => {
    const before = lines('| Milestone | Status |', '|---|---|', '| LM-01 Tel | **Done** (#27) |', '');
    expect(set(before, 'LM-01', 'in_progress')).toBe(lines('| Milestone | Status |', '|---|---|', '| LM-01 Tel | **In Progress** (#27) |', ''));
  });

  test('spelling follows the document: a sibling already written COMPLETE makes the new one COMPLETE', () => {
    const before = lines('| Milestone | Status |', '|---|---|', '| LM-01 A | COMPLETE |', '| LM-02 B | PLANNED |', '');
    expect(set(before, 'LM-02', 'done')).toBe(lines('| Milestone | Status |', '|---|---|', '| LM-01 A | COMPLETE |', '| LM-02 B | COMPLETE |', ''));
  });

  test('a checkbox status holds only done or planned', () => {
    const before = lines('| Milestone | Status |', '|---|---|', '| LM-01 A | [ ] |', '');
    expect(set(before, 'LM-01', 'done')).toBe(lines('| Milestone | Status |', '|---|---|', '| LM-01 A | [x] |', ''));
    const { document } = parseDocument({ file: 't.md', text: before }, P);
    expect(() => planStatusEdit(before, document!, document!.items[0]!, 'in_progress', P, NOW)).toThrow(WriteError);
  });
});

describe('line endings, BOM and Unicode', () => {
  test('CRLF and a BOM are kept byte for byte; only the token changes', () => {
    const before = '\uFEFF# Tracker ✓\r\n\r\n| Milestone | Status |\r\n|---|---|\r\n| LM-01 Überblick | Planned |\r\n| LM-02 日本 | Done |\r\n';
    expect(set(before, 'LM-01', 'in_progress')).toBe(
      '\uFEFF# Tracker ✓\r\n\r\n| Milestone | Status |\r\n|---|---|\r\n| LM-01 Überblick | In Progress |\r\n| LM-02 日本 | Done |\r\n',
    );
  });

  test('CRLF workplan with front matter on line 1 after a BOM', () => {
    const before = '\uFEFF---\r\nid: WP-1\r\ntype: workplan\r\ntitle: T\r\nstatus: planned\r\n---\r\n\r\n## T01 - A\r\n\r\nid: WP-1-T01\r\nstatus: planned\r\n';
    const out = set(before, 'WP-1', 'in_progress', 'workplans/wp.md');
    expect(out).toBe(before.replace('status: planned\r\n---', 'status: in_progress\r\n---'));
  });
});

describe('workplans', () => {
  const WP = lines(
    '---',
    'id: WP-9',
    'type: workplan',
    'title: Nine',
    'status: in_progress',
    'updated: 2026-01-02',
    '---',
    '',
    '## T01 - Fenced',
    '',
    '```yaml',
    'id: WP-9-T01',
    'status: "planned"',
    'priority: P1',
    '```',
    '',
    '## T02 - Plain lines',
    '',
    'id: WP-9-T02',
    'status: Planned',
    '',
  );

  test('a quoted status in a fenced yaml block keeps its quotes; updated: is bumped in its own format', () => {
    expect(set(WP, 'WP-9-T01', 'in_progress', 'workplans/wp.md')).toBe(
      WP.replace('status: "planned"', 'status: "in_progress"').replace('updated: 2026-01-02', 'updated: 2026-11-21'),
    );
  });

  test('plain metadata lines keep their spelling style (Title Case)', () => {
    expect(set(WP, 'WP-9-T02', 'blocked', 'workplans/wp.md')).toBe(
      WP.replace('status: Planned', 'status: Blocked').replace('updated: 2026-01-02', 'updated: 2026-11-21'),
    );
  });

  test('a timestamp `updated:` stays a timestamp; other values are left alone', () => {
    const ts = WP.replace('updated: 2026-01-02', "updated: '2026-01-02T08:00:00Z' # bumped by govern");
    expect(set(ts, 'WP-9', 'partial', 'workplans/wp.md')).toBe(
      ts.replace('status: in_progress', 'status: partial').replace("'2026-01-02T08:00:00Z'", "'2026-11-21T10:20:30Z'"),
    );
    const other = WP.replace('updated: 2026-01-02', 'updated: yesterday');
    expect(set(other, 'WP-9', 'partial', 'workplans/wp.md')).toBe(other.replace('status: in_progress', 'status: partial'));
  });
});

describe('plans', () => {
  test('a heading suffix is replaced in its case; the rest of the heading stays', () => {
    const before = lines('# Plan', '', '## PHASE 3 — Memory Infrastructure — COMPLETE', '', '## PHASE 4 — Binder — IN PROGRESS', '');
    expect(set(before, 'plan:PHASE-4', 'partial', 'docs/plan.md')).toBe(
      lines('# Plan', '', '## PHASE 3 — Memory Infrastructure — COMPLETE', '', '## PHASE 4 — Binder — PARTIAL', ''),
    );
  });

  test('a `**Status:**` line keeps its emphasis and commentary', () => {
    const before = lines('# Plan', '', '### K0: Baseline', '', '**Status:** Planned — waiting on review', '');
    expect(set(before, 'plan:K0', 'in_progress', 'docs/plan.md')).toBe(
      lines('# Plan', '', '### K0: Baseline', '', '**Status:** In Progress — waiting on review', ''),
    );
  });
});

describe('refusals', () => {
  test('an item without a status token is refused, not guessed', () => {
    const text = lines('# Plan', '', '### K0: Baseline', '', 'No status here.', '');
    const { document } = parseDocument({ file: 'docs/plan.md', text }, P);
    const item = document!.items.find((i) => i.id === 'plan:K0')!;
    expect(() => planStatusEdit(text, document!, item, 'done', P, NOW)).toThrow(
      expect.objectContaining({ code: 'status-token-missing' }),
    );
  });

  test('a token that is not where the parser read it is a mismatch (the file changed underneath)', () => {
    const text = lines('| Milestone | Status |', '|---|---|', '| LM-01 A | Planned |', '');
    const { document } = parseDocument({ file: 't.md', text }, P);
    const changed = text.replace('Planned', 'Blocked');
    expect(() => planStatusEdit(changed, document!, document!.items[0]!, 'done', P, NOW)).toThrow(
      expect.objectContaining({ code: 'status-token-mismatch' }),
    );
  });
});

describe('spell', () => {
  test.each([
    ['planned', 'yaml', 'in_progress'],
    ['in-progress', 'line', 'in-progress'],
    ['PLANNED', 'heading', 'IN PROGRESS'],
    ['planned', 'line', 'in progress'],
    ['Planned', 'table-cell', 'In Progress'],
    ['✅', 'table-cell', 'In Progress'],
  ] as const)('%s (%s) → %s', (current, form, expected) => {
    expect(spell('in_progress', current, form, [])).toBe(expected);
  });
});
