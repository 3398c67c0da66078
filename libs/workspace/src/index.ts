/**
 * @govern/workspace — the I/O layer of the read path: configuration and
 * profiles, discovery, the engine (per-document fragments, graph update, output)
 * with its persistent store, and parallel parsing.
 */
export { loadWorkspace } from './load.js';
export { WorkspaceEngine } from './engine.js';
export { LiveWorkspace } from './live.js';
export type { LiveWorkspaceOptions, SyncStats } from './live.js';
export type { IndexedDocument, IndexedItem, ItemIndex, LoadOptions, LoadProgress, UpdateStats, Workspace } from './engine.js';
export { countStatuses } from './memo.js';
export type { BlockedSummary, DocumentSummary, IndexSummary } from './memo.js';
export { loadConfig, ConfigSchema, CONFIG_FILE, DEFAULT_FOLDERS, RepoNameSchema } from './config.js';
export type { Config, LoadedConfig, LocatedRepo } from './config.js';
export { discover } from './discover.js';
export { findPlanningDocuments, MAX_DOCUMENT_BYTES, MAX_FILES_LOOKED_AT } from './find-documents.js';
export type { FoundDocuments } from './find-documents.js';
export { explainFile, FileExplanationSchema } from './explain.js';
export type { FileExplanation } from './explain.js';
export { rootCoverage } from './coverage.js';
export { writeFileAtomic } from './atomic.js';
export { FragmentStore } from './store.js';
export type { CacheMeta } from './store.js';
// Several repositories at once (repos.ts, identity.ts).
export { loadRepositories, splitRepoRef, RepoSummarySchema } from './repos.js';
export type { ReposWorkspace, RepoSummary } from './repos.js';
export { gitRemoteUrl, remoteRepoName, repoIdentity } from './identity.js';
export type { IdentityResult, RepoIdentity } from './identity.js';
