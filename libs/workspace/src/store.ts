import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { PARSER_VERSION } from '@govern/workplan';

/**
 * The fragment store: one file under the cache directory holding, per document, its
 * stat and content hash, its graph part (contribution and node JSON, see fragment.ts)
 * and its parse result; and, for the whole root, the cycles and the printed diagnostics
 * of the run that wrote it.
 *
 *   "GVFRAG01" | parts … | header JSON | u32 header length | u32 crc32 of the header | "GVFRAGHD"
 *
 * Every part is located by the header (offset, length, crc32). A run that changes a few
 * documents does not rewrite the file: it appends their new parts, a new header and a
 * new trailer at the end (the old header and parts stay behind as dead bytes). Why an
 * append rather than rewriting entries in place: a part's length changes with its
 * document, and bytes that a header points at are never overwritten, so a reader
 * holding an older header (another process, or this one between two saves) still reads
 * what that header describes. When dead bytes outgrow live ones the file is compacted:
 * written whole to a temp file and renamed over.
 *
 * Crash safety: a torn append leaves a trailer that does not check out (the run after it
 * starts cold), or, if the disk kept the header but not every part, parts whose
 * checksums fail (those files are parsed again). A checksum is verified before any part
 * is used, so a torn or concurrent write costs a re-parse, never a wrong result.
 */
// 2: contributions carry the index the commands read (fragment.ts `info`, `doc`).
export const STORE_FORMAT = 2;

const MAGIC = Buffer.from('GVFRAG01', 'latin1');
const TRAILER_MAGIC = Buffer.from('GVFRAGHD', 'latin1');
const TRAILER = 16;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What the store knows of a file without reading its parts. */
export interface CacheMeta {
  size: number;
  mtimeMs: number;
  /** sha256 (hex) of the file's bytes. */
  hash: string;
}

/** Where a part is: offset in the file, length, crc32. */
type Loc = [offset: number, length: number, crc: number];

/** The output of the run that wrote the store, valid for the inputs its fingerprint names. */
export interface StoredOutput {
  fingerprint: string;
  /** Definitions the graph drops (duplicate ids): file and node index. */
  dropped: { file: string; k: number }[];
  nodes: number;
}

/** A header as stored (JSON): a full one, or a delta amending the full one at `base`. */
export interface Header {
  key: string;
  writtenAt: number;
  files: string[];
  sizes: number[];
  mtimes: number[];
  hashes: string[];
  /** Graph parts, flat: offset, length, crc32 per file. */
  g: number[];
  /** Parse results, flat: offset, length, crc32 per file. */
  r: number[];
  /** The cycles of the graph of exactly these entries (see GraphState.restore). */
  cycles: string[][] | null;
  output: (StoredOutput & { diagnostics: Loc }) | null;
  /**
   * Set on a delta header: where the full header it amends is. Its entries are then only
   * those that differ from the full header's, and `removed` the files it drops.
   */
  base?: Loc;
  removed?: string[];
  /** The memo's parts, flat: offset, length, crc32 per part (see {@link FragmentStore.memo}); absent when none. */
  memo?: number[];
}

interface Entry extends CacheMeta {
  g: Loc | Buffer;
  r: Loc | Buffer;
}

export class FragmentStore {
  private entries = new Map<string, Entry>();
  private writtenAt = 0;
  private dirty = false;
  private fd: number | null = null;
  private writable = false;
  /** The file size the header was read at; appends go after it. */
  private size = 0;
  private cycles: string[][] | null = null;
  /** The files of the header as read (before this run's changes). */
  private headerFiles: string[] | null = null;
  /**
   * The last full header of the file and a signature of each of its entries: a save that
   * appends writes only the entries that differ from it (a delta header), so one changed
   * document costs its parts and a few hundred bytes, not ten thousand entries again.
   */
  private base: { loc: Loc; files: Set<string> } | null = null;
  /** Entries that differ from the base header's, and base entries dropped since. */
  private touched = new Set<string>();
  private removed = new Set<string>();
  private output: (StoredOutput & { diagnostics: Loc | Buffer }) | null = null;
  private memoParts: (Loc | Buffer)[] | null = null;

  private constructor(
    private readonly file: string | null,
    private readonly key: string,
  ) {}

  static fileFor(cacheDir: string): string {
    return path.join(cacheDir, `fragments-v${PARSER_VERSION}-f${STORE_FORMAT}.bin`);
  }

