/**
 * @govern/write — status writes agents can trust: surgical edits of the status
 * token only, per-file locks, atomic renames, optimistic concurrency (`expect`),
 * the profile's lifecycle rules, and the append-only audit log under ops/.
 */
export { setStatus, sha256, defaultActor, MAX_REASON_LENGTH } from './set-status.js';
export type { SetStatusOptions, SetStatusResult } from './set-status.js';
export { SetStatusResultSchema } from './result.js';
export { planStatusEdit, locateStatus, spell, coreSpan, updatedEdit } from './edit.js';
export type { StatusEdit, StatusToken, TokenForm } from './edit.js';
export { WriteError } from './errors.js';
export type { WriteErrorCode } from './errors.js';
export { lifecycleViolations } from './lifecycle.js';
export type { Violation } from './lifecycle.js';
export { withLock, lockPathFor, isLockNotTaken } from './lock.js';
export type { LockOptions, HeldLock, LockHolder } from './lock.js';
export { appendAudit, appendAuditRecords, readAuditLog, isStatusWrite, foldAdoption, AuditRecordSchema, AUDIT_LOG } from './audit-log.js';
export type { AuditRecord, AuditInput, AuditLogRead } from './audit-log.js';
export { RawText, applyEdits } from './text.js';
export type { TextEdit } from './text.js';
export { addTask, editAcceptance, addDependency, MAX_TEXT_LENGTH } from './structure.js';
export type { AddTaskOptions, EditAcceptanceOptions, AddDependencyOptions } from './structure.js';
export type { DocumentWriteOptions } from './document-write.js';
export { DocumentWriteResultSchema, STRUCTURE_ACTIONS, StructureActionSchema } from './structure-result.js';
export type { DocumentWriteResult, StructureAction } from './structure-result.js';
