/**
 * @govern/memory-store: the memory store behind memoryd. DuckDB schema and
 * versioned migrations, the spool and the checkpointed ingest loop, the facts
 * spine (task_facts, event_facts) with the failure/policy reason split, and
 * replay-stable keys and ordering; the memory API (its zod schemas, the query
 * primitives, upserts, the audit, retention, redaction), its HTTP client and
 * the versioned contract schemas. Library code: the gate `memory-store`
 * guards the product's entry points (govern's memory tools), not these
 * functions. DuckDB's native addon loads only when a database is opened.
 */
export { openDuckDb, isDuplicateKey, StoreError } from './duckdb.js';
export type { Conn, Db, Param, Row, RowAppender } from './duckdb.js';
export { MIGRATIONS, SCHEMA_VERSION, checksum, migrate } from './migrations.js';
export type { Migration } from './migrations.js';
export {
  AttrValueSchema,
  AttributesSchema,
  DecodedTracesSchema,
  MAX_ATTRIBUTE_DEPTH,
  ResourceSpansSchema,
  ScopeSpansSchema,
  SpanEventSchema,
  SpanSchema,
  nestedDeeperThan,
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
export { FAILURE_FACT_COLUMNS, MemoryStore, STORE_SETTINGS, writeEvent, writeFailure, writeTask } from './store.js';
export type { BatchInfo, Checkpoint, CommitResult, FrameRange, StoreOptions, StoreStats } from './store.js';
export { Spool, readFrames } from './spool.js';
export type { SpoolFrame, SpoolOptions, SpoolRecovery } from './spool.js';
export { BackpressureError, factSink, Ingestor, PoisonFrameError, PoisonFramesError } from './ingest.js';
export type { FactSink, FrameSink, IngestStatus, IngestorOptions } from './ingest.js';
export { Quarantine } from './quarantine.js';
export type { QuarantineRecord, QuarantineStatus } from './quarantine.js';
export { ApiErrorEnvelopeSchema, ApiErrorSchema, ERROR_STATUS, MemoryApiError, invalidRequest } from './api/errors.js';
export type { ApiError, ApiErrorCode, ApiErrorEnvelope } from './api/errors.js';
export {
  DAY_MS,
  DEFAULT_WINDOW_MS,
  HOUR_MS,
  MAX_WINDOW_MS,
  NS_PER_MS,
  ResolvedWindowSchema,
  TimeSchema,
  WindowSchema,
  isoOfNs,
  parseTime,
  resolveWindow,
} from './api/window.js';
export type { ResolvedWindow, WindowInput } from './api/window.js';
export {
  DEFAULT_QUERY_LIMIT,
  GateRollupRequestSchema,
  GateRollupRowSchema,
  GuardDenialRowSchema,
  GuardDenialsRequestSchema,
  MAX_QUERY_LIMIT,
  PRIMITIVES,
  QueryRequestSchema,
  QueryResponseSchema,
  RecentFailureRowSchema,
  RecentFailuresRequestSchema,
  TaskspecFiltersSchema,
} from './api/query.js';
export type { GateRollupRow, GuardDenialRow, Primitive, QueryRequest, QueryRequestInput, QueryResponse, RecentFailureRow } from './api/query.js';
export {
  ALERT_NAMES,
  ANNOTATION_NAME,
  AUDIT_OPS,
  AlertStateSchema,
  DEGRADED_CODES,
  AnnotationUpsertSchema,
  AuditRequestSchema,
  AuditResponseSchema,
  AuditRowSchema,
  HealthResponseSchema,
  MAX_ANNOTATION_BYTES,
  RetentionPolicySchema,
  RetentionRequestSchema,
  RetentionResultSchema,
  UpsertRequestSchema,
  UpsertResponseSchema,
} from './api/ops.js';
export type {
  AlertName,
  AlertState,
  AuditRequest,
  DegradedCode,
  AuditResponse,
  AuditRow,
  HealthResponse,
  RetentionPolicy,
  RetentionRequest,
  RetentionResult,
  UpsertRequest,
  UpsertResponse,
} from './api/ops.js';
export { PRIMITIVE_SQL, filterSql, primitiveStatements, runQuery } from './primitives.js';
export type { PrimitiveSql } from './primitives.js';
export { upsertAnnotation } from './annotations.js';
export type { UpsertOptions } from './annotations.js';
export { appendAudit, listAudit } from './audit.js';
export type { AuditEntry } from './audit.js';
export { applyRetention } from './retention.js';
export type { RetentionOptions } from './retention.js';
export { DEFAULT_REDACT_KEYS, REDACTED, REDACTION_RULES, Redactor } from './redact.js';
export type { RedactionRule, RedactorOptions } from './redact.js';
export { DEFAULT_MEMORYD_URL, MEMORYD_TOKEN_ENV, MEMORYD_URL_ENV, MemoryClient } from './client.js';
export type { MemoryClientOptions } from './client.js';
export {
  CONTRACTS,
  ContractManifestSchema,
  MANIFEST_FILE,
  ReasonSemanticsSchema,
  checkContracts,
  contractFile,
  contractJson,
  writeContracts,
} from './contracts.js';
export type { Contract, ContractManifest, ContractProblem } from './contracts.js';
