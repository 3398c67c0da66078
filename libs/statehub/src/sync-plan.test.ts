import { describe, expect, test } from 'vitest';
import type { HubRecord, HubStatus } from './schemas.js';
import { decideStatus } from './sync-plan.js';
import type { SyncItemState } from './sync-state.js';

const rec = (status: HubStatus, id = 'id-1'): HubRecord => ({
  id,
  kind: 'task',
  externalKey: 'r:T1',
  repo: 'r',
  itemId: 'T1',
  workstreamId: 'w',
  title: 't',
  status,
  priority: null,
  dependsOn: [],
  version: 3,
  createdAt: 'x',
  updatedAt: 'x',
});
const base = (status: HubStatus, id = 'id-1'): SyncItemState => ({ kind: 'task', item: 'T1', id, status, version: 2, hash: 'h', at: 'x' });

describe('decideStatus: the three-way merge against the last agreed status', () => {
  test.each([
    // local, remote, base → decision
    ['planned', 'planned', base('planned'), { op: 'agree' }],
    ['blocked', 'blocked', base('planned'), { op: 'agree' }],
    ['blocked', 'blocked', undefined, { op: 'agree' }],
    ['planned', 'in_progress', base('planned'), { op: 'pull', from: 'planned', to: 'in_progress' }],
    ['in_progress', 'planned', base('planned'), { op: 'push', from: 'planned', to: 'in_progress' }],
    [null, 'planned', base('planned'), { op: 'push', from: 'planned', to: null }],
    ['blocked', 'partial', base('planned'), { op: 'conflict', base: 'planned', hasBase: true }],
    ['blocked', 'partial', undefined, { op: 'conflict', base: null, hasBase: false }],
    // Reopening a done item is never pulled: done is reached only through govern close.
    ['done', 'in_progress', base('done'), { op: 'conflict', base: 'done', hasBase: true, reopen: true }],
    ['done', 'planned', base('done'), { op: 'conflict', base: 'done', hasBase: true, reopen: true }],
    ['done', null, base('done'), { op: 'conflict', base: 'done', hasBase: true, reopen: true }],
    // A local reopen (by hand, in the Markdown) is pushed.
    ['in_progress', 'done', base('done'), { op: 'push', from: 'done', to: 'in_progress' }],
    // A base recorded for another record (the hub was reset) does not count.
    ['planned', 'in_progress', base('planned', 'old-id'), { op: 'conflict', base: null, hasBase: false }],
  ] as const)('local %s, remote %s, base %o', (local, remote, b, decision) => {
    expect(decideStatus(local, rec(remote), b)).toEqual(decision);
  });
});
