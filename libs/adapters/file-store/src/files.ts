import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The file operations of the store, each atomic:
 *
 * - {@link createExclusive}: a new file under a name no one has taken — written
 *   to a temporary file in the same directory, fsynced, then hard-linked to its
 *   name (`link` fails with EEXIST instead of replacing, unlike `rename`), and
 *   the directory fsynced so the name survives a crash. The temporary name is
 *   removed either way; one left by a crash is ignored by readers.
 * - {@link replaceAtomic}: a file replaced whole (temporary file, fsync, rename,
 *   directory fsync), for the store's metadata.
 */

const TMP_PREFIX = '.tmp-';

/** True for a temporary file a crashed writer may have left: never read as a record. */
export const isTemp = (name: string) => name.startsWith(TMP_PREFIX);

function writeTemp(dir: string, content: string): string {
  const tmp = path.join(dir, `${TMP_PREFIX}${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  const fd = fs.openSync(tmp, 'wx', 0o644);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return tmp;
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `content` to `file` unless it exists: true when written, false when the name was taken. */
export function createExclusive(file: string, content: string): boolean {
  const dir = path.dirname(file);
  const tmp = writeTemp(dir, content);
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  fsyncDir(dir);
  return true;
}

/** Replaces `file` with `content` in one rename. */
export function replaceAtomic(file: string, content: string): void {
  const dir = path.dirname(file);
  const tmp = writeTemp(dir, content);
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

/** The entries of a directory, or none when it does not exist. */
export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** A file's text, or null when it does not exist. */
export function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
