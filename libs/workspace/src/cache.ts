import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import zlib from 'node:zlib';
import { PARSER_VERSION, type Diagnostic, type ParseResult } from '@govern/workplan';

/**
 * The persistent parse cache: one file per root under `.govern/cache/`
 * (git-ignored), mapping each document to its size, mtime, content hash
 * (sha256) and parse result.
 *
 * A file whose size and mtime are unchanged is trusted without being read, as
 * git's index does. To avoid git's "racy" case, a file whose mtime is within
 * two seconds of the moment the run that wrote the cache *started* is
 * re-hashed anyway: a same-size edit made during or right after that run can
 * keep its mtime on a coarse clock, but not one made two seconds later. The
 * key includes the profile and the Markdown engine, the file name the parser
 * version and this format, so a rule change re-parses everything and a cache
 * of another format (with sha1 hashes, say) is never read.
 *
 * Format 3, all integers little-endian:
 *
 *   magic "GVPARSE3" | body | header | u32 header length | u32 crc32 of the header | u32 crc32 of the body
 *   body:   v8.serialize(ParseResult) of each file, in header order
 *   header: UTF-8 JSON { key, writtenAt, files, sizes, mtimes, hashes, lengths }
 *
 * The header comes last so that a save can stream the documents out one by one
 * instead of holding every serialized result until the lengths are known.
 *
 * Only the header is read when the cache is opened: a warm run that needs no
 * parse result (see GraphSnapshot) never loads or deserializes the body, and a
 * run that does deserializes each document on its own, so a rewrite copies the
 * bytes of unchanged documents instead of serializing them again. Both
 * checksums make a torn or corrupt file a cold start, never wrong data.
 */
export const CACHE_FORMAT = 3;

const MAGIC = Buffer.from('GVPARSE3', 'latin1');
const TRAILER = 12;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What the cache knows of a file without its parse result. */
export interface CacheMeta {
  size: number;
  mtimeMs: number;
  /** sha256 (hex) of the file's bytes. */
  hash: string;
}

interface Entry extends CacheMeta {
  /** The serialized result as read: a view of the loaded body (null until the body is loaded, and for new results). */
  blob: Buffer | null;
  /** Offset of the blob in the body of the file this entry was read from. */
  offset: number;
  length: number;
  result: ParseResult | null;
}

interface Header {
  key: string;
  writtenAt: number;
  files: string[];
  sizes: number[];
  mtimes: number[];
  hashes: string[];
  lengths: number[];
}

export class ParseCache {
  private entries = new Map<string, Entry>();
  private writtenAt = 0;
  private dirty = false;
  /** Kept open from the header read to the body read, so both come from the same file even if another process replaces it. */
  private fd: number | null = null;
  private bodyOffset = 0;
  private bodyLength = 0;
  private bodyCrc = 0;
  private body: Buffer | null = null;
  private bodyBad = false;

  constructor(
    private readonly file: string | null,
    private readonly key: string,
  ) {
    if (!file) return;
    try {
      this.fd = fs.openSync(file, 'r');
      this.readHeader(this.fd, fs.fstatSync(this.fd).size);
    } catch {
      // A missing, truncated or corrupt cache is only a cold start.
      this.entries.clear();
      this.writtenAt = 0;
      this.close();
    }
  }

  static fileFor(cacheDir: string): string {
    return path.join(cacheDir, `parse-v${PARSER_VERSION}-f${CACHE_FORMAT}.bin`);
  }

  private readHeader(fd: number, fileSize: number): void {
    if (fileSize < MAGIC.length + TRAILER) throw new Error('truncated');
    if (!readExactly(fd, 0, MAGIC.length).equals(MAGIC)) throw new Error('not a parse cache');
    const trailer = readExactly(fd, fileSize - TRAILER, TRAILER);
    const headerLength = trailer.readUInt32LE(0);
    const headerStart = fileSize - TRAILER - headerLength;
    if (headerStart < MAGIC.length) throw new Error('truncated');
    const raw = readExactly(fd, headerStart, headerLength);
    if (zlib.crc32(raw) !== trailer.readUInt32LE(4)) throw new Error('header checksum');
    const h = JSON.parse(raw.toString('utf8')) as Header;
    if (!isHeader(h) || h.key !== this.key) throw new Error('other key or malformed header');
    let offset = 0;
    for (let i = 0; i < h.files.length; i++) {
      this.entries.set(h.files[i]!, { size: h.sizes[i]!, mtimeMs: h.mtimes[i]!, hash: h.hashes[i]!, blob: null, offset, length: h.lengths[i]!, result: null });
      offset += h.lengths[i]!;
    }
    this.bodyOffset = MAGIC.length;
    this.bodyLength = offset;
    if (this.bodyOffset + this.bodyLength !== headerStart) throw new Error('body length does not match the header');
    this.bodyCrc = trailer.readUInt32LE(8);
    this.writtenAt = h.writtenAt;
  }

  /** What the cache holds for a file, trusted or not. */
  meta(rel: string): CacheMeta | null {
    const e = this.entries.get(rel);
    return e ? { size: e.size, mtimeMs: e.mtimeMs, hash: e.hash } : null;
  }

