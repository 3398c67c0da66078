import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WriteError } from './errors.js';

/**
 * Per-file locks across processes, owned by a live process rather than by a fresh mtime.
 *
 * Why not proper-lockfile (used until GV-07; docs/decisions/0003-write-lock.md): it
 * judges a lock stale by its mtime, refreshed by a timer. A holder that stalls past the
 * threshold (SIGSTOP, a slow parse of a large file, a loaded machine) had its lock taken
 * over while it still meant to commit, and its synchronous commit could not notice: two
 * writers "succeeded" and one change was lost.
 *
 * Here a lock is a directory `<root>/.govern/locks/<name>.lock/` holding `owner.json`
 * (`pid`, process start time, boot id, host, a random token):
 * - Acquire: build the directory under a temporary name with its owner file, then
 *   `rename` it into place. Renaming a directory onto an existing non-empty one fails,
 *   so exactly one writer wins, and a lock directory always names its owner.
 * - Same host (same boot): the lock is taken over only when its owner process is gone
 *   (no such pid, or a pid reused by a process that started at another time). A live
 *   holder, however paused or slow, is never taken over: the other writer waits and
 *   then fails with `lock-timeout`, it never overwrites. A killed holder is taken over
 *   at once instead of after 5 s.
 * - Another host (a shared filesystem) or an unreadable owner: liveness cannot be
 *   checked; the holder refreshes the owner file's mtime every `staleMs / 4`, and a lock
 *   not refreshed for `staleMs` (default 30 s) is taken over.
 * - Takeover renames the dead lock to a tombstone named after the dead owner's token
 *   (`<name>.lock.dead-<token>`), kept for a day. Two writers that judged the same owner
 *   dead race on that rename; the loser's rename fails because the tombstone already
 *   exists, so it cannot displace the winner's fresh lock.
 * - `assertHeld()` re-reads the owner file and compares the token (a fencing check),
 *   so a holder whose lock was taken over refuses to commit. Callers also compare the
 *   target file's hash right before they rename it into place (set-status.ts).
 * - Locks live under `.govern/locks/` (git-ignored), not next to the Markdown. A normal
 *   exit removes the locks the process still holds.
 */
export interface LockOptions {
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
  /** A lock whose liveness cannot be checked (another host) is stale after this long without a refresh (default 30 s, minimum 5 s). */
  staleMs?: number;
  /** Called once, with the holder (null when its owner file is unreadable), when the lock is found held and this call starts waiting; lets a caller say whom it waits for. */
  onWait?: (holder: LockHolder) => void;
}

/** Who holds a lock, as its owner file says. */
export type LockHolder = { pid: number; host: string; since: string } | null;

export interface HeldLock {
  /** Throws `lock-lost` unless this lock directory still names this holder; call it right before committing. */
  assertHeld(): void;
}

/** What `owner.json` in a lock directory says. */
export interface LockOwner {
  token: string;
  pid: number;
  /** Process start time in clock ticks since boot (`/proc/<pid>/stat` field 22), or null where /proc is absent. */
  start: number | null;
  boot: string | null;
  host: string;
  acquiredAt: string;
}

const OWNER_FILE = 'owner.json';
const TOMBSTONE_TTL_MS = 24 * 60 * 60 * 1000;

export function lockPathFor(root: string, name: string): string {
  return path.join(root, '.govern', 'locks', `${name.replace(/[^A-Za-z0-9._-]+/g, '__')}.lock`);
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

const BOOT_ID = readText('/proc/sys/kernel/random/boot_id')?.trim() || null;

/** A process's start time, so a pid reused by another process is not mistaken for the holder. */
function processStart(pid: number): number | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Field 2 (comm) is parenthesised and may contain spaces or parentheses; count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  return Number.isFinite(start) ? start : null;
}

const SELF_START = processStart(process.pid);

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(dir: string): LockOwner | null {
  const text = readText(path.join(dir, OWNER_FILE));
  if (text === null) return null;
  try {
    const o = JSON.parse(text) as LockOwner;
    return typeof o.token === 'string' && typeof o.pid === 'number' ? o : null;
  } catch {
    return null;
  }
}

/** Whether the lock at `dir` (owned by `owner`) may be taken over. */
function isStale(dir: string, owner: LockOwner | null, staleMs: number): boolean {
  if (owner && owner.host === os.hostname() && owner.boot !== null && owner.boot === BOOT_ID) {
    if (!pidAlive(owner.pid)) return true;
    const start = processStart(owner.pid);
    return owner.start !== null && start !== null && start !== owner.start;
  }
  if (owner && owner.boot !== null && BOOT_ID !== null && owner.host === os.hostname() && owner.boot !== BOOT_ID) return true;
  // No liveness check possible: fall back to the refreshed mtime.
  let mtime: number;
  try {
    mtime = fs.statSync(owner ? path.join(dir, OWNER_FILE) : dir).mtimeMs;
  } catch {
    return false;
  }
  return Date.now() - mtime > staleMs;
}

const held = new Map<string, string>();
let exitHook = false;

function removeHeldOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const [dir, token] of held) {
      if (readOwner(dir)?.token === token) fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

function sweepTombstones(locksDir: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(locksDir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const e of entries) {
    if (!e.includes('.lock.dead-') && !e.includes('.lock.new-')) continue;
    const p = path.join(locksDir, e);
    try {
      if (now - fs.statSync(p).mtimeMs > TOMBSTONE_TTL_MS) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // Another writer swept it first.
    }
  }
}

/** One attempt: true when the lock is now ours. */
function tryAcquire(dir: string, owner: LockOwner): boolean {
  const staging = `${dir}.new-${owner.token}`;
  fs.mkdirSync(staging);
  fs.writeFileSync(path.join(staging, OWNER_FILE), JSON.stringify(owner));
  try {
    fs.renameSync(staging, dir);
    return true;
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    // Held by another writer (or released between its rename and ours): try again.
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw err;
  }
}

/** Moves a dead lock aside; false when another writer did first (or the lock changed hands). */
function takeOver(dir: string, owner: LockOwner | null): boolean {
  const tombstone = `${dir}.dead-${owner?.token ?? `unowned-${Math.floor(fs.statSync(dir).mtimeMs)}`}`;
  try {
    fs.renameSync(dir, tombstone);
  } catch {
    return false;
  }
  // The rename moved whatever lock was there; if it was not the one judged dead (its owner
  // changed between the read and the rename), it is a live writer's: put it back.
  const moved = readOwner(tombstone);
  if ((moved?.token ?? null) !== (owner?.token ?? null)) {
    try {
      fs.renameSync(tombstone, dir);
    } catch {
      // A third writer took the free name; the moved holder will fail its fencing check.
    }
    return false;
  }
  return true;
}

/** The errors `withLock` threw because it could not take its lock (see {@link isLockNotTaken}). */
const notTaken = new WeakSet<WriteError>();

function failedToTake(err: WriteError): WriteError {
  notTaken.add(err);
  return err;
}

/**
 * True when `err` is `withLock` failing to take its lock (`lock-timeout`, or `io-error`
 * for a lock directory that cannot be created), so `fn` never ran.
 *
 * Why: the errors thrown under a lock carry the same codes (`setStatus` under the closure
 * lock fails with its own `lock-timeout` or `io-error`), and a caller that falls back or
 * rewrites the message for a lock it could not take must not do so for work that failed.
 * The mark is kept out of the error's JSON, which stays what the CLI prints.
 */
export function isLockNotTaken(err: unknown): err is WriteError {
  return err instanceof WriteError && notTaken.has(err);
}

/** Runs `fn` while holding the lock named `name` (a file's relative path, or `audit-log`). */
export async function withLock<T>(root: string, name: string, fn: (lock: HeldLock) => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const dir = lockPathFor(root, name);
  const rel = path.relative(root, dir);
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
  } catch (err) {
    throw failedToTake(new WriteError('io-error', `cannot lock ${name}: ${(err as Error).message}`, { file: name, lock: rel }));
  }
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const staleMs = Math.max(5000, opts.staleMs ?? 30_000);
  const owner: LockOwner = {
    token: crypto.randomBytes(12).toString('hex'),
    pid: process.pid,
    start: SELF_START,
    boot: BOOT_ID,
    host: os.hostname(),
    acquiredAt: new Date().toISOString(),
  };
  const started = Date.now();
  let swept = false;
  for (let attempt = 0; ; attempt++) {
    let acquired: boolean;
    try {
      acquired = tryAcquire(dir, owner);
    } catch (err) {
      throw failedToTake(new WriteError('io-error', `cannot lock ${name}: ${(err as Error).message}`, { file: name, lock: rel }));
    }
    if (acquired) break;
    const current = readOwner(dir);
    if (fs.existsSync(dir) && isStale(dir, current, staleMs)) {
      if (!swept) {
        sweepTombstones(path.dirname(dir));
        swept = true;
      }
      if (takeOver(dir, current)) continue;
    }
    const waited = Date.now() - started;
    if (attempt === 0 && waited < timeoutMs) opts.onWait?.(current ? { pid: current.pid, host: current.host, since: current.acquiredAt } : null);
    if (waited >= timeoutMs) {
      throw failedToTake(
        new WriteError('lock-timeout', `${name} is locked by another writer${current ? ` (pid ${current.pid} on ${current.host})` : ''}; gave up after ${waited} ms`, {
          file: name,
          lock: rel,
          waitedMs: waited,
          ...(current ? { holder: { pid: current.pid, host: current.host, since: current.acquiredAt } } : {}),
          note: 'retry; a lock whose holder process has exited is taken over at once, a live holder is waited for',
        }),
      );
    }
    const backoff = Math.min(200, 5 * 2 ** Math.min(attempt, 6));
    await new Promise((r) => setTimeout(r, backoff / 2 + Math.random() * backoff));
  }

  held.set(dir, owner.token);
  removeHeldOnExit();
  // Refresh the owner file's mtime for readers on other hosts, which cannot check liveness.
  const ownerFile = path.join(dir, OWNER_FILE);
  const refresh = setInterval(() => {
    const t = new Date();
    try {
      fs.utimesSync(ownerFile, t, t);
    } catch {
      // Taken over or removed; assertHeld() reports it.
    }
  }, staleMs / 4);
  refresh.unref();

  const lock: HeldLock = {
    assertHeld() {
      const now = readOwner(dir);
      if (now?.token !== owner.token) {
        throw new WriteError('lock-lost', `lost the lock on ${name} before committing (${now ? `now held by pid ${now.pid} on ${now.host}` : 'the lock was removed'}); nothing written`, {
          file: name,
          lock: rel,
        });
      }
    },
  };
  try {
    return await fn(lock);
  } finally {
    clearInterval(refresh);
    held.delete(dir);
    if (readOwner(dir)?.token === owner.token) {
      // Rename before removing, so no other writer ever sees a half-removed lock directory.
      const gone = `${dir}.dead-${owner.token}`;
      try {
        fs.renameSync(dir, gone);
        fs.rmSync(gone, { recursive: true, force: true });
      } catch {
        // Already moved by a takeover: nothing left to undo.
      }
    }
  }
}
