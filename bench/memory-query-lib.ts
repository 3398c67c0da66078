// What bench/memory-query.mjs needs of the memory store, bundled by it at start (esbuild).
// The store's public entry point exports only what memoryd uses (issue 10 split the
// contract from the engine), so the benchmark names the engine modules it measures.
export { MemoryStore, FAILURE_FACT_COLUMNS } from '../libs/memory-store/src/store.js';
export { primitiveRows } from '../libs/memory-store/src/primitives.js';
export { QueryRequestSchema } from '@govern/memory-contract';
