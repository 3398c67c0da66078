import { StoreError } from './duckdb.js';
import { emptyBatch, toFacts, type FactBatch } from './facts.js';
import type { DecodedTraces } from './model.js';
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
 */
export interface FrameSink<P = unknown> {
  checkpoint(): Checkpoint;
  /**
   * What the queue keeps for a frame, and its span count. `frame.meta` is the
   * decoded payload of a fresh frame; a recovered one has only its bytes (and
   * `spans` may then be 0 until it is committed). `error`: the frame's bytes
   * no longer decode; its spans are skipped (the item must still commit).
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
      let error: string | undefined;
      if (!decoded) {
        try {
          decoded = decode(frame.kind, frame.body);
        } catch (err) {
          // It decoded when it was received; a decoder that changed since must not block ingest.
          error = `frame ${frame.seq} no longer decodes: ${(err as Error).message}; its spans are skipped`;
          decoded = { resourceSpans: [], spans: 0, rejected: 0, errors: [] };
        }
      }
      return { item: toFacts(decoded.resourceSpans), spans: decoded.spans, ...(error ? { error } : {}) };
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
  /** Spans per batch at most (a frame is never split). Default 20,000. */
  maxBatchSpans?: number;
  /** Queued, uncommitted spans above which `accepting` answers false. Default 200,000. */
  maxQueuedSpans?: number;
  segmentBytes?: number;
  /** After each committed batch (for logs and figures). */
  onCommit?: (r: CommitResult & { ms: number }) => void;
  /** A batch that failed to commit (it stays queued and is retried). */
  onError?: (err: Error) => void;
}

export interface IngestStatus {
  /** Frames and spans acknowledged since start. */
  received: { frames: number; spans: number };
  /** Uncommitted frames and spans in the queue. */
  queued: { frames: number; spans: number };
  checkpoint: Checkpoint;
  recovered: { frames: number; droppedBytes: number };
  dedupeBatches: number;
  lastError: string | null;
  /** Wall-clock ms when the oldest uncommitted frame was acknowledged (or recovered); null when none is queued. The ingest lag is now minus this. */
  oldestQueuedAt: number | null;
}

interface Queued {
  seq: number;
  kind: number;
  /** The payload of a recovered frame, until it is prepared. */
  body: Buffer | null;
  prepared: { item: unknown } | null;
  spans: number;
  /** Wall-clock ms when it was queued. */
  at: number;
}

/** Raised by `submit` when the queue is full: the receiver answers 503 so the exporter retries. */
export class BackpressureError extends Error {
  readonly code = 'backpressure';
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
  private recovered = { frames: 0, droppedBytes: 0 };
  private readonly sink: FrameSink;

  private constructor(private readonly opts: IngestorOptions) {
    this.sink = 'sink' in opts ? opts.sink : factSink(opts.store, opts.decode);
  }

