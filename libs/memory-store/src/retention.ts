import fs from 'node:fs';
import type { Conn, Db } from '@govern/duckdb';
import { type RetentionPolicy, type RetentionResult, NS_PER_MS } from '@govern/memory-contract';
import { appendAudit } from './audit.js';
import type { AttrValue } from './model.js';
import { canonicalJson } from './resource.js';

/**
 * Retention: task facts older than a cutoff are deleted with their event facts
 * and annotations, by age (`maxAgeMs`) and by size (`maxBytes`), then the file
 * is checkpointed. The facts tables are **rewritten** rather than deleted from:
 * DuckDB keeps an ART index for their primary keys, and measured on this
 * machine a DELETE of 200,000 keyed rows took ~8 s and left index blocks that
 * were never reused (the file grew every cycle), where copying the kept rows
 * into a new table, dropping the old one and renaming took ~2 s and returned
 * every block to the free list, which the next writes reuse. The kept rows are
 * written in (start_ns, key) order, which also keeps the zone maps of the
 * windowed queries tight.
 *
 * The file does not shrink unless the free blocks are at its end (DuckDB
 * truncates it then); it stops growing: free blocks are reused. `maxBytes`
 * therefore bounds the *used* bytes (used blocks × block size), and the file
 * settles at two to three times that (old and new tables both exist until the
 * commit). By size, a run keeps the newest `rows × 0.8 × maxBytes / used`
 * task facts; DuckDB's used bytes carry a fixed overhead per table and column
 * (256 KiB blocks), so on a small database one run can end above the limit —
 * the next one removes more. It never deletes more than that proportion.
 *
 * Everything runs on the write connection while holding it: ingest batches
 * wait (the spool keeps acknowledging). One audit record per run, noop and
 * dry run included, written in the run's transaction and completed with the
 * sizes after the checkpoint.
 */
export interface RetentionOptions {
  nowNs: bigint;
  actor: string;
  dryRun?: boolean;
  /** Called after CHECKPOINT (the store notes when the file was last checkpointed). */
  onCheckpoint?: () => void;
}

/** By size, delete down to this fraction of `maxBytes`, so the next run is not at once due again. */
const SIZE_TARGET = 0.8;

type Deleted = RetentionResult['deleted'];

export async function applyRetention(db: Db, policy: RetentionPolicy, opts: RetentionOptions): Promise<RetentionResult> {
  const t0 = performance.now();
  return db.exclusive(async (c) => {
    const before = await sizes(c, db.file);
    const ageCutoff = policy.maxAgeMs !== undefined ? opts.nowNs - BigInt(policy.maxAgeMs) * NS_PER_MS : null;
    const sizeCutoff = policy.maxBytes !== undefined && before.used > policy.maxBytes ? await proportionalCutoff(c, policy.maxBytes, before.used) : null;
    const cutoff = ageCutoff === null ? sizeCutoff : sizeCutoff === null ? ageCutoff : ageCutoff > sizeCutoff ? ageCutoff : sizeCutoff;
    const doomed = cutoff === null ? none() : await countOlder(c, cutoff);
    const outcome: RetentionResult['outcome'] = doomed.task_facts === 0 ? 'noop' : opts.dryRun ? 'dry-run' : 'applied';
    const reason: RetentionResult['reason'] =
      doomed.task_facts === 0 ? 'none' : ageCutoff !== null && sizeCutoff !== null ? 'age+size' : ageCutoff !== null ? 'age' : 'size';
    let deleted = none();
    const result = (auditId: number, after: { file: number; used: number }): RetentionResult => ({
      outcome,
      reason,
      policy,
      cutoffNs: cutoff === null ? null : String(cutoff),
      deleted,
      bytes: { fileBefore: before.file, fileAfter: after.file, usedBefore: before.used, usedAfter: after.used },
      durationMs: Math.round((performance.now() - t0) * 10) / 10,
      auditId,
    });
    const details = ({ auditId: _id, ...r }: RetentionResult) => ({ ...r, ...(outcome === 'dry-run' ? { wouldDelete: doomed } : {}) });
    const audit = (r: RetentionResult) => appendAudit(c, { atNs: opts.nowNs, op: 'retention', actor: opts.actor, subject: 'facts', outcome, details: details(r) });

    if (outcome !== 'applied') {
      let id = 0;
      await transaction(c, async () => void (id = await audit(result(0, before))));
      return result(id, before);
    }
    // The rewrite and its audit record in one transaction; then CHECKPOINT folds the WAL
    // (with the dropped tables) into the file and frees the old blocks.
    let id = 0;
    await transaction(c, async () => {
      await rewrite(c, cutoff!);
      deleted = doomed;
      id = await audit(result(0, before));
    });
    await c.checkpoint();
    opts.onCheckpoint?.();
    const done = result(id, await sizes(c, db.file));
    await c.run('UPDATE memory_audit SET details = $2 WHERE audit_id = $1', [BigInt(id), canonicalJson(details(done) as AttrValue)]);
    return done;
  });
}

