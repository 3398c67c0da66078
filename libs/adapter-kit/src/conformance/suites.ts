import crypto from 'node:crypto';
import { canonicalJson } from '@govern/contracts';
import { auditEntryHash } from '../audit-chain.js';
import type { AuditStore, Capability, EventStore, GitHubCapability, GraphStore, StateHubCapability } from '../capabilities.js';
import { FAILURE_REASONS, POLICY_REASONS } from '../errors.js';
import type { AuditEntry, AuditInput, EventRecord, GraphSnapshot } from '../records.js';
import type { CapabilitySuite, SuiteIO } from './workload.js';

/**
 * The generic suite of each capability: spec-as-test assertions generated from
 * what a manifest declares. Each suite exercises the capability's interface only
 * (never a pack's internals), provokes at least one failure and one denial, and
 * records every record it is given for the contract subcheck. Fixtures are
 * inline and fixed, so a deterministic pack gives the same transcript every run.
 */

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

// ---------------------------------------------------------------- store.graph

const SNAPSHOT_MAIN: GraphSnapshot = {
  schema: 'govern.graph-snapshot/v1',
  id: 'main',
  taken_at: '2026-01-02T03:04:05.000Z',
  source: { repo: 'govern-monorepo', commit: '0123456789abcdef0123456789abcdef01234567' },
  nodes: [
    { id: 'GV-01', kind: 'milestone', title: 'Parser | core', status: 'done', depends_on: [] },
    { id: 'GV-WP-0001', kind: 'workplan', title: 'Ünïcode title — “quoted”', status: 'in_progress', depends_on: ['GV-01'] },
    { id: 'GV-WP-0001-T01', kind: 'task', title: 'Task with\nnewline', status: null, depends_on: ['GV-WP-0001'] },
  ],
};
const SNAPSHOT_BRANCH: GraphSnapshot = { ...SNAPSHOT_MAIN, id: 'branch-a.1', source: { repo: 'govern-monorepo', commit: null }, nodes: SNAPSHOT_MAIN.nodes.slice(0, 1) };

const graphSuite: CapabilitySuite<GraphStore> = {
  async write(api, io) {
    const put = await io.step('put main', () => api.put(SNAPSHOT_MAIN));
    if (put.ok) {
      io.record('put main', 'graph-put-result', put.value);
      io.check('put answers the id, the sha256 of the canonical JSON and created', same(put.value, { id: 'main', sha256: sha256(canonicalJson(SNAPSHOT_MAIN)), created: true }), put.value);
    }
    const got = await io.step('get main', () => api.get('main'));
    if (got.ok) {
      io.record('get main', 'graph-snapshot', got.value);
      io.contract('a snapshot read back is byte-identical (canonical JSON) to the one put', got.value !== null && canonicalJson(got.value) === canonicalJson(SNAPSHOT_MAIN));
    }
    const again = await io.step('put main again (same bytes)', () => api.put(SNAPSHOT_MAIN));
    if (again.ok) io.check('putting the same bytes again is a no-op (created: false)', same(again.value, { id: 'main', sha256: sha256(canonicalJson(SNAPSHOT_MAIN)), created: false }), again.value);
    await io.step('put other bytes under main', () => api.put({ ...SNAPSHOT_MAIN, nodes: [] }), 'failure', { reason: FAILURE_REASONS.conflict });
    await io.step('put an invalid snapshot (id is a path)', () => api.put({ ...SNAPSHOT_MAIN, id: '../escape' }), 'failure', { reason: FAILURE_REASONS.recordInvalid });
    await io.step('put branch-a.1', () => api.put(SNAPSHOT_BRANCH));
    const list = await io.step('list', () => api.list());
    if (list.ok) {
      for (const r of list.value) io.record('list', 'graph-snapshot-ref', r);
      io.check(
        'list names every snapshot by id, with its sha256, time and node count',
        same(list.value, [
          { id: 'branch-a.1', sha256: sha256(canonicalJson(SNAPSHOT_BRANCH)), taken_at: SNAPSHOT_BRANCH.taken_at, node_count: 1 },
          { id: 'main', sha256: sha256(canonicalJson(SNAPSHOT_MAIN)), taken_at: SNAPSHOT_MAIN.taken_at, node_count: 3 },
        ]),
        list.value,
      );
    }
    const missing = await io.step('get an unknown id', () => api.get('no-such-snapshot'));
    if (missing.ok) io.check('an unknown id reads as null', missing.value === null, missing.value);
    await io.step('get an invalid id', () => api.get('../x'), 'failure', { reason: FAILURE_REASONS.recordInvalid });
  },
  async readOnly(api, io) {
    await io.step('put in read-only mode', () => api.put({ ...SNAPSHOT_MAIN, id: 'read-only' }), 'denial', { reason: POLICY_REASONS.readOnly });
    const got = await io.step('get main from a new instance', () => api.get('main'));
    if (got.ok) io.check(io.durable ? 'a new instance reads what the last one wrote' : 'an ephemeral pack starts empty', io.durable ? same(got.value, SNAPSHOT_MAIN) : got.value === null);
    const list = await io.step('list from a new instance', () => api.list());
    if (list.ok) io.check('a new instance lists what is stored', list.value.length === (io.durable ? 2 : 0), list.value);
  },
};

