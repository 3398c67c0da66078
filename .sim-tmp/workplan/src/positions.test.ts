/**
 * Every position the parser reports must point at the text it describes, so that
 * a surgical status edit rewrites exactly that token and a diagnostic opens the
 * editor on the right character. Checked over every fixture, as LF and as CRLF.
 */
import { describe, expect, test } from 'vitest';
import { fixture, parse } from './__fixtures__/test-utils.js';
import type { WorkDocument } from './model.js';

const DOCS: [string, string][] = [
  ['trackers/seed-000.md', fixture('seed-000-otlp-memory-execution-tracker.md')],
  ['trackers/seed-001.md', fixture('seed-001-logfire-memory-execution-tracker.md')],
  ['docs/seed-002.md', fixture('seed-002-implementation-kickoff-plan.md')],
  ['docs/seed-004.md', fixture('seed-004-foundational-infrastructure-plan.md')],
  ['workplans/PMEM-WP-0011.md', fixture('PMEM-WP-0011-refinement-hardening-and-operational-readiness.md')],
];

/** The source text from (line, column) to the end of that line. */
function textAt(lines: string[], line: number, column: number): string {
  const l = lines[line - 1];
  if (l === undefined) throw new Error(`line ${line} is past the end of the file (${lines.length} lines)`);
  return l.slice(column - 1);
}

function problems(doc: WorkDocument, text: string): string[] {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  const check = (what: string, line: number, column: number, expected: string) => {
    const found = textAt(lines, line, column);
    if (!found.startsWith(expected) && !found.replace(/^`/, '').startsWith(expected)) out.push(`${what} at ${line}:${column} shows ${JSON.stringify(found.slice(0, 30))}, not ${JSON.stringify(expected)}`);
  };
  for (const it of doc.items) {
    const head =
      it.kind === 'workplan' ? it.localId : it.kind === 'task' ? it.localId : doc.family === 'plan' ? it.localId.replace(/^(PHASE|MILESTONE|STAGE)-/, '') : it.localId;
    if (doc.family === 'plan') {
      const shown = textAt(lines, it.line, it.column);
      if (!shown.toUpperCase().replace(/^(PHASE|MILESTONE|STAGE) /, '').startsWith(head.toUpperCase())) out.push(`${it.id} heading at ${it.line}:${it.column} shows ${JSON.stringify(shown.slice(0, 30))}`);
    } else check(`${it.id} itself`, it.line, it.column, head);
    if (it.statusSource && it.statusText !== null) check(`${it.id} status`, it.statusSource.line, it.statusSource.column, it.statusText);
    for (const d of it.dependencies) {
      if (d.origin === 'matrix') check(`${it.id} matrix dependency ${d.id}`, d.line, d.column, '1');
      else check(`${it.id} dependency ${d.id}`, d.line, d.column, d.id.split(':').pop()!);
    }
    for (const c of it.criteria) check(`${it.id} criterion`, c.line, c.column, c.text.slice(0, 20));
  }
  for (const m of doc.matrices) for (const e of m.edges) check(`matrix edge ${e.from}→${e.to}`, e.line, e.column, '1');
  for (const p of [...doc.packetIds, ...doc.evidenceRoots]) check(`list entry ${p.text}`, p.line, p.column, p.text);
  return out;
}

describe('positions point at what they describe', () => {
  for (const [file, text] of DOCS) {
    for (const [label, variant] of [
      ['LF', text],
      ['CRLF', text.replace(/\n/g, '\r\n')],
    ] as const) {
      test(`${file} (${label})`, () => {
        const { document, diagnostics } = parse(variant, file);
        expect(document).not.toBeNull();
        expect(document!.items.length).toBeGreaterThan(0);
        expect(problems(document!, variant)).toEqual([]);
        const n = variant.split(/\r?\n/).length;
        for (const d of diagnostics) expect(d.line, `${d.code} line`).toBeLessThanOrEqual(n);
      });
    }
  }

  test('the check can fail: a shifted status position is caught', () => {
    const [file, text] = DOCS[0]!;
    const { document } = parse(text, file);
    const doc = structuredClone(document!);
    doc.items[0]!.statusSource!.column += 1;
    expect(problems(doc, text)).toHaveLength(1);
  });
});
