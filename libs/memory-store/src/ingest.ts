import path from 'node:path';
import { GovernError } from '@govern/errors';
import { StoreError } from './db.js';
import { emptyBatch, toFacts, type FactBatch } from './facts.js';
import type { DecodedTraces } from './model.js';
import { Quarantine, type QuarantineRecord, type QuarantineStatus } from './quarantine.js';
import { Spool, type SpoolFrame } from './spool.js';
import type { Checkpoint, CommitResult, FrameRange } from './store.js';

/** Where batches of facts go when the store is in this thread: the MemoryStore itself. */
export interface FactSink {
  checkpoint(): Checkpoint;
  commit(batch: FactBatch, frames: FrameRange): Promise<CommitResult>;
  /** Housekeeping when ingest is idle. */
  maintain(): Promise<boolean>;
}

/**
 * Where queued frames go, in general: `prepare` turns a durable frame into what
 * the queue keeps until its commit, and `commit` takes those for a batch of
 * whole frames. For a store in this thread ({@link factSink}) that is the
 * frame's facts, made at once so the decoded spans die young; for a store in
 * another thread (memoryd's StoreThread) it is the frame's seq, its facts
 * having been sent ahead, or a recovered frame's bytes, decoded there.
 *
 * A frame that can never be ingested is quarantined (quarantine.ts) and the
 * checkpoint moves past it: `prepare` says so with `error` (or by throwing),
 * `commit` by rejecting with {@link PoisonFramesError} before it writes
 * anything. `commit` is then called again for the same range without them:
 * `items` holds the items of the range's other frames only.
 */
export interface FrameSink<P = unknown> {
  checkpoint(): Checkpoint;
  /**
   * What the queue keeps for a frame, and its span count. `frame.meta` is the
   * decoded payload of a fresh frame; a recovered one has only its bytes (and
   * `spans` may then be 0 until it is committed). `error`: the frame can never be
   * ingested (its bytes do not decode): it is quarantined and `item` is not used.
   */
  prepare(frame: SpoolFrame<DecodedTraces>): { item: P; spans: number; error?: string };
  commit(items: P[], frames: FrameRange): Promise<CommitResult>;
  /** Housekeeping when ingest is idle. */
  maintain(): Promise<boolean>;
}

/** A {@link FrameSink} over a store in this thread: facts are made when a frame is prepared. */
export function factSink(store: FactSink, decode: (kind: number, body: Buffer) => DecodedTraces): FrameSink<FactBatch> {
  return {
    checkpoint: () => store.checkpoint(),
    maintain: () => store.maintain(),
    prepare(frame) {
      let decoded = frame.meta;
      if (!decoded) {
        try {
          decoded = decode(frame.kind, frame.body);
        } catch (err) {
          // It decoded when it was received; whatever changed since must not block ingest.
          return { item: emptyBatch(), spans: 0, error: `frame ${frame.seq} does not decode: ${messageOf(err)}` };
        }
      }
      return { item: toFacts(decoded.resourceSpans), spans: decoded.spans };
    },
    commit(items, frames) {
      if (items.length === 1) return store.commit(items[0]!, frames);
      const batch = emptyBatch();
      for (const f of items) {
        for (const t of f.tasks) batch.tasks.push(t);
        for (const e of f.events) batch.events.push(e);
        for (const [k, r] of f.resources) batch.resources.set(k, r);
      }
      return store.commit(batch, frames);
    },
  };
}

/** An error's message, whatever was thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Raised by `submit` when the payload was made durable (it has a seq) but its facts
 * cannot be made: it can never be ingested, so the receiver answers 400 (retrying
 * the same bytes fails the same way). The frame is quarantined and ingest moves past it.
 */
export class PoisonFrameError extends GovernError<'poison-frame'> {
  constructor(
    readonly seq: number,
    readonly reason: string,
  ) {
    super('poison-frame', reason, { details: { seq, reason } });
  }
}