  /** Opens the spool, queues what it recovered, and starts the loop. */
  static async start(opts: IngestorOptions): Promise<Ingestor> {
    const ing = new Ingestor(opts);
    const afterSeq = ing.sink.checkpoint().lastSeq;
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
    }
    ing.recovered = { frames: recovered.frames.length, droppedBytes: recovered.droppedBytes };
    ing.enqueue(recovered.frames as SpoolFrame<DecodedTraces>[]); // no meta: decoded when batched
    await spool.release(afterSeq);
    ing.loopDone = ing.loop();
    return ing;
  }

  /** False while the queue holds more than `maxQueuedSpans`: refuse new payloads (the sender retries). */
  get accepting(): boolean {
    return !this.stopping && this.queuedSpans < (this.opts.maxQueuedSpans ?? 200_000);
  }

  /** Makes a decoded payload durable and queues it; resolves with its seq once acknowledged-safe. */
  async submit(kind: number, body: Buffer, decoded: DecodedTraces): Promise<number> {
    if (!this.accepting) throw new BackpressureError(this.stopping ? 'memoryd is stopping' : 'ingest queue is full');
    return this.spool.append(kind, body, decoded);
  }

  status(): IngestStatus {
    return {
      received: { ...this.received },
      queued: { frames: this.queue.length, spans: this.queuedSpans },
      checkpoint: this.sink.checkpoint(),
      recovered: { ...this.recovered },
      dedupeBatches: this.dedupeBatches,
      lastError: this.lastError,
      oldestQueuedAt: this.queue[0]?.at ?? null,
    };
  }

  /** Resolves when everything queued so far is committed. */
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

  private enqueue(frames: SpoolFrame<DecodedTraces>[]): void {
    const at = Date.now();
    for (const f of frames) {
      if (f.meta) {
        const p = this.sink.prepare(f);
        this.queue.push({ seq: f.seq, kind: f.kind, body: null, prepared: p, spans: p.spans, at });
        this.queuedSpans += p.spans;
        this.received.frames++;
        this.received.spans += f.meta.spans;
      } else this.queue.push({ seq: f.seq, kind: f.kind, body: f.body, prepared: null, spans: 0, at });
    }
    this.wake?.();
  }

  private async loop(): Promise<void> {
    let backoff = 100;
    // Batches handed to the sink and not yet settled, oldest first, and how many frames
    // at the head of the queue they hold.
    const inflight: { take: Queued[]; result: Promise<CommitResult>; t0: number }[] = [];
    let taken = 0;
    for (;;) {
      // Up to two batches in flight: the store appends the next while the previous commits.
      // The second waits for a quarter of maxBatchSpans behind the first: a batch of a few
      // frames would add a COMMIT's fixed cost without enough appends to overlap it with.
      while (inflight.length < 2 && this.queue.length > taken && (inflight.length === 0 || this.untakenSpans(taken) >= this.maxBatchSpans / 4)) {
        const take = this.takeBatch(taken);
        taken += take.length;
        const result = this.sink.commit(
          take.map((q) => q.prepared!.item),
          { firstSeq: take[0]!.seq, lastSeq: take.at(-1)!.seq },
        );
        result.catch(() => undefined); // settled below, in order
        inflight.push({ take, result, t0: performance.now() });
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
        this.lastError = r.skipped?.length ? r.skipped.join('; ') : null;
        backoff = 100;
        this.opts.onCommit?.({ ...r, ms: performance.now() - head.t0 });
        await this.spool.release(head.take.at(-1)!.seq);
      } catch (err) {
        // Not committed, and neither is the batch after it (the store commits a batch only
        // after the one before it): all stay queued, and a transient failure (disk full, …)
        // is retried from the head.
        await Promise.allSettled(inflight.map((b) => b.result));
        inflight.length = 0;
        taken = 0;
        this.lastError = (err as Error).message;
        this.opts.onError?.(err as Error);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
        // Stopping: what is not committed stays in the spool for the next start.
        if (this.stopping) return;
      }
    }
  }

  private get maxBatchSpans(): number {
    return this.opts.maxBatchSpans ?? 20_000;
  }

  /** Spans queued from index `from` on (recovered frames not yet prepared count 0). */
  private untakenSpans(from: number): number {
    let n = 0;
    for (let i = from; i < this.queue.length; i++) n += this.queue[i]!.spans;
    return n;
  }

  /** Whole frames of the queue from index `from`, up to maxBatchSpans spans (at least one frame). Prepares recovered ones. */
  private takeBatch(from: number): Queued[] {
    const max = this.maxBatchSpans;
    const out: Queued[] = [];
    let spans = 0;
    for (let i = from; i < this.queue.length; i++) {
      const q = this.queue[i]!;
      if (!q.prepared) {
        const p = this.sink.prepare({ seq: q.seq, kind: q.kind, body: q.body! });
        if (p.error) this.lastError = p.error;
        q.prepared = p;
        q.body = null;
        q.spans = p.spans;
        this.queuedSpans += q.spans;
      }
      if (out.length && spans + q.spans > max) break;
      out.push(q);
      spans += q.spans;
    }
    return out;
  }
}
