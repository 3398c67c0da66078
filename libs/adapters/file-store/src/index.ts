/**
 * @govern/adapter-file-store — graph snapshots, event streams and the audit
 * chain as files under `.govern/adapters/file-store/` of a root: one canonical
 * JSON file per snapshot, per event batch and per audit entry, each written to
 * a temporary file, fsynced and linked into place (never overwriting), so a
 * crash leaves either the whole record or none, and two writers never take the
 * same name.
 */
export { fileStorePack, FILE_STORE_MANIFEST, FILE_STORE_DIR, FILE_STORE_LAYOUT } from './pack.js';
export { fileStoreMaintenance, FILE_STORE_MIGRATIONS } from './maintenance.js';
