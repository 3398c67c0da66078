import { describe, expect, test } from 'vitest';
import { newItem as item } from './common.js';
import { find, md, parse } from '../__fixtures__/test-utils.js';

/**
 * Design proposals (Kubernetes KEP READMEs, GV-WP-0009-T04): the proposal is one item,
 * its graduation stages are its items, and the Implementation History states their status.
 */
const KEP = md(`
# KEP-1693: Warning mechanism

## Table of Contents

- [Summary](#summary)

## Release Signoff Checklist

- [x] Enhancement issue in release milestone
- [x] Design details are documented

## Summary

Warnings for deprecated APIs.

## Motivation

### Goals

## Proposal

### OpenAPI extension \`x-kubernetes-immutable\`

## Design Details

### Graduation Criteria

#### Beta

* Implement warning mechanism

#### GA

* At least two releases after Beta
* Gather feedback

## Implementation History

- 2020-04-16: KEP introduced
- 2020-04-27: Updated GA criteria
- 2020-08-26: Completed beta items for v1.19
`);

describe('KEP READMEs', () => {
  test('the KEP is an item named by its title, its graduation stages are its items, the history gives a stage its status, `after Beta` is a dependency', () => {
    const { document, diagnostics } = parse(KEP, 'keps/sig-api-machinery/1693-warnings/README.md');
    expect(document?.family).toBe('plan');
    expect(document?.items).toEqual([
      item({ id: 'README', kind: 'workplan', localId: 'KEP-1693', title: 'Warning mechanism', line: 1, column: 3 }),
      item({
        status: 'done',
        statusText: 'Completed beta items for v1.19',
        statusSource: find(KEP, 'Completed beta'),
        criteria: [{ text: 'Implement warning mechanism', checked: null, ...find(KEP, 'Implement warning') }],
        parent: 'README',
        id: 'README:Beta',
        kind: 'milestone',
        localId: 'Beta',
        title: 'Beta',
        ...find(KEP, 'Beta', '#### Beta'),
      }),
      item({
        dependencies: [{ id: 'README:Beta', origin: 'section', ...find(KEP, 'Beta', 'after Beta') }],
        criteria: [
          { text: 'At least two releases after Beta', checked: null, ...find(KEP, 'At least') },
          { text: 'Gather feedback', checked: null, ...find(KEP, 'Gather feedback') },
        ],
        parent: 'README',
        id: 'README:GA',
        kind: 'milestone',
        localId: 'GA',
        title: 'GA',
        ...find(KEP, 'GA', '#### GA'),
      }),
    ]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ['status-missing', 1, 3, 'README has no status'],
      ['status-missing', find(KEP, 'GA', '#### GA').line, 6, 'README:GA has no status'],
    ]);
  });

  test('`For beta:` labels are stages too; a history entry without a stage is the KEP\'s status; `N/A` states none', () => {
    const text = md(`
# Immutable fields

## Summary

## Motivation

## Proposal

## Design Details

### Graduation Criteria

For beta:

- performance does not suffer

For GA:

- benchmarked

## Implementation History

- 2019-03-27: KEP Created
- v1.17: Implemented
`);
    const { document } = parse(text, 'keps/x/README.md');
    expect(document?.items.map((i) => [i.id, i.localId, i.title, i.status, i.statusText, i.criteria.map((c) => c.text)])).toEqual([
      ['README', 'README', 'Immutable fields', 'done', 'Implemented', []],
      ['README:beta', 'beta', 'beta', null, null, ['performance does not suffer']],
      ['README:GA', 'GA', 'GA', null, null, ['benchmarked']],
    ]);
    expect(document?.items[0]?.statusSource).toEqual(find(text, 'Implemented'));
    const na = parse(text.replace('- 2019-03-27: KEP Created\n- v1.17: Implemented\n', 'N/A\n'), 'keps/x/README.md');
    expect(na.document?.items.map((i) => [i.id, i.status])).toEqual([
      ['README', null],
      ['README:beta', null],
      ['README:GA', null],
    ]);
    const prose = parse(text.replace('- 2019-03-27: KEP Created\n- v1.17: Implemented\n', 'Implemented in 1.19.\n'), 'keps/x/README.md');
    expect(prose.document?.items[0]).toMatchObject({ status: 'done', statusText: 'Implemented in 1.19.' });
  });

  test('a document with fewer than four proposal sections is not a proposal', () => {
    const { document } = parse('# Notes\n\n## Summary\n\n## Motivation\n\n## Proposal\n', 'notes.md');
    expect([document?.family, document?.items]).toEqual(['unknown', []]);
  });
  test('`Alpha -> Beta Graduation` headings name the stage graduated to', () => {
    const text = md(`
# KEP-2: Y

## Summary

## Motivation

## Proposal

## Design Details

### Graduation Criteria

#### Alpha

- behind a gate

#### Alpha -> Beta Graduation

- two releases

#### Beta to GA

- conformance tests
`);
    const { document } = parse(text, 'keps/y/README.md');
    expect(document?.items.map((i) => [i.id, i.localId, i.line, i.column, i.criteria.map((c) => c.text)])).toEqual([
      ['README', 'KEP-2', 1, 3, []],
      ['README:Alpha', 'Alpha', 13, 6, ['behind a gate']],
      ['README:Beta', 'Beta', 17, 15, ['two releases']],
      ['README:GA', 'GA', 21, 14, ['conformance tests']],
    ]);
  });
});
