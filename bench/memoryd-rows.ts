// Helpers for bench/memoryd-ingest.mjs, bundled by it at start (esbuild): the raw
// DuckDB appender baseline on exactly the rows memoryd writes.
import { decodeProtobufTraces } from '@govern/memoryd';
import { emptyBatch, MIGRATIONS, openDuckDb, STORE_SETTINGS, toFacts, writeEvent, writeTask, type FactBatch } from '@govern/memory-store';

/** The facts memoryd materializes from these OTLP/protobuf payloads (same decoder, same mapping). */
export function factsOf(payloads: Uint8Array[]): FactBatch {
  const batch = emptyBatch();
  for (const p of payloads) toFacts(decodeProtobufTraces(p).resourceSpans, batch);
  return batch;
}

/**
 * Appends the batch's task and event rows to a fresh database with the
 * appender, in one transaction, and returns the wall time. `keys`: into
 * memoryd's own tables (migration 1, primary keys included); otherwise into
 * the same columns without constraints (the appender alone).
 */
export async function rawAppend(file: string, batch: FactBatch, keys: boolean): Promise<{ ms: number; spans: number; events: number }> {
  // memoryd's own DuckDB settings (checkpoint threshold, threads): the same engine configuration on both sides.
  const db = await openDuckDb(file, process.env.MEMORYD_BENCH_RAW_DEFAULTS === '1' ? {} : STORE_SETTINGS);
  try {
    for (const sql of MIGRATIONS[0]!.statements) {
      if (!/^\s*CREATE TABLE (task_facts|event_facts)/.test(sql)) continue;
      await db.run(keys ? sql : sql.replace(/,\s*PRIMARY KEY \([^)]*\)/, ''));
    }
    const t0 = performance.now();
    await db.exclusive(async (c) => {
      await c.run('BEGIN TRANSACTION');
      await c.append('task_facts', batch.tasks, writeTask);
      await c.append('event_facts', batch.events, writeEvent);
      await c.run('COMMIT');
    });
    return { ms: performance.now() - t0, spans: batch.tasks.length, events: batch.events.length };
  } finally {
    await db.close();
  }
}
