/**
 * @govern/closure — evidence roots, manifests, `govern close` (check runner and
 * evidence-backed status writes) and the truthfulness audit.
 */
export { closeItem, verifyItem, checkEnv, BASE_CHECK_ENV, CHECKS_HELD_ENV, DEFAULT_OUTPUT_LIMITS } from './close.js';
export type { CloseOptions, CloseResult, CloseFailure, VerifyOptions, VerifyResult, OutputLimits } from './close.js';
export { checkedProjects } from './projects.js';
export { auditWorkspace, auditRepository } from './audit.js';
export type { AuditResult, AuditOptions, AuditRepositoryOptions } from './audit.js';
export { adoptDoneItems, AdoptError, DEFAULT_ADOPT_REASON } from './adopt.js';
export type { AdoptOptions, AdoptResult, AdoptedItem, AdoptRefused, AdoptRefusal } from './adopt.js';
export { EvidenceManifestSchema, CheckRecordSchema, MANIFEST_FILE } from './manifest.js';
export { CloseResultSchema, CloseFailureSchema } from './result.js';
export type { EvidenceManifest, CheckRecord } from './manifest.js';
export { resolveEvidenceRoot, evidenceRootIgnored } from './evidence-path.js';
export type { EvidencePath } from './evidence-path.js';
