import { actionable, type RuleItem } from '@govern/graph';
import { compileProfile, DEFAULT_PROFILE, type CompiledProfile } from '@govern/workplan';
import type { HubRecord, NextResult, RecordKind } from '@govern/statehub';

/** The built-in profile's priorities, for a StateHub started without a workspace's profile. */
export const DEFAULT_COMPILED_PROFILE: CompiledProfile = compileProfile(DEFAULT_PROFILE);

interface Item extends RuleItem {
  record: HubRecord;
}

const byKey = (a: HubRecord, b: HubRecord) =>
  a.externalKey < b.externalKey ? -1 : a.externalKey > b.externalKey ? 1 : a.kind === b.kind ? 0 : a.kind === 'workstream' ? -1 : 1;

/**
 * "What is next" over the graph the bridge pushed, by the rule of `govern next`
 * (`actionable` of @govern/graph, with the workspace's profile): each record is an item
 * whose id is its externalKey, whose dependencies are the keys it depends on (across
 * kinds and repositories; a key no record has counts as not done) and whose container,
 * for a task, is its workstream. The tie-break after dependencies and priority is the
 * externalKey (a workstream before a task of the same key, which the bridge never
 * makes; the workstream is then the one dependencies name). `blocked` lists the
 * records of the kind that are neither done nor actionable, with what each waits on.
 */
export function computeNext(records: HubRecord[], query: { kind: RecordKind; repo?: string; limit?: number }, profile: CompiledProfile = DEFAULT_COMPILED_PROFILE): NextResult {
  const byId = new Map(records.map((r) => [r.id, r]));
  const items: Item[] = [...records].sort(byKey).map((r) => {
    const ws = r.workstreamId ? byId.get(r.workstreamId) : undefined;
    return { id: r.externalKey, status: r.status, priority: r.priority, dependsOn: r.dependsOn, parent: ws && ws !== r ? ws.externalKey : null, record: r };
  });
  const wanted = (r: HubRecord) => r.kind === query.kind && (query.repo === undefined || r.repo === query.repo);
  const { next, waiting } = actionable(items, profile);
  const nextRecords = next.filter((n) => wanted(n.record)).map((n) => n.record);
  return {
    kind: query.kind,
    next: query.limit !== undefined ? nextRecords.slice(0, query.limit) : nextRecords,
    blocked: waiting
      .filter((w) => wanted(w.item.record))
      .map((w) => ({ record: w.item.record, waitingOn: w.blockers.map((b) => ({ externalKey: b.id, found: b.exists, status: b.status })) })),
  };
}
