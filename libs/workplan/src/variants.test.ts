import { describe, expect, test } from 'vitest';
import { cellAt, find, fixture, item, lineOf, md, mentions, parse } from './__fixtures__/test-utils.js';
import { expectSane, expectSaneRandomBytes, expectSaneTokenSoup, randomBytes } from './__fixtures__/garbage.js';
import type { ParseResult } from './model.js';

const TRACKER = fixture('seed-000-otlp-memory-execution-tracker.md');
const PLAN = fixture('seed-004-foundational-infrastructure-plan.md');
const WORKPLAN = fixture('PMEM-WP-0011-refinement-hardening-and-operational-readiness.md');

const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

/** The LF result with the document's lineEnding/bom flags changed: everything else must be identical. */
function withFlags(r: ParseResult, flags: { lineEnding?: 'lf' | 'crlf'; bom?: boolean }): ParseResult {
  return { ...r, document: r.document ? { ...r.document, ...flags } : null };
}

describe('line endings and BOM', () => {
  test.each([
    ['tracker', 'trackers/otlp.md', TRACKER],
    ['plan', 'docs/plan.md', PLAN],
    ['workplan', 'workplans/PMEM-WP-0011.md', WORKPLAN],
  ])('a CRLF %s gives the same items, diagnostics and positions as the LF file', (_family, file, text) => {
    expect(text.includes('\r')).toBe(false);
    const lf = parse(text, file);
    const cr = parse(crlf(text), file);
    expect(lf.document?.items.length).toBeGreaterThan(0);
    expect(lf.document?.lineEnding).toBe('lf');
    expect(cr.document?.lineEnding).toBe('crlf');
    expect(cr).toEqual(withFlags(lf, { lineEnding: 'crlf' }));
  });

  test.each([
    ['tracker', 'trackers/otlp.md', TRACKER],
    ['plan', 'docs/plan.md', PLAN],
    ['workplan', 'workplans/PMEM-WP-0011.md', WORKPLAN],
  ])('a UTF-8 BOM before a %s is reported as `bom: true` and moves no position', (_family, file, text) => {
    const plain = parse(text, file);
    const bom = parse(`\uFEFF${text}`, file);
    expect(plain.document?.bom).toBe(false);
    expect(bom.document?.bom).toBe(true);
    expect(bom).toEqual(withFlags(plain, { bom: true }));
  });

  test('BOM and CRLF together still find the front matter', () => {
    const r = parse(`\uFEFF${crlf(WORKPLAN)}`, 'workplans/PMEM-WP-0011.md');
    expect(r.document).toMatchObject({ id: 'PMEM-WP-0011', family: 'workplan', bom: true, lineEnding: 'crlf' });
    expect(r).toEqual(withFlags(parse(WORKPLAN, 'workplans/PMEM-WP-0011.md'), { bom: true, lineEnding: 'crlf' }));
  });

  test('a status position in a CRLF file is the position an editor shows (line and column unchanged by `\\r`)', () => {
    const text = crlf(md(`
| Milestone | Status |
|---|---|
| CR-01 One | Done |
`));
    const r = parse(text, 'cr.md');
    expect(r.document?.items[0]?.statusSource).toEqual({ line: 3, column: '| CR-01 One | '.length + 1 });
  });
});

describe('Unicode is preserved exactly', () => {
  const ROCKET = '🚀 Launch — 火箭发射';
  const COMBINING = 'Cafe\u0301 crème brûlée'; // e + U+0301, deliberately not NFC
  const ZWJ = 'Überprüfung 👩‍💻 der Pläne';

  test('tracker titles with emoji, CJK and combining accents', () => {
    const text = md(`
| Order | Milestone | Depends On | Status |
|---|---|---|---|
| 1 | UC-01 ${ROCKET} | - | Done |
| 2 | UC-02 ${COMBINING} | UC-01 | Planned |
`);
    const r = parse(text, 'uc.md');
    expect(r.diagnostics).toEqual([]);
    expect(r.document?.items.map((i) => i.title)).toEqual([ROCKET, COMBINING]);
    expect(r.document?.items[1]?.title).not.toBe(COMBINING.normalize('NFC'));
    expect(r.document?.items[1]?.dependencies.map((d) => d.id)).toEqual(['UC-01']);
  });

  test('workplan front matter title and task titles', () => {
    const text = md(`
---
id: WP-UC
type: workplan
title: ${ZWJ}
status: planned
---

## T01 - 实现解析器 ✨

id: WP-UC-T01
status: done

## T02 - ${COMBINING}

id: WP-UC-T02
status: planned
`);
    const r = parse(text, 'uc.md');
    expect(r.diagnostics).toEqual([]);
    expect(r.document?.title).toBe(ZWJ);
    expect(r.document?.items.map((i) => i.title)).toEqual([ZWJ, '实现解析器 ✨', COMBINING]);
  });

  test('plan headings', () => {
    const text = md(`
# Ωmega-Plan

### K0: ${ROCKET}

Status: Done

## PHASE 2 — ${COMBINING} — COMPLETE
`);
    const r = parse(text, 'uc-plan.md');
    expect(r.diagnostics).toEqual([]);
    expect(r.document?.title).toBe('Ωmega-Plan');
    expect(r.document?.items.map((i) => [i.localId, i.title, i.status])).toEqual([
      ['K0', ROCKET, 'done'],
      ['PHASE-2', COMBINING, 'done'],
    ]);
  });
});

