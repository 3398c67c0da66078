/**
 * @govern/closure — evidence roots, manifests and the truthfulness audit.
 * (The check runner and `govern close` arrive with GV-02.)
 */
export { auditWorkspace } from './audit.js';
export type { AuditResult } from './audit.js';
export { EvidenceManifestSchema, CheckRecordSchema, MANIFEST_FILE } from './manifest.js';
export type { EvidenceManifest, CheckRecord } from './manifest.js';
export { resolveEvidenceRoot } from './evidence-path.js';
export type { EvidencePath } from './evidence-path.js';
