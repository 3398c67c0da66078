import { Worker } from 'node:worker_threads';
import {
  MemoryApiError,
  PoisonFramesError,
  StoreError,
  toFacts,
  type AuditRequest,
  type AuditResponse,
  type Checkpoint,
  type CommitResult,
  type DecodedTraces,
  type FrameRange,
  type FrameSink,
  type MemoryStore,
  type QueryRequest,
  type QueryResponse,
  type Redactor,
  type RetentionOptions,
  type RetentionPolicy,
  type RetentionResult,
  type Row,
  type SpoolFrame,
  type StoreStats,
  type UpsertOptions,
  type UpsertRequest,
  type UpsertResponse,
} from '@govern/memory-store';
import { packFacts, type PackedFacts } from './packed.js';

/**
 * What memoryd needs of its store, wherever it runs: the MemoryStore itself
 * (in this thread), or {@link StoreThread} (a worker thread).
 */
export type MemorydStore = Pick<MemoryStore, 'file' | 'checkpoint' | 'all' | 'query' | 'upsert' | 'auditLog' | 'retention' | 'stats' | 'close'>;

/**
 * A frame as a commit names it: by seq when it was staged (its facts were sent
 * ahead, packed), or with its bytes when it was recovered from the spool
 * (decoded, redacted and made into facts at commit).
 */
export interface WorkerFrame {
  seq: number;
  kind: number;
  body?: Uint8Array;
}

/** Messages to the worker. */
export type StoreCall =
  | { op: 'open'; db: string; redactKeys: string[] }
  | { op: 'stage'; seq: number; facts: PackedFacts }
  | { op: 'commit'; frames: WorkerFrame[]; range: FrameRange }
  | { op: 'maintain' }
  | { op: 'all'; sql: string; params?: (string | number | boolean | bigint | null)[] }
  | { op: 'query'; req: QueryRequest; nowNs: bigint }
  | { op: 'upsert'; req: UpsertRequest; nowNs: bigint }
  | { op: 'auditLog'; req: AuditRequest; nowNs: bigint }
  | { op: 'retention'; policy: RetentionPolicy; opts: Omit<RetentionOptions, 'onCheckpoint'> }
  | { op: 'stats' }
  | { op: 'close' };

/** An error as it crosses the thread boundary (structured clone keeps neither class nor fields). */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
  status?: number;
}

/** Replies from the worker. `redacted`: values the worker's redactor replaced during the call. `checkpoint`: after a commit or open. */
export type StoreReply = { id: number; redacted: number; checkpoint?: Checkpoint } & ({ ok: true; value: unknown } | { ok: false; error: WireError });

/** workerData that makes memoryd's bundle run as the store worker. */
export const STORE_WORKER_DATA = { memorydStoreWorker: 1 } as const;

export function toWireError(err: unknown): WireError {
  const e = err as Partial<MemoryApiError> & Error;
  return {
    name: e?.name ?? 'Error',
    message: e?.message ?? String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(e instanceof MemoryApiError ? { details: e.details, status: e.status } : {}),
    ...(e instanceof PoisonFramesError ? { details: { frames: e.frames } } : {}),
  };
}

function fromWireError(w: WireError): Error {
  if (w.name === 'MemoryApiError') return new MemoryApiError(w.code!, w.message, w.details, w.status);
  if (w.name === 'StoreError') return new StoreError(w.code as StoreError['code'], w.message);
  if (w.name === 'PoisonFramesError') return new PoisonFramesError((w.details as { frames: PoisonFramesError['frames'] }).frames);
  const err = new Error(w.message);
  err.name = w.name;
  return err;
}

/**
 * The memory store in a worker thread. memoryd's main thread receives,
 * decodes, redacts and spools; the worker decodes each committed frame again,
 * makes its facts and appends them. The DuckDB appender is synchronous, and
 * in one thread it and the receiver took turns: in two, they overlap (see
 * docs/benchmarks-memory.md). Frames cross as bytes (a copy of each spooled
 * payload: cheaper than cloning its rows, which is what an earlier attempt
 * sent and which cost more than it saved).
 *
 * The DuckDB instance lives in the worker only: it is still one process and
 * one instance owning the file. The worker starts each call as it arrives and
 * the store's own queues order them (duckdb.ts): ingest batches on the two
 * write connections, queries on the read connection while ingest commits,
 * anything else alone. If the worker dies, every pending and later call fails
 * and `onCrash` is told (memoryd exits; the spool keeps what was
 * acknowledged).
 */
