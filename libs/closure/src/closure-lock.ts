import { withLock, type LockOptions } from '@govern/write';

/**
 * The name of the repository-wide lock (`.govern/locks/closure.lock/`) under which a
 * closure is published and an audit reads. Not a document path (documents end in `.md`),
 * so it cannot share a lock directory with a document's lock.
 */
export const CLOSURE_LOCK = 'closure';

/**
 * Runs `fn` holding the repository's closure lock ({@link CLOSURE_LOCK}, through
 * `withLock` of @govern/write: cross-process, owned by a live process).
 *
 * Why: `govern close` publishes a closure in three writes (the evidence manifest, the
 * status in the document, the `close` record in the audit log), and `govern audit` reads
 * the same three. Without one lock over both, an audit that reads between the manifest
 * and its close record reports a forgery that is not one (`evidence-manifest-changed`,
 * `evidence-unbound`); this happened when two `govern close` runs went in parallel, each
 * running `govern audit` as a check. With it, an audit sees a closure whole or not at all.
 *
 * Lock order: this lock is always the outermost. Inside it, `setStatus` takes the
 * document's lock and then the `audit-log` lock; nothing takes this lock while holding
 * another, and it is not re-entrant (never call it inside itself, nor around work that
 * starts a process that takes it, such as a closure's checks running `govern audit`).
 */
export function withClosureLock<T>(root: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  return withLock(root, CLOSURE_LOCK, () => fn(), opts);
}