// ---------------------------------------------------------------- store.event

const eventsOf = (r: { ok: true; value: EventRecord[] } | { ok: false }) => (r.ok ? r.value.map((e) => `${e.stream}#${e.seq}:${e.type}`) : null);

const eventSuite: CapabilitySuite<EventStore> = {
  async write(api, io) {
    const first = await io.step('append two events to run-1', () =>
      api.append('run-1', [
        { type: 'task.started', data: { task: 'GV-WP-0001-T01', attempt: 1 } },
        { type: 'check.passed', at: '2026-02-01T00:00:00.000+01:00', data: { command: 'npm test', nested: { list: [1, 2.5, 'three', null, true] } } },
      ]),
    );
    if (first.ok) {
      for (const e of first.value) io.record('append', 'event-record', e);
      io.check('appended events get seq 1, 2 in their stream', same(eventsOf(first), ['run-1#1:task.started', 'run-1#2:check.passed']), eventsOf(first));
      io.check("an event's own time is kept", first.value[1]?.at === '2026-02-01T00:00:00.000+01:00', first.value[1]?.at);
    }
    const third = await io.step('append with expectedSeq 2', () => api.append('run-1', [{ type: 'task.done' }], { expectedSeq: 2 }));
    if (third.ok) io.check('an append at the expected seq continues the stream', same(eventsOf(third), ['run-1#3:task.done']), eventsOf(third));
    await io.step('append with a stale expectedSeq', () => api.append('run-1', [{ type: 'task.done' }], { expectedSeq: 1 }), 'failure', { reason: FAILURE_REASONS.conflict });
    await io.step('append a batch with one invalid event', () => api.append('run-1', [{ type: 'ok.event' }, { type: 'has a space' }]), 'failure', { reason: FAILURE_REASONS.recordInvalid });
    await io.step('append to an invalid stream name', () => api.append('../x', [{ type: 'ok.event' }]), 'failure', { reason: FAILURE_REASONS.recordInvalid });
    await io.step('append to run-2', () => api.append('run-2', [{ type: 'task.started' }], { expectedSeq: 0 }));
    const all = await io.step('list run-1', () => api.list('run-1'));
    if (all.ok) {
      for (const e of all.value) io.record('list', 'event-record', e);
      io.check('list gives the stream in order, and a refused batch appended nothing', same(eventsOf(all), ['run-1#1:task.started', 'run-1#2:check.passed', 'run-1#3:task.done']), eventsOf(all));
      if (first.ok) io.contract('events read back are byte-identical (canonical JSON) to those appended', same(all.value.slice(0, 2), first.value));
    }
    const after = await io.step('list run-1 after 1, limit 1', () => api.list('run-1', { after: 1, limit: 1 }));
    if (after.ok) io.check('after and limit page through a stream', same(eventsOf(after), ['run-1#2:check.passed']), eventsOf(after));
    await io.step('list with a negative after', () => api.list('run-1', { after: -1 }), 'failure', { reason: FAILURE_REASONS.recordInvalid });
    const none = await io.step('list an unknown stream', () => api.list('no-such-stream'));
    if (none.ok) io.check('an unknown stream has no events', none.value.length === 0, none.value);
    const streams = await io.step('streams', () => api.streams());
    if (streams.ok) io.check('streams lists every stream, sorted', same(streams.value, ['run-1', 'run-2']), streams.value);
  },
  async readOnly(api, io) {
    await io.step('append in read-only mode', () => api.append('run-1', [{ type: 'task.started' }]), 'denial', { reason: POLICY_REASONS.readOnly });
    const all = await io.step('list run-1 from a new instance', () => api.list('run-1'));
    if (all.ok) io.check(io.durable ? 'a new instance reads the stream the last one wrote' : 'an ephemeral pack starts empty', all.value.length === (io.durable ? 3 : 0), eventsOf(all));
    const streams = await io.step('streams from a new instance', () => api.streams());
    if (streams.ok) io.check('a new instance lists the streams stored', same(streams.value, io.durable ? ['run-1', 'run-2'] : []), streams.value);
  },
};

