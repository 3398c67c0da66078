/**
 * fast-check arbitraries for the parser fuzz tests (fuzz.test.ts, fuzz.soak.ts):
 * documents made of the three formats' lines and blocks, Markdown constructs only
 * remark reads, character noise, and pathological repetitions (`- - - … x`, long
 * blank runs, deep brackets). Not a test file itself.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { ParseResultSchema, type ParseResult } from '../model.js';

/** Lines seen in real trackers, workplans and plans, and CommonMark's tricky line starts. */
export const FORMAT_LINES = [
  '', '', '', '', '# Title', '## T01 - Task', '## T02: Second task', '### K0: Baseline', '## PHASE 1 — Spine — COMPLETE', '## Milestone 2 - Next',
  '### Status: COMPLETE', 'Status: Done (#3)', '**Status:** In Progress', 'Depends on: K0, K1', 'Depends on: Phase 1', 'Evidence: `ops/k0/`',
  'Check: `npm test`', 'Checks:', 'status: done', 'id: WP-1-T01', 'depends_on: [WP-1-T00]', 'depends_on:', 'priority: high',
  'checks: [npm test]', 'evidence_root: ops/t01', 'Acceptance:', 'Exit criteria:', '### Exit Criteria (verified)', '- [x] checked', '- [ ] open',
  '- plain bullet', '  - nested bullet', '    - deeper bullet', '  continued text', '1. `pkt-lm-01-x`', '2. second', '1) paren', '10. ten',
  '- `ops/runtime/lm-01/`', '- LM-01: `npm test`', '## Packet IDs', 'Evidence roots:', '## Checks',
  '| Order | Milestone | Depends On | Status |', '|---|---|---|---|', '|---:|:---|---|---|', '| 1 | LM-01 One | - | Done |',
  '| 2 | LM-02 Two | LM-01 | Planned |', '| 3 | LM-03 Three | LM-01 and LM-02 | In Progress |', '| Row \\ Col | LM-01 | LM-02 |',
  '| LM-02 | 1 | 0 |', '| LM-01 | 0 | x |', 'LM-01..LM-03 are done; LM-02 is blocked.', 'a | b', '```yaml', '```', '~~~', '```js',
  '---', '***', '===', '- - -', 'Some prose with `code` and *emphasis*.', '> quoted', '> - quoted item', '>', '    indented code',
  '\tindented with a tab', '<div>', '</div>', '<!-- comment', '-->', '<script>', '</script>', '[ref]: /url', '-', '- ', '1.',
  '- ```', '- > q', '- - x', '  > q', '  ```', 'Setext', '- a\\', 'lazy continuation line',
];

const STATUSES = ['Done', 'done (#27)', 'COMPLETE', 'In Progress', 'in_progress', 'planned', 'Blocked', 'partial', '[x]', '✅', 'nope', ''];
const IDS = ['T01', 'T2a', 'K0', 'K12', 'LM-01', 'LM-2', 'GV-07', 'PHASE 2', 'Milestone 3', 'WP-1-T01', 'X'];
const TEXT = fc.constantFrom('a', 'Title', 'two words', 'with `code`', 'with | pipe', 'ünïcödé 🚀', '(note)', 'LM-01 and LM-02', '');

/** Lines built from the formats' grammar with varied ids, statuses and cells. */
export const generatedLine: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom(...IDS), fc.constantFrom(' - ', ': ', ' — ', ' '), TEXT, fc.option(fc.constantFrom(...STATUSES)))
    .map(([d, id, sep, t, st]) => `${'#'.repeat(d)} ${id}${sep}${t}${st === null ? '' : ` — ${st}`}`),
  fc
    .tuple(fc.constantFrom('status', 'depends_on', 'id', 'priority', 'checks', 'evidence_root', 'Status', 'Depends on', 'Evidence'), fc.constantFrom(...STATUSES, ...IDS, '[a, b]', '`npm test`', '{a: 1}', '&x', '*x'))
    .map(([k, v]) => `${k}: ${v}`),
  fc.array(fc.oneof(TEXT, fc.constantFrom(...IDS, ...STATUSES, '-', '0', '1')), { minLength: 1, maxLength: 6 }).map((cells) => `| ${cells.join(' | ')} |`),
  fc
    .tuple(fc.integer({ min: 0, max: 8 }), fc.constantFrom('-', '*', '+', '1.', '2)'), fc.constantFrom('', '[ ] ', '[x] ', '[X] '), TEXT)
    .map(([ind, m, box, t]) => `${' '.repeat(ind)}${m} ${box}${t}`),
);

const CHARS = ['a', 'b', 'x', '1', '0', ' ', ' ', ' ', '\t', '-', '*', '+', '_', '#', '>', '<', '|', '`', '~', '[', ']', '(', ')', ':', ',', ';', '.', '!', '\\', '&', '=', '"', "'", '{', '}', '—', 'é', '🚀', '\u00a0', '\u200b'];

/** Short runs of Markdown-significant characters. */
export const noiseLine: fc.Arbitrary<string> = fc.array(fc.constantFrom(...CHARS), { maxLength: 60 }).map((cs) => cs.join(''));

const REPEAT_UNITS = [
  '- ', '* ', '+ ', '1. ', '> ', '>', '- > ', '- [ ] ', '[', ']', '(', '`', '```', '|', '| ', ' ', '\t', '_', '*', '**', '#', '\\', '<', '&',
  ':', ': ', ', ', ' and ', ' — ', ' - ', 'LM-1 ', 'LM-1..LM-9 done; ', '{', '[{', 'T1', '1', 'a', '\\|', '<!-- ',
];

