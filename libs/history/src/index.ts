/**
 * @govern/history — when an item changed status, by whom, in which commit, and
 * whether govern made the change: the document's git history (one `git log`, one
 * `git cat-file --batch`) matched against the audit log, plus the hand edits the
 * audit log never saw as diagnostics for `govern audit`.
 */
export {
  statusHistory,
  documentHistory,
  itemTransitions,
  statusRecords,
  auditEntry,
  itemAdoptions,
  nearIds,
  HistoryError,
  DEFAULT_MAX_COMMITS,
} from './history.js';
export type {
  StatusHistory,
  StatusValue,
  Transition,
  AuditMatch,
  Adoption,
  HistoryOptions,
  DocumentHistory,
  DocumentHistoryOptions,
  DocumentRevision,
} from './history.js';
export { handEditDiagnostics, handEdits } from './hand-edits.js';
export type { HandEditOptions, HandEdit } from './hand-edits.js';
