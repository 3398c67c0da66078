import { describe, expect, test } from 'vitest';
import { at, md, parse } from './__fixtures__/test-utils.js';

// A dependency on another repository's item is written `repo:ID` (`xtrlv2:SS-02`). The
// parser keeps it as one id in every family; @govern/workspace's loadRepositories
// resolves it against the repositories govern.config.yaml names (repos:).

const deps = (text: string, file = 'doc.md') => {
  const { document, diagnostics } = parse(text, file);
  return { diagnostics, deps: document?.items.map((i) => [i.id, i.dependencies.map((d) => [d.id, d.origin, d.line, d.column])]) };
};

describe('repo:ID references', () => {
  test('in a tracker Depends On cell, beside local ids', () => {
    const text = md(`
| Milestone | Depends On | Status |
|---|---|---|
| LM-10 Migration | LM-09, xtrlv2:SS-02 and phase-memory:PM-1 | Planned |
`);
    const p = (n: string) => at(text, 3, n);
    expect(deps(text)).toEqual({
      diagnostics: [],
      deps: [['LM-10', [['LM-09', 'table', 3, p('LM-09').column], ['xtrlv2:SS-02', 'table', 3, p('xtrlv2').column], ['phase-memory:PM-1', 'table', 3, p('phase-memory').column]]]],
    });
  });

  test('in a workplan front matter and task metadata', () => {
    const text = md(`
---
id: WP-1
type: workplan
title: W
status: planned
depends_on: [dome:LM-10]
---

## T01 - First

id: WP-1-T01
status: planned
depends_on: xtrlv2:SS-02, WP-1-T00
`);
    expect(deps(text).deps?.map(([id, d]) => [id, (d as unknown[][]).map((x) => x[0])])).toEqual([
      ['WP-1', ['dome:LM-10']],
      ['WP-1-T01', ['xtrlv2:SS-02', 'WP-1-T00']],
    ]);
  });

  test('in a plan Depends on line (a plan qualifies its own ids by the document, `doc:K1`; local ids win over repositories)', () => {
    const text = md(`
## K1: Contract tests
Status: Planned
Depends on: xtrlv2:K0
`);
    expect(deps(text).deps).toEqual([['doc:K1', [['xtrlv2:K0', 'section', 3, at(text, 3, 'xtrlv2').column]]]]);
  });

  test('a cross-repo matrix keeps each row label (id and repository) and its 1 cells, and adds no edge here', () => {
    const text = md(`
| Milestone | Status |
|---|---|
| LM-01 Base | Done |

## Cross-Repo Dependency Matrix

| Row \\\\ Col | CR-01 dome | CR-02 xtrlv2 SSOT |
|---|---:|---:|
| CR-01 dome | 0 | 1 |
| CR-02 xtrlv2 SSOT | 0 | 0 |
`);
    const { document } = parse(text);
    expect(document?.matrices.map((m) => [m.kind, m.line, m.rows, m.labels, m.edges])).toEqual([
      ['cross-repo', 7, ['CR-01', 'CR-02'], { 'CR-01': 'CR-01 dome', 'CR-02': 'CR-02 xtrlv2 SSOT' }, [{ from: 'CR-01', to: 'CR-02', line: 9, column: at(text, 9, '| 1').column + 2 }]],
    ]);
    expect(document?.items.map((i) => [i.id, i.dependencies])).toEqual([['LM-01', []]]);
  });
});
