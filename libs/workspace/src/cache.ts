import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { PARSER_VERSION, type ParseResult } from '@govern/workplan';
import { writeFileAtomic } from './atomic.js';

/**
 * The persistent parse cache: one file per root under `.govern/cache/`
 * (git-ignored), mapping each document to its content hash and parse result.
 *
 * A file whose size and mtime are unchanged is trusted without being read, as
 * git's index does; to avoid git's "racy" case, a file modified within two
 * seconds of the cache being written is re-hashed anyway. The key includes the
 * parser version and the profile, so a rule change re-parses everything.
 */
export interface CacheEntry {
  size: number;
  mtimeMs: number;
  hash: string;
  result: ParseResult;
}

interface CacheFile {
  key: string;
  writtenAt: number;
  entries: Record<string, CacheEntry>;
}

export class ParseCache {
  private entries: Record<string, CacheEntry> = {};
  private writtenAt = 0;
  private dirty = false;
  constructor(
    private readonly file: string | null,
    private readonly key: string,
  ) {
    if (!file) return;
    try {
      const data = v8.deserialize(fs.readFileSync(file)) as CacheFile;
      if (data && data.key === key && typeof data.entries === 'object' && data.entries !== null && typeof data.writtenAt === 'number') {
        this.entries = data.entries;
        this.writtenAt = data.writtenAt;
      }
    } catch {
      // A missing or corrupt cache is only a cold start.
    }
  }

  static fileFor(cacheDir: string): string {
    return path.join(cacheDir, `parse-v${PARSER_VERSION}.bin`);
  }

  /** The cached entry if the stat says the file is unchanged and not racily so. */
  byStat(rel: string, st: fs.Stats): CacheEntry | null {
    const e = this.entries[rel];
    if (!isEntry(e) || e.size !== st.size || e.mtimeMs !== st.mtimeMs) return null;
    if (st.mtimeMs >= this.writtenAt - 2000) return null;
    return e;
  }

  byHash(rel: string, hash: string): CacheEntry | null {
    const e = this.entries[rel];
    return isEntry(e) && e.hash === hash ? e : null;
  }

  set(rel: string, entry: CacheEntry): void {
    const prev = this.entries[rel];
    if (prev && prev.hash === entry.hash && prev.size === entry.size && prev.mtimeMs === entry.mtimeMs) return;
    this.entries[rel] = entry;
    this.dirty = true;
  }

  /** Drops entries of files that no longer exist. */
  retain(files: Set<string>): void {
    for (const k of Object.keys(this.entries)) {
      if (!files.has(k)) {
        delete this.entries[k];
        this.dirty = true;
      }
    }
  }

  /** Best effort: a cache that cannot be written costs speed, never correctness. */
  save(): void {
    if (!this.file || !this.dirty) return;
    try {
      const data: CacheFile = { key: this.key, writtenAt: Date.now(), entries: this.entries };
      writeFileAtomic(this.file, v8.serialize(data));
      this.dirty = false;
    } catch {
      // ignore: read-only checkouts still work, only slower
    }
  }
}

function isEntry(e: unknown): e is CacheEntry {
  const x = e as CacheEntry | null | undefined;
  return !!x && typeof x === 'object' && typeof x.size === 'number' && typeof x.hash === 'string' && !!x.result && Array.isArray(x.result.diagnostics);
}