/**
 * Raised by a {@link FrameSink}'s `commit`, before anything is written, for the frames
 * of the batch it cannot make facts of (their bytes do not decode, or making their
 * facts threw): the ingest loop quarantines them and commits the range without them.
 */
export class PoisonFramesError extends GovernError<'poison-frames'> {
  constructor(readonly frames: { seq: number; reason: string }[]) {
    super('poison-frames', frames.map((f) => f.reason).join('; '), { details: { frames } });
  }
}

/** A batch of several frames that failed this many times in a row is retried one frame at a time. */
export const ISOLATE_AFTER_FAILURES = 2;
/**
 * A batch of one frame that failed this many times in a row makes the frame suspect:
 * it is quarantined and the batch is committed without it. If that commit fails too,
 * the store is at fault, not the frame: it is taken back out of the quarantine.
 */
export const SUSPECT_AFTER_FAILURES = 3;

/**
 * The checkpointed ingest loop.
 *
 * 1. `submit` appends the payload to the spool and waits for fdatasync: only
 *    then is the sender acknowledged.
 * 2. The durable frame's facts are materialized at once and join the
 *    in-memory queue (so the decoded spans are short-lived garbage: only the
 *    rows wait for the commit).
 * 3. The loop takes whole frames, up to `maxBatchSpans` spans, and commits
 *    their rows + the checkpoint (the batch's last seq) in one DuckDB
 *    transaction (MemoryStore.commit). It hands over the next batch while one
 *    is committing (two in flight at most; the store commits them in order).
 * 4. Spool segments at or below the checkpoint are deleted.
 *
 * On start, frames after the checkpoint are read back from the spool and
 * queued first. So a process killed anywhere — before the ack, mid-batch,
 * between COMMIT and the spool cleanup — restarts with every acknowledged
 * payload either committed (its seq at or below the checkpoint) or queued
 * again, never both.
 *
 * A frame that can never be ingested does not stop the loop: it is written to
 * the quarantine (`<spool>/quarantine/`, quarantine.ts) and committed past
 * without rows, so the checkpoint stays contiguous. That is a fresh frame whose
 * facts cannot be made (`submit` then rejects with {@link PoisonFrameError}), a
 * recovered frame that no longer decodes, a frame the sink refuses
 * ({@link PoisonFramesError}), and a frame every batch holding it fails to
 * commit while the batch without it commits ({@link SUSPECT_AFTER_FAILURES}).
 * Its record is durable before the batch that passes its seq is handed over; a
 * record of a frame still in the spool at start (the batch never committed) is
 * dropped, and the frame judged again.
 */
export type IngestorOptions = IngestorCommon &
  (
    | {
        store: FactSink;
        /** Decodes a recovered frame's payload (the same decoder the receiver used). */
        decode: (kind: number, body: Buffer) => DecodedTraces;
      }
    | { sink: FrameSink }
  );

interface IngestorCommon {
  spoolDir: string;
  /** Where frames that can never be ingested go. Default `<spoolDir>/quarantine`. */
  quarantineDir?: string;
  /** Spans per batch at most (a frame is never split). Default 20,000. */
  maxBatchSpans?: number;
  /** Queued, uncommitted spans above which `accepting` answers false. Default 200,000. */
  maxQueuedSpans?: number;
  segmentBytes?: number;
  /** After each committed batch (for logs and figures). */
  onCommit?: (r: CommitResult & { ms: number }) => void;
  /** A batch that failed to commit (it stays queued and is retried). */
  onError?: (err: Error) => void;
  /** A frame was quarantined (its record is durable; the checkpoint will move past it). */
  onQuarantine?: (record: QuarantineRecord) => void;
}