  /** Opens the store and reads its header; a missing, torn or foreign file is an empty store (a cold start). */
  static open(file: string | null, key: string): FragmentStore {
    const s = new FragmentStore(file, key);
    if (!file) return s;
    try {
      try {
        s.fd = fs.openSync(file, 'r+');
        s.writable = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return s;
        s.fd = fs.openSync(file, 'r');
      }
      s.size = fs.fstatSync(s.fd).size;
      s.readHeader();
    } catch {
      s.entries.clear();
      s.cycles = null;
      s.output = null;
      s.writtenAt = 0;
      s.size = 0;
      s.close();
    }
    return s;
  }

  private readHeader(): void {
    const fd = this.fd!;
    if (this.size < MAGIC.length + TRAILER) throw new Error('truncated');
    if (!readExactly(fd, 0, MAGIC.length).equals(MAGIC)) throw new Error('not a fragment store');
    const trailer = readExactly(fd, this.size - TRAILER, TRAILER);
    if (!trailer.subarray(8).equals(TRAILER_MAGIC)) throw new Error('torn trailer');
    const headerLength = trailer.readUInt32LE(0);
    const headerStart = this.size - TRAILER - headerLength;
    if (headerStart < MAGIC.length) throw new Error('truncated');
    const raw = readExactly(fd, headerStart, headerLength);
    if (zlib.crc32(raw) !== trailer.readUInt32LE(4)) throw new Error('header checksum');
    const h = JSON.parse(raw.toString('utf8')) as Header;
    if (!isHeader(h, headerStart) || h.key !== this.key) throw new Error('other key or malformed header');
    let full = h;
    let baseLoc: Loc = [headerStart, headerLength, zlib.crc32(raw)];
    if (h.base) {
      // A delta: the full header it amends first (one level: a delta never amends a delta).
      const [at, length, crc] = h.base;
      const rawBase = readExactly(fd, at, length);
      if (zlib.crc32(rawBase) !== crc) throw new Error('base header checksum');
      full = JSON.parse(rawBase.toString('utf8')) as Header;
      if (!isHeader(full, at) || full.key !== this.key || full.base) throw new Error('malformed base header');
      baseLoc = h.base;
    }
    this.addEntries(full);
    this.base = { loc: baseLoc, files: new Set(this.entries.keys()) };
    if (h.base) {
      this.addEntries(h);
      for (const rel of h.files) this.touched.add(rel);
      for (const rel of h.removed ?? []) {
        this.entries.delete(rel);
        this.removed.add(rel);
      }
    }
    this.writtenAt = h.writtenAt;
    this.headerFiles = [...this.entries.keys()];
    this.cycles = h.cycles;
    this.output = h.output;
    this.memoParts = h.memo ? locsOf(h.memo) : null;
  }

  private addEntries(h: Header): void {
    for (let i = 0; i < h.files.length; i++) {
      this.entries.set(h.files[i]!, {
        size: h.sizes[i]!,
        mtimeMs: h.mtimes[i]!,
        hash: h.hashes[i]!,
        g: [h.g[3 * i]!, h.g[3 * i + 1]!, h.g[3 * i + 2]!],
        r: [h.r[3 * i]!, h.r[3 * i + 1]!, h.r[3 * i + 2]!],
      });
    }
  }

  /** What the store holds for a file, trusted or not. */
  meta(rel: string): CacheMeta | null {
    const e = this.entries.get(rel);
    return e ? { size: e.size, mtimeMs: e.mtimeMs, hash: e.hash } : null;
  }

  /** The stored meta if the stat says the file is unchanged and not racily so (see `confirm`). */
  byStat(rel: string, st: { size: number; mtimeMs: number }): CacheMeta | null {
    const e = this.entries.get(rel);
    if (!e || e.size !== st.size || e.mtimeMs !== st.mtimeMs) return null;
    if (st.mtimeMs >= this.writtenAt - 2000) return null;
    return this.meta(rel);
  }

  /**
   * The file's content was read and hashed in this run and equals the stored entry:
   * record its current stat. `startedAt` is when this run started; once the mtime is two
   * seconds older than that, saving lets the next run trust the stat instead of hashing.
   */
  confirm(rel: string, meta: CacheMeta, startedAt: number): void {
    const e = this.entries.get(rel);
    if (!e || e.hash !== meta.hash) return;
    if (e.size !== meta.size || e.mtimeMs !== meta.mtimeMs || meta.mtimeMs < startedAt - 2000) {
      this.dirty = true;
      this.touched.add(rel);
    }
    e.size = meta.size;
    e.mtimeMs = meta.mtimeMs;
  }

