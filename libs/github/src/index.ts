/**
 * @govern/github — closure pull requests through Octokit: a deterministic
 * branch per closed item written through the Git Data API, a generated body
 * with a machine-readable marker, idempotent open / update / reopen.
 * `octokit.ts` is the only file that talks to Octokit.
 */
export { openClosurePr } from './publish.js';
export type { OpenClosurePrOptions } from './publish.js';
export { planClosurePr, closureBranch, gitBlobSha, dependentsOf } from './plan.js';
export type { ClosurePlan, PlanFile } from './plan.js';
export { renderBody, closureMarker, markerItem, MARKER_VERSION } from './body.js';
export type { BodyInput, Dependent } from './body.js';
export { PrOpenResultSchema } from './result.js';
export type { PrOpenResult } from './result.js';
export { GitHubSettingsSchema, resolveSettings, repoFromRemote, webUrlFor } from './settings.js';
export type { GitHubSettings, SettingsFlags, SettingsResult } from './settings.js';
export { findToken, hostsToken } from './token.js';
export type { FoundToken, TokenSource } from './token.js';
export { GitHubError, redact, redactDeep } from './errors.js';
export type { GitHubErrorCode } from './errors.js';
export type { GitHubClientOptions } from './octokit.js';
export { startGitHubReplay } from './testing/replay-server.js';
export type { GitHubReplay, ReplayOptions, Fault } from './testing/replay-server.js';
