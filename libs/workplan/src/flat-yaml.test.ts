/**
 * The flat-YAML fast path (frontmatter.ts readFlatYaml) must give what the yaml package
 * gives, or decline. Every source here is read both ways: where the fast path answers,
 * its keys, values and positions must equal the package's; and the common shapes
 * (front matter and task metadata as written in workplans) must take the fast path.
 */
import { describe, expect, test } from 'vitest';
import { isMap, isScalar } from 'yaml';
import { DiagnosticSink } from './diagnostics.js';
import { parseYaml, readFlatYaml, readFrontMatter, readFrontMatterYaml, type FlatEntry } from './frontmatter.js';

const VALUES = [
  'in progress', 'in_progress', 'WP-0001-T01', 'ops/runtime/gv-wp-0008-t04/', 'x,y', '[a, b]', '{a: 1}', 'a:b', 'a: b', 'a:', 'x #c', 'x#c',
  'null', 'Null', 'NULL', 'nulls', 'true', 'True', 'FALSE', 'yes', 'no', '~', '007', '0', '12345678901234567890', '0x1F', '0o7', '1.5', '-1',
  '+1', '.inf', '.NaN', '2026-01-22', '"q"', '"2026-01-22"', '"a\\"b"', '"a # b"', '""', "'it''s'", "'x'", "''", '`npm test`', '"npm test"',
  '-', '- a', '*alias', '&anc x', '!tag x', '%x', '@x', '|', '>', '? x', 'a   b', 'trailing ', 'é', 'émoji 🚀', 'a\tb', '#c', '"unclosed',
  "'unclosed", 'x "quoted" y', "don't", 'a:/b', 'Done (#206)', '',
];
const KEYS = ['id', 'Status', 'depends_on', 'state_hub_task_id', 'a-b', 'true', 'Null', '__proto__', 'a b', '1x', '_x', 'x.y', '"q"'];

/** What the yaml package reads from a source, in readFlatYaml's shape; null when it is not a flat map. */
function viaYaml(source: string): FlatEntry[] | null {
  const parsed = parseYaml(source);
  if ('tooDeep' in parsed) return null;
  const { doc, lines } = parsed;
  if (doc.errors.length || doc.warnings.length || !isMap(doc.contents)) return null;
  const out: FlatEntry[] = [];
  for (const pair of doc.contents.items) {
    if (!isScalar(pair.key) || !isScalar(pair.value) || !pair.value.range) return null;
    const p = lines.linePos(pair.value.range[0]);
    out.push({ key: String(pair.key.value), value: pair.value.value as FlatEntry['value'], line: p.line, col: p.col });
  }
  return out;
}

function sources(): string[] {
  const out: string[] = [];
  for (const k of KEYS) for (const v of VALUES) out.push(`${k}: ${v}`, `${k}:  ${v}`, `${k}:${v}`);
  for (const k of KEYS) out.push(`${k}:`, `${k}: `);
  const lines = VALUES.map((v, i) => `k${i}: ${v}`);
  for (let i = 0; i + 3 <= lines.length; i++) {
    out.push(lines.slice(i, i + 3).join('\n'), `\n${lines.slice(i, i + 3).join('\n')}`, `${lines[i]}\nempty:\n${lines[i + 1]}`);
  }
  out.push(
    'a: 1\na: 2', 'a: 1\nA: 2', 'a: x\n\nb: y', 'a: x\n  more', 'a: x\n# note\nb: y', 'a: x\n- item', 'checks:\n- `npm test`', 'a: x\n', 'a: x\nb:',
    '\n', '', 'a: x\r\nb: y', '  a: x', 'a : x',
  );
  return out;
}

describe('readFlatYaml', () => {
  test('agrees with the yaml package wherever it answers', () => {
    let answered = 0;
    for (const source of sources()) {
      const flat = readFlatYaml(source);
      if (flat === null) continue;
      answered++;
      expect({ source, entries: flat }).toEqual({ source, entries: viaYaml(source) });
    }
    // The equivalence above means something only if the fast path answers often.
    expect(answered).toBeGreaterThan(300);
  });

  test('takes the fast path for metadata as workplans write it', () => {
    const source = 'id: WP-0001-T02\nstatus: in progress\npriority: medium\nstate_hub_task_id: "cb92af12-f774"\ndepends_on: WP-0001-T01\norder: 3\nchecks:';
    expect(readFlatYaml(source)).toEqual([
      { key: 'id', value: 'WP-0001-T02', line: 1, col: 5 },
      { key: 'status', value: 'in progress', line: 2, col: 9 },
      { key: 'priority', value: 'medium', line: 3, col: 11 },
      { key: 'state_hub_task_id', value: 'cb92af12-f774', line: 4, col: 20 },
      { key: 'depends_on', value: 'WP-0001-T01', line: 5, col: 13 },
      { key: 'order', value: 3, line: 6, col: 8 },
      { key: 'checks', value: null, line: 7, col: 8 },
    ]);
    expect(viaYaml(source)).toEqual(readFlatYaml(source));
  });

  test('declines what only the yaml package can read', () => {
    for (const source of ['a: [x, y]', 'a: null', 'a: x\n  more', 'a: x\na: y', 'a: "x\\ny"', 'a: &x y\nb: *x', 'a: 1.5', 'a: x # note']) {
      expect({ source, flat: readFlatYaml(source) }).toEqual({ source, flat: null });
    }
  });
});

describe('readFrontMatter fast path', () => {
  const bodies = ['', '\n# Title\n\nText.\n', '\n\nText'];
  const closers = ['---', '---\n', '--- \n', '----\n', '---x\n'];

  test('gives what gray-matter and the yaml package give', () => {
    let fast = 0;
    // Every fourth source keeps the case under a second; the kinds of line all remain.
    const matters = [...sources().filter((s, i) => i % 4 === 0 && !s.includes('---')), 'title: "Stable Cache"\nstatus: in_progress\ncreated: "2026-01-22"'];
    for (const m of matters) {
      for (const closer of closers) {
        for (const body of bodies) {
          const text = `---\n${m}\n${closer}${body}`;
          // readFrontMatter refuses these before either path runs.
          if (!/\n---[ \t]*(\n|$)/.test(text.slice(3))) continue;
          const a = new DiagnosticSink('x.md');
          const b = new DiagnosticSink('x.md');
          const got = readFrontMatter(text, a);
          const want = readFrontMatterYaml(text, b);
          if (got.data !== null && Object.keys(got.itemTexts ?? {}).length === 0 && a.list.length === 0 && readFlatYaml(`\n${m}`)) fast++;
          expect({ text, got, diagnostics: a.list }).toEqual({ text, got: want, diagnostics: b.list });
        }
      }
    }
    expect(fast).toBeGreaterThan(300);
  });

  test('reads workplan front matter without the yaml package', () => {
    const text = '---\nid: WP-0001\ntitle: "Stable Cache"\nstatus: in_progress\n---\n\n# WP-0001\n';
    expect(readFrontMatter(text, new DiagnosticSink('x.md'))).toEqual({
      data: { id: 'WP-0001', title: 'Stable Cache', status: 'in_progress' },
      positions: { id: { line: 2, column: 5 }, title: { line: 3, column: 8 }, status: { line: 4, column: 9 } },
      itemPositions: {},
      itemTexts: {},
      body: '\n# WP-0001\n',
      bodyLineOffset: 5,
    });
  });
});