  /** The cycles and output the writer stored (null when it stored none). */
  storedCycles(): string[][] | null {
    return this.cycles;
  }

  /** The files the stored cycles were computed over (the header's entries as read), or null for an empty store. */
  storedFiles(): string[] | null {
    return this.headerFiles;
  }

  /** Whether the store holds exactly these files with these hashes. */
  holds(metas: ReadonlyMap<string, CacheMeta>): boolean {
    if (this.entries.size !== metas.size) return false;
    for (const [rel, m] of metas) if (this.entries.get(rel)?.hash !== m.hash) return false;
    return true;
  }

  storedOutput(): StoredOutput | null {
    return this.output;
  }

  /** The stored printed diagnostics (JSON), checksum verified; null when unreadable. */
  outputDiagnostics(): Buffer | null {
    if (!this.output) return null;
    const part = this.partsOf([this.output.diagnostics]).get(0) ?? null;
    if (!part) {
      // Damaged: forget it, so that the output computed in this run is saved.
      this.output = null;
      this.dirty = true;
    }
    return part;
  }

  /**
   * A derived result a reader computed from this store's output and saved for the next
   * reader (the engine keeps the actionable rule's rank and cycles here): opaque bytes
   * that carry their own key, in one or more parts read one at a time (a reader that
   * needs only the first part does not read the others). It goes when the output
   * changes. Null when none, no such part, or damaged.
   */
  memo(part = 0): Buffer | null {
    const loc = this.memoParts?.[part];
    return loc ? (this.partsOf([loc]).get(0) ?? null) : null;
  }

  /** Sets the memo's parts (see {@link memo}); saved by the next `save`. */
  setMemo(...parts: Buffer[]): void {
    this.memoParts = parts.length ? parts : null;
    this.dirty = true;
  }

  /**
   * Adds (`i` one past the last) or replaces one part of the memo, the others kept where
   * they are in the file: the next save appends this part and a header, not the memo
   * again. False, and nothing set, when there is no memo or `i` would leave a gap.
   */
  setMemoPart(i: number, part: Buffer): boolean {
    const parts = this.memoParts;
    if (!parts || !Number.isInteger(i) || i < 0 || i > parts.length) return false;
    parts[i] = part;
    this.dirty = true;
    return true;
  }

  /** The graph parts of these files, checksum verified; a file whose part is missing or damaged is left out. */
  graphParts(rels: string[]): Map<string, Buffer> {
    const locs = rels.map((rel) => this.entries.get(rel)?.g ?? null);
    const parts = this.partsOf(locs);
    const out = new Map<string, Buffer>();
    rels.forEach((rel, i) => {
      const p = parts.get(i);
      if (p) out.set(rel, p);
    });
    return out;
  }

  /** The stored parse result of a file, checksum verified, or null. */
  resultPart(rel: string): Buffer | null {
    const e = this.entries.get(rel);
    return e ? (this.partsOf([e.r]).get(0) ?? null) : null;
  }

  /**
   * Reads parts, merging adjacent ones into one read (a compacted store keeps every
   * graph part side by side: one read serves them all).
   */
  private partsOf(locs: (Loc | Buffer | null)[]): Map<number, Buffer> {
    const out = new Map<number, Buffer>();
    const wanted: { i: number; loc: Loc }[] = [];
    locs.forEach((loc, i) => {
      if (!loc) return;
      if (Buffer.isBuffer(loc)) out.set(i, loc);
      else wanted.push({ i, loc });
    });
    if (!wanted.length || this.fd === null) return out;
    wanted.sort((a, b) => a.loc[0] - b.loc[0]);
    for (let s = 0; s < wanted.length; ) {
      let e = s;
      let end = wanted[s]!.loc[0] + wanted[s]!.loc[1];
      while (e + 1 < wanted.length && wanted[e + 1]!.loc[0] <= end) {
        e++;
        end = Math.max(end, wanted[e]!.loc[0] + wanted[e]!.loc[1]);
      }
      const start = wanted[s]!.loc[0];
      let buf: Buffer | null = null;
      try {
        buf = readExactly(this.fd, start, end - start);
      } catch {
        buf = null; // beyond the end of a torn file: those files are parsed again
      }
      for (let j = s; j <= e; j++) {
        const { i, loc } = wanted[j]!;
        const part = buf?.subarray(loc[0] - start, loc[0] - start + loc[1]);
        if (part && zlib.crc32(part) === loc[2]) out.set(i, part);
      }
      s = e + 1;
    }
    return out;
  }

