import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE, compileProfile, parseDocument, ProfileSchema, mergeProfiles } from '@govern/workplan';
import { actionable, buildGraph, compareNodes, nextActionable, type RuleItem } from './index.js';

const profile = compileProfile(DEFAULT_PROFILE);

const item = (id: string, fields: Partial<RuleItem> = {}): RuleItem => ({ id, status: 'planned', priority: null, dependsOn: [], parent: null, ...fields });
const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id);

describe('actionable: the one rule', () => {
  it('is what govern next answers over the graph of the Markdown', () => {
    const text = `# Queue

| Milestone | Priority | Depends On | Status |
|---|---|---|---|
| LM-01 Root | P0 | - | Done |
| LM-02 Low | P1 | - | Planned |
| LM-03 Urgent | P0 | - | In Progress |
| LM-04 After root | P3 | LM-01 | Partial |
| LM-05 Blocked | P0 | - | Blocked |
| LM-07 Waits | P0 | LM-02 | Planned |
| LM-08 Missing dep | P0 | LM-99 | Planned |
| LM-09 Must | must | - | Planned |
| LM-11 Cycle a | P0 | LM-12 | Planned |
| LM-12 Cycle b | P0 | LM-11 | Done |
`;
    for (const p of [profile, compileProfile(mergeProfiles(DEFAULT_PROFILE, ProfileSchema.parse({ priorities: [['must'], ['p3'], ['p1'], ['p0']] })))]) {
      const doc = parseDocument({ file: 'trackers/q.md', text }, p).document!;
      const index = buildGraph([doc], p);
      const nodes = [...index.graph.nodes].sort(compareNodes);
      expect(ids(actionable(nodes, p).next)).toEqual(ids(nextActionable(index)));
    }
  });

  it('orders by dependencies, then the profile\'s priorities (unknown after known, none last), then the given order', () => {
    const items = [item('a', { priority: 'p3' }), item('b'), item('c', { priority: 'weird' }), item('d', { priority: 'P0', dependsOn: ['a'] }), item('e', { priority: 'p0' }), item('a-done', { status: 'done', priority: 'p0' })];
    const r = actionable(items, profile);
    expect(ids(r.next)).toEqual(['e', 'a', 'c', 'b']);
    expect(r.waiting.map((w) => [w.item.id, w.blockers])).toEqual([['d', [{ id: 'a', status: 'planned', exists: true }]]]);
    // A profile that ranks p3 first moves a (and so d, once a is done) to the front.
    const custom = compileProfile(ProfileSchema.parse({ priorities: [['p3'], ['p0']] }));
    expect(ids(actionable(items, custom).next)).toEqual(['a', 'e', 'c', 'b']);
  });

  it('inherits the container\'s dependencies, counts an unknown dependency as not done, never lists a cycle, and lists what is neither done nor actionable', () => {
    const items = [
      item('ws', { dependsOn: ['gone'] }),
      item('t1', { parent: 'ws' }),
      item('x', { dependsOn: ['y'] }),
      item('y', { dependsOn: ['x'], status: 'done' }),
      item('b', { status: 'blocked' }),
      item('n', { status: null }),
    ];
    const r = actionable(items, profile);
    expect(ids(r.next)).toEqual([]);
    expect(r.waiting.map((w) => [w.item.id, w.blockers])).toEqual([
      ['ws', [{ id: 'gone', status: null, exists: false }]],
      ['t1', [{ id: 'gone', status: null, exists: false, via: 'ws' }]],
      ['b', []],
      ['n', []],
      ['x', []],
    ]);
  });
});
