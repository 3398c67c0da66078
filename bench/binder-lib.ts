// What bench/binder.mjs needs, bundled by it at start (esbuild; @duckdb/* stays external):
// the binder's public entry and the DuckDB kernel for the raw appender baseline.
export { openBinder, factRow, factValues, FACT_COLUMNS, BINDER_SETTINGS, checkEnvelope, screenEnvelopes, BINDER_VERSION } from '../libs/binder/src/index.js';
export { openDb, num } from '@govern/duckdb';
