import crypto from 'node:crypto';
import type { GraphNode } from '@govern/graph';
import type { HubRecord, HubStatus, RecordKind } from './schemas.js';
import type { SyncItemState } from './sync-state.js';

/** One workplan (a workstream on StateHub) or task, as the Markdown has it. */
export interface LocalItem {
  kind: RecordKind;
  item: string;
  /** externalKey: `<repo>:<item id>`, the idempotency key of its create. */
  key: string;
  file: string;
  stateHubId: string | null;
  status: HubStatus;
  /** What the bridge pushes besides the status; owned by the Markdown. */
  struct: { repo: string; itemId: string; title: string; priority: string | null; dependsOn: string[]; workstreamKey: string | null };
  /** sha256 of `struct`. */
  hash: string;
}

export const keyOf = (repo: string, id: string): string => `${repo}:${id}`;

/**
 * The items the bridge syncs: every workplan node (a workstream) and every task
 * of a workplan, in graph order (file, then position), workstreams first so a
 * task's workstream exists before the task is created. Tracker and plan
 * milestones are not synced: StateHub holds workstreams and tasks.
 */
export function localItems(nodes: GraphNode[], repo: string): LocalItem[] {
  const pick = (n: GraphNode): LocalItem => {
    const struct = {
      repo,
      itemId: n.id,
      title: n.title,
      priority: n.priority,
      dependsOn: n.dependsOn.map((d) => keyOf(repo, d)),
      workstreamKey: n.kind === 'task' && n.parent ? keyOf(repo, n.parent) : null,
    };
    return {
      kind: n.kind === 'task' ? 'task' : 'workstream',
      item: n.id,
      key: keyOf(repo, n.id),
      file: n.source.file,
      stateHubId: n.stateHubId,
      status: n.status,
      struct,
      hash: crypto.createHash('sha256').update(JSON.stringify(struct)).digest('hex'),
    };
  };
  const workstreams = nodes.filter((n) => n.kind === 'workplan');
  const parents = new Set(workstreams.map((n) => n.id));
  const tasks = nodes.filter((n) => n.kind === 'task' && n.parent !== null && parents.has(n.parent));
  return [...workstreams.map(pick), ...tasks.map(pick)];
}

/** Whether the remote record already has the structure the Markdown gives. */
export function sameStructure(local: LocalItem, remote: HubRecord, workstreamIdOf: (key: string) => string | undefined): boolean {
  const s = local.struct;
  return (
    remote.repo === s.repo &&
    remote.itemId === s.itemId &&
    remote.title === s.title &&
    remote.priority === s.priority &&
    JSON.stringify(remote.dependsOn) === JSON.stringify(s.dependsOn) &&
    (s.workstreamKey === null ? remote.workstreamId === null : remote.workstreamId === workstreamIdOf(s.workstreamKey))
  );
}

export type StatusDecision =
  | { op: 'agree' }
  | { op: 'push'; from: HubStatus; to: HubStatus }
  | { op: 'pull'; from: HubStatus; to: HubStatus }
  | { op: 'conflict'; base: HubStatus; hasBase: boolean; reopen?: true };

/**
 * Three-way status merge against the last agreed status (`base`):
 *
 * | local vs base | remote vs base | result |
 * |---|---|---|
 * | any | any, remote = local | agree (record it) |
 * | unchanged | changed | pull the remote status into the Markdown |
 * | changed | unchanged | push the local status to StateHub |
 * | changed | changed, different | conflict: both values reported, nothing written |
 * | no base recorded, local ≠ remote | | conflict (which side changed is unknowable) |
 * | unchanged and done | changed | conflict (`reopen`): a done item is never reopened by a pull |
 *
 * Done is reached only through `govern close`, with checks and evidence; a remote
 * status that would take a done item back is a decision for a person, so it is
 * reported, not applied (a reopen made in the Markdown is pushed as usual).
 * A base recorded for another record id (the hub was reset, the key re-created)
 * does not count.
 */
export function decideStatus(local: HubStatus, remote: HubRecord, base: SyncItemState | undefined): StatusDecision {
  if (local === remote.status) return { op: 'agree' };
  const b = base && base.id === remote.id ? base : undefined;
  if (!b) return { op: 'conflict', base: null, hasBase: false };
  if (local === b.status) return local === 'done' ? { op: 'conflict', base: b.status, hasBase: true, reopen: true } : { op: 'pull', from: local, to: remote.status };
  if (remote.status === b.status) return { op: 'push', from: remote.status, to: local };
  return { op: 'conflict', base: b.status, hasBase: true };
}
