/**
 * Issue 11 part 7: pathological input must cost linear time and come back as
 * positioned diagnostics, never as `internal-error` (a stack overflow or a parse
 * that runs for minutes). Sizes are the smallest that showed the problem on the
 * old code; each case also has a generous time bound, a sanity guard and not a
 * benchmark (the old code took from 5 s to minutes on these inputs).
 */
import { describe, expect, test } from 'vitest';
import { md, parse } from './__fixtures__/test-utils.js';
import type { ListItem, TableBlock } from './blocks.js';
import { DiagnosticSink } from './diagnostics.js';
import { flattenCriteria, newItem } from './families/common.js';
import { deriveStatuses } from './derived.js';
import { parseTracker } from './families/tracker.js';
import { blocksFast } from './fast-blocks.js';
import { blocksFromMarkdown } from './markdown.js';
import type { Diagnostic, ParseResult } from './model.js';
import { compileProfile, DEFAULT_PROFILE } from './profile.js';

/** The documented limits (docs/formats.md, Diagnostics); pinned here on purpose. */
const MAX_MARKERS_PER_LINE = 100;
const MAX_COMPLEX_BLOCK_LINES = 1000;
const MAX_COMPLEX_BLOCK_MARKERS = 1000;
const MAX_HEADING_LENGTH = 1000;
const MAX_YAML_NESTING = 32;
const MAX_PROSE_IDS = 100_000;

/**
 * Far above what these inputs take now, far below what they took before (seconds to
 * minutes). Measured as this process's CPU time, not wall time: two test suites sharing
 * 2 cores doubled the wall time of a 1.2 s parse and failed a wall-clock bound.
 */
const BOUND_MS = 2500;

function timed(text: string, file = 'doc.md'): { r: ParseResult; ms: number } {
  const t0 = process.cpuUsage();
  const r = parse(text, file);
  const used = process.cpuUsage(t0);
  return { r, ms: (used.user + used.system) / 1000 };
}

function sane(text: string, file = 'doc.md'): ParseResult {
  const { r, ms } = timed(text, file);
  expect(r.diagnostics.filter((d) => d.code === 'internal-error')).toEqual([]);
  expect(ms).toBeLessThan(BOUND_MS);
  return r;
}

function only(r: ParseResult, code: string): Pick<Diagnostic, 'severity' | 'code' | 'line' | 'column'>[] {
  return r.diagnostics.filter((d) => d.code === code).map(({ severity, code: c, line, column }) => ({ severity, code: c, line, column }));
}

const WP_HEAD = md(`
---
id: WP-1
type: workplan
status: planned
---

## T01 - Before

status: done

`);
const WP_TAIL = md(`

## T02 - After

status: in progress
`);
/** Line of the first body line WP_HEAD leaves for the case under test. */
const CASE_LINE = WP_HEAD.split('\n').length;

function tasks(r: ParseResult): [string, string | null][] {
  return (r.document?.items ?? []).filter((i) => i.kind === 'task').map((i) => [i.localId, i.status]);
}

describe('container markers nested on one line (`- - - … x`)', () => {
  test.each([
    ['- ', 10_000, 2 * MAX_MARKERS_PER_LINE + 1],
    ['* ', 10_000, 2 * MAX_MARKERS_PER_LINE + 1],
    ['1. ', 10_000, 3 * MAX_MARKERS_PER_LINE + 1],
    ['> ', 10_000, 2 * MAX_MARKERS_PER_LINE + 1],
    ['>', 20_000, MAX_MARKERS_PER_LINE + 1],
    ['- > ', 5_000, 2 * MAX_MARKERS_PER_LINE + 1],
  ])('%j × %i then text: `nesting-too-deep` at the first marker past the limit; the tasks around it are read', (unit, n, column) => {
    const r = sane(WP_HEAD + unit.repeat(n) + 'x' + WP_TAIL);
    expect(only(r, 'nesting-too-deep')).toEqual([{ severity: 'error', code: 'nesting-too-deep', line: CASE_LINE, column }]);
    expect(tasks(r)).toEqual([
      ['T01', 'done'],
      ['T02', 'in_progress'],
    ]);
  });

  test('exactly the limit is read; one marker more is refused', () => {
    const at = (n: number) => only(sane(WP_HEAD + '- '.repeat(n) + 'x' + WP_TAIL), 'nesting-too-deep');
    expect(at(MAX_MARKERS_PER_LINE)).toEqual([]);
    expect(at(MAX_MARKERS_PER_LINE + 1)).toHaveLength(1);
  });

  test('`- ` × 10,000 with nothing after it is a thematic break, not nesting', () => {
    const r = sane(WP_HEAD + '- '.repeat(10_000) + WP_TAIL);
    expect(only(r, 'nesting-too-deep')).toEqual([]);
    expect(tasks(r)).toHaveLength(2);
  });

  test('the remark engine reports the same', () => {
    const text = WP_HEAD + '- '.repeat(10_000) + 'x' + WP_TAIL;
    const P = compileProfile(DEFAULT_PROFILE);
    // Imported lazily so this file still loads on code without the engine option.
    return import('./parse.js').then(({ parseDocument }) => {
      expect(parseDocument({ file: 'doc.md', text }, P, { engine: 'remark' })).toEqual(parseDocument({ file: 'doc.md', text }, P));
    });
  });
});

