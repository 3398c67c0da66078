import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/**
 * The spool: an append-only log of received payloads, written and fsynced
 * *before* a payload is acknowledged, so an acknowledged payload survives a
 * crash even if it was never ingested. Ingest reads it only when recovering
 * (in normal operation payloads reach the ingest queue in memory); the store's
 * checkpoint says which frames are committed, and segments wholly at or below
 * it are deleted.
 *
 * Layout: `<dir>/spool-<first seq, 16 digits>.log`, each a sequence of frames:
 *
 * ```
 * offset 0  u32 LE  magic 0x4d445331 ("MDS1")
 *        4  u32 LE  payload length
 *        8  u64 LE  seq (1, 2, 3, … without gaps)
 *       16  u8      kind (what the payload is; the caller's code)
 *       17  3 bytes reserved (0)
 *       20  u32 LE  CRC-32 of bytes 0..19 and the payload
 *       24  payload
 * ```
 *
 * Writes are group-committed: frames queued while a write+fdatasync is in
 * flight go out together in the next one. Seqs are assigned when a group is
 * written, so a failed write (truncated back) leaves no gap. A process killed
 * mid-write leaves at most a torn frame at the end of the segment it was
 * writing; recovery stops a segment at the first frame whose length or CRC is
 * wrong (that frame was never acknowledged) and truncates it there, and a
 * restarted spool always writes to a new segment.
 */
export interface SpoolFrame<M = unknown> {
  seq: number;
  kind: number;
  body: Buffer;
  /** What the caller passed to `append` (not stored; undefined for recovered frames). */
  meta?: M;
}

export interface SpoolOptions<M> {
  /** Start a new segment once the current one reaches this size (default 64 MiB). */
  segmentBytes?: number;
  /** Frames with seq at or below this are committed already: recovery skips them. */
  afterSeq: number;
  /**
   * Called with each written group, in seq order, once it is durable and before `append`
   * resolves. It must not throw: the frames have their seqs and are on disk whatever it
   * does (if it throws anyway, the group's appends reject with its error).
   */
  onDurable: (frames: SpoolFrame<M>[]) => void;
}

export interface SpoolRecovery {
  /** Frames after `afterSeq`, in seq order, to ingest before anything new. */
  frames: SpoolFrame[];
  segments: number;
  /** Bytes dropped at the end of segments (a torn or corrupt frame: never acknowledged). */
  droppedBytes: number;
}

const MAGIC = 0x4d445331;
const HEADER = 24;
const SEGMENT_RE = /^spool-(\d{16})\.log$/;

interface Pending<M> {
  kind: number;
  body: Buffer;
  meta: M;
  resolve: (seq: number) => void;
  reject: (err: Error) => void;
}

export class Spool<M = unknown> {
  private queue: Pending<M>[] = [];
  private writing = false;
  private closed = false;
  private fd: fs.promises.FileHandle | null = null;
  private size = 0;
  /** Segments as [first seq, file name], oldest first; the last is the one being written. */
  private segments: [number, string][] = [];

  private constructor(
    readonly dir: string,
    private nextSeq: number,
    private readonly opts: Required<Pick<SpoolOptions<M>, 'segmentBytes'>> & SpoolOptions<M>,
  ) {}

