/**
 * @govern/service-runner — `SERVICE_OPERATIONS` (seed 003 PMEM-WP-0011 T01/T05,
 * issue 14): one typed operation table, each operation with a zod input and
 * output and a local runner path over the existing libraries (or an explicit
 * `unsupported` reason), reachable as a library (`runOperation`,
 * `createServiceRunner`), over HTTP (`startServiceServer`, `govern serve`, its
 * OpenAPI generated from the schemas) and as MCP tools (`serviceToolSpecs`).
 * Every operation checks its gates; writes follow the rollout mode and the
 * review ledger; writes, reviews, denials and failures are recorded in the
 * store pack's hash-chained audit, which `audit.query` reads with retention.
 * See docs/service-runner.md.
 */
export { SERVICE_API_VERSION, SERVICE_OPERATIONS, operationNamed } from './operations.js';
export type { OperationInput, OperationName, OperationOf, OperationOutput } from './operations.js';
export { SERVICE_MODES } from './context.js';
export type { Effect, OperationContext, RetentionPolicy, ServiceMode, ServiceOperation, Support, Surface } from './context.js';
export { createServiceRunner, runOperation, SERVICE_GATE, STORE_PACKS } from './runner.js';
export type { CallOptions, ServiceRunner, ServiceRunnerOptions, StoreName } from './runner.js';
export { SERVICE_FAILURE_REASONS, SERVICE_POLICY_REASONS, ServiceError, toServiceError } from './errors.js';
export type { RefusalKind } from './errors.js';
export { DEFAULT_RETENTION, retain } from './retention.js';
export { REVIEW_STREAM, ReviewLedger } from './review.js';
export type { Review } from './review.js';
export { compilePackage, PACKAGES_DIR } from './package.js';
export { ACTOR_HEADER, createServiceHandler, DEFAULT_SERVICE_PORT, MAX_BODY_BYTES, OPERATIONS_PATH, operationList, startServiceServer } from './http.js';
export type { MountedRoute, RunningService, ServiceHandlerOptions, ServiceServerOptions } from './http.js';
export { buildOpenApi, ErrorEnvelopeSchema, openApiText, OperationListSchema } from './openapi.js';
export { serviceToolSpecs, toolName } from './mcp.js';
export type { ServiceToolSpec } from './mcp.js';
export { computeScorecard, renderScorecard } from './scorecard.js';
export type { Scorecard, ScorecardEvidence, ScorecardRow } from './scorecard.js';
export * as ServiceSchemas from './schemas.js';