describe('sizes far past any real document', () => {
  test('a milestone table of 150,000 rows gives 150,000 items (no `Maximum call stack size exceeded`)', () => {
    const n = 150_000;
    const rows: TableBlock['rows'] = [{ line: 1, cells: [{ text: 'Milestone', line: 1, column: 3 }, { text: 'Status', line: 1, column: 15 }] }];
    for (let i = 0; i < n; i++) rows.push({ line: i + 3, cells: [{ text: `LM-${i} a`, line: i + 3, column: 3 }, { text: 'Done', line: i + 3, column: 15 }] });
    const parts = parseTracker([{ type: 'table', line: 1, rows }], 'T', compileProfile(DEFAULT_PROFILE), new DiagnosticSink('t.md'));
    expect(parts.items).toHaveLength(n);
    expect(parts.items[n - 1]).toMatchObject({ id: `LM-${n - 1}`, status: 'done', line: n + 2 });
  });

  test('a checklist nested 100,000 deep is flattened without recursion', () => {
    const root: ListItem = { text: 'level 0', line: 1, column: 3, checked: null, children: [] };
    let at = root;
    for (let d = 1; d < 100_000; d++) {
      const child: ListItem = { text: `level ${d}`, line: d + 1, column: 3, checked: d % 2 === 0, children: [] };
      at.children.push(child);
      at = child;
    }
    const flat = flattenCriteria([root]);
    expect(flat).toHaveLength(100_000);
    expect(flat[99_999]).toEqual({ text: 'level 99999', checked: false, line: 100_000, column: 3 });
  });

  test('a list nested 150 deep by indentation: the fast scanner (no recursion now) and remark agree', () => {
    const body = Array.from({ length: 150 }, (_, d) => `${' '.repeat(2 * d)}- [${d % 2 ? 'x' : ' '}] level ${d}`).join('\n') + '\n';
    const fast = blocksFast(body, 0);
    expect(fast).not.toBeNull();
    expect(fast).toEqual(blocksFromMarkdown(body, 0));
  });
});

describe('the full CommonMark parser is only ever given one top-level block at a time', () => {
  // micromark moves every earlier event when a nested container closes or a lazy
  // line arrives, so one big list took seconds to minutes once any construct in
  // the file (here an HTML comment) sent the file to remark.
  const REMARK_ONLY = '<!-- a comment only remark reads -->\n\n';

  test('4,000 checklist items with a sub-item each, in a file with an HTML comment', () => {
    let list = '';
    for (let i = 0; i < 4000; i++) list += `- [ ] item ${i}\n  - [x] sub ${i}\n`;
    const r = sane(WP_HEAD + REMARK_ONLY + 'Exit criteria:\n\n' + list);
    const t01 = r.document!.items.find((i) => i.localId === 'T01')!;
    expect(t01.criteria).toHaveLength(8000);
    expect(t01.criteria[7999]).toMatchObject({ text: 'sub 3999', checked: true });
  });

  test('20,000 lazy continuation lines after a list item', () => {
    const r = sane(WP_HEAD + REMARK_ONLY + 'Exit criteria:\n\n- [ ] first\n' + 'lazy\n'.repeat(20_000));
    const t01 = r.document!.items.find((i) => i.localId === 'T01')!;
    expect(t01.criteria).toHaveLength(1);
    expect(t01.criteria[0]!.text).toHaveLength('first'.length + ' lazy'.length * 20_000);
  });

  // A list item holding a block quote: the fast scanner leaves that to remark.
  test(`a block only remark can read, longer than ${MAX_COMPLEX_BLOCK_LINES} lines, is skipped with \`block-too-complex\`; the rest is read`, () => {
    const big = '- [ ] item\n' + '  > quoted\n'.repeat(MAX_COMPLEX_BLOCK_LINES);
    const r = sane(WP_HEAD + 'Exit criteria:\n\n' + big + WP_TAIL);
    expect(only(r, 'block-too-complex')).toEqual([{ severity: 'error', code: 'block-too-complex', line: CASE_LINE + 2, column: 1 }]);
    expect(tasks(r)).toEqual([
      ['T01', 'done'],
      ['T02', 'in_progress'],
    ]);
  });

  test('at the limit (the blank line after it included) it is read in full', () => {
    const big = '- [ ] item\n' + '  > quoted\n'.repeat(MAX_COMPLEX_BLOCK_LINES - 2);
    const r = sane(WP_HEAD + 'Exit criteria:\n\n' + big + WP_TAIL);
    expect(only(r, 'block-too-complex')).toEqual([]);
    expect(r.document!.items.find((i) => i.localId === 'T01')!.criteria).toEqual([{ text: 'item', checked: false, line: CASE_LINE + 2, column: 7 }]);
  });

  test('a block quote of 5,000 lines followed by a blank line is one block, read without remark and without a limit', () => {
    const r = sane(WP_HEAD + '> quoted\n'.repeat(5000) + WP_TAIL);
    expect(only(r, 'block-too-complex')).toEqual([]);
    expect(tasks(r)).toHaveLength(2);
  });

  test(`more than ${MAX_COMPLEX_BLOCK_MARKERS} list and quote markers in such a block is over the limit too`, () => {
    const big = '- [ ] item\n' + '  - > quoted\n'.repeat(MAX_COMPLEX_BLOCK_MARKERS / 2);
    const r = sane(WP_HEAD + 'Exit criteria:\n\n' + big + WP_TAIL);
    expect(only(r, 'block-too-complex')).toEqual([{ severity: 'error', code: 'block-too-complex', line: CASE_LINE + 2, column: 1 }]);
  });
});

