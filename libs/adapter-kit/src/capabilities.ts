import type {
  AuditEntry,
  AuditInput,
  AuditRead,
  ClosurePrRecord,
  EventInput,
  EventRecord,
  GraphPutResult,
  GraphSnapshot,
  GraphSnapshotRef,
  StateHubChangePage,
  StateHubHealth,
  StateHubPatchResult,
  StateHubPut,
  StateHubPutResult,
  StateHubRecord,
} from './records.js';

/**
 * The capabilities the kit owns: each has a TypeScript interface below, record
 * schemas in records.ts and a generic test suite in the conformance standard.
 * `memory` is reserved: named so a manifest can be written against it, without an
 * interface or a suite yet, so a pack declaring it fails spec-as-test (no suite)
 * until the kit defines one.
 */
export const CAPABILITIES = ['store.graph', 'store.event', 'store.audit', 'statehub', 'github', 'memory'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/**
 * The version of the capability interfaces and record schemas (semver). A pack
 * names the version it implements in its manifest (`contracts`, as
 * `govern-adapter-capabilities`); a pack written against a newer minor or another
 * major is refused by the contract subcheck.
 */
export const CAPABILITIES_VERSION = '1.0.0';
/** The contract name a manifest gives {@link CAPABILITIES_VERSION} under. */
export const CAPABILITIES_CONTRACT = 'govern-adapter-capabilities';

/**
 * `store.graph`: graph snapshots, immutable by id. `put` of the same bytes under an
 * existing id is a no-op (`created: false`); other bytes under it are a conflict.
 * `get` of an unknown id answers null.
 */
export interface GraphStore {
  put(snapshot: GraphSnapshot): Promise<GraphPutResult>;
  get(id: string): Promise<GraphSnapshot | null>;
  /** Every snapshot, by id. */
  list(): Promise<GraphSnapshotRef[]>;
}

/**
 * `store.event`: append-only streams. `append` gives the events the next `seq`s
 * of their stream, in order, all or none; with `expectedSeq` (the last seq the
 * caller saw, 0 for a new stream) it is refused as a conflict when the stream
 * has moved on.
 */
export interface EventStore {
  append(stream: string, events: readonly EventInput[], opts?: { expectedSeq?: number }): Promise<EventRecord[]>;
  /** The events of `stream` after `after` (default 0), in seq order, at most `limit`. An unknown stream has none. */
  list(stream: string, opts?: { after?: number; limit?: number }): Promise<EventRecord[]>;
  /** Every stream with at least one event, sorted. */
  streams(): Promise<string[]>;
}

/**
 * `store.audit`: a hash-chained, append-only audit log (see `sealAuditEntry`).
 * `read` returns the entries in seq order and verifies the chain; a broken chain
 * is reported positioned, never thrown away.
 */
export interface AuditStore {
  append(input: AuditInput): Promise<AuditEntry>;
  read(): Promise<AuditRead>;
}

/** The two kinds of StateHub record. */
export type StateHubKind = 'workstream' | 'task';

/**
 * `statehub`: a StateHub's records for the pack's repository. Writes to another
 * repository than the one the pack was configured for are denied
 * (`adapter.outside-boundary`); `get` of an unknown id answers null; a stale
 * `ifVersion` is a conflict.
 */
export interface StateHubCapability {
  health(): Promise<StateHubHealth>;
  put(kind: StateHubKind, input: StateHubPut): Promise<StateHubPutResult>;
  get(kind: StateHubKind, id: string): Promise<StateHubRecord | null>;
  list(kind: StateHubKind): Promise<StateHubRecord[]>;
  setStatus(kind: StateHubKind, id: string, change: { status: string | null; ifVersion: number }): Promise<StateHubPatchResult>;
  changes(since?: number): Promise<StateHubChangePage>;
}

/**
 * `github`: closure pull requests of the repository at the pack's root, opened,
 * updated or reopened idempotently; `dryRun` only reads.
 */
export interface GitHubCapability {
  openClosurePr(input: { item: string; dryRun?: boolean; force?: boolean }): Promise<ClosurePrRecord>;
}

/** Reserved (see {@link CAPABILITIES}): no interface yet, so nothing can provide it. */
export type MemoryCapability = never;

/** Each capability's interface: what `client.get(capability)` returns. */
export interface CapabilityMap {
  'store.graph': GraphStore;
  'store.event': EventStore;
  'store.audit': AuditStore;
  statehub: StateHubCapability;
  github: GitHubCapability;
  memory: MemoryCapability;
}
