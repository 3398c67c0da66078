/**
 * @govern/memory-contract — the memory API's contract, without its engine: the
 * zod schemas of every request, answer and error (the versioned JSON Schema
 * artifacts of @govern/memory-store are made from these), the error codes
 * (`MemoryApiError`, a GovernError), the limits and time windows, and the HTTP
 * client (`MemoryClient`). No DuckDB: the CLI and its MCP memory tools import
 * this; memoryd and @govern/memory-store import it too.
 */
export { ApiErrorEnvelopeSchema, MemoryApiError, invalidRequest } from './errors.js';
export type { ApiError, ApiErrorCode } from './errors.js';
export { NS_PER_MS, ResolvedWindowSchema, TimeSchema, isoOfNs, resolveWindow } from './window.js';
export {
  GateRollupRowSchema,
  GuardDenialRowSchema,
  MAX_QUERY_LIMIT,
  QueryLimitSchema,
  QueryRequestSchema,
  QueryResponseSchema,
  PRIMITIVES,
  RecentFailureRowSchema,
  SpanRowSchema,
} from './query.js';
export type { GateRollupRow, GuardDenialRow, Primitive, QueryRequest, QueryRequestInput, QueryResponse, RecentFailureRow, SpanRow } from './query.js';
export {
  ALERT_NAMES,
  AUDIT_OPS,
  AlertStateSchema,
  AuditRequestSchema,
  AuditResponseSchema,
  AuditRowSchema,
  HealthResponseSchema,
  MAX_ANNOTATION_BYTES,
  RetentionRequestSchema,
  RetentionResultSchema,
  UpsertRequestSchema,
  UpsertResponseSchema,
} from './ops.js';
export type {
  AlertName,
  AlertState,
  AuditRequest,
  AuditResponse,
  AuditRow,
  HealthResponse,
  RetentionPolicy,
  RetentionRequest,
  RetentionResult,
  UpsertRequest,
  UpsertResponse,
} from './ops.js';
export { DEFAULT_MEMORYD_URL, MEMORYD_TOKEN_ENV, MEMORYD_URL_ENV, MemoryClient } from './client.js';
export type { MemoryClientOptions } from './client.js';
