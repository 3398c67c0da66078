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

/**
 * The name of the repository-wide lock (`.govern/locks/checks.lock/`) under which a
 * closure runs its checks.
 */
export const CHECKS_LOCK = 'checks';

/**
 * Runs `fn` holding the repository's checks lock ({@link CHECKS_LOCK}): one closure's
 * checks at a time in one checkout; `opts.onWait` (of `withLock`) says whom it waits for.
 *
 * Why: the checks of a repository's items build into its working tree (`nx run-many -t
 * build`, `npm run build` clean and rewrite `dist/` bundles) and spawn what they built.
 * Two `govern close` runs in parallel in one checkout, one building while the other's
 * tests spawn a bundle, failed the second with `Cannot find module …/dist/chunks/…` (five
 * closures of one batch on 2026-12-07). Nothing is lost then (a failed closure writes only
 * its attempt), but the proof of a good commit failed for a reason outside it. Checks of
 * another checkout (a clone, a worktree) are not serialized: they build elsewhere.
 *
 * Lock order: taken with no other lock held and released before the closure lock is
 * taken, so it cannot deadlock with an audit or a publication; a check that runs `govern
 * audit` or `govern task set-status` takes other locks, never this one. A check that runs
 * `govern close` in the same checkout would wait for itself: close.ts marks the checks'
 * environment (`CHECKS_HELD_ENV`) so such a closure is refused at once instead.
 */
export function withChecksLock<T>(root: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  return withLock(root, CHECKS_LOCK, () => fn(), opts);
}
