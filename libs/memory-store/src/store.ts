import fs from 'node:fs';
import os from 'node:os';
import { isDuplicateKey, type Conn, type Db, type RowAppender } from '@govern/duckdb';
import { openDuckDb, StoreError } from './db.js';
import { upsertAnnotation, type UpsertOptions } from './annotations.js';
import type { AuditRequest, AuditResponse, RetentionPolicy, RetentionResult, UpsertRequest, UpsertResponse, QueryRequest, QueryResponse } from '@govern/memory-contract';
import { listAudit } from './audit.js';
import type { EventFact, FactBatch, TaskFact } from './facts.js';
import { migrate } from './migrations.js';
import { runQuery } from './primitives.js';
import { applyRetention, type RetentionOptions } from './retention.js';

/** Where ingest stands: the last spool frame committed, and totals. */
export interface Checkpoint {
  lastSeq: number;
  batches: number;
  spans: number;
  events: number;
}

/**
 * DuckDB settings of the store. DuckDB checkpoints (folds the WAL into the file)
 * inside the COMMIT that makes the WAL exceed `checkpoint_threshold` (16 MiB by
 * default): under sustained ingest that stalls a commit every few batches.
 * The threshold is raised, and {@link MemoryStore.maintain} checkpoints at
 * the old size when ingest is idle instead. Nothing about durability changes:
 * a committed transaction is in the fsynced WAL either way.
 *
 * `threads`: DuckDB's pool defaults to one thread per core, but under ingest
 * memoryd's own two threads (receiver, store) are busy too. On the 2-core
 * machine of docs/benchmarks-memory.md, DuckDB's second thread used ~0.5–0.7 s
 * of CPU per 200,000 spans ingested without making ingest faster (the appender
 * and COMMIT run on the calling thread), and the query primitives' p99 did not
 * change with one thread. So one core fewer than the machine has, at least one.
 */
export const STORE_SETTINGS: Record<string, string> = { checkpoint_threshold: '256MiB', threads: String(Math.max(1, os.availableParallelism() - 1)) };
const IDLE_CHECKPOINT_WAL_BYTES = 16 * 2 ** 20;

/** The spool frames a batch covers: `firstSeq` must follow the checkpoint. */
export interface FrameRange {
  firstSeq: number;
  lastSeq: number;
}

export interface CommitResult {
  batchId: number;
  /** `append`: the rows went straight in; `dedupe`: some keys existed, so rows went through a staging table and `INSERT OR IGNORE`. */
  path: 'append' | 'dedupe';
  spansReceived: number;
  spansInserted: number;
  eventsReceived: number;
  eventsInserted: number;
}

/** Sizes of the database, and when this process last committed and checkpointed. */
export interface StoreStats {
  fileBytes: number;
  walBytes: number;
  /** Used blocks × block size: the data, without the free blocks DuckDB reuses. */
  usedBytes: number;
  /** Wall-clock ms of the last committed batch (this process), or null. */
  lastCommitAt: number | null;
  /** Wall-clock ms of the last CHECKPOINT this process ran (idle maintenance, retention), or null. */
  lastCheckpointAt: number | null;
}

/** What a batch holds, as {@link StoreOptions.beforeCommit} is told. */
export interface BatchInfo {
  frames: FrameRange;
  /** Task facts (spans) in the batch; 0 for a batch of frames that were all quarantined. */
  spans: number;
}

export interface StoreOptions {
  /** Called inside each batch's transaction after its rows are appended, before COMMIT (fault injection in tests: throwing fails the batch). */
  beforeCommit?: (batch: BatchInfo) => Promise<void>;
}

/**
 * The memory store: the DuckDB file of facts, opened read-write by one
 * process (memoryd). `commit` writes a batch's rows and its ingest_batches
 * record (the checkpoint is the last of those, migration 4) in one
 * transaction: either both are durable or neither is, and batches commit in
 * order, so a process killed at any point resumes from the checkpoint without
 * losing or repeating a frame.
 */
export class MemoryStore {
  private cp: Checkpoint;
  /** The checkpoint once every batch handed to `commit` so far is committed (ahead of `cp` while batches are in flight). */
  private issued: { lastSeq: number; batches: number };
  /** Settles when the last batch handed to `commit` has committed (rejects if it did not). */
  private tail: Promise<void> = Promise.resolve();
  private nextWriter: 0 | 1 = 0;
  private readonly knownResources = new Set<string>();
  private lastCommitAt: number | null = null;
  private lastCheckpointAt: number | null = null;

