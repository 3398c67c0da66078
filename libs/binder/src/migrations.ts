import { migrate as runMigrations, type Db, type MigrateResult, type Migration } from '@govern/duckdb';

/**
 * The binder's schema, as numbered migrations applied by @govern/duckdb's runner
 * (`schema_migrations` records each with the sha256 of its statements; a database
 * whose applied migration differs from this build's, or that a newer build wrote,
 * is refused). Never edit a released migration: add the next one.
 *
 * Tables (all keys are lower-case hex sha256 from keys.ts / fingerprint.ts):
 *
 * - `binder_envelopes`: the facts, one row per idempotency key. The envelope's
 *   fields as columns, its keys and fingerprint, and its derivation under each
 *   fallback mode. Nothing in a row depends on when, from where or in which order
 *   it was ingested, so replaying a snapshot leaves the rows byte-identical.
 * - `binder_capsules`: one row per upsert key, recomputed from the facts of its key
 *   in the transaction that adds them, for the configured fallback mode.
 * - `binder_quarantine`: every record refused, with its coded reasons, keyed by the
 *   sha256 of its stored (canonical, redacted) form; resolved by a replay.
 * - `binder_ingests`: one row per ingest call (the volatile times live here, not in
 *   the facts); `binder_batches`: the digest of every batch bound, so an unchanged
 *   batch replayed is recognised without validating it again.
 * - `binder_applications`: the audit of every capsule applied (prescriptive rollout).
 * - the three query primitives (seed 002 K2) as table macros over `binder_envelopes`.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'binder v1: envelopes (facts), capsules, quarantine, ingest log, batches, applications, query primitives',
    statements: [
      // Column order is the staging order of store.ts (FACT_COLUMNS; a test compares them).
      // observed_at is the envelope's own text; observed_ts the same instant in UTC with
      // milliseconds, which orders and windows correctly whatever offset was written.
      // context and evidence: RFC 8785 canonical JSON, so key order in the input does not
      // change the row. The derivations are pure functions of the envelope (modes.ts) kept
      // for the three modes, so switching modes recomputes capsules without re-reading
      // envelopes; fallback_version says which rules derived them.
      `CREATE TABLE binder_envelopes (
        idempotency_key VARCHAR PRIMARY KEY,
        run_id VARCHAR NOT NULL,
        task_id VARCHAR NOT NULL,
        group_id VARCHAR NOT NULL,
        binder_version VARCHAR NOT NULL,
        envelope_schema VARCHAR NOT NULL,
        event_id VARCHAR NOT NULL,
        sequence BIGINT NOT NULL,
        signal VARCHAR NOT NULL,
        anomaly_trigger VARCHAR,
        wrapper_policy_name VARCHAR NOT NULL,
        wrapper_policy_version VARCHAR NOT NULL,
        scope VARCHAR NOT NULL,
        target_kind VARCHAR NOT NULL,
        target_id VARCHAR NOT NULL,
        action_kind VARCHAR NOT NULL,
        failure_reason_code VARCHAR NOT NULL,
        policy_reason_code VARCHAR,
        context JSON NOT NULL,
        evidence JSON NOT NULL,
        observed_at VARCHAR NOT NULL,
        observed_ts VARCHAR NOT NULL,
        fingerprint_hash VARCHAR NOT NULL,
        upsert_key VARCHAR NOT NULL,
        fallback_version VARCHAR NOT NULL,
        strict_derivation VARCHAR NOT NULL,
        strict_minting BOOLEAN NOT NULL,
        hybrid_derivation VARCHAR NOT NULL,
        hybrid_minting BOOLEAN NOT NULL,
        lenient_derivation VARCHAR NOT NULL,
        lenient_minting BOOLEAN NOT NULL
      )`,
      // One row per upsert key. Counters for fallback_mode (the configured one when they
      // were computed): support and contradiction per modes.ts, explicit = failure and
      // denial supports, anomaly = accepted anomaly supports, denial = denial supports.
      // first/last_seen_ts over the supporting envelopes (over all of the key's envelopes
      // while it has none). wrapper_policies ("name@version") and policy_reason_codes:
      // sorted JSON arrays of distinct values. minted: some envelope of the key may mint
      // under the mode (Strict: only an explicit failure or denial).
      `CREATE TABLE binder_capsules (
        upsert_key VARCHAR PRIMARY KEY,
        scope VARCHAR NOT NULL,
        target_kind VARCHAR NOT NULL,
        target_id VARCHAR NOT NULL,
        action_kind VARCHAR NOT NULL,
        failure_reason_code VARCHAR NOT NULL,
        fingerprint_hash VARCHAR NOT NULL,
        binder_version VARCHAR NOT NULL,
        fallback_mode VARCHAR NOT NULL,
        fallback_version VARCHAR NOT NULL,
        envelope_count BIGINT NOT NULL,
        support_count BIGINT NOT NULL,
        contradiction_count BIGINT NOT NULL,
        explicit_count BIGINT NOT NULL,
        anomaly_count BIGINT NOT NULL,
        denial_count BIGINT NOT NULL,
        first_seen_ts VARCHAR NOT NULL,
        last_seen_ts VARCHAR NOT NULL,
        wrapper_policies JSON NOT NULL,
        policy_reason_codes JSON NOT NULL,
        minted BOOLEAN NOT NULL
      )`,
      // quarantine_id: sha256 of raw. raw: the record as stored (canonical JSON; a JSON
      // string for text that did not parse), secrets redacted. reasons: JSON array of
      // {code, path, message}. first_seen_at is a wall-clock time (not a fact).
      // resolved_key: the idempotency key stored by the replay that fixed it.
      `CREATE TABLE binder_quarantine (
        quarantine_id VARCHAR PRIMARY KEY,
        raw JSON NOT NULL,
        reasons JSON NOT NULL,
        source VARCHAR NOT NULL,
        first_seen_at VARCHAR NOT NULL,
        resolved_at VARCHAR,
        resolved_key VARCHAR,
        resolved_source VARCHAR
      )`,
      `CREATE TABLE binder_ingests (
        ingest_id BIGINT PRIMARY KEY,
        ingested_at VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        received BIGINT NOT NULL,
        accepted BIGINT NOT NULL,
        duplicates BIGINT NOT NULL,
        quarantined BIGINT NOT NULL,
        conflicts BIGINT NOT NULL,
        capsules_created BIGINT NOT NULL,
        capsules_updated BIGINT NOT NULL,
        capsules_minted BIGINT NOT NULL,
        batch_digest VARCHAR,
        binder_version VARCHAR NOT NULL,
        fallback_mode VARCHAR NOT NULL,
        fallback_version VARCHAR NOT NULL
      )`,
      // A batch bound by the full path: what it gave, to answer a replay of it unchanged.
      `CREATE TABLE binder_batches (
        batch_digest VARCHAR PRIMARY KEY,
        ingest_id BIGINT NOT NULL,
        received BIGINT NOT NULL,
        stored BIGINT NOT NULL,
        quarantine_ids JSON NOT NULL
      )`,
      `CREATE TABLE binder_applications (
        application_id BIGINT PRIMARY KEY,
        upsert_key VARCHAR NOT NULL,
        actor VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        applied_at VARCHAR NOT NULL,
        rollout VARCHAR NOT NULL,
        fallback_mode VARCHAR NOT NULL,
        confidence DOUBLE NOT NULL,
        counters JSON NOT NULL,
        binder_version VARCHAR NOT NULL
      )`,
      // The query primitives (seed 002 K2) over the TaskSpec-keyed facts, for the window
      // [from_ts, to_ts) of observed_ts. Callers add filters, ORDER BY with key
      // tie-breaks and LIMIT (primitives.ts).
      //
      // Failure and anomaly envelopes with their TaskSpec.
      `CREATE MACRO mv_recent_failures_by_taskspec(from_ts, to_ts) AS TABLE
        SELECT scope, target_kind, target_id, action_kind, failure_reason_code, policy_reason_code, signal, anomaly_trigger,
               run_id, task_id, group_id, event_id, sequence, observed_ts, wrapper_policy_name, wrapper_policy_version,
               fingerprint_hash, upsert_key, idempotency_key
        FROM binder_envelopes
        WHERE signal IN ('failure', 'anomaly') AND observed_ts >= from_ts AND observed_ts < to_ts`,
      // Per gate of the envelope's context (NULL for an envelope with no gate) and
      // failure_reason_code: envelopes by signal.
      `CREATE MACRO mv_gate_rollup_by_failure_reason_code(from_ts, to_ts) AS TABLE
        SELECT gate, failure_reason_code,
               count(*) FILTER (WHERE signal = 'failure') AS failures,
               count(*) FILTER (WHERE signal = 'anomaly') AS anomalies,
               count(*) FILTER (WHERE signal = 'denial') AS denials,
               count(*) FILTER (WHERE signal = 'success') AS successes,
               count(*) AS envelopes,
               min(observed_ts) AS first_seen_ts,
               max(observed_ts) AS last_seen_ts
        FROM (
          SELECT unnest(CASE WHEN len(g) = 0 THEN [NULL::VARCHAR] ELSE g END) AS gate, failure_reason_code, signal, observed_ts
          FROM (SELECT CAST(json_extract(context, '$.gates') AS VARCHAR[]) AS g, failure_reason_code, signal, observed_ts
                FROM binder_envelopes
                WHERE observed_ts >= from_ts AND observed_ts < to_ts)
        )
        GROUP BY gate, failure_reason_code`,
      // Guard denials (envelopes carrying a policy_reason_code: denials, and failures a
      // guard also denied) per policy_reason_code and TaskSpec.
      `CREATE MACRO mv_guard_denials_by_policy_reason_code(from_ts, to_ts) AS TABLE
        SELECT policy_reason_code, scope, target_kind, target_id, action_kind,
               count(*) AS denials,
               count(*) FILTER (WHERE signal = 'failure') AS failures,
               count(DISTINCT run_id) AS runs,
               min(observed_ts) AS first_seen_ts,
               max(observed_ts) AS last_seen_ts
        FROM binder_envelopes
        WHERE policy_reason_code IS NOT NULL AND observed_ts >= from_ts AND observed_ts < to_ts
        GROUP BY policy_reason_code, scope, target_kind, target_id, action_kind`,
    ],
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the binder file to {@link SCHEMA_VERSION} (@govern/duckdb's runner).
 * Refuses (`MigrationError`, code `schema`) a file written by a newer build or
 * whose applied migration differs from this build's.
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  return runMigrations(db, migrations, { upgrade: 'govern' });
}