export class StoreThread implements MemorydStore, FrameSink<WorkerFrame> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private cp: Checkpoint = { lastSeq: 0, batches: 0, spans: 0, events: 0 };
  private dead: Error | null = null;
  private closing = false;

  private constructor(
    private readonly worker: Worker,
    readonly file: string,
    private readonly redactor: Redactor,
  ) {}

  /** Starts the worker from `script` (memoryd's bundle) and opens the database there. */
  static async open(script: string, db: string, redactor: Redactor, onCrash: (err: Error) => void): Promise<StoreThread> {
    const worker = new Worker(script, { workerData: STORE_WORKER_DATA, stdout: false, stderr: false });
    const t = new StoreThread(worker, db, redactor);
    worker.on('message', (m: StoreReply) => t.reply(m));
    const fail = (err: Error) => {
      if (t.dead) return;
      t.dead = err;
      for (const p of t.pending.values()) p.reject(err);
      t.pending.clear();
      if (!t.closing) onCrash(err);
    };
    worker.on('error', (err) => fail(new StoreError('closed', `the store worker failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new StoreError('closed', `the store worker exited (${code})`)));
    try {
      await t.call({ op: 'open', db, redactKeys: [...redactor.keys] });
    } catch (err) {
      t.closing = true;
      await worker.terminate();
      throw err;
    }
    return t;
  }

  checkpoint(): Checkpoint {
    return { ...this.cp };
  }

  /**
   * A fresh frame's facts are made here, from the spans the receiver decoded
   * and redacted, and go to the worker at once, packed (packed.ts); the queue
   * keeps only the seq. A recovered frame's bytes wait in the queue and go
   * with the commit (so a large spool is not decoded all at once), to be
   * decoded, redacted and made into facts in the worker; its spans are
   * counted then.
   */
  prepare(frame: SpoolFrame<DecodedTraces>): { item: WorkerFrame; spans: number } {
    if (!frame.meta) return { item: { seq: frame.seq, kind: frame.kind, body: frame.body }, spans: 0 };
    if (!this.dead) {
      const { packed, transfer } = packFacts(toFacts(frame.meta.resourceSpans));
      this.worker.postMessage({ id: 0, op: 'stage', seq: frame.seq, facts: packed }, transfer);
    }
    return { item: { seq: frame.seq, kind: frame.kind }, spans: frame.meta.spans };
  }

  commit(frames: WorkerFrame[], range: FrameRange): Promise<CommitResult> {
    return this.call({ op: 'commit', frames, range }) as Promise<CommitResult>;
  }

  maintain(): Promise<boolean> {
    return this.call({ op: 'maintain' }) as Promise<boolean>;
  }

  all(sql: string, params?: (string | number | boolean | bigint | null)[]): Promise<Row[]> {
    return this.call({ op: 'all', sql, ...(params ? { params } : {}) }) as Promise<Row[]>;
  }

  query(req: QueryRequest, nowNs: bigint): Promise<QueryResponse> {
    return this.call({ op: 'query', req, nowNs }) as Promise<QueryResponse>;
  }

  /** The worker redacts with its own redactor (same keys); `opts.redactor` is not sent. */
  upsert(req: UpsertRequest, opts: UpsertOptions): Promise<UpsertResponse> {
    return this.call({ op: 'upsert', req, nowNs: opts.nowNs }) as Promise<UpsertResponse>;
  }

  auditLog(req: AuditRequest, nowNs: bigint): Promise<AuditResponse> {
    return this.call({ op: 'auditLog', req, nowNs }) as Promise<AuditResponse>;
  }

  retention(policy: RetentionPolicy, opts: Omit<RetentionOptions, 'onCheckpoint'>): Promise<RetentionResult> {
    return this.call({ op: 'retention', policy, opts }) as Promise<RetentionResult>;
  }

  stats(): Promise<StoreStats> {
    return this.call({ op: 'stats' }) as Promise<StoreStats>;
  }

  /** Checkpoints and closes the database in the worker, then ends the worker. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      if (!this.dead) await this.call({ op: 'close' });
    } finally {
      await this.worker.terminate();
    }
  }

  private call(msg: StoreCall): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...msg });
    });
  }

  private reply(m: StoreReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    // The health report counts every value redacted, in either thread.
    this.redactor.replaced += m.redacted;
    if (m.checkpoint) this.cp = m.checkpoint;
    if (m.ok) p.resolve(m.value);
    else p.reject(fromWireError(m.error));
  }
}