const none = (): Deleted => ({ task_facts: 0, event_facts: 0, annotations: 0 });

async function transaction(c: Conn, fn: () => Promise<void>): Promise<void> {
  await c.run('BEGIN TRANSACTION');
  try {
    await fn();
    await c.run('COMMIT');
  } catch (err) {
    await c.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Replaces task_facts, event_facts and failure_facts by copies without the facts older than `cutoff`; deletes their annotations. */
async function rewrite(c: Conn, cutoff: bigint): Promise<void> {
  await c.run('DELETE FROM task_annotations a WHERE EXISTS (SELECT 1 FROM task_facts t WHERE t.trace_id = a.trace_id AND t.span_id = a.span_id AND t.start_ns < $1)', [cutoff]);
  await c.run(ddlOf(await tableSql(c, 'task_facts'), 'task_facts', 'task_facts__keep'));
  await c.run('INSERT INTO task_facts__keep SELECT * FROM task_facts WHERE start_ns >= $1 ORDER BY start_ns, trace_id, span_id', [cutoff]);
  await c.run(ddlOf(await tableSql(c, 'event_facts'), 'event_facts', 'event_facts__keep'));
  await c.run(
    'INSERT INTO event_facts__keep SELECT e.* FROM event_facts e SEMI JOIN task_facts__keep t ON e.trace_id = t.trace_id AND e.span_id = t.span_id ' +
      'ORDER BY e.time_ns, e.trace_id, e.span_id, e.event_index',
  );
  await c.run(ddlOf(await tableSql(c, 'failure_facts'), 'failure_facts', 'failure_facts__keep'));
  await c.run('INSERT INTO failure_facts__keep SELECT * FROM failure_facts WHERE start_ns >= $1 ORDER BY start_ns, trace_id, span_id', [cutoff]);
  for (const t of ['task_facts', 'event_facts', 'failure_facts']) {
    await c.run(`DROP TABLE ${t}`);
    await c.run(`ALTER TABLE ${t}__keep RENAME TO ${t}`);
  }
}

async function taskRows(c: Conn): Promise<number> {
  const [r] = await c.all('SELECT count(*) AS n FROM task_facts');
  return Number(r!.n);
}

/** By size: the newest task facts that would fit SIZE_TARGET × maxBytes if bytes were proportional to rows. */
async function proportionalCutoff(c: Conn, maxBytes: number, used: number): Promise<bigint | null> {
  return newestCutoff(c, Math.floor(((await taskRows(c)) * maxBytes * SIZE_TARGET) / used));
}

/** The start time from which `keep` task facts are the newest (all are deleted when keep ≤ 0); null when there are none. */
async function newestCutoff(c: Conn, keep: number): Promise<bigint | null> {
  if (keep <= 0) {
    const [r] = await c.all('SELECT max(start_ns) AS newest FROM task_facts');
    return r?.newest === null || r?.newest === undefined ? null : (r.newest as bigint) + 1n;
  }
  const [r] = await c.all(`SELECT start_ns FROM task_facts ORDER BY start_ns DESC LIMIT 1 OFFSET ${keep - 1}`);
  return r ? (r.start_ns as bigint) : null;
}

/** The file (+ WAL) size, and the bytes of used blocks. */
async function sizes(c: Conn, file: string): Promise<{ file: number; used: number }> {
  const stat = (f: string) => {
    try {
      return fs.statSync(f).size;
    } catch {
      return 0;
    }
  };
  const [r] = await c.all('SELECT used_blocks, block_size FROM pragma_database_size() WHERE database_name = current_database()');
  return { file: stat(file) + stat(`${file}.wal`), used: r ? Number(r.used_blocks) * Number(r.block_size) : 0 };
}

async function countOlder(c: Conn, cutoff: bigint): Promise<{ task_facts: number; event_facts: number; annotations: number }> {
  const older = 'SELECT 1 FROM task_facts t WHERE t.trace_id = x.trace_id AND t.span_id = x.span_id AND t.start_ns < $1';
  const [r] = await c.all(
    `SELECT (SELECT count(*) FROM task_facts WHERE start_ns < $1) AS tasks, ` +
      `(SELECT count(*) FROM event_facts x WHERE EXISTS (${older})) AS events, ` +
      `(SELECT count(*) FROM task_annotations x WHERE EXISTS (${older})) AS annotations`,
    [cutoff],
  );
  return { task_facts: Number(r!.tasks), event_facts: Number(r!.events), annotations: Number(r!.annotations) };
}

async function tableSql(c: Conn, table: string): Promise<string> {
  const [r] = await c.all("SELECT sql FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1", [table]);
  return String(r?.sql ?? '');
}

/** The table's own CREATE statement under another name (so later migrations' columns and keys carry over). */
function ddlOf(sql: string, table: string, as: string): string {
  const prefix = `CREATE TABLE ${table}(`;
  if (!sql.startsWith(prefix)) throw new Error(`unexpected DDL for ${table}: ${sql.slice(0, 60)}`);
  return `CREATE TABLE ${as}(${sql.slice(prefix.length)}`;
}
