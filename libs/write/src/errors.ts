import { GovernError } from '@govern/errors';

/**
 * A write that was refused or failed, as data the CLI, MCP and HTTP layers all
 * render the same way: `{ code, message, details }` (a `GovernError`, exit 1).
 * Nothing was written when one of these is thrown (the file lock guarantees no
 * partial state).
 */
export class WriteError extends GovernError<WriteErrorCode> {
  constructor(code: WriteErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details });
    this.name = 'WriteError';
  }
}

export type WriteErrorCode =
  /** No node with this id in the workspace. */
  | 'item-not-found'
  /** `--expect` did not match the file's current content hash. */
  | 'conflict'
  /** The profile's lifecycle does not allow this transition. */
  | 'transition-forbidden'
  /** This status is set only by `govern close` (checks and evidence). */
  | 'closure-required'
  /** A dependency is not done; `--force` overrides and is recorded. */
  | 'dependencies-not-done'
  /** The item has no status token to edit (nothing is guessed or inserted). */
  | 'status-token-missing'
  /** The token at the parsed position is not what the parser read (file changed underneath). */
  | 'status-token-mismatch'
  /** The new status cannot be written in this token's form (a checkbox holds only done/planned). */
  | 'status-unwritable'
  /** The file lock was not acquired within the timeout (a live writer holds it). */
  | 'lock-timeout'
  /** The lock was taken over before this writer committed; nothing was written. */
  | 'lock-lost'
  /** The reason is longer than `MAX_REASON_LENGTH`. */
  | 'invalid-reason'
  /** Reading or writing the file failed. */
  | 'io-error'
  /** An input of a structural write cannot be written as asked (a title with a line break, an id with spaces). */
  | 'invalid-input'
  /** The id a new task would get is already an item (of this workspace) or a heading of the workplan. */
  | 'duplicate-id'
  /** The document is not a workplan (tasks are added to workplans only). */
  | 'not-a-workplan'
  /** A dependency names no item of the workspace (`force` writes it anyway). */
  | 'dependency-unknown'
  /** The dependency would close a cycle (the item would wait on itself). */
  | 'dependency-cycle'
  /** There is no criterion with this number. */
  | 'criterion-not-found'
  /** The item is written in a form this write cannot edit surgically (it says which). */
  | 'unsupported-form'
  /** The edited file would not read back as intended, or would gain an error; nothing written. */
  | 'verify-failed';
