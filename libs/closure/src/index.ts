/**
 * @govern/closure — evidence roots, manifests, `govern close` (check runner and
 * evidence-backed status writes) and the truthfulness audit.
 */
export { closeItem } from './close.js';
export type { CloseOptions, CloseResult, CloseFailure } from './close.js';
export { auditWorkspace } from './audit.js';
export type { AuditResult } from './audit.js';
export { EvidenceManifestSchema, CheckRecordSchema, MANIFEST_FILE } from './manifest.js';
export type { EvidenceManifest, CheckRecord } from './manifest.js';
export { resolveEvidenceRoot } from './evidence-path.js';
export type { EvidencePath } from './evidence-path.js';