export interface IngestStatus {
  /** Frames and spans acknowledged since start. */
  received: { frames: number; spans: number };
  /** Uncommitted frames and spans in the queue. */
  queued: { frames: number; spans: number };
  /** The queued spans at which payloads are refused (`maxQueuedSpans`). */
  maxQueuedSpans: number;
  checkpoint: Checkpoint;
  recovered: { frames: number; droppedBytes: number };
  dedupeBatches: number;
  lastError: string | null;
  /** Wall-clock ms when the oldest uncommitted frame was acknowledged (or recovered); null when none is queued. The ingest lag is now minus this. */
  oldestQueuedAt: number | null;
  /** Frames that can never be ingested, kept aside. */
  quarantine: QuarantineStatus;
}

interface Queued {
  seq: number;
  kind: number;
  /** The payload of a recovered frame until it is prepared; of a poison frame until it is quarantined. */
  body: Buffer | null;
  prepared: { item: unknown } | null;
  spans: number;
  /** Wall-clock ms when it was queued. */
  at: number;
  /** Why it can never be ingested: it is quarantined and committed past without rows. */
  poison: string | null;
  /** Its quarantine record is durable. */
  quarantined: boolean;
  /** Poisoned for failing its commits, not for its content: taken back if the batch without it fails too. */
  suspect: boolean;
}

/** Raised by `submit` when the queue is full: the receiver answers 503 so the exporter retries. */
export class BackpressureError extends GovernError<'backpressure'> {
  constructor(message: string) {
    super('backpressure', message);
  }
}

export class Ingestor {
  private queue: Queued[] = [];
  private queuedSpans = 0;
  private wake: (() => void) | null = null;
  private idleWaiters: (() => void)[] = [];
  private busy = false;
  private stopping = false;
  private loopDone: Promise<void> = Promise.resolve();
  private received = { frames: 0, spans: 0 };
  private dedupeBatches = 0;
  private lastError: string | null = null;
  private spool!: Spool<DecodedTraces>;
  private quarantine!: Quarantine;
  private recovered = { frames: 0, droppedBytes: 0 };
  private readonly sink: FrameSink;
  /** Fresh frames found poison when they became durable, until `submit` tells their sender. */
  private readonly refused = new Map<number, string>();
  /** Consecutive failures of the same batch (same first seq and size). */
  private failures = 0;
  private failing: string | null = null;
  /** While set, batches are of one frame, one in flight, up to this seq (a failing batch is searched for its poison frame). */
  private isolateThrough: number | null = null;
  /** A suspect's batch failed without it: the store is failing, not a frame. Nothing is suspected until a batch commits. */
  private storeFailing = false;

  private constructor(private readonly opts: IngestorOptions) {
    this.sink = 'sink' in opts ? opts.sink : factSink(opts.store, opts.decode);
  }

  /** Opens the spool and the quarantine, queues what the spool recovered, and starts the loop. */
  static async start(opts: IngestorOptions): Promise<Ingestor> {
    const ing = new Ingestor(opts);
    const afterSeq = ing.sink.checkpoint().lastSeq;
    ing.quarantine = await Quarantine.open(opts.quarantineDir ?? path.join(opts.spoolDir, 'quarantine'));
    const { spool, recovered } = await Spool.open<DecodedTraces>(opts.spoolDir, {
      afterSeq,
      ...(opts.segmentBytes ? { segmentBytes: opts.segmentBytes } : {}),
      onDurable: (frames) => ing.enqueue(frames),
    });
    ing.spool = spool;
    let expect = afterSeq + 1;
    for (const f of recovered.frames) {
      if (f.seq !== expect) {
        await spool.close();
        throw new StoreError('checkpoint', `spool ${opts.spoolDir} lacks frames ${expect}..${f.seq - 1} after checkpoint ${afterSeq} (a segment was removed or damaged)`);
      }
      expect++;
      // Quarantined, but the batch passing it never committed: judged again.
      if (ing.quarantine.has(f.seq)) await ing.quarantine.remove(f.seq);
    }
    ing.recovered = { frames: recovered.frames.length, droppedBytes: recovered.droppedBytes };
    ing.enqueue(recovered.frames as SpoolFrame<DecodedTraces>[]); // no meta: decoded when batched
    await spool.release(afterSeq);
    ing.loopDone = ing.loop();
    return ing;
  }

