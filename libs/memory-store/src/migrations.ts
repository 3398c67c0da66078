import { migrate as runMigrations, type Db, type MigrateResult, type Migration } from '@govern/duckdb';

/**
 * The schema, as numbered migrations, applied by @govern/duckdb's runner:
 * `schema_migrations` records each with the sha256 of its statements; opening a
 * database applies the missing ones in order, each in its own transaction, so a
 * crash mid-migration leaves the previous version. Never edit a released
 * migration — opening a database refuses one whose checksum changed — add the
 * next one.
 */

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'facts spine (task_facts, event_facts, resources) and checkpointed ingest',
    statements: [
      `CREATE TABLE resources (
        resource_key VARCHAR PRIMARY KEY,
        service_name VARCHAR,
        attributes JSON NOT NULL
      )`,
      // One row per span. Column order is the appender's (store.ts writeTask).
      `CREATE TABLE task_facts (
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        parent_span_id VARCHAR,
        name VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        start_ns BIGINT NOT NULL,
        end_ns BIGINT NOT NULL,
        duration_ns BIGINT NOT NULL,
        status_code VARCHAR NOT NULL,
        status_message VARCHAR,
        outcome VARCHAR NOT NULL,
        failure_reason_code VARCHAR,
        failure_reason_source VARCHAR,
        policy_reason_code VARCHAR,
        run_id VARCHAR,
        command VARCHAR,
        stage VARCHAR,
        document_id VARCHAR,
        item_id VARCHAR,
        service_name VARCHAR,
        scope_name VARCHAR NOT NULL,
        scope_version VARCHAR,
        resource_key VARCHAR NOT NULL,
        event_count INTEGER NOT NULL,
        attributes JSON NOT NULL,
        resource_volatile JSON NOT NULL,
        PRIMARY KEY (trace_id, span_id)
      )`,
      // One row per span event. Column order is the appender's (store.ts writeEvent).
      `CREATE TABLE event_facts (
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        event_index INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        time_ns BIGINT NOT NULL,
        is_guard_denial BOOLEAN NOT NULL,
        failure_reason_code VARCHAR,
        failure_reason_source VARCHAR,
        policy_reason_code VARCHAR,
        run_id VARCHAR,
        item_id VARCHAR,
        stage VARCHAR,
        attributes JSON NOT NULL,
        PRIMARY KEY (trace_id, span_id, event_index)
      )`,
      // The ingest checkpoint: the last spool frame whose spans are committed. Updated
      // in the same transaction as the rows of each batch.
      `CREATE TABLE ingest_checkpoint (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_seq BIGINT NOT NULL,
        batches BIGINT NOT NULL,
        spans BIGINT NOT NULL,
        events BIGINT NOT NULL
      )`,
      `INSERT INTO ingest_checkpoint VALUES (1, 0, 0, 0, 0)`,
      // One row per committed batch: the spool frames it covered. Contiguous,
      // non-overlapping ranges are the proof that no frame was skipped or ingested twice.
      `CREATE TABLE ingest_batches (
        batch_id BIGINT PRIMARY KEY,
        first_seq BIGINT NOT NULL,
        last_seq BIGINT NOT NULL,
        spans_received INTEGER NOT NULL,
        spans_inserted INTEGER NOT NULL,
        events_received INTEGER NOT NULL,
        events_inserted INTEGER NOT NULL,
        path VARCHAR NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: 'memory API: query primitives (mv_* table macros), task_annotations, memory_audit',
    statements: [
      // The query primitives (docs/memory.md#query-primitives). Table macros: views that
      // take the time window [from_ns, to_ns), so an aggregate is computed over the window
      // and not over all time. Callers add filters, ORDER BY with key tie-breaks, LIMIT.
      //
      // Failed task facts with their taskspec: what was attempted (command, stage) on what
      // (document_id, item_id). A guard denial alone (outcome 'denied') is not a failure.
      `CREATE MACRO mv_recent_failures_by_taskspec(from_ns, to_ns) AS TABLE
        SELECT command, stage, document_id, item_id, failure_reason_code, failure_reason_source, policy_reason_code,
               trace_id, span_id, run_id, name, start_ns, duration_ns, status_message
        FROM task_facts
        WHERE outcome = 'failed' AND start_ns >= from_ns AND start_ns < to_ns`,
      // Failures per gate (the stage a span belonged to) and failure_reason_code.
      `CREATE MACRO mv_gate_rollup_by_failure_reason_code(from_ns, to_ns) AS TABLE
        SELECT stage, failure_reason_code, count(*) AS failures, min(start_ns) AS first_ns, max(start_ns) AS last_ns
        FROM task_facts
        WHERE outcome = 'failed' AND start_ns >= from_ns AND start_ns < to_ns
        GROUP BY stage, failure_reason_code`,
      // Guard-denial events per policy_reason_code and stage. Events, not spans: a denial
      // is an event (guard.denied, or one carrying policy_reason_code).
      `CREATE MACRO mv_guard_denials_by_policy_reason_code(from_ns, to_ns) AS TABLE
        SELECT policy_reason_code, stage, count(*) AS denials, min(time_ns) AS first_ns, max(time_ns) AS last_ns
        FROM event_facts
        WHERE is_guard_denial AND time_ns >= from_ns AND time_ns < to_ns
        GROUP BY policy_reason_code, stage`,
      // Annotations upserted through the API, by natural key. Kept apart from the facts,
      // which stay exactly as ingested (replay stability). value: canonical JSON.
      `CREATE TABLE task_annotations (
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        value JSON NOT NULL,
        actor VARCHAR,
        audit_id BIGINT NOT NULL,
        PRIMARY KEY (trace_id, span_id, name)
      )`,
      // One record per upsert call and per retention run. audit_id is max + 1 under the
      // single writer (gapless, unlike a sequence); at_ns is the wall clock (not a fact time).
      `CREATE TABLE memory_audit (
        audit_id BIGINT PRIMARY KEY,
        at_ns BIGINT NOT NULL,
        op VARCHAR NOT NULL,
        actor VARCHAR,
        subject VARCHAR NOT NULL,
        outcome VARCHAR NOT NULL,
        details JSON NOT NULL
      )`,
    ],
  },
  {
    version: 3,
    name: 'failure_facts: the failed task facts, materialized for the failure primitives',
    statements: [
      // The failed task facts (outcome 'failed'), in the columns the failure primitives
      // read, written in the same transaction as task_facts (store.ts). Measured over a
      // million facts, the primitives spent most of their time reading the wide columns
      // of task_facts around the few failed rows; this table holds only those (about 6%
      // of the facts in the benchmark, fewer in practice). Column order is the
      // appender's (store.ts writeFailure, FAILURE_FACT_COLUMNS).
      `CREATE TABLE failure_facts (
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        start_ns BIGINT NOT NULL,
        duration_ns BIGINT NOT NULL,
        name VARCHAR NOT NULL,
        command VARCHAR,
        stage VARCHAR,
        document_id VARCHAR,
        item_id VARCHAR,
        run_id VARCHAR,
        failure_reason_code VARCHAR,
        failure_reason_source VARCHAR,
        policy_reason_code VARCHAR,
        status_message VARCHAR,
        PRIMARY KEY (trace_id, span_id)
      )`,
      `INSERT INTO failure_facts
        SELECT trace_id, span_id, start_ns, duration_ns, name, command, stage, document_id, item_id, run_id,
               failure_reason_code, failure_reason_source, policy_reason_code, status_message
        FROM task_facts WHERE outcome = 'failed' ORDER BY start_ns, trace_id, span_id`,
      // Same columns and rows as migration 2's macros, read from failure_facts.
      `CREATE OR REPLACE MACRO mv_recent_failures_by_taskspec(from_ns, to_ns) AS TABLE
        SELECT command, stage, document_id, item_id, failure_reason_code, failure_reason_source, policy_reason_code,
               trace_id, span_id, run_id, name, start_ns, duration_ns, status_message
        FROM failure_facts
        WHERE start_ns >= from_ns AND start_ns < to_ns`,
      `CREATE OR REPLACE MACRO mv_gate_rollup_by_failure_reason_code(from_ns, to_ns) AS TABLE
        SELECT stage, failure_reason_code, count(*) AS failures, min(start_ns) AS first_ns, max(start_ns) AS last_ns
        FROM failure_facts
        WHERE start_ns >= from_ns AND start_ns < to_ns
        GROUP BY stage, failure_reason_code`,
    ],
  },
  {
    version: 4,
    name: 'the ingest checkpoint is read from ingest_batches (batches commit from two connections)',
    statements: [
      // Ingest commits a batch on one write connection while the next batch appends on the
      // other (store.ts). Both updating one checkpoint row is a write-write conflict in
      // DuckDB ("Conflict on update"); inserting a row each is not. The batch's own row in
      // ingest_batches, written in its transaction, was always the record of what it
      // committed, so the checkpoint becomes a view over it, with the old table's columns.
      `DROP TABLE ingest_checkpoint`,
      `CREATE VIEW ingest_checkpoint AS
        SELECT 1 AS id,
               coalesce(max(last_seq), 0)::BIGINT AS last_seq,
               coalesce(max(batch_id), 0)::BIGINT AS batches,
               coalesce(sum(spans_inserted), 0)::BIGINT AS spans,
               coalesce(sum(events_inserted), 0)::BIGINT AS events
        FROM ingest_batches`,
    ],
  },
  {
    version: 5,
    name: 'mv_spans: every span by service and trace (recent_spans, trace_spans)',
    statements: [
      // The spans of any service, not only govern's: what the primitives recent_spans
      // (newest first, by service, name, trace or outcome) and trace_spans (one trace in
      // start order) read. No table changes: task_facts already holds every span with its
      // service_name; this is their columns for the API, over the window [from_ns, to_ns).
      `CREATE MACRO mv_spans(from_ns, to_ns) AS TABLE
        SELECT service_name, name, kind, trace_id, span_id, parent_span_id, start_ns, duration_ns, status_code, status_message,
               outcome, scope_name, stage, item_id, event_count
        FROM task_facts
        WHERE start_ns >= from_ns AND start_ns < to_ns`,
    ],
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the database to {@link SCHEMA_VERSION} through the kernel's runner
 * (one `schema_migrations` shape, checksummed; a database from before the
 * kernel keeps its checksums). Refuses (`MigrationError`, code `schema`) a
 * database written by a newer build or whose applied migration differs from
 * this build's.
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  return runMigrations(db, migrations, { upgrade: 'memoryd' });
}