// ---------------------------------------------------------------- store.audit

const WHO = { actor: 'conformance', via: 'library' } as const;

const auditSuite: CapabilitySuite<AuditStore> = {
  async write(api, io) {
    const appended: AuditEntry[] = [];
    const inputs: { op: string; input: AuditInput }[] = [
      { op: 'append an applied entry', input: { ...WHO, action: 'set-status', subject: 'GV-WP-0001-T01', outcome: 'applied' as const } },
      { op: 'append a denied entry', input: { ...WHO, action: 'lifecycle.apply', subject: 'GV-WP-0001', outcome: 'denied' as const, policy_reason_code: 'review.required', data: { rule: 'review-gated' } } },
      {
        op: 'append a failed entry with evidence',
        input: {
          ...WHO,
          at: '2026-03-01T12:00:00.000Z',
          action: 'close',
          subject: 'GV-01',
          outcome: 'failed' as const,
          failure_reason_code: 'check.failed',
          evidence: [{ kind: 'file' as const, ref: 'ops/runtime/gv-01/manifest.json', sha256: sha256('manifest') }],
          data: { exitCode: 1 },
        },
      },
    ];
    for (const { op, input } of inputs) {
      const r = await io.step(op, () => api.append(input));
      if (r.ok) {
        io.record(op, 'audit-entry', r.value);
        appended.push(r.value);
      }
    }
    io.check(
      'entries are numbered 1, 2, 3 and chained: prev is the hash before, hash is the sha256 of the canonical entry',
      appended.length === 3 && appended.every((e, i) => e.seq === i + 1 && e.prev === (i === 0 ? null : appended[i - 1]!.hash) && e.hash === auditEntryHash(e)),
      appended.map((e) => ({ seq: e.seq, prev: e.prev, hash: e.hash })),
    );
    io.check('a denial keeps its policy_reason_code and no failure; a failure its failure_reason_code and no policy code', appended[1]?.policy_reason_code === 'review.required' && appended[1]?.failure_reason_code === null && appended[2]?.failure_reason_code === 'check.failed' && appended[2]?.policy_reason_code === null);
    await io.step('append a denied entry without a policy code', () => api.append({ ...WHO, action: 'close', subject: 'GV-01', outcome: 'denied' }), 'failure', { reason: FAILURE_REASONS.recordInvalid });
    await io.step('append an applied entry with a policy code', () => api.append({ ...WHO, action: 'close', subject: 'GV-01', outcome: 'applied', policy_reason_code: 'x.y' }), 'failure', {
      reason: FAILURE_REASONS.recordInvalid,
    });
    const read = await io.step('read', () => api.read());
    if (read.ok) {
      io.record('read', 'audit-read', read.value);
      io.check('read gives every entry in seq order, verified', read.value.verified && read.value.problems.length === 0 && read.value.entries.map((e) => e.seq).join() === '1,2,3', { verified: read.value.verified, problems: read.value.problems });
      io.contract('entries read back are byte-identical (canonical JSON) to those appended', same(read.value.entries, appended));
    }
  },
  async readOnly(api, io) {
    await io.step('append in read-only mode', () => api.append({ ...WHO, action: 'set-status', subject: 'GV-01', outcome: 'applied' }), 'denial', { reason: POLICY_REASONS.readOnly });
    const read = await io.step('read from a new instance', () => api.read());
    if (read.ok) io.check(io.durable ? 'a new instance reads and verifies the chain the last one wrote' : 'an ephemeral pack starts empty', read.value.verified && read.value.entries.length === (io.durable ? 3 : 0), { n: read.value.entries.length, problems: read.value.problems });
  },
};