  /** The cached entry if the stat says the file is unchanged and not racily so. */
  byStat(rel: string, st: { size: number; mtimeMs: number }): CacheMeta | null {
    const e = this.entries.get(rel);
    if (!e || e.size !== st.size || e.mtimeMs !== st.mtimeMs) return null;
    if (st.mtimeMs >= this.writtenAt - 2000) return null;
    return this.meta(rel);
  }

  /**
   * The file's content was read and hashed in this run and equals the cached
   * entry: record its current stat. `startedAt` is when this run started; once
   * the mtime is two seconds older than that, saving the cache lets the next run
   * trust the stat instead of hashing the file again.
   */
  confirm(rel: string, meta: CacheMeta, startedAt: number): void {
    const e = this.entries.get(rel);
    if (!e || e.hash !== meta.hash) return;
    if (e.size !== meta.size || e.mtimeMs !== meta.mtimeMs || meta.mtimeMs < startedAt - 2000) this.dirty = true;
    e.size = meta.size;
    e.mtimeMs = meta.mtimeMs;
  }

  /** The cached parse result, deserialized on demand; null when absent or when the body is unreadable or corrupt. */
  result(rel: string): ParseResult | null {
    const e = this.entries.get(rel);
    if (!e) return null;
    if (e.result) return e.result;
    const blob = e.blob ?? this.blobOf(e);
    if (!blob) return null;
    try {
      const r = v8.deserialize(blob) as ParseResult;
      if (!r || typeof r !== 'object' || !Array.isArray(r.diagnostics) || !('document' in r)) return null;
      e.blob = blob;
      e.result = r;
      return r;
    } catch {
      return null;
    }
  }

  private blobOf(e: Entry): Buffer | null {
    if (!this.body && !this.bodyBad) {
      try {
        if (this.fd === null) throw new Error('closed');
        const body = readExactly(this.fd, this.bodyOffset, this.bodyLength);
        if (zlib.crc32(body) !== this.bodyCrc) throw new Error('body checksum');
        this.body = body;
      } catch {
        this.bodyBad = true;
      }
    }
    return this.body ? this.body.subarray(e.offset, e.offset + e.length) : null;
  }

  /** A result parsed in this run. */
  set(rel: string, meta: CacheMeta, result: ParseResult): void {
    this.entries.set(rel, { ...meta, blob: null, offset: 0, length: 0, result });
    this.dirty = true;
  }

  /** Drops entries of files that no longer exist. */
  retain(files: Set<string>): void {
    for (const k of this.entries.keys()) {
      if (!files.has(k)) {
        this.entries.delete(k);
        this.dirty = true;
      }
    }
  }

  /**
   * Best effort: a cache that cannot be written costs speed, never correctness.
   * `startedAt` (when this run started, before any file was stat'ed or read)
   * becomes the reference of the racy-stat rule.
   */
  save(startedAt: number): void {
    if (!this.file || !this.dirty) return;
    try {
      writeAtomically(this.file, (write) => {
        const h: Header = { key: this.key, writtenAt: startedAt, files: [], sizes: [], mtimes: [], hashes: [], lengths: [] };
        let bodyCrc = 0;
        write(MAGIC);
        for (const [rel, e] of this.entries) {
          // Unchanged documents keep the bytes they were read with; new results are
          // serialized here and written at once (not kept: a later save serializes again).
          const blob = e.blob ?? (e.result ? v8.serialize(e.result) : this.blobOf(e));
          if (!blob) continue; // its bytes were lost with a corrupt body: parse it again next time
          h.files.push(rel);
          h.sizes.push(e.size);
          h.mtimes.push(e.mtimeMs);
          h.hashes.push(e.hash);
          h.lengths.push(blob.length);
          bodyCrc = zlib.crc32(blob, bodyCrc);
          write(blob);
        }
        const header = Buffer.from(JSON.stringify(h), 'utf8');
        const trailer = Buffer.alloc(TRAILER);
        trailer.writeUInt32LE(header.length, 0);
        trailer.writeUInt32LE(zlib.crc32(header), 4);
        trailer.writeUInt32LE(bodyCrc, 8);
        write(header);
        write(trailer);
      });
      this.dirty = false;
    } catch {
      // ignore: read-only checkouts still work, only slower
    }
  }

  /** Releases the file and the loaded body; results not deserialized yet are no longer available. */
  close(): void {
    this.body = null;
    for (const e of this.entries.values()) e.blob = null;
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = null;
    }
  }
}

/**
 * Writes a cache file part by part, never joining the parts (tens of megabytes
 * would be held or copied once more, at the run's peak of memory): a temp file
 * in the same directory, fsync, rename. A reader sees the old file or the new
 * one; after a crash, a torn file fails its checksums and is only a cold start.
 */
