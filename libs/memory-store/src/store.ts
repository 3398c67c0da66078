import { isDuplicateKey, openDuckDb, StoreError, type Conn, type Db, type RowAppender } from './duckdb.js';
import type { EventFact, FactBatch, TaskFact } from './facts.js';
import { migrate } from './migrations.js';

/** Where ingest stands: the last spool frame committed, and totals. */
export interface Checkpoint {
  lastSeq: number;
  batches: number;
  spans: number;
  events: number;
}

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

export interface StoreOptions {
  /** Called inside each batch's transaction after its rows are appended, before COMMIT (fault injection in tests). */
  beforeCommit?: () => Promise<void>;
}

/**
 * The memory store: the DuckDB file of facts, opened read-write by one
 * process (memoryd). `commit` writes a batch's rows and advances the ingest
 * checkpoint in one transaction: either both are durable or neither is, so a
 * process killed at any point resumes from the checkpoint without losing or
 * repeating a frame.
 */
export class MemoryStore {
  private cp: Checkpoint;
  private readonly knownResources = new Set<string>();

  private constructor(
    private readonly db: Db,
    cp: Checkpoint,
    private readonly opts: StoreOptions,
  ) {
    this.cp = cp;
  }

  /** Opens (creating and migrating) the database file. */
  static async open(file: string, opts: StoreOptions = {}): Promise<MemoryStore> {
    const db = await openDuckDb(file);
    try {
      await migrate(db);
      // Staging for the dedupe path: connection-local, never written to the file.
      await db.run('CREATE TEMP TABLE stage_task_facts AS SELECT * FROM task_facts LIMIT 0');
      await db.run('CREATE TEMP TABLE stage_event_facts AS SELECT * FROM event_facts LIMIT 0');
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
   */
  async commit(batch: FactBatch, frames: FrameRange): Promise<CommitResult> {
    if (frames.firstSeq !== this.cp.lastSeq + 1 || frames.lastSeq < frames.firstSeq) {
      throw new StoreError('checkpoint', `batch frames ${frames.firstSeq}..${frames.lastSeq} do not follow checkpoint ${this.cp.lastSeq}`);
    }
    const tasks = uniqueBy(batch.tasks, (t) => `${t.trace_id}/${t.span_id}`);
    const events = uniqueBy(batch.events, (e) => `${e.trace_id}/${e.span_id}/${e.event_index}`);
    const newResources = [...batch.resources.values()].filter((r) => !this.knownResources.has(r.resource_key));
    const result = await this.db.exclusive(async (c) => {
      const attempt = async (path: CommitResult['path']) => {
        await c.run('BEGIN TRANSACTION');
        try {
          const r = await this.writeRows(c, path, tasks, events);
          for (const res of newResources) await c.run('INSERT OR IGNORE INTO resources VALUES ($1, $2, $3)', [res.resource_key, res.service_name, res.attributes]);
          const batchId = this.cp.batches + 1;
          await c.run('INSERT INTO ingest_batches VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
            batchId,
            frames.firstSeq,
            frames.lastSeq,
            batch.tasks.length,
            r.spans,
            batch.events.length,
            r.events,
            path,
          ]);
          const changed = await c.run('UPDATE ingest_checkpoint SET last_seq = $1, batches = $2, spans = spans + $3, events = events + $4 WHERE id = 1 AND last_seq = $5', [
            frames.lastSeq,
            batchId,
            r.spans,
            r.events,
            this.cp.lastSeq,
          ]);
          if (changed !== 1) throw new StoreError('checkpoint', `the stored checkpoint is not ${this.cp.lastSeq}: another writer?`);
          await this.opts.beforeCommit?.();
          await c.run('COMMIT');
          return { batchId, path, spansReceived: batch.tasks.length, spansInserted: r.spans, eventsReceived: batch.events.length, eventsInserted: r.events };
        } catch (err) {
          await c.run('ROLLBACK').catch(() => undefined);
          throw err;
        }
      };
      try {
        return await attempt('append');
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        return attempt('dedupe');
      }
    });
    for (const r of newResources) this.knownResources.add(r.resource_key);
    this.cp = { lastSeq: frames.lastSeq, batches: result.batchId, spans: this.cp.spans + result.spansInserted, events: this.cp.events + result.eventsInserted };
    return result;
  }

  /** Runs a read query (tests, and the memory API of a later milestone). */
  all(sql: string, params?: (string | number | boolean | bigint | null)[]): Promise<Record<string, unknown>[]> {
    return this.db.all(sql, params);
  }

  /** Checkpoints the file and releases it. */
  close(): Promise<void> {
    return this.db.close();
  }

  private async writeRows(c: Conn, path: CommitResult['path'], tasks: readonly TaskFact[], events: readonly EventFact[]): Promise<{ spans: number; events: number }> {
    if (path === 'append') {
      await c.append('task_facts', tasks, writeTask);
      await c.append('event_facts', events, writeEvent);
      return { spans: tasks.length, events: events.length };
    }
    await c.append('stage_task_facts', tasks, writeTask, 'temp');
    await c.append('stage_event_facts', events, writeEvent, 'temp');
    const spans = await c.run('INSERT OR IGNORE INTO task_facts SELECT * FROM temp.stage_task_facts');
    const evs = await c.run('INSERT OR IGNORE INTO event_facts SELECT * FROM temp.stage_event_facts');
    await c.run('DELETE FROM temp.stage_task_facts');
    await c.run('DELETE FROM temp.stage_event_facts');
    return { spans, events: evs };
  }
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