// ---------------------------------------------------------------- statehub

function statehubInputs(io: SuiteIO): { repo: string; foreignRepo: string } | null {
  const i = io.inputs.statehub;
  io.check('the harness names the repository the pack is configured for, and a foreign one', i !== undefined);
  return i ?? null;
}

const statehubSuite: CapabilitySuite<StateHubCapability> = {
  async write(api, io) {
    const i = statehubInputs(io);
    if (!i) return;
    const health = await io.step('health', () => api.health());
    if (health.ok) io.record('health', 'statehub-health', health.value);
    const ws = await io.step('put a workstream (adopting an id)', () => api.put('workstream', { repo: i.repo, itemId: 'WP-1', title: 'Plan one', status: 'planned', id: 'ws-wp-1' }));
    if (ws.ok) {
      io.record('put', 'statehub-put-result', ws.value);
      io.check('a new workstream is created at version 1 under <repo>:<itemId> with the adopted id', ws.value.created && ws.value.record.version === 1 && ws.value.record.id === 'ws-wp-1' && ws.value.record.externalKey === `${i.repo}:WP-1`, ws.value);
    }
    const again = await io.step('put the same workstream again', () => api.put('workstream', { repo: i.repo, itemId: 'WP-1', title: 'Plan one', status: 'planned', id: 'ws-wp-1' }));
    if (again.ok) io.check('putting the same record again changes nothing', !again.value.created && !again.value.changed && again.value.record.version === 1, again.value);
    const task = await io.step('put a task of it', () => api.put('task', { repo: i.repo, itemId: 'WP-1-T01', title: 'Task one', status: 'planned', id: 'task-wp-1-t01', workstreamItemId: 'WP-1', dependsOn: [] }));
    if (task.ok) {
      io.record('put', 'statehub-put-result', task.value);
      io.check('a task belongs to its workstream', task.value.record.workstreamId === 'ws-wp-1', task.value.record);
    }
    const moved = await io.step('set the task in progress at version 1', () => api.setStatus('task', 'task-wp-1-t01', { status: 'in_progress', ifVersion: 1 }));
    if (moved.ok) {
      io.record('setStatus', 'statehub-patch-result', moved.value);
      io.check('a status change at the current version applies and raises the version', moved.value.changed && moved.value.record.version === 2 && moved.value.record.status === 'in_progress', moved.value);
    }
    await io.step('set a status at a stale version', () => api.setStatus('task', 'task-wp-1-t01', { status: 'done', ifVersion: 1 }), 'failure', { reason: FAILURE_REASONS.conflict });
    await io.step('set the status of an unknown record', () => api.setStatus('task', 'no-such-task', { status: 'done', ifVersion: 1 }), 'failure', { reason: FAILURE_REASONS.notFound });
    await io.step("put a record of a repository the pack is not configured for", () => api.put('workstream', { repo: i.foreignRepo, itemId: 'WP-9', title: 'Foreign' }), 'denial', {
      reason: POLICY_REASONS.outsideBoundary,
    });
    await io.step('put an invalid record', () => api.put('task', { repo: i.repo, itemId: '', title: 'No id' }), 'failure', { reason: FAILURE_REASONS.recordInvalid });
    const got = await io.step('get the task', () => api.get('task', 'task-wp-1-t01'));
    if (got.ok) {
      io.record('get', 'statehub-record', got.value);
      if (moved.ok) io.contract('a record read back is byte-identical (canonical JSON) to the one the write answered', same(got.value, moved.value.record));
    }
    const missing = await io.step('get an unknown record', () => api.get('task', 'no-such-task'));
    if (missing.ok) io.check('an unknown record reads as null', missing.value === null, missing.value);
    const tasks = await io.step('list tasks', () => api.list('task'));
    if (tasks.ok) {
      for (const r of tasks.value) io.record('list', 'statehub-record', r);
      io.check("list gives the repository's records", same(tasks.value.map((r) => r.externalKey), [`${i.repo}:WP-1-T01`]), tasks.value.map((r) => r.externalKey));
    }
    const changes = await io.step('changes since 0', () => api.changes(0));
    if (changes.ok) {
      io.record('changes', 'statehub-change-page', changes.value);
      io.check('the change feed has the three changes, in order', same(changes.value.changes.map((c) => `${c.op}:${c.externalKey}`), [`created:${i.repo}:WP-1`, `created:${i.repo}:WP-1-T01`, `status:${i.repo}:WP-1-T01`]), changes.value.changes.map((c) => `${c.op}:${c.externalKey}`));
    }
  },
  async readOnly(api, io) {
    const i = io.inputs.statehub;
    if (!i) return;
    await io.step('put in read-only mode', () => api.put('workstream', { repo: i.repo, itemId: 'WP-2', title: 'Plan two' }), 'denial', { reason: POLICY_REASONS.readOnly });
    await io.step('set a status in read-only mode', () => api.setStatus('task', 'task-wp-1-t01', { status: 'done', ifVersion: 2 }), 'denial', { reason: POLICY_REASONS.readOnly });
    const got = await io.step('get the workstream from a new instance', () => api.get('workstream', 'ws-wp-1'));
    if (got.ok) io.check('a new instance reads what the last one wrote', io.durable ? got.value?.itemId === 'WP-1' : got.value === null, got.value);
  },
};