  /** A document parsed in this run: its parts replace the stored ones. */
  put(rel: string, meta: CacheMeta, graphPart: Buffer, resultPart: Buffer): void {
    this.entries.set(rel, { ...meta, g: graphPart, r: resultPart });
    this.dirty = true;
    this.touched.add(rel);
    this.removed.delete(rel);
  }

  /** Drops entries of files that are no longer documents of the root. */
  retain(files: Set<string>): void {
    for (const k of this.entries.keys()) {
      if (!files.has(k)) this.drop(k);
    }
  }

  /** Drops one entry (its parts are damaged: the file was parsed again without a result to keep). */
  forget(rel: string): void {
    if (this.entries.has(rel)) this.drop(rel);
  }

  private drop(rel: string): void {
    this.entries.delete(rel);
    this.dirty = true;
    this.touched.delete(rel);
    if (this.base?.files.has(rel)) this.removed.add(rel);
  }

  /** The graph state and output computed from exactly the entries this store will hold when saved. */
  setResult(cycles: string[][] | null, output: (StoredOutput & { diagnostics: Buffer }) | null): void {
    const unchanged = output !== null && this.output !== null && output.fingerprint === this.output.fingerprint && JSON.stringify(cycles) === JSON.stringify(this.cycles);
    if (unchanged) return;
    if (output === null && this.output === null && JSON.stringify(cycles) === JSON.stringify(this.cycles)) return;
    this.cycles = cycles;
    this.output = output;
    this.memoParts = null;
    this.dirty = true;
  }

  /**
   * Best effort: a store that cannot be written costs speed, never correctness.
   * `startedAt` (when this run started, before any file was stat'ed or read) becomes
   * the reference of the racy-stat rule.
   */
  save(startedAt: number): void {
    if (!this.file || !this.dirty) return;
    try {
      let live = 0;
      let fresh = 0;
      const add = (p: Loc | Buffer) => {
        if (Buffer.isBuffer(p)) fresh += p.length;
        else live += p[1];
      };
      for (const e of this.entries.values()) {
        add(e.g);
        add(e.r);
      }
      if (this.output) add(this.output.diagnostics);
      for (const p of this.memoParts ?? []) add(p);
      live += fresh;
      const appendable = this.fd !== null && this.writable && this.size > 0;
      // Compact when the file would be more than twice its live bytes (plus slack).
      if (appendable && this.size + fresh + (1 << 20) <= 2 * live + (4 << 20)) this.append(startedAt);
      else this.rewrite(startedAt);
      this.dirty = false;
    } catch {
      // ignore: read-only checkouts still work, only slower
    }
  }

  /** Appends the new parts, a header and a trailer at the end of the file (see the class comment). */
  private append(startedAt: number): void {
    const fd = this.fd!;
    // Another process may have appended since the header was read: write after it.
    const start = fs.fstatSync(fd).size;
    let at = start;
    const chunks: Buffer[] = [];
    const place = (p: Loc | Buffer): Loc => {
      if (!Buffer.isBuffer(p)) return p;
      const loc: Loc = [at, p.length, zlib.crc32(p)];
      chunks.push(p);
      at += p.length;
      return loc;
    };
    const delta = this.delta(startedAt, place);
    const h = delta ?? this.header(startedAt, place);
    const tail = this.tail(h);
    const headerAt = at;
    chunks.push(...tail);
    const buf = Buffer.concat(chunks);
    // No fsync: a part or header the disk did not keep fails its checksum (a re-parse),
    // and this is a cache, not the user's data.
    writeAll(fd, buf, start);
    this.size = start + buf.length;
    this.settle(h);
    if (!delta) this.rebase([headerAt, tail[0]!.length, zlib.crc32(tail[0]!)]);
  }

