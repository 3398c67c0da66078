import type { HubRecord, NextResult, RecordKind } from '@govern/statehub';

const ACTIONABLE = new Set(['planned', 'in_progress', 'partial']);

/** P0/critical first, then P1/high, P2/medium/normal, P3/low; no or unknown priority last. */
export function priorityRank(priority: string | null): number {
  const p = (priority ?? '').trim().toLowerCase();
  if (p === 'p0' || p === 'critical') return 0;
  if (p === 'p1' || p === 'high') return 1;
  if (p === 'p2' || p === 'medium' || p === 'normal') return 2;
  if (p === 'p3' || p === 'low') return 3;
  return 4;
}

/**
 * "What is next" over the graph the bridge pushed, the same rule as `govern
 * next`: a record is actionable when its status is planned, in_progress or
 * partial and every record it depends on (by externalKey, across kinds and
 * repositories) is done — for a task, its workstream's dependencies too. A key
 * no record has counts as not done. Order: dependency depth (longest chain of
 * known dependencies below it), then priority, then externalKey, so the same
 * records always give the same answer.
 */
export function computeNext(records: HubRecord[], query: { kind: RecordKind; repo?: string; limit?: number }): NextResult {
  const byKey = new Map<string, HubRecord>();
  // Workstreams first: a key both kinds use (never from the bridge) resolves to the workstream.
  for (const r of [...records].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'workstream' ? -1 : 1))) {
    if (!byKey.has(r.externalKey)) byKey.set(r.externalKey, r);
  }
  const byId = new Map(records.map((r) => [r.id, r]));

  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (r: HubRecord): number => {
    const known = depth.get(r.id);
    if (known !== undefined) return known;
    if (visiting.has(r.id)) return 0; // a cycle: its records are never all done, so never actionable
    visiting.add(r.id);
    let d = 0;
    for (const k of r.dependsOn) {
      const dep = byKey.get(k);
      if (dep) d = Math.max(d, depthOf(dep) + 1);
    }
    visiting.delete(r.id);
    depth.set(r.id, d);
    return d;
  };

  const waitingOnOf = (r: HubRecord) => {
    const keys = [...r.dependsOn];
    const ws = r.workstreamId ? byId.get(r.workstreamId) : undefined;
    if (ws) keys.push(...ws.dependsOn.filter((k) => !keys.includes(k)));
    return keys
      .map((k) => ({ externalKey: k, dep: byKey.get(k) }))
      .filter(({ dep }) => dep?.status !== 'done')
      .map(({ externalKey, dep }) => ({ externalKey, found: dep !== undefined, status: dep?.status ?? null }));
  };

  const candidates = records
    .filter((r) => r.kind === query.kind && (query.repo === undefined || r.repo === query.repo) && r.status !== 'done')
    .sort((a, b) => depthOf(a) - depthOf(b) || priorityRank(a.priority) - priorityRank(b.priority) || (a.externalKey < b.externalKey ? -1 : a.externalKey > b.externalKey ? 1 : 0));

  const next: HubRecord[] = [];
  const blocked: NextResult['blocked'] = [];
  for (const r of candidates) {
    const waitingOn = waitingOnOf(r);
    if (waitingOn.length === 0 && r.status !== null && ACTIONABLE.has(r.status)) next.push(r);
    else blocked.push({ record: r, waitingOn });
  }
  return { kind: query.kind, next: query.limit !== undefined ? next.slice(0, query.limit) : next, blocked };
}
