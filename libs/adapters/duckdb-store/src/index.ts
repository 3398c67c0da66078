/**
 * @govern/adapter-duckdb-store — graph snapshots, event streams and the audit
 * chain in a DuckDB file (`.govern/adapters/duckdb-store/store.duckdb`) through
 * the @govern/duckdb kernel: checksummed migrations, one transaction per write,
 * records stored as their canonical JSON so that what is read back is the bytes
 * that went in.
 */
export { duckdbStorePack, DUCKDB_STORE_MANIFEST, DUCKDB_STORE_FILE, DUCKDB_STORE_TABLES, MIGRATIONS } from './pack.js';
