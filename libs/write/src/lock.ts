import fs from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { WriteError } from './errors.js';

/**
 * Per-file locks across processes, on proper-lockfile.
 *
 * Quirks this wrapper exists for:
 * - proper-lockfile locks with `mkdir` (atomic on every local filesystem) and
 *   keeps the lock fresh by touching its mtime every `stale / 2` ms; a lock
 *   whose mtime is older than `stale` was left by a dead process and is taken
 *   over. Its minimum `stale` is 5 s, so a writer killed with SIGKILL delays the
 *   next writer of that file by at most ~5 s, and never blocks it.
 * - Its own retry option has no deadline; we loop with jittered backoff until
 *   `timeoutMs` so a caller gets a clear `lock-timeout` instead.
 * - By default a compromised lock (mtime updates failing, or the lock taken
 *   over) throws from a timer and kills the process; we record it instead and
 *   the holder checks `assertHeld()` before it commits its write.
 * - Lock directories live under `<root>/.govern/locks/` (git-ignored), not next
 *   to the Markdown, so a killed writer leaves nothing in the working tree.
 */
export interface LockOptions {
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
  /** A lock not refreshed for this long is stale (default and minimum 5 s). */
  staleMs?: number;
}

export interface HeldLock {
  /** Throws if the lock was compromised while held; call it right before committing. */
  assertHeld(): void;
}

export function lockPathFor(root: string, name: string): string {
  return path.join(root, '.govern', 'locks', `${name.replace(/[^A-Za-z0-9._-]+/g, '__')}.lock`);
}

/** Runs `fn` while holding the lock named `name` (a file's relative path, or `audit-log`). */
export async function withLock<T>(root: string, name: string, fn: (lock: HeldLock) => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const lockfilePath = lockPathFor(root, name);
  fs.mkdirSync(path.dirname(lockfilePath), { recursive: true });
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const stale = Math.max(5000, opts.staleMs ?? 5000);
  const started = Date.now();
  let compromised: Error | null = null;
  let release: (() => Promise<void>) | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      release = await lockfile.lock(path.join(root, name), {
        lockfilePath,
        realpath: false,
        stale,
        retries: 0,
        onCompromised: (err) => {
          compromised = err;
        },
      });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') {
        throw new WriteError('io-error', `cannot lock ${name}: ${(err as Error).message}`, { file: name, lock: lockfilePath });
      }
      const waited = Date.now() - started;
      if (waited >= timeoutMs) {
        throw new WriteError('lock-timeout', `${name} is locked by another writer; gave up after ${waited} ms`, {
          file: name,
          lock: path.relative(root, lockfilePath),
          waitedMs: waited,
          note: 'retry; a lock left by a killed process is taken over after it has been stale for 5 s',
        });
      }
      const backoff = Math.min(200, 5 * 2 ** Math.min(attempt, 6));
      await new Promise((r) => setTimeout(r, backoff / 2 + Math.random() * backoff));
    }
  }
  const held: HeldLock = {
    assertHeld() {
      if (compromised) throw new WriteError('lock-timeout', `lost the lock on ${name}: ${(compromised as Error).message}`, { file: name });
    },
  };
  try {
    return await fn(held);
  } finally {
    await release().catch(() => {
      // Already released or taken over (compromised): nothing left to undo.
    });
  }
}