  /** False while the queue holds more than `maxQueuedSpans`: refuse new payloads (the sender retries). */
  get accepting(): boolean {
    return !this.stopping && this.queuedSpans < this.maxQueuedSpans;
  }

  /**
   * Makes a decoded payload durable and queues it; resolves with its seq once
   * acknowledged-safe. Rejects with {@link BackpressureError} (not written; retry) or
   * the spool's error (not written; retry), or with {@link PoisonFrameError} (written,
   * but its facts cannot be made: never retry; it is quarantined).
   */
  async submit(kind: number, body: Buffer, decoded: DecodedTraces): Promise<number> {
    if (!this.accepting) throw new BackpressureError(this.stopping ? 'memoryd is stopping' : 'ingest queue is full');
    const seq = await this.spool.append(kind, body, decoded);
    const poison = this.refused.get(seq);
    if (poison !== undefined) {
      this.refused.delete(seq);
      throw new PoisonFrameError(seq, poison);
    }
    return seq;
  }

  status(): IngestStatus {
    return {
      received: { ...this.received },
      queued: { frames: this.queue.length, spans: this.queuedSpans },
      maxQueuedSpans: this.maxQueuedSpans,
      checkpoint: this.sink.checkpoint(),
      recovered: { ...this.recovered },
      dedupeBatches: this.dedupeBatches,
      lastError: this.lastError,
      oldestQueuedAt: this.queue[0]?.at ?? null,
      quarantine: this.quarantine.status(),
    };
  }