  /** Opens the spool directory, recovering the frames not yet committed. */
  static async open<M>(dir: string, opts: SpoolOptions<M>): Promise<{ spool: Spool<M>; recovered: SpoolRecovery }> {
    await fs.promises.mkdir(dir, { recursive: true });
    const names = (await fs.promises.readdir(dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    const frames: SpoolFrame[] = [];
    const segments: [number, string][] = [];
    let droppedBytes = 0;
    let lastSeq = opts.afterSeq;
    for (const name of names) {
      const file = path.join(dir, name);
      const buf = await fs.promises.readFile(file);
      const { frames: fs_, validBytes } = readFrames(buf);
      if (validBytes < buf.length) {
        droppedBytes += buf.length - validBytes;
        await fs.promises.truncate(file, validBytes);
      }
      for (const f of fs_) {
        if (f.seq > opts.afterSeq) frames.push(f);
        lastSeq = Math.max(lastSeq, f.seq);
      }
      segments.push([Number(SEGMENT_RE.exec(name)![1]), name]);
    }
    const spool = new Spool<M>(dir, lastSeq + 1, { segmentBytes: 64 * 2 ** 20, ...opts });
    spool.segments = segments;
    await spool.openSegment(lastSeq + 1);
    return { spool, recovered: { frames, segments: names.length, droppedBytes } };
  }

  /** Appends a payload; resolves with its seq once it is on disk (fdatasync) and `onDurable` has seen it. */
  append(kind: number, body: Buffer, meta: M): Promise<number> {
    if (this.closed) return Promise.reject(new Error('spool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ kind, body, meta, resolve, reject });
      void this.drain();
    });
  }

  /** Deletes the segments whose every frame is at or below `committedSeq`. */
  async release(committedSeq: number): Promise<number> {
    let removed = 0;
    // Never the last segment: it is the one being written.
    while (this.segments.length > 1 && this.segments[1]![0] - 1 <= committedSeq) {
      const [, name] = this.segments.shift()!;
      await fs.promises.rm(path.join(this.dir, name), { force: true });
      removed++;
    }
    return removed;
  }

  /**
   * A frame read back from its segment (a frame not committed yet is there until
   * `release` passes it); null when no segment holds it. Reads the whole segment: for
   * the rare frame that must be quarantined, not for ingest.
   */
  async read(seq: number): Promise<SpoolFrame | null> {
    let segment: string | null = null;
    for (const [first, name] of this.segments) if (first <= seq) segment = name;
    if (!segment) return null;
    const buf = await fs.promises.readFile(path.join(this.dir, segment)).catch(() => null);
    return (buf && readFrames(buf).frames.find((f) => f.seq === seq)) ?? null;
  }

  /** The seq the next written frame gets. */
  get next(): number {
    return this.nextSeq;
  }

  /** Waits for queued writes, then closes the segment. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing || this.queue.length) await new Promise((r) => setTimeout(r, 5));
    await this.fd?.close();
    this.fd = null;
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length) {
        const group = this.queue.splice(0);
        const first = this.nextSeq;
        try {
          if (this.size >= this.opts.segmentBytes) await this.openSegment(first);
          const bufs: Buffer[] = [];
          group.forEach((p, i) => bufs.push(header(first + i, p.kind, p.body), p.body));
          const start = this.size;
          try {
            await this.fd!.writev(bufs);
            await this.fd!.datasync();
          } catch (err) {
            // Not acknowledged: cut the partial write so the next group starts clean.
            await this.fd!.truncate(start).catch(() => undefined);
            throw err;
          }
          this.size += bufs.reduce((n, b) => n + b.length, 0);
          this.nextSeq = first + group.length;
          this.opts.onDurable(group.map((p, i) => ({ seq: first + i, kind: p.kind, body: p.body, meta: p.meta })));
          group.forEach((p, i) => p.resolve(first + i));
        } catch (err) {
          for (const p of group) p.reject(err as Error);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async openSegment(firstSeq: number): Promise<void> {
    await this.fd?.close();
    const name = `spool-${String(firstSeq).padStart(16, '0')}.log`;
    // 'w': a segment of this name holds no valid frame (else firstSeq would be past it).
    this.fd = await fs.promises.open(path.join(this.dir, name), 'w');
    this.size = 0;
    if (this.segments.at(-1)?.[1] !== name) this.segments.push([firstSeq, name]);
    // Make the new file's directory entry durable too.
    const dirFd = await fs.promises.open(this.dir, 'r');
    await dirFd.sync().finally(() => dirFd.close());
  }
}

function header(seq: number, kind: number, body: Buffer): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeUInt32LE(MAGIC, 0);
  h.writeUInt32LE(body.length, 4);
  h.writeBigUInt64LE(BigInt(seq), 8);
  h.writeUInt8(kind, 16);
  h.writeUInt32LE(zlib.crc32(body, zlib.crc32(h.subarray(0, 20))), 20);
  return h;
}

/** The valid frames at the start of a segment, and where they end. */
export function readFrames(buf: Buffer): { frames: SpoolFrame[]; validBytes: number } {
  const frames: SpoolFrame[] = [];
  let off = 0;
  while (off + HEADER <= buf.length) {
    if (buf.readUInt32LE(off) !== MAGIC) break;
    const len = buf.readUInt32LE(off + 4);
    if (off + HEADER + len > buf.length) break;
    const body = buf.subarray(off + HEADER, off + HEADER + len);
    if (zlib.crc32(body, zlib.crc32(buf.subarray(off, off + 20))) !== buf.readUInt32LE(off + 20)) break;
    frames.push({ seq: Number(buf.readBigUInt64LE(off + 8)), kind: buf.readUInt8(off + 16), body });
    off += HEADER + len;
  }
  return { frames, validBytes: off };
}