describe('a very large tracker', () => {
  const N = 5000;
  const id = (n: number) => `BIG-${String(n).padStart(4, '0')}`;
  const status = (n: number) => (n % 3 === 0 ? 'Done (#' + n + ')' : n % 3 === 1 ? 'Planned' : 'In Progress');
  const rows = Array.from({ length: N }, (_, k) => {
    const n = k + 1;
    const deps = n === 1 ? '-' : n > 2 ? `${id(n - 1)}, ${id(n - 2)}` : id(n - 1);
    return `| ${n} | ${id(n)} Milestone number ${n} | scope ${n} | P${n % 4} | ${deps} | ${status(n)} |`;
  });
  const text = ['# Big Tracker', '', '| Order | Milestone | Scope | Priority | Depends On | Status |', '|---|---|---|---|---|---|', ...rows, ''].join('\n');

  test(`${N} milestone rows are all read, in order, with their dependencies and statuses`, () => {
    const r = parse(text, 'trackers/big.md');
    expect(r.diagnostics).toEqual([]);
    const items = r.document?.items ?? [];
    expect(items).toHaveLength(N);
    expect(items.map((i) => i.id)).toEqual(Array.from({ length: N }, (_, k) => id(k + 1)));
    expect(items.map((i) => i.line)).toEqual(Array.from({ length: N }, (_, k) => k + 5));
    expect(items.map((i) => i.order)).toEqual(Array.from({ length: N }, (_, k) => k + 1));
    expect(items.filter((i) => i.status === 'done')).toHaveLength(Math.floor(N / 3));
    const last = N;
    const lastLine = N + 4;
    expect(items[N - 1]).toEqual(
      item({
        id: id(last),
        kind: 'milestone',
        title: `Milestone number ${last}`,
        ...find(text, id(last), `| ${last} | ${id(last)}`),
        status: 'in_progress',
        statusText: 'In Progress',
        statusSource: cellAt(text, lastLine, 5),
        priority: 'P0',
        order: last,
        parent: 'big',
        dependencies: [
          { id: id(last - 1), origin: 'table', ...find(text, id(last - 1), `| ${last} | ${id(last)}`) },
          { id: id(last - 2), origin: 'table', ...find(text, id(last - 2), `| ${last} | ${id(last)}`) },
        ],
      }),
    );
    expect(items[2]).toMatchObject({ id: id(3), status: 'done', statusText: 'Done (#3)', refs: ['#3'], priority: 'P3' });
  });
});

// ---------------------------------------------------------------------------
// parseDocument never throws, whatever it is given.
// ---------------------------------------------------------------------------