/** One line repeating a unit up to `max` times, inside a prefix and suffix that put it in each format's context. */
export function repeatedLine(max: number): fc.Arbitrary<string> {
  return fc
    .record({
      prefix: fc.constantFrom('', '', '- ', '## T01 - ', '### ', '| LM-01 a | ', 'Status: ', 'status: ', 'depends_on: ', '> ', '  ', '1. ', '-', '|---', 'a\n-'),
      unit: fc.constantFrom(...REPEAT_UNITS),
      count: fc.integer({ min: 1, max }),
      suffix: fc.constantFrom('', '', 'x', ' |', ':', ')', ' done'),
    })
    .map(({ prefix, unit, count, suffix }) => prefix + unit.repeat(count) + suffix);
}

/** Multi-line constructs: tables, nested lists, fences, task sections. */
export function blockOf(maxRows: number): fc.Arbitrary<string> {
  const row = fc.tuple(fc.constantFrom(...IDS), TEXT, fc.constantFrom(...STATUSES)).map(([id, t, st]) => `| ${id} ${t} | ${st} |`);
  return fc.oneof(
    fc.array(row, { maxLength: maxRows }).map((rows) => ['| Milestone | Status |', '|---|---|', ...rows].join('\n')),
    fc
      .array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.constantFrom('- ', '- [ ] ', '- [x] ', '1. ', '* '), TEXT), { maxLength: maxRows })
      .map((items) => items.map(([d, m, t]) => `${'  '.repeat(d)}${m}${t}`).join('\n')),
    fc.array(fc.oneof(fc.constantFrom(...FORMAT_LINES), noiseLine), { maxLength: 8 }).map((ls) => ['```', ...ls, '```'].join('\n')),
    fc
      .tuple(fc.constantFrom(...IDS), TEXT, fc.constantFrom(...STATUSES), fc.array(fc.constantFrom('- [x] done', '- [ ] open', '  - [ ] sub'), { maxLength: 5 }))
      .map(([id, t, st, crit]) => [`## ${id} - ${t}`, '', `status: ${st}`, 'depends_on: T01', '', 'Exit criteria:', '', ...crit].join('\n')),
  );
}

const frontMatter: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({
      id: fc.constantFrom('WP-1', 'GV-WP-0005', '42', ''),
      type: fc.constantFrom('workplan', 'tracker', 'plan', 'other', ''),
      status: fc.constantFrom(...STATUSES),
      extra: fc.array(fc.oneof(generatedLine, fc.constantFrom('depends_on: [WP-0, WP-2]', 'checks:', '  - npm test', 'a: &x [1]', 'b: *x', 'c: *missing', '? [a]', ': b')), { maxLength: 4 }),
    })
    .map(({ id, type, status, extra }) => ['---', `id: ${id}`, `type: ${type}`, `status: ${status}`, ...extra, '---'].join('\n')),
  fc.array(fc.oneof(noiseLine, generatedLine), { maxLength: 5 }).map((ls) => ['---', ...ls, '---'].join('\n')),
  fc.constant('---'),
);

export interface DocOptions {
  maxLines: number;
  maxRepeat: number;
  maxRows: number;
}

/** A whole document: optional front matter, then lines and blocks; LF or CRLF, maybe a BOM. */
export function markdownDoc(o: DocOptions): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...FORMAT_LINES) },
    { weight: 4, arbitrary: generatedLine },
    { weight: 2, arbitrary: noiseLine },
    { weight: 2, arbitrary: blockOf(o.maxRows) },
    { weight: 1, arbitrary: repeatedLine(o.maxRepeat) },
  );
  return fc
    .record({
      fm: fc.option(frontMatter, { freq: 3 }),
      pieces: fc.array(piece, { maxLength: o.maxLines }),
      eol: fc.constantFrom('\n', '\n', '\r\n'),
      bom: fc.boolean(),
      finalEol: fc.boolean(),
    })
    .map(({ fm, pieces, eol, bom, finalEol }) => {
      const body = [...(fm === null ? [] : [fm]), ...pieces].join('\n') + (finalEol ? '\n' : '');
      return (bom ? '\uFEFF' : '') + (eol === '\n' ? body : body.replace(/\n/g, eol));
    });
}

/** Bodies for the block-level differential test: no front matter, LF only. */
export function markdownBody(o: DocOptions): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...FORMAT_LINES) },
    { weight: 3, arbitrary: generatedLine },
    { weight: 1, arbitrary: noiseLine },
    { weight: 2, arbitrary: blockOf(o.maxRows) },
  );
  return fc.tuple(fc.array(piece, { maxLength: o.maxLines }), fc.boolean()).map(([ps, eol]) => ps.join('\n') + (eol ? '\n' : ''));
}

/**
 * What every parse must satisfy: the declared shape, no `internal-error`, and every
 * diagnostic (and related position) on a line of the file, at a column within that
 * line or just past its end.
 */
export function expectSaneResult(text: string, file: string, r: ParseResult): void {
  expect(ParseResultSchema.safeParse(r).success).toBe(true);
  expect(r.diagnostics.filter((d) => d.code === 'internal-error')).toEqual([]);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const bad: string[] = [];
  const check = (what: string, line: number, column: number) => {
    const l = lines[line - 1];
    if (l === undefined || column < 1 || column > l.length + 1) bad.push(`${what} at ${line}:${column} (${lines.length} lines, this one ${l?.length ?? '-'} long)`);
  };
  for (const d of r.diagnostics) {
    expect(d.file).toBe(file);
    check(d.code, d.line, d.column);
    for (const rel of d.related ?? []) check(`${d.code} related`, rel.line, rel.column);
  }
  expect(bad).toEqual([]);
}