function writeAtomically(file: string, produce: (write: (part: Buffer) => void) => void): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    // Small parts are gathered into ~1 MiB writes: one syscall per document would
    // cost more than the copy.
    let batch: Buffer[] = [];
    let batched = 0;
    const flush = () => {
      if (batch.length) writeAll(fd, batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched));
      batch = [];
      batched = 0;
    };
    produce((part) => {
      if (part.length >= 1 << 20) {
        flush();
        writeAll(fd, part);
        return;
      }
      batch.push(part);
      batched += part.length;
      if (batched >= 1 << 20) flush();
    });
    flush();
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  for (let done = 0; done < buf.length; ) done += fs.writeSync(fd, buf, done, buf.length - done);
}

function readExactly(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error('unexpected end of file');
    done += n;
  }
  return buf;
}

function isHeader(h: unknown): h is Header {
  const x = h as Header | null;
  if (!x || typeof x !== 'object' || typeof x.key !== 'string' || typeof x.writtenAt !== 'number') return false;
  const n = Array.isArray(x.files) ? x.files.length : -1;
  const arrays = [x.sizes, x.mtimes, x.hashes, x.lengths];
  if (n < 0 || !arrays.every((a) => Array.isArray(a) && a.length === n)) return false;
  for (let i = 0; i < n; i++) {
    if (typeof x.files[i] !== 'string' || typeof x.sizes[i] !== 'number' || typeof x.mtimes[i] !== 'number') return false;
    // Only sha256 hex: this is what Workspace.hashes serves to writers.
    if (typeof x.hashes[i] !== 'string' || !SHA256_HEX.test(x.hashes[i]!)) return false;
    if (!Number.isInteger(x.lengths[i]) || x.lengths[i]! <= 0) return false;
  }
  return true;
}

const SNAPSHOT_MAGIC = Buffer.from('GVGRAPH3', 'latin1');
const PREFIX = SNAPSHOT_MAGIC.length + 12;

/**
 * The serialized graph of the last run, `{"nodes":[...],"diagnostics":[...]}`
 * exactly as `govern graph --json` prints it, with the diagnostics again on
 * their own (for the exit code and `Workspace.diagnostics`). It is keyed by a
 * fingerprint of everything the graph is computed from (see `load.ts`), so when
 * no document, rule or build changed a run prints these bytes instead of
 * deserializing every parse result, building the graph and serializing it.
 *
 *   magic "GVGRAPH3" | u32 header length | u32 crc32 of the header | u32 crc32 of the rest
 *   header: UTF-8 JSON { fingerprint, diagnosticsLength, graphLength }
 *   diagnostics JSON | graph JSON
 */
export const GraphSnapshot = {
  fileFor(cacheDir: string): string {
    return path.join(cacheDir, `graph-v${PARSER_VERSION}-f${CACHE_FORMAT}.bin`);
  },

  /** The snapshot if its fingerprint matches and it is intact, else null (a miss, never an error). */
  read(file: string, fingerprint: string): { diagnostics: Diagnostic[]; graph: Buffer } | null {
    try {
      const buf = fs.readFileSync(file);
      if (buf.length < PREFIX || !buf.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) return null;
      const headerLength = buf.readUInt32LE(SNAPSHOT_MAGIC.length);
      if (PREFIX + headerLength > buf.length) return null;
      const raw = buf.subarray(PREFIX, PREFIX + headerLength);
      if (zlib.crc32(raw) !== buf.readUInt32LE(SNAPSHOT_MAGIC.length + 4)) return null;
      const h = JSON.parse(raw.toString('utf8')) as { fingerprint: unknown; diagnosticsLength: unknown; graphLength: unknown };
      if (h.fingerprint !== fingerprint || !Number.isInteger(h.diagnosticsLength) || !Number.isInteger(h.graphLength)) return null;
      const start = PREFIX + headerLength;
      const dl = h.diagnosticsLength as number;
      if (start + dl + (h.graphLength as number) !== buf.length) return null;
      const rest = buf.subarray(start);
      if (zlib.crc32(rest) !== buf.readUInt32LE(SNAPSHOT_MAGIC.length + 8)) return null;
      const diagnostics = JSON.parse(rest.subarray(0, dl).toString('utf8')) as unknown;
      if (!Array.isArray(diagnostics)) return null;
      return { diagnostics: diagnostics as Diagnostic[], graph: rest.subarray(dl) };
    } catch {
      return null;
    }
  },

  /** Best effort, like the parse cache. */
  write(file: string, fingerprint: string, diagnostics: Diagnostic[], graph: Buffer): void {
    try {
      const diag = Buffer.from(JSON.stringify(diagnostics), 'utf8');
      const header = Buffer.from(JSON.stringify({ fingerprint, diagnosticsLength: diag.length, graphLength: graph.length }), 'utf8');
      const prefix = Buffer.alloc(PREFIX);
      SNAPSHOT_MAGIC.copy(prefix, 0);
      prefix.writeUInt32LE(header.length, SNAPSHOT_MAGIC.length);
      prefix.writeUInt32LE(zlib.crc32(header), SNAPSHOT_MAGIC.length + 4);
      prefix.writeUInt32LE(zlib.crc32(graph, zlib.crc32(diag)), SNAPSHOT_MAGIC.length + 8);
      writeAtomically(file, (write) => [prefix, header, diag, graph].forEach(write));
    } catch {
      // ignore: the next run builds the graph again
    }
  },
};
