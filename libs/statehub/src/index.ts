/**
 * @govern/statehub — the StateHub API (zod schemas, the route table, the
 * OpenAPI document generated from them), its typed HTTP client, and the bridge
 * that syncs workplans and their tasks with a StateHub over HTTP.
 */
export * from './schemas.js';
export { ROUTES, API_VERSION, matchPath, fillPath, ListQuerySchema, ChangesQuerySchema, NextQuerySchema } from './routes.js';
export type { Route } from './routes.js';
export { buildOpenApi, openApiText } from './openapi.js';
export { StateHubClient, StateHubError } from './client.js';
export type { ClientOptions } from './client.js';