  /** Resolves when everything queued so far is committed (or quarantined and committed past). */
  idle(): Promise<void> {
    if (!this.queue.length && !this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting, commits what is queued, closes the spool. The store stays open (its owner closes it). */
  async close(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loopDone;
    await this.spool.close();
  }

  /** The spool's onDurable: never throws (the frames are on disk with their seqs whatever happens here). */
  private enqueue(frames: SpoolFrame<DecodedTraces>[]): void {
    const at = Date.now();
    for (const f of frames) {
      const q: Queued = { seq: f.seq, kind: f.kind, body: null, prepared: null, spans: 0, at, poison: null, quarantined: false, suspect: false };
      if (f.meta) {
        try {
          const p = this.sink.prepare(f);
          if (p.error !== undefined) q.poison = p.error;
          else {
            q.prepared = p;
            q.spans = p.spans;
          }
        } catch (err) {
          q.poison = `frame ${f.seq}: its facts cannot be made: ${messageOf(err)}`;
        }
        if (q.poison !== null) {
          // Refused (400), quarantined, committed past.
          q.body = f.body;
          this.refused.set(f.seq, q.poison);
        } else {
          this.queuedSpans += q.spans;
          this.received.frames++;
          this.received.spans += f.meta.spans;
        }
      } else q.body = f.body;
      this.queue.push(q);
    }
    this.wake?.();
  }

  private async loop(): Promise<void> {
    let backoff = 100;
    // Batches handed to the sink and not yet settled, oldest first, and how many frames
    // at the head of the queue they hold.
    const inflight: { take: Queued[]; result: Promise<CommitResult>; t0: number }[] = [];
    let taken = 0;
    const pause = async () => {
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 5000);
    };
    for (;;) {
      // Up to two batches in flight: the store appends the next while the previous commits.
      // The second waits for a quarter of maxBatchSpans behind the first: a batch of a few
      // frames would add a COMMIT's fixed cost without enough appends to overlap it with.
      // One at a time while a failing batch is searched for its poison frame.
      let blocked: unknown = null;
      while (
        inflight.length < (this.isolateThrough === null ? 2 : 1) &&
        this.queue.length > taken &&
        (inflight.length === 0 || this.untakenSpans(taken) >= this.maxBatchSpans / 4)
      ) {
        const take = this.takeBatch(taken);
        const unrecorded = take.filter((q) => q.poison !== null && !q.quarantined);
        if (unrecorded.length) {
          // Their records are made durable before a batch passing them is handed over
          // (with nothing in flight, so also before any later one).
          if (inflight.length) break;
          try {
            await this.quarantineFrames(unrecorded);
          } catch (err) {
            blocked = err;
            break;
          }
        }
        taken += take.length;
        const result = this.sink.commit(
          take.filter((q) => q.poison === null).map((q) => q.prepared!.item),
          { firstSeq: take[0]!.seq, lastSeq: take.at(-1)!.seq },
        );
        result.catch(() => undefined); // settled below, in order
        inflight.push({ take, result, t0: performance.now() });
      }
      if (blocked !== null && !inflight.length) {
        // The quarantine could not be written (disk full, …): the frame stays in the spool, retried.
        const err = new Error(`quarantine not written (will retry): ${messageOf(blocked)}`);
        this.lastError = err.message;
        this.opts.onError?.(err);
        if (this.stopping) return;
        await pause();
        continue;
      }
      this.busy = inflight.length > 0;
      if (!inflight.length) {
        for (const w of this.idleWaiters.splice(0)) w();
        if (this.stopping) return;
        // Idle: a good moment for the store's housekeeping (a CHECKPOINT), not during a burst.
        await this.sink.maintain().catch((err: Error) => this.opts.onError?.(err));
        if (this.queue.length || this.stopping) continue;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      const head = inflight[0]!;
      const settled = head.result.then(
        () => true,
        () => true,
      );
      // With one batch in flight, new frames wake the loop to hand over the next one.
      const woken = inflight.length < 2 ? await Promise.race([settled, new Promise<false>((resolve) => (this.wake = () => resolve(false)))]) : await settled;
      this.wake = null;
      if (!woken) continue;
      try {
        const r = await head.result;
        inflight.shift();
        taken -= head.take.length;
        this.queue.splice(0, head.take.length);
        for (const q of head.take) this.queuedSpans -= q.spans;
        if (r.path === 'dedupe') this.dedupeBatches++;
        const passed = head.take.filter((q) => q.poison !== null);
        this.lastError = passed.length ? passed.map((q) => `quarantined: ${q.poison}`).join('; ') : null;
        this.failures = 0;
        this.failing = null;
        this.storeFailing = false;
        if (this.isolateThrough !== null && head.take.at(-1)!.seq >= this.isolateThrough) this.isolateThrough = null;
        backoff = 100;
        this.opts.onCommit?.({ ...r, ms: performance.now() - head.t0 });
        await this.spool.release(head.take.at(-1)!.seq);
      } catch (err) {
        // Not committed, and neither is the batch after it (the store commits a batch only
        // after the one before it): all stay queued, and a transient failure (disk full, …)
        // is retried from the head.
        const results = await Promise.allSettled(inflight.map((b) => b.result));
        inflight.length = 0;
        taken = 0;
        // Frames the sink cannot make facts of: quarantined, and the batch retried without them at once.
        let poisoned = 0;
        for (const res of results) {
          if (res.status !== 'rejected' || !(res.reason instanceof PoisonFramesError)) continue;
          for (const p of res.reason.frames) {
            const q = this.queue.find((x) => x.seq === p.seq);
            if (q && q.poison === null) {
              q.poison = p.reason;
              poisoned++;
            }
          }
        }
        if (poisoned) continue;
        const retryNow = await this.judge(head.take, err);
        this.lastError = messageOf(err);
        this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
        // Stopping: what is not committed stays in the spool for the next start.
        if (this.stopping) return;
        // The backoff is for trying the same batch again; another batch is tried at once.
        if (this.failures === 1) backoff = 100;
        if (!retryNow) await pause();
      }
    }
  }

  /**
   * After a batch failed: a batch of several frames failing again is retried one frame at
   * a time; a frame failing alone again and again is suspected (quarantined, and the
   * batch committed without it); a suspect whose batch without it failed too is cleared.
   * True when the next attempt is another batch (tried without waiting).
   */
  private async judge(take: Queued[], err: unknown): Promise<boolean> {
    const key = `${take[0]!.seq}:${take.length}`;
    this.failures = this.failing === key ? this.failures + 1 : 1;
    this.failing = key;
    const only = take.length === 1 ? take[0]! : null;
    if (only?.suspect) {
      // The batch without it failed as well: the store is at fault, not the frame.
      only.poison = null;
      only.suspect = false;
      only.quarantined = false;
      this.storeFailing = true;
      await this.quarantine.remove(only.seq).catch((e: unknown) => this.opts.onError?.(new Error(`quarantine record ${only.seq} not removed: ${messageOf(e)}`)));
      return false;
    }
    if (this.storeFailing) return false;
    if (only && only.poison === null && this.failures >= SUSPECT_AFTER_FAILURES) {
      only.poison = `frame ${only.seq} did not commit in ${this.failures} attempts on its own: ${messageOf(err)}`;
      only.suspect = true;
      this.isolateThrough = Math.max(this.isolateThrough ?? 0, only.seq);
      return true;
    }
    if (take.length > 1 && this.failures >= ISOLATE_AFTER_FAILURES) {
      this.isolateThrough = Math.max(this.isolateThrough ?? 0, take.at(-1)!.seq);
      return true;
    }
    return false;
  }

  /** Writes the quarantine records of poison frames (their bytes from the queue, else from the spool). */
  private async quarantineFrames(frames: Queued[]): Promise<void> {
    for (const q of frames) {
      let body: Uint8Array | null = q.body;
      let reason = q.poison!;
      if (!body) {
        body = (await this.spool.read(q.seq))?.body ?? null;
        if (!body) reason += ' (its bytes were not found in the spool)';
      }
      const record = await this.quarantine.add({ seq: q.seq, kind: q.kind, body: body ?? new Uint8Array(0) }, reason);
      q.quarantined = true;
      q.body = null;
      this.opts.onQuarantine?.(record);
    }
  }

  private get maxBatchSpans(): number {
    return this.opts.maxBatchSpans ?? 20_000;
  }

  private get maxQueuedSpans(): number {
    return this.opts.maxQueuedSpans ?? 200_000;
  }

  /** Spans queued from index `from` on (recovered frames not yet prepared count 0). */
  private untakenSpans(from: number): number {
    let n = 0;
    for (let i = from; i < this.queue.length; i++) n += this.queue[i]!.spans;
    return n;
  }

  /**
   * Whole frames of the queue from index `from`, up to maxBatchSpans spans (at least one
   * frame; one only while isolating). Prepares recovered ones; one that cannot be
   * prepared is poison.
   */
  private takeBatch(from: number): Queued[] {
    const max = this.maxBatchSpans;
    const out: Queued[] = [];
    let spans = 0;
    for (let i = from; i < this.queue.length; i++) {
      const q = this.queue[i]!;
      if (!q.prepared && q.poison === null) {
        try {
          const p = this.sink.prepare({ seq: q.seq, kind: q.kind, body: q.body! });
          if (p.error !== undefined) q.poison = p.error;
          else {
            q.prepared = p;
            q.body = null;
            q.spans = p.spans;
            this.queuedSpans += q.spans;
          }
        } catch (err) {
          q.poison = `frame ${q.seq}: its facts cannot be made: ${messageOf(err)}`;
        }
      }
      if (out.length && (spans + q.spans > max || (this.isolateThrough !== null && out[0]!.seq <= this.isolateThrough))) break;
      out.push(q);
      spans += q.spans;
    }
    return out;
  }
}