  private constructor(
    private readonly db: Db,
    cp: Checkpoint,
    private readonly opts: StoreOptions,
  ) {
    this.cp = cp;
    this.issued = { lastSeq: cp.lastSeq, batches: cp.batches };
  }

  /** Opens (creating and migrating) the database file. */
  static async open(file: string, opts: StoreOptions = {}): Promise<MemoryStore> {
    const db = await openDuckDb(file, STORE_SETTINGS);
    try {
      await migrate(db);
      const store = new MemoryStore(db, await readCheckpoint(db), opts);
      return store;
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }

  get file(): string {
    return this.db.file;
  }

  /** The checkpoint as committed (kept in memory: this process is the only writer). */
  checkpoint(): Checkpoint {
    return { ...this.cp };
  }

  /**
   * Commits a batch and advances the checkpoint to `frames.lastSeq`, in one
   * transaction. Rows whose key exists already (a replayed snapshot, a span
   * sent twice) are skipped: the first stored version stays. Within the batch
   * the first occurrence of a key wins.
   *
   * The next batch may be handed over before this one resolves (it must follow
   * it: `frames.firstSeq` is this one's lastSeq + 1). The two use the two write
   * connections: the next one appends while this one's COMMIT runs (DuckDB
   * writes the WAL on its own thread), then waits for it, and commits only if
   * it committed; if it failed, the next one rolls back and fails too.
   */
  async commit(batch: FactBatch, frames: FrameRange): Promise<CommitResult> {
    if (frames.firstSeq !== this.issued.lastSeq + 1 || frames.lastSeq < frames.firstSeq) {
      throw new StoreError('checkpoint', `batch frames ${frames.firstSeq}..${frames.lastSeq} do not follow checkpoint ${this.issued.lastSeq}`);
    }
    const batchId = this.issued.batches + 1;
    this.issued = { lastSeq: frames.lastSeq, batches: batchId };
    // Marked as known now: the next batch may be issued before this one commits, and it commits only if this one did.
    const newResources = [...batch.resources.values()].filter((r) => !this.knownResources.has(r.resource_key));
    for (const r of newResources) this.knownResources.add(r.resource_key);
    const prev = this.tail;
    const writer = this.nextWriter;
    this.nextWriter = writer === 0 ? 1 : 0;
    const run = this.db.writer(writer, async (c) => {
      const attempt = async (path: CommitResult['path']) => {
        // The dedupe path's staging tables: connection-local (each write connection has its
        // own), never written to the file; created outside the transaction (DDL, once).
        if (path === 'dedupe') {
          await c.run('CREATE TEMP TABLE IF NOT EXISTS stage_task_facts AS SELECT * FROM task_facts LIMIT 0');
          await c.run('CREATE TEMP TABLE IF NOT EXISTS stage_event_facts AS SELECT * FROM event_facts LIMIT 0');
        }
        await c.run('BEGIN TRANSACTION');
        try {
          const r = await this.writeRows(c, path, batch.tasks, batch.events);
          for (const res of newResources) await c.run('INSERT OR IGNORE INTO resources VALUES ($1, $2, $3)', [res.resource_key, res.service_name, res.attributes]);
          // The batch before this one commits first (or this one does not commit at all):
          // the batches in ingest_batches, and so the checkpoint, never have a gap.
          await prev.catch(() => {
            throw new StoreError('checkpoint', `batch ${batchId} not committed: the batch before it failed`);
          });
          // Integers only, so inlined: the batch record and COMMIT go in one round trip (each
          // await waits for a busy event loop). batch_id is the primary key of ingest_batches,
          // so committing a batch twice fails instead of counting it twice.
          const record =
            `INSERT INTO ingest_batches VALUES (${int(batchId)}, ${int(frames.firstSeq)}, ${int(frames.lastSeq)}, ${int(batch.tasks.length)}, ${int(r.spans)}, ` +
            `${int(batch.events.length)}, ${int(r.events)}, '${path}')`;
          if (this.opts.beforeCommit) {
            await c.run(record);
            await this.opts.beforeCommit({ frames, spans: batch.tasks.length });
            await c.run('COMMIT');
          } else await c.run(`${record}; COMMIT`);
          return { batchId, path, spansReceived: batch.tasks.length, spansInserted: r.spans, eventsReceived: batch.events.length, eventsInserted: r.events };
        } catch (err) {
          await c.run('ROLLBACK').catch(() => undefined);
          throw err;
        }
      };
      try {
        return await attempt('append');
      } catch (err) {
        // A key stored already, twice in the batch, or also inserted by the batch committed
        // just before this one on the other connection (then the COMMIT is what fails).
        if (!isDuplicateKey(err)) throw err;
        return attempt('dedupe');
      }
    });
    const settled = run.then(() => undefined);
    settled.catch(() => undefined); // awaited by the next batch, if there is one
    this.tail = settled;
    let result: CommitResult;
    try {
      result = await run;
    } catch (err) {
      // Not committed, and neither is any batch issued after it (each waits for the one before).
      this.issued = { lastSeq: this.cp.lastSeq, batches: this.cp.batches };
      this.tail = Promise.resolve();
      for (const r of newResources) this.knownResources.delete(r.resource_key);
      throw err;
    }
    this.lastCommitAt = Date.now();
    this.cp = { lastSeq: frames.lastSeq, batches: result.batchId, spans: this.cp.spans + result.spansInserted, events: this.cp.events + result.eventsInserted };
    return result;
  }

  /** When ingest is idle: CHECKPOINT if the WAL has grown past 16 MiB. Returns whether it ran. */
  async maintain(): Promise<boolean> {
    let size = 0;
    try {
      size = (await fs.promises.stat(`${this.db.file}.wal`)).size;
    } catch {
      return false; // no WAL: nothing to fold in
    }
    if (size < IDLE_CHECKPOINT_WAL_BYTES) return false;
    await this.db.checkpoint();
    this.lastCheckpointAt = Date.now();
    return true;
  }

  /** Runs a read query on the write connection, queued with ingest (tests, tools). */
  all(sql: string, params?: (string | number | boolean | bigint | null)[]): Promise<Record<string, unknown>[]> {
    return this.db.all(sql, params);
  }

  /** A query primitive, on the read connection, in one snapshot (primitives.ts). */
  query(req: QueryRequest, nowNs: bigint): Promise<QueryResponse> {
    return runQuery(this.db, req, nowNs);
  }

  /** An upsert with its audit record, queued with ingest on the write connection (annotations.ts). */
  upsert(req: UpsertRequest, opts: UpsertOptions): Promise<UpsertResponse> {
    return upsertAnnotation(this.db, req, opts);
  }

  /** Audit records, newest first (audit.ts). */
  auditLog(req: AuditRequest, nowNs: bigint): Promise<AuditResponse> {
    return listAudit(this.db, req, nowNs);
  }

  /** Applies a retention policy now (retention.ts). */
  retention(policy: RetentionPolicy, opts: Omit<RetentionOptions, 'onCheckpoint'>): Promise<RetentionResult> {
    return applyRetention(this.db, policy, { ...opts, onCheckpoint: () => (this.lastCheckpointAt = Date.now()) });
  }

  /** File sizes and the times of the last commit and checkpoint. */
  async stats(): Promise<StoreStats> {
    const stat = async (f: string) => (await fs.promises.stat(f).catch(() => null))?.size ?? 0;
    const [r] = await this.db.read('SELECT used_blocks, block_size FROM pragma_database_size() WHERE database_name = current_database()');
    return {
      fileBytes: await stat(this.db.file),
      walBytes: await stat(`${this.db.file}.wal`),
      usedBytes: r ? Number(r.used_blocks) * Number(r.block_size) : 0,
      lastCommitAt: this.lastCommitAt,
      lastCheckpointAt: this.lastCheckpointAt,
    };
  }

  /** Checkpoints the file and releases it. */
  close(): Promise<void> {
    return this.db.close();
  }

  private async writeRows(c: Conn, path: CommitResult['path'], tasks: readonly TaskFact[], events: readonly EventFact[]): Promise<{ spans: number; events: number }> {
    if (path === 'append') {
      // A key twice in the batch, or one already stored, fails the flush: the dedupe path follows.
      await c.append('task_facts', tasks, writeTask);
      await c.append('event_facts', events, writeEvent);
      await c.append('failure_facts', tasks.filter((t) => t.outcome === 'failed'), writeFailure);
      return { spans: tasks.length, events: events.length };
    }
    // First occurrence wins within the batch; INSERT OR IGNORE keeps what is stored.
    await c.append('stage_task_facts', uniqueBy(tasks, (t) => `${t.trace_id}/${t.span_id}`), writeTask, 'temp');
    await c.append('stage_event_facts', uniqueBy(events, (e) => `${e.trace_id}/${e.span_id}/${e.event_index}`), writeEvent, 'temp');
    const spans = await c.run('INSERT OR IGNORE INTO task_facts SELECT * FROM temp.stage_task_facts');
    const evs = await c.run('INSERT OR IGNORE INTO event_facts SELECT * FROM temp.stage_event_facts');
    // failure_facts follows what task_facts *stored* for the batch's keys (a replay that
    // differs from the stored fact must not add a failure the facts do not have). The
    // time bounds let the scan of task_facts skip the row groups outside the batch.
    await c.run(
      `INSERT OR IGNORE INTO failure_facts SELECT ${FAILURE_FACT_COLUMNS.map((k) => `t.${k}`).join(', ')} FROM task_facts t ` +
        'SEMI JOIN temp.stage_task_facts s ON t.trace_id = s.trace_id AND t.span_id = s.span_id ' +
        "WHERE t.outcome = 'failed' AND t.start_ns >= (SELECT min(start_ns) FROM temp.stage_task_facts) AND t.start_ns <= (SELECT max(start_ns) FROM temp.stage_task_facts)",
    );
    await c.run('DELETE FROM temp.stage_task_facts');
    await c.run('DELETE FROM temp.stage_event_facts');
    return { spans, events: evs };
  }
}

function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new StoreError('checkpoint', `not an integer: ${n}`);
  return String(n);
}

