/**
 * @govern/workspace — the I/O layer of the read path: configuration and
 * profiles, discovery, the persistent parse cache and parallel parsing.
 */
export { loadWorkspace } from './load.js';
export type { LoadOptions, LoadProgress, Workspace } from './load.js';
export { loadConfig, ConfigSchema, CONFIG_FILE, DEFAULT_FOLDERS } from './config.js';
export type { Config, LoadedConfig } from './config.js';
export { discover } from './discover.js';
export { explainFile, FileExplanationSchema } from './explain.js';
export type { FileExplanation } from './explain.js';
export { rootCoverage } from './coverage.js';
export { writeFileAtomic } from './atomic.js';
export { GraphSnapshot, ParseCache } from './cache.js';
export type { CacheMeta } from './cache.js';
