/**
 * @govern/adapter-statehub — the `statehub` capability over the StateHub HTTP
 * API, through @govern/statehub's typed client: the records of one repository,
 * written by idempotency key, status changes at a known version, the change
 * feed. Local or remote StateHub alike: a URL and a bearer token.
 */
export { statehubPack, STATEHUB_MANIFEST, StateHubOptionsSchema } from './pack.js';
export type { StateHubOptions } from './pack.js';
