/**
 * @govern/adapter-fake — the pack for tests: `store.graph`, `store.event` and
 * `store.audit` in memory, held by the instance (an ephemeral pack: a new
 * instance starts empty). It is one adapter among the real ones — the same
 * manifest fields, the same refusals, the same conformance standard — so a test
 * that swaps it in for a file or DuckDB store exercises the same contract.
 */
export { fakePack, FAKE_MANIFEST } from './pack.js';