describe('long lines: every regular expression stays linear', () => {
  const SP = ' '.repeat(100_000);

  test('a heading with a 100,000-space run is read, and being that long it is not matched as a task (`heading-too-long`)', () => {
    const r = sane(WP_HEAD + `## T09 - a${SP}b` + WP_TAIL);
    expect(only(r, 'heading-too-long')).toEqual([{ severity: 'warning', code: 'heading-too-long', line: CASE_LINE, column: 4 }]);
    expect(tasks(r)).toEqual([
      ['T01', 'done'],
      ['T02', 'in_progress'],
    ]);
  });

  test('`T` and 100,000 digits as a heading', () => {
    const r = sane(WP_HEAD + `## T${'1'.repeat(100_000)}` + WP_TAIL);
    expect(only(r, 'heading-too-long')).toHaveLength(1);
  });

  test(`a heading of ${MAX_HEADING_LENGTH} characters is still a task`, () => {
    const title = 'x'.repeat(MAX_HEADING_LENGTH - 'T09 - '.length);
    const r = sane(WP_HEAD + `## T09 - ${title}\n\nstatus: done` + WP_TAIL);
    expect(only(r, 'heading-too-long')).toEqual([]);
    expect(tasks(r)).toContainEqual(['T09', 'done']);
  });

  test('tracker cells with whitespace and underscore runs: status and dependencies still read', () => {
    const text = md(`
| Milestone | Depends On | Status |
|---|---|---|
| LM-01 a | - | Done |
| LM-02 b | LM-01${SP}and LM-01 | Done${SP}x |
| LM-03 c | LM-01 | Done${'_'.repeat(100_000)}x |
`);
    const r = sane(text, 'tracker.md');
    const items = r.document!.items;
    expect(items.map((i) => [i.id, i.status])).toEqual([
      ['LM-01', 'done'],
      ['LM-02', 'done'],
      ['LM-03', 'done'],
    ]);
    expect(items[1]!.dependencies.map((d) => d.id)).toEqual(['LM-01', 'LM-01']);
  });

  test('plan status, depends and evidence lines with whitespace runs', () => {
    const text = md(`
---
type: plan
---
## K0: Baseline

Status: Done${SP}(#3)${SP}
Depends on: K1,${SP}K1
Evidence: \`ops/k0\`${SP}

## K1: Next

Status: Planned
`);
    const r = sane(text, 'plan.md');
    const k0 = r.document!.items[0]!;
    expect(k0.status).toBe('done');
    expect(k0.statusText).toBe(`Done${SP}(#3)`);
    expect(k0.dependencies.map((d) => d.id)).toEqual(['plan:K1', 'plan:K1']);
    expect(k0.evidenceRoot).toBe('ops/k0');
  });

  test('a table delimiter row with a 100,000-blank run and then text', () => {
    const r = sane(WP_HEAD + `| a |\n-${SP}x\n|---${' \t'.repeat(50_000)}|x` + WP_TAIL);
    expect(tasks(r)).toHaveLength(2);
  });

  test('a criteria label made of 100,000 `(`', () => {
    const r = sane(WP_HEAD + '('.repeat(100_000) + ':\n\n- plain' + WP_TAIL);
    expect(tasks(r)).toHaveLength(2);
  });
});

