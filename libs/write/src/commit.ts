import fs from 'node:fs';
import { writeFileAtomic } from '@govern/workspace';
import { WriteError } from './errors.js';
import type { HeldLock } from './lock.js';
import { sha256 } from './hash.js';

// The two halves every write of a Markdown file shares (setStatus, closeItem through it,
// and the structural writes): read under the file's lock against the caller's `expect`,
// then commit — with nothing asynchronous between the last checks and the rename.

/** Reads `file` under its lock: its bytes, text and hash; refuses a hash other than `expect` (`conflict`) and bytes that are not UTF-8. */
export function readForWrite(abs: string, file: string, expect: string | undefined): { text: string; hashBefore: string } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(abs);
  } catch (err) {
    throw new WriteError('io-error', `cannot read ${file}: ${(err as Error).message}`, { file });
  }
  const hashBefore = sha256(buf);
  if (expect !== undefined && expect !== hashBefore) {
    throw new WriteError('conflict', `${file} changed since it was read (expected sha256 ${expect.slice(0, 12)}…, found ${hashBefore.slice(0, 12)}…); read it again and retry`, {
      file,
      expected: expect,
      actual: hashBefore,
    });
  }
  const text = buf.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(buf)) throw new WriteError('io-error', `${file} is not valid UTF-8; it is not rewritten`, { file });
  return { text, hashBefore };
}

/**
 * The commit: the lock must still be ours (fencing token), and the file must still be
 * the bytes the edit was made from — either failing means another writer (or a hand
 * edit) got in, and renaming now would silently undo its change — then the atomic write.
 */
export function commitWrite(lock: HeldLock, abs: string, file: string, hashBefore: string, bytes: Buffer): void {
  lock.assertHeld();
  let current: Buffer;
  try {
    current = fs.readFileSync(abs);
  } catch (err) {
    throw new WriteError('io-error', `cannot read ${file}: ${(err as Error).message}`, { file });
  }
  const hashNow = sha256(current);
  if (hashNow !== hashBefore) {
    throw new WriteError('conflict', `${file} changed while this write was being prepared (sha256 ${hashBefore.slice(0, 12)}… became ${hashNow.slice(0, 12)}…); nothing written, read it again and retry`, {
      file,
      expected: hashBefore,
      actual: hashNow,
    });
  }
  try {
    writeFileAtomic(abs, bytes);
  } catch (err) {
    throw new WriteError('io-error', `cannot write ${file}: ${(err as Error).message}`, { file });
  }
}
