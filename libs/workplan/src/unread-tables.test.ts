import { describe, expect, test } from 'vitest';
import { parseDocument } from './parse.js';
import { DiagnosticSink } from './diagnostics.js';
import { compileProfile, DEFAULT_PROFILE } from './profile.js';
import { warnUnreadTables } from './unread-tables.js';

const profile = compileProfile(DEFAULT_PROFILE);
const parse = (text: string) => parseDocument({ file: 'trackers/t.md', text }, profile);

describe('table-delimiter-mismatch: lines that look like a table Markdown does not read as one', () => {
  test("a milestone table whose delimiter row has one cell too many: the warning names the line and both counts, and the tracker's emptiness is no longer silent", () => {
    const text = [
      '# Tracker',
      '',
      '| Order | Milestone | Depends On | Status |',
      '|---:|---|---|---|---:|',
      '| 1 | LM-01 One | - | Done |',
      '',
    ].join('\n');
    const r = parse(text);
    expect(r.diagnostics.filter((d) => d.code !== 'no-governance-content')).toEqual([
      {
        severity: 'warning',
        code: 'table-delimiter-mismatch',
        message:
          'these lines look like a table, but its header row (line 3) has 4 cells and its delimiter row 5; Markdown reads a table only when the two have the same number of cells, so none of its rows is read',
        file: 'trackers/t.md',
        line: 4,
        column: 1,
      },
    ]);
    expect(r.document?.items ?? []).toEqual([]);
  });

  test('no warning for a table that is read, for rows with more cells than the header (GFM reads those), nor for prose with pipes', () => {
    const text = [
      '# Tracker',
      '',
      '| Order | Milestone | Depends On | Status |',
      '|---:|---|---|---|',
      '| 1 | LM-01 One | - | Done | extra |',
      '',
      'a | b is prose, and so is',
      'this line: no delimiter row follows it.',
      '',
      'Escaped \\| pipes | count once',
      '--- | --- ',
      '',
    ].join('\n');
    const r = parse(text);
    expect(r.diagnostics.filter((d) => d.code === 'table-delimiter-mismatch')).toEqual([]);
    expect(r.document?.items.map((i) => [i.id, i.status])).toEqual([['LM-01', 'done']]);
  });

  test('a delimiter row short of the header, and one without outer pipes', () => {
    const r = parse(['Intro', '', '| A | B | C |', '|---|---|', '', 'A | B', ':-:|-|-', ''].join('\n'));
    expect(r.diagnostics.filter((d) => d.code === 'table-delimiter-mismatch').map((d) => [d.line, d.message.match(/has (\d+) cells? and its delimiter row (\d+)/)?.slice(1)])).toEqual([
      [4, ['3', '2']],
      [7, ['2', '3']],
    ]);
  });

  test('linear on a long line of pipes and dashes (the parse of such a line is bounded in limits.test.ts; this is the check alone)', () => {
    const line = '|' + '-|'.repeat(500_000);
    const sink = new DiagnosticSink('t.md');
    const started = performance.now();
    warnUnreadTables([{ type: 'paragraph', line: 1, lines: [{ text: '| A |', line: 1, column: 1 }, { text: line, line: 2, column: 1 }] }], sink);
    expect(sink.list.map((d) => [d.code, d.line])).toEqual([['table-delimiter-mismatch', 2]]);
    // ~0.1 s here; quadratic work on a million characters would take hours.
    expect(performance.now() - started).toBeLessThan(2_500);
  });
});