describe('front matter and task metadata YAML', () => {
  test(`flow collections nested deeper than ${MAX_YAML_NESTING} are refused at the first one too deep`, () => {
    const r = sane(`---\nid: WP-1\nstatus: ${'[{'.repeat(200)}\n---\n# T\n`);
    expect(only(r, 'front-matter-yaml')).toEqual([{ severity: 'error', code: 'front-matter-yaml', line: 3, column: 9 + MAX_YAML_NESTING }]);
  });

  test('task metadata nested too deep is `metadata-invalid` at its position; the task is still read', () => {
    const r = sane(WP_HEAD.replace('status: done', `status: done\ndepends_on: ${'{'.repeat(500)}`) + WP_TAIL);
    expect(only(r, 'metadata-invalid')).toEqual([{ severity: 'error', code: 'metadata-invalid', line: CASE_LINE - 1, column: 13 + MAX_YAML_NESTING }]);
    expect(tasks(r).map(([id]) => id)).toEqual(['T01', 'T02']);
  });

  test('8,000 uses of one alias: the alias-count error comes at once (it searched the whole document once per alias)', () => {
    const uses = Array.from({ length: 8000 }, (_, i) => `k${i}: *a`).join('\n');
    const r = sane(`---\nid: WP-1\na: &a [1]\n${uses}\n---\n# T\n`);
    expect(only(r, 'front-matter-yaml')).toEqual([{ severity: 'error', code: 'front-matter-yaml', line: 1, column: 1 }]);
  });

  test('20,000 front matter keys parse in linear time; a duplicate key is still an error at the key', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: v`).join('\n');
    expect(only(sane(`---\nid: WP-1\n${keys}\n---\n# T\n`), 'front-matter-yaml')).toEqual([]);
    const r = sane(`---\nid: WP-1\n${keys}\nk7: again\n---\n# T\n`);
    expect(only(r, 'front-matter-yaml')).toEqual([{ severity: 'error', code: 'front-matter-yaml', line: 20_003, column: 1 }]);
    expect(r.diagnostics.find((d) => d.code === 'front-matter-yaml')!.message).toContain('unique');
  });
});

describe('tracker work is linear in rows and list entries', () => {
  const N = 10_000;
  const table = (n: number) => {
    let s = '| Milestone | Status |\n|---|---|\n';
    for (let i = 0; i < n; i++) s += `| LM-${i} m | Done |\n`;
    return s;
  };

  test(`${N} milestones, a Packet IDs list, an Evidence roots list and a Checks list of ${N} entries each`, () => {
    let text = table(N) + '\n## Packet IDs\n\n';
    for (let i = N - 1; i >= 0; i--) text += `- \`pkt-lm-${i}-x\`\n`;
    text += '\nEvidence roots:\n\n';
    for (let i = 0; i < N; i++) text += `- LM-${i}: \`ops/lm-${i}/\`\n`;
    text += '\n## Checks\n\n';
    for (let i = 0; i < N; i++) text += `- LM-${i}, LM-${(i + 1) % N}: \`npm test -- ${i}\`\n`;
    const items = sane(text, 'tracker.md').document!.items;
    expect(items).toHaveLength(N);
    expect(items[5]).toMatchObject({ packetId: 'pkt-lm-5-x', evidenceRoot: 'ops/lm-5/' });
    expect(items[5]!.checks.map((c) => c.command)).toEqual(['npm test -- 4', 'npm test -- 5']);
    // `lm-1` inside `pkt-lm-10-x` is not a mention of LM-1: ids end at a non-alphanumeric.
    expect(items[1]!.packetId).toBe('pkt-lm-1-x');
  });

  test('a dependency matrix naming 5,000 ids that are not milestones: one positioned warning each', () => {
    let text = '| Milestone | Status |\n|---|---|\n| LM-1 a | Done |\n\n| Row \\ Col | LM-1 |\n|---|---|\n';
    for (let i = 0; i < 5000; i++) text += `| X-${i} | 1 |\n`;
    const r = sane(text, 'tracker.md');
    const warnings = only(r, 'matrix-unknown-id');
    expect(warnings).toHaveLength(5000);
    expect(warnings[4999]).toEqual({ severity: 'warning', code: 'matrix-unknown-id', line: 5006, column: 3 });
  });

  test(`${N} prose claims naming ranges over ${N} milestones`, () => {
    let text = table(N) + '\n';
    for (let i = 0; i < N; i++) text += `LM-${i}..LM-${i + 2} are done.\n`;
    const claims = sane(text, 'tracker.md').document!.claims;
    expect(claims).toHaveLength(N);
    expect(claims[7]!.ids).toEqual(['LM-7', 'LM-8', 'LM-9']);
  });
});

