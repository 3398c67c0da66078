/**
 * @govern/memory-store: the memory store's engine behind memoryd. The DuckDB
 * schema (migrations run by @govern/duckdb), the spool and the checkpointed
 * ingest loop, the facts spine (task_facts, event_facts) with the
 * failure/policy reason split, replay-stable keys and ordering, and the memory
 * API's side (query primitives, upserts, the audit, retention, redaction) and
 * the pinned contract artifacts. The API's schemas, codes and HTTP client are
 * @govern/memory-contract's; the names memoryd uses are re-exported here so it
 * imports one library. Library code: the gate `memory-store` guards the
 * product's entry points (govern's memory tools), not these functions.
 * DuckDB's native addon loads only when a database is opened.
 */
export { openDuckDb, StoreError } from './db.js';
export type { Row } from '@govern/duckdb';
export { MIGRATIONS } from './migrations.js';
export { DecodedTracesSchema, MAX_ATTRIBUTE_DEPTH, nestedDeeperThan, setAttr } from './model.js';
export type { AttrValue, Attributes, DecodedTraces, ResourceSpans, ScopeSpans, Span, SpanEvent } from './model.js';
export { EVENT_FACTS_ORDER, EventFactSchema, TASK_FACTS_ORDER, TaskFactSchema, emptyBatch, toFacts } from './facts.js';
export type { EventFact, FactBatch, ResourceRow, TaskFact } from './facts.js';
export { MemoryStore, STORE_SETTINGS, writeEvent, writeTask } from './store.js';
export type { Checkpoint, CommitResult, FrameRange, StoreOptions, StoreStats } from './store.js';
export { Spool, readFrames } from './spool.js';
export type { SpoolFrame } from './spool.js';
export { BackpressureError, factSink, Ingestor, PoisonFrameError, PoisonFramesError } from './ingest.js';
export type { FrameSink, IngestStatus } from './ingest.js';
export type { UpsertOptions } from './annotations.js';
export type { RetentionOptions } from './retention.js';
export { Redactor } from './redact.js';

// The contract (@govern/memory-contract) as memoryd uses it.
export {
  ALERT_NAMES,
  ApiErrorEnvelopeSchema,
  AuditRequestSchema,
  AuditResponseSchema,
  HealthResponseSchema,
  MemoryApiError,
  MemoryClient,
  NS_PER_MS,
  QueryRequestSchema,
  QueryResponseSchema,
  RetentionRequestSchema,
  RetentionResultSchema,
  UpsertRequestSchema,
  UpsertResponseSchema,
  invalidRequest,
} from '@govern/memory-contract';
export type {
  AlertName,
  AlertState,
  AuditRequest,
  AuditResponse,
  HealthResponse,
  QueryRequest,
  QueryResponse,
  RetentionPolicy,
  RetentionRequest,
  RetentionResult,
  UpsertRequest,
  UpsertResponse,
} from '@govern/memory-contract';
