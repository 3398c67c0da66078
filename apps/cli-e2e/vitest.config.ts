import { projectConfig } from '../../vitest.shared.js';

// Two workers: this project waits for @govern/cli:build and is the longest `test` run, the
// critical path of `npm test` (docs/benchmarks.md#test-loop).
export default projectConfig(import.meta.url, { maxWorkers: 2 });
