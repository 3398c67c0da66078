import {
  adapterFailure,
  canonicalSha256,
  definePack,
  denyWrites,
  FAILURE_REASONS,
  GraphSnapshotSchema,
  pageEvents,
  parseRecord,
  requireKey,
  sealAuditEntry,
  sealEvents,
  snapshotRef,
  verifyAuditChain,
  type AuditEntry,
  type AuditStore,
  type EventRecord,
  type EventStore,
  type GraphSnapshot,
  type GraphStore,
  type PackContext,
} from '@govern/adapter-kit';

const NAME = 'fake';

/** The fake's compatibility manifest: every store capability, nothing owned (it touches no file, table or remote). */
export const FAKE_MANIFEST = {
  schema: 'govern.adapter-manifest/v1',
  name: NAME,
  package: '@govern/adapter-fake',
  version: '0.1.0',
  description: 'graph snapshots, event streams and the audit chain in memory, per instance: the pack tests swap in for a real store',
  capabilities: ['store.graph', 'store.event', 'store.audit'],
  durability: 'ephemeral',
  // The versions this pack was written against, as literals: a build whose contracts moved to another major
  // fails the pack's contract subcheck until someone reviews the pack and raises them.
  contracts: [
    { name: '@govern/contracts', version: '1.0.0' },
    { name: 'govern-adapter-capabilities', version: '1.0.0' },
  ],
  ownership: { paths: [], tables: [], remote: [] },
  conformance: ['govern-conformance/1'],
  gate: 'adapter-fake',
} as const;

// Records go in and out as structured clones: a caller mutating what it got
// must not change what the fake holds, as it could not with a real store.
const copy = <T>(v: T): T => structuredClone(v);

function graphStore(ctx: PackContext): GraphStore {
  const snapshots = new Map<string, GraphSnapshot>();
  return {
    async put(snapshot) {
      denyWrites(ctx, NAME, 'put a graph snapshot');
      const s = parseRecord(GraphSnapshotSchema, snapshot, 'graph snapshot');
      const sha256 = canonicalSha256(s);
      const existing = snapshots.get(s.id);
      if (existing) {
        if (canonicalSha256(existing) !== sha256) throw adapterFailure(FAILURE_REASONS.conflict, `graph snapshot ${s.id} exists with other content: snapshots are immutable`, { id: s.id });
        return { id: s.id, sha256, created: false };
      }
      snapshots.set(s.id, copy(s));
      return { id: s.id, sha256, created: true };
    },
    async get(id) {
      const s = snapshots.get(requireKey(id, 'graph snapshot id'));
      return s ? copy(s) : null;
    },
    async list() {
      return [...snapshots.keys()].sort().map((id) => snapshotRef(snapshots.get(id)!));
    },
  };
}

function eventStore(ctx: PackContext): EventStore {
  const streams = new Map<string, EventRecord[]>();
  return {
    async append(stream, events, opts = {}) {
      denyWrites(ctx, NAME, 'append events');
      const list = streams.get(stream) ?? [];
      const records = sealEvents(stream, events, list.length, opts.expectedSeq, ctx.now);
      streams.set(stream, [...list, ...copy(records)]);
      return records;
    },
    async list(stream, opts = {}) {
      return copy(pageEvents(streams.get(requireKey(stream, 'stream')) ?? [], opts));
    },
    async streams() {
      return [...streams.keys()].filter((s) => streams.get(s)!.length > 0).sort();
    },
  };
}

function auditStore(ctx: PackContext): AuditStore {
  const entries: AuditEntry[] = [];
  return {
    async append(input) {
      denyWrites(ctx, NAME, 'append an audit entry');
      const entry = sealAuditEntry(input, entries.at(-1) ?? null, ctx.now);
      entries.push(copy(entry));
      return entry;
    },
    async read() {
      return verifyAuditChain(copy(entries));
    },
  };
}

/** The fake pack. */
export const fakePack = definePack({
  manifest: FAKE_MANIFEST,
  module: import.meta.url,
  create: (ctx) => ({
    capabilities: { 'store.graph': graphStore(ctx), 'store.event': eventStore(ctx), 'store.audit': auditStore(ctx) },
    close: async () => {},
  }),
});