describe('the GV-WP-0009-T04 readers are linear too', () => {
  test('prose dependencies: 20,000 sentences over a 200-id range stop at the budget (100,000 ids and edges) with one warning; 5,000 ids twice over are no edges', () => {
    const ids = Array.from({ length: 200 }, (_, k) => `- [ ] T${String(k + 1).padStart(3, '0')} Task`).join('\n');
    const prose = Array.from({ length: 20_000 }, () => '- T001-T200 are sequential').join('\n');
    const many = Array.from({ length: 5_000 }, (_, k) => `T${k + 1}`).join(', ');
    const text = `# Tasks\n\n## Phase 1: All\n\n${ids}\n\n## Dependencies\n\n${prose}\n\n${many} depend on ${many}\n`;
    const r = sane(text);
    expect(r.document?.items.find((i) => i.localId === 'T200')?.dependencies.map((d) => d.id)).toEqual(['doc:T199']);
    // Each sentence costs its 200 ids and 199 edges against the budget.
    const first = text.split('\n').findIndex((l) => l === '- T001-T200 are sequential') + 1;
    expect(only(r, 'prose-dependencies-too-many')).toEqual([{ severity: 'warning', code: 'prose-dependencies-too-many', line: first + Math.ceil(MAX_PROSE_IDS / 399), column: 3 }]);
  });

  test('a summary table of 20,000 rows naming 20,000 milestone headings by their titles', () => {
    const N = 20_000;
    const heads = Array.from({ length: N }, (_, k) => `## Phase ${k + 1}: Title ${k + 1}`).join('\n');
    const rows = Array.from({ length: N }, (_, k) => `| Title ${k + 1} | Done |`).join('\n');
    const r = sane(`# Roadmap\n\n${heads}\n\n| Milestone | Status |\n|---|---|\n${rows}\n`);
    expect([r.document?.items.length, r.document?.items.filter((i) => i.status === 'done').length]).toEqual([N, N]);
  });

  test('a proposal with 20,000 graduation stages and 20,000 history entries', () => {
    const N = 20_000;
    const stages = Array.from({ length: N }, () => '#### Beta\n\n* Two releases after GA\n').join('\n');
    const history = Array.from({ length: N }, (_, k) => `- 2020-01-${String((k % 28) + 1).padStart(2, '0')}: Completed beta items`).join('\n');
    const r = sane(`# KEP-1: X\n\n## Summary\n\n## Motivation\n\n## Proposal\n\n## Design Details\n\n### Graduation Criteria\n\n${stages}\n#### GA\n\n## Implementation History\n\n${history}\n`);
    expect(r.document?.items.length).toBe(N + 2);
  });

  test('derived status for 10,000 phases, and 10,000 numbered work items', () => {
    const phases = Array.from({ length: 10_000 }, (_, k) => `## Phase ${k + 1}: P\n- [x] T${k + 1} Done`).join('\n\n');
    const r = sane(`# Plan\n\n${phases}\n`);
    expect(r.document?.items.filter((i) => i.statusOrigin === 'derived').length).toBe(10_000);
    const numbered = Array.from({ length: 10_000 }, (_, k) => `${k + 1}) Work ${k + 1}\n- Acceptance: it passes`).join('\n\n');
    expect(sane(`Roadmap\n\n${numbered}\n`).document?.items.length).toBe(10_000);
  });

  test('derived status over a parent chain 100,000 deep: no recursion', () => {
    const items = Array.from({ length: 100_000 }, (_, k) => newItem({ id: `I${k}`, kind: 'milestone', localId: `I${k}`, title: 't', line: k + 1, column: 1, parent: k ? `I${k - 1}` : null }));
    Object.assign(items[items.length - 1]!, { status: 'done', statusText: 'done' });
    const t0 = process.cpuUsage();
    deriveStatuses(items, new DiagnosticSink('x.md'));
    const used = process.cpuUsage(t0);
    expect([items.filter((i) => i.statusOrigin === 'derived').length, (used.user + used.system) / 1000 < BOUND_MS]).toEqual([99_999, true]);
  });
});