async function readCheckpoint(db: Db): Promise<Checkpoint> {
  const [r] = await db.all('SELECT last_seq, batches, spans, events FROM ingest_checkpoint WHERE id = 1');
  if (!r) throw new StoreError('schema', `${db.file} has no ingest checkpoint row`);
  return { lastSeq: Number(r.last_seq), batches: Number(r.batches), spans: Number(r.spans), events: Number(r.events) };
}

function uniqueBy<T>(rows: readonly T[], key: (row: T) => string): readonly T[] {
  const seen = new Set<string>();
  let dup = false;
  for (const r of rows) {
    const k = key(r);
    if (seen.has(k)) {
      dup = true;
      break;
    }
    seen.add(k);
  }
  if (!dup) return rows;
  seen.clear();
  return rows.filter((r) => {
    const k = key(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The columns of task_facts, in table order (migration 1). */
export function writeTask(a: RowAppender, t: TaskFact): void {
  a.varchar(t.trace_id);
  a.varchar(t.span_id);
  a.varchar(t.parent_span_id);
  a.varchar(t.name);
  a.varchar(t.kind);
  a.bigint(t.start_ns);
  a.bigint(t.end_ns);
  a.bigint(t.duration_ns);
  a.varchar(t.status_code);
  a.varchar(t.status_message);
  a.varchar(t.outcome);
  a.varchar(t.failure_reason_code);
  a.varchar(t.failure_reason_source);
  a.varchar(t.policy_reason_code);
  a.varchar(t.run_id);
  a.varchar(t.command);
  a.varchar(t.stage);
  a.varchar(t.document_id);
  a.varchar(t.item_id);
  a.varchar(t.service_name);
  a.varchar(t.scope_name);
  a.varchar(t.scope_version);
  a.varchar(t.resource_key);
  a.integer(t.event_count);
  a.varchar(t.attributes);
  a.varchar(t.resource_volatile);
}

/** The columns of event_facts, in table order (migration 1). */
export function writeEvent(a: RowAppender, e: EventFact): void {
  a.varchar(e.trace_id);
  a.varchar(e.span_id);
  a.integer(e.event_index);
  a.varchar(e.name);
  a.bigint(e.time_ns);
  a.boolean(e.is_guard_denial);
  a.varchar(e.failure_reason_code);
  a.varchar(e.failure_reason_source);
  a.varchar(e.policy_reason_code);
  a.varchar(e.run_id);
  a.varchar(e.item_id);
  a.varchar(e.stage);
  a.varchar(e.attributes);
}

/** The columns of failure_facts, in table order (migration 3). */
export const FAILURE_FACT_COLUMNS = [
  'trace_id',
  'span_id',
  'start_ns',
  'duration_ns',
  'name',
  'command',
  'stage',
  'document_id',
  'item_id',
  'run_id',
  'failure_reason_code',
  'failure_reason_source',
  'policy_reason_code',
  'status_message',
] as const;

/** A failed task fact's row of failure_facts: its {@link FAILURE_FACT_COLUMNS}, in that order (BIGINT times, VARCHAR the rest). */
export function writeFailure(a: RowAppender, t: TaskFact): void {
  for (const k of FAILURE_FACT_COLUMNS) {
    const v = t[k];
    if (typeof v === 'bigint') a.bigint(v);
    else a.varchar(v);
  }
}
