/**
 * @govern/memory-store: the memory store behind memoryd. DuckDB schema and
 * versioned migrations, the spool and the checkpointed ingest loop, the facts
 * spine (task_facts, event_facts) with the failure/policy reason split, and
 * replay-stable keys and ordering. Library code: the gate `memory-store`
 * guards the product's entry points (memoryd's CLI), not these functions.
 */
export { openDuckDb, isDuplicateKey, StoreError } from './duckdb.js';
export type { Conn, Db, Param, Row, RowAppender } from './duckdb.js';
export { MIGRATIONS, SCHEMA_VERSION, checksum, migrate } from './migrations.js';
export type { Migration } from './migrations.js';
export {
  AttrValueSchema,
  AttributesSchema,
  DecodedTracesSchema,
  ResourceSpansSchema,
  ScopeSpansSchema,
  SpanEventSchema,
  SpanSchema,
  setAttr,
} from './model.js';
export type { AttrValue, Attributes, DecodedTraces, ResourceSpans, ScopeSpans, Span, SpanEvent } from './model.js';
export { GUARD_DENIED_EVENT, REASON_ATTRS, failureReason, isGuardDenial, policyReason, spanReasons } from './reason.js';
export type { FailureSource, Outcome, SpanReasons } from './reason.js';
export { VOLATILE_RESOURCE_KEYS, canonicalJson, splitResource } from './resource.js';
export type { ResourceSplit } from './resource.js';
export {
  CORRELATION_ATTRS,
  EVENT_FACTS_ORDER,
  EventFactSchema,
  ResourceRowSchema,
  TASK_FACTS_ORDER,
  TaskFactSchema,
  emptyBatch,
  toFacts,
} from './facts.js';
export type { EventFact, FactBatch, ResourceRow, TaskFact } from './facts.js';
export { MemoryStore, STORE_SETTINGS, writeEvent, writeTask } from './store.js';
export type { Checkpoint, CommitResult, FrameRange, StoreOptions } from './store.js';
export { Spool, readFrames } from './spool.js';
export type { SpoolFrame, SpoolOptions, SpoolRecovery } from './spool.js';
export { BackpressureError, Ingestor } from './ingest.js';
export type { FactSink, IngestStatus, IngestorOptions } from './ingest.js';
