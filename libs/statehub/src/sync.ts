import path from 'node:path';
import { blockersOf } from '@govern/graph';
import { loadWorkspace, type Workspace } from '@govern/workspace';
import { defaultActor, lifecycleViolations, setStatus, WriteError, type LockOptions } from '@govern/write';
import { StateHubError, type StateHubClient } from './client.js';
import type { HubRecord } from './schemas.js';
import { decideStatus, localItems, sameStructure, type LocalItem } from './sync-plan.js';
import type { SyncReport } from './sync-report.js';
import { hubKey, readSyncState, recordSyncState, SYNC_STATE_FILE, type SyncItemState } from './sync-state.js';
import { writeStateHubIds, type IdWrite } from './write-ids.js';

/**
 * What the sync needs of a StateHub: a {@link StateHubClient}, or anything that answers
 * the same and throws the same {@link StateHubError}s (the CLI adapts an adapter pack's
 * `statehub` capability to it when govern.config.yaml routes the sync through packs).
 */
export type SyncHub = Pick<StateHubClient, 'url' | 'list' | 'putByKey' | 'setStatus'>;

export interface SyncOptions {
  /** Repository root. */
  root: string;
  /** The StateHub to talk to: the embedded one or a remote one, only ever over HTTP. */
  client: SyncHub;
  /** The repository's name on StateHub, the prefix of every externalKey; default the root folder's name. */
  repo?: string;
  /** `push` only changes StateHub (and writes ids back), `pull` only the Markdown; default both. */
  mode?: 'both' | 'push' | 'pull';
  /** Report what would change on each side; change nothing (not even the sync state). */
  dryRun?: boolean;
  /** Recorded on StateHub and in the audit log of pulled status writes; default GOVERN_ACTOR or the OS user. */
  actor?: string;
  /** Parse cache directory; `null` disables it. */
  cacheDir?: string | null;
  lock?: LockOptions;
  /** Called after every side effect (a request that changed StateHub, a file write, a state record). */
  onStep?: (step: string) => void | Promise<void>;
  now?: () => Date;
}

/**
 * Syncs the repository's workplans and tasks with a StateHub.
 *
 * 1. **Structure (push).** Every workplan and task missing on StateHub is
 *    created with `PUT /…/by-key/<repo>:<id>` — an idempotency key, so a create
 *    whose answer was lost is not repeated — carrying its title, priority,
 *    dependencies (as keys) and status; a changed structure is updated the
 *    same way. An id already in the Markdown is adopted by the create.
 * 2. **Ids (push).** The ids StateHub assigned are written into the front
 *    matter (`state_hub_workstream_id`) and task metadata (`state_hub_task_id`)
 *    by {@link writeStateHubIds}: one inserted line each, locked, atomic,
 *    verified.
 * 3. **Statuses.** A three-way merge against the last agreed status
 *    ({@link decideStatus}): a local change is pushed with `ifVersion` (a 409
 *    is re-decided against the current record), a remote change is pulled
 *    through `setStatus` and its lifecycle rules (a remote `done` is refused
 *    — only `govern close` sets done — and reported), a change on both sides
 *    is a conflict reported with both values, and so is a remote status that
 *    would reopen a done item; nothing is overwritten.
 *
 * After every item's change the agreed state is recorded in
 * `.govern/statehub-sync.json`, so a sync killed at any point and run again
 * converges: creates are found by key, ids already written are recognized,
 * statuses already equal are agreements. Problems in content come back in the
 * report; a StateHub that cannot be reached (or refuses the token) throws a
 * {@link StateHubError}, and running again resumes.
 */
