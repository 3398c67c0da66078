import fs from 'node:fs';
import path from 'node:path';

/**
 * The quarantine: spool frames that can never be ingested, kept with why, so
 * that ingest can move past them without losing them. A frame lands here when
 * it was made durable (so it has a seq) but its facts cannot be made — its
 * bytes do not decode, making its facts throws, or every batch holding it
 * fails while the batch without it commits. The ingest loop writes the record
 * before the checkpoint passes the frame's seq, then commits past it; the
 * frame's bytes stay in the spool until then.
 *
 * Layout: `<dir>/<seq, 16 digits>.payload` (the frame's bytes, as spooled) and
 * `<seq>.json` (the record: {@link QuarantineRecord}), written in that order,
 * each fsynced, the record through a rename: a record names a payload that is
 * complete. memoryd's `<spool>/quarantine/`.
 */
export interface QuarantineRecord {
  seq: number;
  /** The spool frame's kind (how its payload is encoded). */
  kind: number;
  /** Why it can never be ingested. */
  reason: string;
  /** When it was quarantined (ISO 8601). */
  at: string;
  /** Size of the payload (`<seq>.payload`). */
  bytes: number;
}

export interface QuarantineStatus {
  dir: string;
  /** Records in the directory. */
  frames: number;
  /** The record of the highest seq, or null. */
  last: QuarantineRecord | null;
}

const RECORD_RE = /^(\d{16})\.json$/;
const name = (seq: number) => String(seq).padStart(16, '0');

export class Quarantine {
  private constructor(
    readonly dir: string,
    private readonly records: Map<number, QuarantineRecord>,
  ) {}

  /** Reads the records in `dir` (which need not exist: it is made by the first `add`). */
  static async open(dir: string): Promise<Quarantine> {
    const records = new Map<number, QuarantineRecord>();
    const names = await fs.promises.readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    for (const n of names) {
      if (!RECORD_RE.test(n)) continue;
      try {
        const r = JSON.parse(await fs.promises.readFile(path.join(dir, n), 'utf8')) as QuarantineRecord;
        records.set(r.seq, r);
      } catch {
        // A record that does not parse still names a quarantined frame.
        const seq = Number(RECORD_RE.exec(n)![1]);
        records.set(seq, { seq, kind: 0, reason: 'unreadable quarantine record', at: new Date(0).toISOString(), bytes: 0 });
      }
    }
    return new Quarantine(dir, records);
  }

  has(seq: number): boolean {
    return this.records.has(seq);
  }

  /** Quarantines a frame: its bytes, then its record, both durable when this resolves. Replaces a record of the same seq. */
  async add(frame: { seq: number; kind: number; body: Uint8Array }, reason: string): Promise<QuarantineRecord> {
    const record: QuarantineRecord = { seq: frame.seq, kind: frame.kind, reason, at: new Date().toISOString(), bytes: frame.body.byteLength };
    await fs.promises.mkdir(this.dir, { recursive: true });
    const base = path.join(this.dir, name(frame.seq));
    await writeDurable(`${base}.payload`, frame.body);
    await writeDurable(`${base}.json.tmp`, Buffer.from(`${JSON.stringify(record)}\n`));
    await fs.promises.rename(`${base}.json.tmp`, `${base}.json`);
    const dirFd = await fs.promises.open(this.dir, 'r');
    await dirFd.sync().finally(() => dirFd.close());
    this.records.set(frame.seq, record);
    return record;
  }

  /** Removes a record and its payload (a frame that was quarantined, then proved ingestible). */
  async remove(seq: number): Promise<void> {
    const base = path.join(this.dir, name(seq));
    await fs.promises.rm(`${base}.json`, { force: true });
    await fs.promises.rm(`${base}.payload`, { force: true });
    this.records.delete(seq);
  }

  status(): QuarantineStatus {
    let last: QuarantineRecord | null = null;
    for (const r of this.records.values()) if (!last || r.seq > last.seq) last = r;
    return { dir: this.dir, frames: this.records.size, last: last ? { ...last } : null };
  }
}

async function writeDurable(file: string, bytes: Uint8Array): Promise<void> {
  const fd = await fs.promises.open(file, 'w');
  try {
    await fd.writeFile(bytes);
    await fd.datasync();
  } finally {
    await fd.close();
  }
}