  /** Writes the whole store to a temp file and renames it over: graph parts first, side by side, then results. */
  private rewrite(startedAt: number): void {
    // Unchanged parts are copied from the old file as they are (read once, whole).
    let old: Buffer | null = null;
    if (this.fd !== null && [...this.entries.values()].some((e) => !Buffer.isBuffer(e.g) || !Buffer.isBuffer(e.r))) {
      try {
        old = readExactly(this.fd, 0, this.size);
      } catch {
        old = null;
      }
    }
    const bytesOf = (p: Loc | Buffer): Buffer | null => {
      if (Buffer.isBuffer(p)) return p;
      const part = old?.subarray(p[0], p[0] + p[1]);
      return part && part.length === p[1] && zlib.crc32(part) === p[2] ? part : null;
    };
    // Drop entries whose old bytes are lost (damaged): they are parsed again next time.
    for (const [rel, e] of this.entries) {
      const g = bytesOf(e.g);
      const r = bytesOf(e.r);
      if (!g || !r) {
        this.entries.delete(rel);
        // The cycles no longer describe the entries: the next run computes them whole.
        this.cycles = null;
        this.output = null;
      } else {
        e.g = g;
        e.r = r;
      }
    }
    if (this.output) {
      const d = bytesOf(this.output.diagnostics);
      if (d) this.output.diagnostics = d;
      else this.output = null;
    }
    if (this.memoParts) {
      const parts = this.output ? this.memoParts.map(bytesOf) : [];
      this.memoParts = parts.length && parts.every((p) => p !== null) ? (parts as Buffer[]) : null;
    }
    const parts: Buffer[] = [MAGIC];
    let at = MAGIC.length;
    const place = (p: Loc | Buffer): Loc => {
      const b = p as Buffer;
      const loc: Loc = [at, b.length, zlib.crc32(b)];
      parts.push(b);
      at += b.length;
      return loc;
    };
    const h = this.header(startedAt, place);
    const tail = this.tail(h);
    const headerAt = at;
    const file = this.file!;
    writeAtomically(file, (write) => [...parts, ...tail].forEach(write));
    this.close();
    // Go on with the new file: later reads and appends use its offsets.
    try {
      this.fd = fs.openSync(file, 'r+');
      this.writable = true;
      this.size = fs.fstatSync(this.fd).size;
    } catch {
      this.fd = null;
    }
    this.settle(h);
    this.rebase([headerAt, tail[0]!.length, zlib.crc32(tail[0]!)]);
  }

  /** The header of what is saved, placing every part that is not in the file yet. Graph parts are placed first. */
  private header(startedAt: number, place: (p: Loc | Buffer) => Loc): Header {
    const h: Header = { key: this.key, writtenAt: startedAt, files: [], sizes: [], mtimes: [], hashes: [], g: [], r: [], cycles: this.cycles, output: null };
    for (const [rel, e] of this.entries) {
      h.files.push(rel);
      h.sizes.push(e.size);
      h.mtimes.push(e.mtimeMs);
      h.hashes.push(e.hash);
      h.g.push(...place(e.g));
    }
    for (const e of this.entries.values()) h.r.push(...place(e.r));
    if (this.output) h.output = { ...this.output, diagnostics: place(this.output.diagnostics) };
    if (this.memoParts) h.memo = this.memoParts.flatMap(place);
    return h;
  }

  /**
   * A delta header against the base: the entries that differ from it (their new parts
   * placed) and the base entries dropped. Null when a full header is due: no base, or
   * more than a tenth of the entries (at least 64) differ.
   */
  private delta(startedAt: number, place: (p: Loc | Buffer) => Loc): Header | null {
    if (!this.base || this.touched.size + this.removed.size > Math.max(64, this.entries.size / 10)) return null;
    const d: Header = { key: this.key, writtenAt: startedAt, files: [], sizes: [], mtimes: [], hashes: [], g: [], r: [], cycles: this.cycles, output: null, base: this.base.loc, removed: [...this.removed] };
    for (const rel of this.touched) {
      const e = this.entries.get(rel);
      if (!e) continue;
      d.files.push(rel);
      d.sizes.push(e.size);
      d.mtimes.push(e.mtimeMs);
      d.hashes.push(e.hash);
      d.g.push(...place(e.g));
      d.r.push(...place(e.r));
    }
    if (this.output) d.output = { ...this.output, diagnostics: place(this.output.diagnostics) };
    if (this.memoParts) d.memo = this.memoParts.flatMap(place);
    return d;
  }

  /** A full header was just written at `loc`: later deltas amend it. */
  private rebase(loc: Loc): void {
    this.base = { loc, files: new Set(this.entries.keys()) };
    this.touched.clear();
    this.removed.clear();
  }

  private tail(h: Header): Buffer[] {
    const header = Buffer.from(JSON.stringify(h), 'utf8');
    const trailer = Buffer.alloc(TRAILER);
    trailer.writeUInt32LE(header.length, 0);
    trailer.writeUInt32LE(zlib.crc32(header), 4);
    TRAILER_MAGIC.copy(trailer, 8);
    return [header, trailer];
  }