// ---------------------------------------------------------------- github

const githubSuite: CapabilitySuite<GitHubCapability> = {
  async write(api, io) {
    const i = io.inputs.github;
    io.check('the harness names a closed item of the repository at the root', i !== undefined);
    if (!i) return;
    const dry = await io.step('dry run', () => api.openClosurePr({ item: i.item, dryRun: true }));
    if (dry.ok) {
      io.record('dry run', 'closure-pr', dry.value);
      io.check('a dry run plans and writes nothing', dry.value.action === 'dry-run' && dry.value.requests.writes === 0 && dry.value.commit === null, { action: dry.value.action, requests: dry.value.requests });
    }
    const opened = await io.step('open', () => api.openClosurePr({ item: i.item }));
    if (opened.ok) {
      io.record('open', 'closure-pr', opened.value);
      io.check('the first run creates the branch and opens the pull request', opened.value.action === 'opened' && opened.value.ref === 'created' && opened.value.pr?.state === 'open', { action: opened.value.action, ref: opened.value.ref, pr: opened.value.pr });
    }
    const again = await io.step('open again', () => api.openClosurePr({ item: i.item }));
    if (again.ok) {
      io.record('open again', 'closure-pr', again.value);
      // The Git Data API has no "find this tree": rebuilding it is an idempotent write, the only one of a second run.
      io.check(
        'a second run finds the branch and the pull request in place: no new commit, ref or pull request',
        again.value.action === 'unchanged' && again.value.ref === 'unchanged' && opened.ok && again.value.commit === opened.value.commit && again.value.pr?.number === opened.value.pr?.number,
        { action: again.value.action, ref: again.value.ref, requests: again.value.requests },
      );
    }
    await io.step('open for an unknown item', () => api.openClosurePr({ item: 'NO-SUCH-ITEM-404' }), 'failure', { reason: FAILURE_REASONS.notFound });
  },
  async readOnly(api, io) {
    const i = io.inputs.github;
    if (!i) return;
    await io.step('open in read-only mode', () => api.openClosurePr({ item: i.item }), 'denial', { reason: POLICY_REASONS.readOnly });
    const dry = await io.step('dry run in read-only mode', () => api.openClosurePr({ item: i.item, dryRun: true }));
    if (dry.ok) io.check('a dry run is allowed read-only and finds the pull request opened before', dry.value.action === 'dry-run' && dry.value.requests.writes === 0, { action: dry.value.action });
  },
};

/** The generic suite of each capability that has one (`memory` is reserved: none yet). */
export const SUITES: Partial<Record<Capability, CapabilitySuite<never>>> = {
  'store.graph': graphSuite as CapabilitySuite<never>,
  'store.event': eventSuite as CapabilitySuite<never>,
  'store.audit': auditSuite as CapabilitySuite<never>,
  statehub: statehubSuite as CapabilitySuite<never>,
  github: githubSuite as CapabilitySuite<never>,
};