describe('parseDocument never throws on garbage', () => {
  test('an empty file is an unknown document with nothing in it', () => {
    const r = expectSane('', 'notes/empty.md');
    expect(r).toEqual({
      document: {
        file: 'notes/empty.md',
        id: 'empty',
        idSource: 'file-name',
        family: 'unknown',
        title: 'empty',
        status: null,
        statusText: null,
        frontMatter: null,
        items: [],
        matrices: [],
        evidenceRoots: [],
        packetIds: [],
        claims: [],
        lineEnding: 'lf',
        bom: false,
      },
      diagnostics: [
        {
          severity: 'info',
          code: 'no-governance-content',
          message: expect.stringMatching(/^nothing to track: found no milestone table/) as string,
          note: 'run `govern explain <file>` to see what was skipped and which profile rule would read it',
          file: 'notes/empty.md',
          line: 1,
          column: 1,
        },
      ],
    });
  });

  test('NUL bytes: `file-binary` at 1:1 and no document', () => {
    const r = expectSane('# Title\n\n| Milestone | Status |\n|---|---|\n| LM-01 A | Done\u0000 |\n', 'bin.md');
    expect(r).toEqual({
      document: null,
      diagnostics: [{ severity: 'error', code: 'file-binary', message: expect.any(String) as string, file: 'bin.md', line: 1, column: 1 }],
    });
  });

  test.each(Array.from({ length: 40 }, (_, i) => i + 1))('random bytes with NULs (seed %i) are `file-binary` or parse sanely', (seed) => {
    const text = randomBytes(seed, true);
    const r = expectSane(text);
    if (text.includes('\u0000')) expect(r.diagnostics.map((d) => d.code)).toEqual(['file-binary']);
  });

  // Hundreds of parses in one test: on a loaded 2-core CI machine they passed vitest's
  // default 5 s once (1,500 parses). Not a timing target, so a generous limit.
  const FUZZ_TIMEOUT_MS = 60_000;

  // 40 and 100 seeds here; variants.soak.ts runs 200 and 500.
  test('random bytes without NULs (40 seeds) parse sanely', () => expectSaneRandomBytes(1000, 1040), FUZZ_TIMEOUT_MS);

  test('random Markdown-ish token soup (100 seeds) parses sanely', () => expectSaneTokenSoup(1, 100), FUZZ_TIMEOUT_MS);

  test.each([
    ['---'],
    ['---\n'],
    ['---\n---'],
    ['---\n---\n'],
    ['---\n- a\n- b\n---\n# list front matter'],
    ['---\n"just a string"\n---\n'],
    ['---\n&a [*a]\n---\n'],
    ['---\na: &a [*a, *a]\nb: *a\n---\n'],
    ['\uFEFF'],
    ['\r\n\r\n'],
    ['|'],
    ['| a |\n|---|'],
    ['| Milestone | Status |\n|---|---|\n|'],
    ['| Row \\ Col |\n|---|\n| x |'],
    ['## T01 - \n\n```yaml\n'],
    ['## T01 - x\n\n```yaml\n: : :\n```'],
    ['## T01 - x\n\nstatus:\n'],
    ['## PHASE 1 —  — \n\n### Status:'],
    ['### K0: \n\nDepends on: ,,,, and and'],
    ['# \n## \n### \n'],
    ['-'.repeat(10000)],
    ['|'.repeat(5000)],
    ['> '.repeat(2000) + '- [x] deep'],
    ['  '.repeat(500) + '- nested'],
  ])('edge input %j parses sanely', (text) => {
    expectSane(text);
  });

  test('front matter that is not a mapping is `front-matter-invalid`, not a crash', () => {
    const r = expectSane('---\n- a\n- b\n---\n# List front matter\n', 'fm.md');
    expect(r.diagnostics).toContainEqual({
      severity: 'error',
      code: 'front-matter-invalid',
      message: expect.any(String) as string,
      file: 'fm.md',
      line: 2,
      column: 1,
    });
    expect(r.document?.frontMatter).toBeNull();
  });

  test('an alias to an undefined anchor in front matter is a positioned `front-matter-yaml` error, not an internal error', () => {
    const text = md(`
---
id: WP-22
owner: *nobody
type: workplan
status: planned
---

# WP-22
`);
    const r = expectSane(text, 'wp22.md');
    expect(r.document).not.toBeNull();
    expect(r.diagnostics).toContainEqual({
      severity: 'error',
      code: 'front-matter-yaml',
      message: expect.stringMatching(/^front matter YAML: /) as string,
      file: 'wp22.md',
      ...find(text, '*nobody'),
    });
  });

  test('an unterminated `---` front matter does not throw', () => {
    const text = md(`
---
id: WP-20
type: workplan
status: planned

## T01 - A task

status: done
`);
    expectSane(text, 'wp20.md');
  });

  test('an unterminated `---` front matter is reported at the opening `---` instead of silently swallowing the file', () => {
    const text = md(`
---
id: WP-21
type: workplan
status: planned

# WP-21 Title
`);
    const r = expectSane(text, 'wp21.md');
    // Error or warning is the owner's call; it must be said, at the opening `---`.
    expect(r.diagnostics).toContainEqual(
      expect.objectContaining({
        severity: expect.stringMatching(/^(error|warning)$/) as string,
        code: expect.stringMatching(/^front-matter/) as string,
        line: 1,
        column: 1,
      }),
    );
    // ...and the Markdown after it is still read (its heading is not lost inside the "front matter").
    expect(r.document?.title).toBe('WP-21 Title');
  });

  test('a table with ragged rows: short rows lack cells, long rows keep the cells that have headers', () => {
    const text = md(`
# Ragged

| Order | Milestone | Depends On | Status |
|---|---|---|---|
| 1 | RG-01 Short row |
| 2 | RG-02 Long row | RG-01 | Done | extra | cells |
| 3 | RG-03 Third | RG-01, RG-02 | Planned |

| Row \\ Col | RG-01 | RG-02 |
|---|---|---|
| RG-02 | 1 |
| RG-03 | 1 | 1 | 1 |
`);
    const r = expectSane(text, 'ragged.md');
    const rg01 = lineOf(text, '| RG-01 Short row');
    expect(r.diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'status-missing',
        message: mentions('RG-01') as string,
        file: 'ragged.md',
        ...find(text, 'RG-01', '| RG-01 Short row'),
        note: expect.any(String) as string,
      },
    ]);
    expect(r.document?.items.map((i) => [i.id, i.status, i.dependencies.map((d) => `${d.id}/${d.origin}`)])).toEqual([
      ['RG-01', null, []],
      ['RG-02', 'done', ['RG-01/table', 'RG-01/matrix']],
      ['RG-03', 'planned', ['RG-01/table', 'RG-02/table', 'RG-01/matrix', 'RG-02/matrix']],
    ]);
    expect(r.document?.items[0]).toMatchObject({ line: rg01, statusSource: null });
  });
});