  /** After a save: entries point at their parts in the file instead of holding them. */
  private settle(h: Header): void {
    this.writtenAt = h.writtenAt;
    h.files.forEach((rel, i) => {
      const e = this.entries.get(rel)!;
      if (Buffer.isBuffer(e.g)) e.g = [h.g[3 * i]!, h.g[3 * i + 1]!, h.g[3 * i + 2]!];
      if (Buffer.isBuffer(e.r)) e.r = [h.r[3 * i]!, h.r[3 * i + 1]!, h.r[3 * i + 2]!];
    });
    if (h.output && this.output) this.output.diagnostics = h.output.diagnostics;
    if (h.memo) this.memoParts = locsOf(h.memo);
  }

  /**
   * Whether the file is still the one this store last read or wrote: same inode, and no
   * byte appended since (another process appends, or renames a new file over it). A
   * long-lived engine keeps its store open while this holds, instead of reading the
   * header again on each update.
   */
  current(): boolean {
    if (!this.file || this.fd === null) return false;
    try {
      const held = fs.fstatSync(this.fd);
      const onDisk = fs.statSync(this.file);
      return held.ino === onDisk.ino && held.dev === onDisk.dev && held.size === this.size;
    } catch {
      return false;
    }
  }

  /** Releases the file. */
  close(): void {
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
 * Writes a file part by part, never joining the parts (tens of megabytes would be held
 * or copied once more): a temp file in the same directory, fsync, rename. A reader sees
 * the old file or the new one; after a crash, a torn file fails its checksums.
 */
function writeAtomically(file: string, produce: (write: (part: Buffer) => void) => void): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    // Small parts are gathered into ~1 MiB writes: one syscall per document would cost more than the copy.
    let batch: Buffer[] = [];
    let batched = 0;
    let position = 0;
    const flush = () => {
      if (batch.length) {
        const b = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched);
        writeAll(fd, b, position);
        position += b.length;
      }
      batch = [];
      batched = 0;
    };
    produce((part) => {
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

function writeAll(fd: number, buf: Buffer, position: number): void {
  for (let done = 0; done < buf.length; ) done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
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

/** Flat offset, length, crc32 triples as locations. */
function locsOf(flat: number[]): Loc[] {
  const out: Loc[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) out.push([flat[i]!, flat[i + 1]!, flat[i + 2]!]);
  return out;
}

function isLocs(a: unknown, n: number, limit: number): boolean {
  if (!Array.isArray(a) || a.length !== 3 * n) return false;
  for (let i = 0; i < n; i++) {
    const [o, l, c] = [a[3 * i], a[3 * i + 1], a[3 * i + 2]];
    if (!Number.isInteger(o) || !Number.isInteger(l) || !Number.isInteger(c) || o < MAGIC.length || l <= 0 || o + l > limit) return false;
  }
  return true;
}

function isHeader(h: unknown, limit: number): h is Header {
  const x = h as Header | null;
  if (!x || typeof x !== 'object' || typeof x.key !== 'string' || typeof x.writtenAt !== 'number') return false;
  const n = Array.isArray(x.files) ? x.files.length : -1;
  if (n < 0 || ![x.sizes, x.mtimes, x.hashes].every((a) => Array.isArray(a) && a.length === n)) return false;
  if (!isLocs(x.g, n, limit) || !isLocs(x.r, n, limit)) return false;
  for (let i = 0; i < n; i++) {
    if (typeof x.files[i] !== 'string' || typeof x.sizes[i] !== 'number' || typeof x.mtimes[i] !== 'number') return false;
    // Only sha256 hex: this is what Workspace.hashes serves to writers.
    if (typeof x.hashes[i] !== 'string' || !SHA256_HEX.test(x.hashes[i]!)) return false;
  }
  if (x.cycles !== null && !(Array.isArray(x.cycles) && x.cycles.every((c) => Array.isArray(c) && c.every((id) => typeof id === 'string')))) return false;
  if (x.memo !== undefined && !(Array.isArray(x.memo) && x.memo.length > 0 && x.memo.length % 3 === 0 && isLocs(x.memo, x.memo.length / 3, limit))) return false;
  if (x.base !== undefined && (!isLocs(x.base, 1, limit) || !Array.isArray(x.removed) || !x.removed.every((f) => typeof f === 'string'))) return false;
  if (x.output !== null) {
    const o = x.output;
    if (!o || typeof o.fingerprint !== 'string' || !Number.isInteger(o.nodes) || !Array.isArray(o.dropped) || !isLocs(o.diagnostics, 1, limit)) return false;
  }
  return true;
}