export async function syncStateHub(opts: SyncOptions): Promise<SyncReport> {
  const root = path.resolve(opts.root);
  const repo = opts.repo ?? path.basename(root);
  const mode = opts.mode ?? 'both';
  const push = mode !== 'pull';
  const pull = mode !== 'push';
  const dry = opts.dryRun === true;
  const client = opts.client;
  const actor = opts.actor ?? defaultActor();
  const now = opts.now ?? (() => new Date());
  const load = (): Promise<Workspace> => loadWorkspace({ root, ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}) });
  const step = async (s: string) => {
    await opts.onStep?.(s);
  };

  let ws = await load();
  const report: SyncReport = {
    url: client.url,
    repo,
    mode,
    dryRun: dry,
    stateFile: SYNC_STATE_FILE,
    items: 0,
    actions: [],
    conflicts: [],
    refused: [],
    pending: [],
    problems: [],
    unchanged: 0,
    ok: true,
  };
  const { state, problem } = readSyncState(root);
  if (problem) report.problems.push({ item: null, key: null, file: SYNC_STATE_FILE, code: 'sync-state-damaged', message: problem });
  const base: Record<string, SyncItemState> = { ...(state.hubs[hubKey(client.url)]?.items ?? {}) };

  const items = localItems(ws.index.graph.nodes, repo);
  report.items = items.length;
  const [remoteWs, remoteTasks] = await Promise.all([client.list('workstream', repo), client.list('task', repo)]);
  const remote = new Map<string, HubRecord>([...remoteWs, ...remoteTasks].map((r) => [`${r.kind}|${r.externalKey}`, r]));
  const remoteOf = (it: LocalItem) => remote.get(`${it.kind}|${it.key}`);
  const workstreamIdOf = (key: string) => remote.get(`workstream|${key}`)?.id;
  const touched = new Set<string>();
  const skipped = new Set<string>();
  const at = (it: LocalItem) => ({ kind: it.kind, item: it.item, key: it.key, file: it.file });

  const agree = async (it: LocalItem, rec: HubRecord) => {
    const next: SyncItemState = { kind: it.kind, item: it.item, id: rec.id, status: rec.status, version: rec.version, hash: it.hash, at: now().toISOString() };
    const prev = base[it.key];
    if (prev && prev.id === next.id && prev.status === next.status && prev.version === next.version && prev.hash === next.hash) return;
    base[it.key] = next;
    if (dry) return;
    await recordSyncState(root, client.url, repo, { [it.key]: next }, opts.lock);
    await step(`state:${it.key}`);
  };

  // 1. Structure: workstreams before tasks (localItems orders them so).
  const createdInDryRun = new Set<string>();
  for (const it of items) {
    const rec = remoteOf(it);
    if (rec && it.stateHubId && rec.id !== it.stateHubId) {
      report.problems.push({ ...at(it), code: 'id-mismatch', message: `${it.item} has StateHub id ${it.stateHubId} in ${it.file}, but StateHub has ${it.key} as ${rec.id}; nothing synced for it` });
      skipped.add(it.key);
      continue;
    }
    if (rec && sameStructure(it, rec, workstreamIdOf)) continue;
    if (!push) {
      report.pending.push({ ...at(it), side: 'remote', what: rec ? 'title, priority or dependencies changed; a push updates them' : 'not on StateHub yet; a push creates it' });
      if (!rec) skipped.add(it.key);
      continue;
    }
    if (it.struct.workstreamKey && !workstreamIdOf(it.struct.workstreamKey) && !createdInDryRun.has(it.struct.workstreamKey)) {
      report.problems.push({ ...at(it), code: 'workstream-missing', message: `${it.item}: its workplan is not on StateHub (see the problem above); the task is not synced` });
      skipped.add(it.key);
      continue;
    }
    touched.add(it.key);
    if (dry) {
      report.actions.push({ ...at(it), side: 'remote', op: rec ? 'update' : 'create', id: rec?.id ?? it.stateHubId, ...(rec ? {} : { to: it.status }), version: null });
      if (!rec) createdInDryRun.add(it.key);
      continue;
    }
    try {
      const { workstreamKey, ...struct } = it.struct;
      const body = { ...struct, status: it.status, actor, ...(it.stateHubId ? { id: it.stateHubId } : {}) };
      const res = workstreamKey ? await client.putByKey('task', it.key, { ...body, workstreamKey }) : await client.putByKey('workstream', it.key, body);
      remote.set(`${it.kind}|${it.key}`, res.record);
      report.actions.push({ ...at(it), side: 'remote', op: res.created ? 'create' : 'update', id: res.record.id, ...(res.created ? { to: res.record.status } : {}), version: res.record.version });
      await step(`remote:${res.created ? 'create' : 'update'}:${it.key}`);
      // A record this request created starts out agreed: it has the local status.
      if (res.created) await agree(it, res.record);
    } catch (err) {
      if (!(err instanceof StateHubError) || !['id-taken', 'id-mismatch', 'unprocessable', 'version-conflict'].includes(err.code)) throw err;
      report.problems.push({ ...at(it), code: err.code, message: `${it.item}: StateHub refused it: ${err.message}` });
      skipped.add(it.key);
    }
  }

  // 2. Ids into the Markdown, one locked atomic write per file.
  const byFile = new Map<string, IdWrite[]>();
  for (const it of items) {
    if (skipped.has(it.key) || it.stateHubId) continue;
    const rec = remoteOf(it);
    if (!push) {
      if (rec) report.pending.push({ ...at(it), side: 'local', what: `StateHub id ${rec.id} not written into ${it.file}; a push writes it` });
      continue;
    }
    touched.add(it.key);
    if (dry) {
      report.actions.push({ ...at(it), side: 'local', op: 'write-id', id: rec?.id ?? null, version: null });
      continue;
    }
    if (rec) byFile.set(it.file, [...(byFile.get(it.file) ?? []), { item: it.item, value: rec.id }]);
  }
  for (const [file, ids] of byFile) {
    const res = await writeStateHubIds({ root, file, ids, profile: ws.profile, ...(opts.lock ? { lock: opts.lock } : {}) });
    const kindOf = new Map(items.map((i) => [i.item, i]));
    for (const w of res.written) {
      const it = kindOf.get(w.item)!;
      report.actions.push({ ...at(it), side: 'local', op: 'write-id', id: w.value, version: null });
    }
    for (const p of res.problems) report.problems.push({ item: p.item, key: kindOf.get(p.item)?.key ?? null, file, code: p.code, message: p.message });
    if (res.changed) await step(`local:write-id:${file}`);
  }
  if (byFile.size) ws = await load();

  // 3. Statuses.
  for (const it of items) {
    if (skipped.has(it.key)) continue;
    const rec = remoteOf(it);
    if (!rec) continue; // created in a dry run: it would start out agreed
    const d = decideStatus(it.status, rec, base[it.key]);
    if (d.op === 'agree') {
      await agree(it, rec);
      continue;
    }
    touched.add(it.key);
    if (d.op === 'conflict') {
      report.conflicts.push(conflict(it, rec, d.base, d.hasBase, d.reopen === true));
      continue;
    }
    if (d.op === 'push') {
      if (!push) {
        report.pending.push({ ...at(it), side: 'remote', what: `status ${d.from ?? 'none'} → ${d.to ?? 'none'} (changed in the Markdown)` });
        continue;
      }
      if (dry) {
        report.actions.push({ ...at(it), side: 'remote', op: 'status', id: rec.id, from: d.from, to: d.to, version: null });
        continue;
      }
      try {
        const res = await client.setStatus(it.kind, rec.id, { status: d.to, ifVersion: rec.version, actor });
        remote.set(`${it.kind}|${it.key}`, res.record);
        report.actions.push({ ...at(it), side: 'remote', op: 'status', id: rec.id, from: d.from, to: d.to, version: res.record.version });
        await step(`remote:status:${it.key}`);
        await agree(it, res.record);
      } catch (err) {
        if (!(err instanceof StateHubError) || err.code !== 'version-conflict' || !err.current) throw err;
        // StateHub moved since we listed it: decide again against what it has now.
        if (err.current.status === it.status) await agree(it, err.current);
        else report.conflicts.push(conflict(it, err.current, base[it.key]?.status ?? null, base[it.key] !== undefined));
      }
      continue;
    }
    // d.op === 'pull'
    if (!pull) {
      report.pending.push({ ...at(it), side: 'local', what: `status ${d.from ?? 'none'} → ${d.to ?? 'none'} (changed on StateHub)` });
      continue;
    }
    if (d.to === null) {
      report.refused.push({ ...at(it), id: rec.id, local: it.status, remote: null, code: 'status-null', message: `StateHub has no status for ${it.item}; a status is never removed from the Markdown` });
      continue;
    }
    const refusal = dry ? lifecycleRefusal(ws, it, d.to) : null;
    if (refusal) {
      report.refused.push({ ...at(it), id: rec.id, local: it.status, remote: d.to, ...refusal });
      continue;
    }
    if (dry) {
      report.actions.push({ ...at(it), side: 'local', op: 'status', id: rec.id, from: d.from, to: d.to, version: rec.version });
      continue;
    }
    try {
      await setStatus({
        root,
        id: it.item,
        status: d.to,
        actor,
        via: 'statehub',
        reason: `statehub sync: ${client.url} has ${d.to} (version ${rec.version})`,
        ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}),
        ...(opts.lock ? { lock: opts.lock } : {}),
      });
      report.actions.push({ ...at(it), side: 'local', op: 'status', id: rec.id, from: d.from, to: d.to, version: rec.version });
      await step(`local:status:${it.key}`);
      await agree(it, rec);
    } catch (err) {
      if (!(err instanceof WriteError) || err.code === 'lock-timeout' || err.code === 'io-error') throw err;
      report.refused.push({ ...at(it), id: rec.id, local: it.status, remote: d.to, code: err.code, message: err.message, ...noteFor(err.code, it.item) });
    }
  }

  const reported = new Set([
    ...touched,
    ...report.pending.map((p) => p.key),
    ...report.problems.flatMap((p) => (p.key ? [p.key] : [])),
    ...report.refused.map((r) => r.key),
    ...report.conflicts.map((c) => c.key),
  ]);
  report.unchanged = items.filter((i) => !reported.has(i.key)).length;
  report.ok = report.conflicts.length === 0 && report.refused.length === 0 && report.problems.length === 0;
  return report;
}

