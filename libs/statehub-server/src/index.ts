/**
 * @govern/statehub-server — the embedded StateHub: workstreams, tasks, versions
 * and an append-only change feed over JSON/HTTP (node:http), stored in one
 * DuckDB file. The API's schemas, client and bridge live in @govern/statehub.
 */
export { startStateHub, isLoopback, StateHubConfigError, DEFAULT_PORT, MIN_TOKEN_BYTES } from './server.js';
export type { StateHubOptions, RunningStateHub } from './server.js';
export { Store, StoreError } from './store.js';
export { computeNext } from './next.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate } from './migrations.js';
export { DbError } from './db.js';
