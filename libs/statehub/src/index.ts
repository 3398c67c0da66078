/**
 * @govern/statehub — the StateHub API (zod schemas, the route table, the
 * OpenAPI document generated from them), its typed HTTP client, and the bridge
 * that syncs workplans and their tasks with a StateHub over HTTP.
 */
export * from './schemas.js';
export { ROUTES, API_VERSION, matchPath, fillPath, ListQuerySchema, ChangesQuerySchema, NextQuerySchema, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './routes.js';
export type { Route } from './routes.js';
export { buildOpenApi, openApiText } from './openapi.js';
export { StateHubClient, StateHubError, urlCredentialsProblem, redactUrl } from './client.js';
export type { ClientOptions, RecordPage } from './client.js';
export { planKeyInsert, stateHubKeyFor } from './insert-key.js';
export type { KeyInsert } from './insert-key.js';
export { writeStateHubIds } from './write-ids.js';
export type { IdWrite, IdWriteProblem, IdWriteResult } from './write-ids.js';
export { SYNC_STATE_FILE, SyncStateSchema, SyncItemStateSchema, readSyncState, recordSyncState, hubKey } from './sync-state.js';
export type { SyncState, SyncItemState } from './sync-state.js';
export { localItems, decideStatus, sameStructure, keyOf } from './sync-plan.js';
export type { LocalItem, StatusDecision } from './sync-plan.js';
export { SyncReportSchema, SyncActionSchema, SyncConflictSchema, SyncRefusalSchema, SyncPendingSchema, SyncProblemSchema } from './sync-report.js';
export type { SyncReport, SyncAction, SyncConflict, SyncRefusal, SyncPending, SyncProblem } from './sync-report.js';
export { syncStateHub } from './sync.js';
export type { SyncHub, SyncOptions } from './sync.js';