function conflict(it: LocalItem, rec: HubRecord, base: SyncItemState['status'], hasBase: boolean, reopen = false): SyncReport['conflicts'][number] {
  const was = hasBase ? `both changed since they last agreed on ${base ?? 'no status'}` : 'they differ and no earlier agreement is recorded here';
  const says = `${it.item}: the Markdown says ${it.status ?? 'no status'}, StateHub says ${rec.status ?? 'no status'} (version ${rec.version})`;
  return {
    kind: it.kind,
    item: it.item,
    key: it.key,
    file: it.file,
    id: rec.id,
    local: it.status,
    remote: rec.status,
    base,
    hasBase,
    remoteVersion: rec.version,
    message: reopen
      ? `${says}; reopening a done item is not pulled (done is reached only through govern close). Set it back to done on StateHub, or reopen it here by hand (govern task set-status) and sync again`
      : `${says}; ${was}. Make them equal on one side (govern task set-status, or on StateHub) and sync again`,
  };
}

function noteFor(code: string, item: string): { note?: string } {
  if (code === 'closure-required') return { note: `a done status needs evidence: run \`govern close ${item}\`` };
  if (code === 'dependencies-not-done') return { note: 'its dependencies are not done here; set them first, or set this one by hand with --force' };
  return {};
}

/** The refusal setStatus would give, for a dry run (the same lifecycle rules, no write). */
function lifecycleRefusal(ws: Workspace, it: LocalItem, to: NonNullable<LocalItem['status']>): { code: string; message: string; note?: string } | null {
  const node = ws.index.byId.get(it.item);
  if (!node) return null;
  const violations = lifecycleViolations(it.item, node.status, to, blockersOf(ws.index, node), ws.profile, { closure: false });
  // As setStatus picks it (the sync never forces): a rule --force cannot override first.
  const v = violations.find((x) => !x.forceable) ?? violations[0];
  return v ? { code: v.code, message: v.message, ...noteFor(v.code, it.item) } : null;
}

