import { createHash } from 'node:crypto';
import { DbError, num, openDb, type Conn, type Db, type Row, type RowAppender } from '@govern/duckdb';
import { LONE_SURROGATE, type WrapperEnvelope } from '@govern/contracts';
import { findSecrets, isSecretName, knownSecretsFromEnv, type KnownSecret } from '@govern/secrets';
import { DEFAULT_BINDER_CONFIG, type BinderConfig } from './config.js';
import { eligibility, type CapsuleCounters, type EligibilityReason } from './eligibility.js';
import { BinderError } from './errors.js';
import { ingestMemoryFacts, type MemoryIngestOptions, type MemoryIngestResult } from './facts.js';
import { isProvenPlain } from './fast-envelope.js';
import { migrate, SCHEMA_VERSION } from './migrations.js';
import { derive, FALLBACK_MODES, FALLBACK_VERSION, type FallbackMode } from './modes.js';
import { primitiveSql, type QueryOptions, type QueryResult } from './primitives.js';
import { parseEnvelopeText, screenEnvelopes, type QuarantineCode, type QuarantineReason } from './validate.js';
import { BINDER_VERSION } from './version.js';
import {
  canonicalText,
  isWellFormedJson,
  KIND_COLUMNS,
  MAX_STORED_DEPTH,
  NOT_CANONICAL,
  ROW_COLUMNS,
  sha256,
  SITUATION_COLUMNS,
  stagedFact,
  type Kind,
  type RowValues,
  type Situation,
  type SituationCache,
  type StagedFact,
} from './staged.js';

export { canonicalText, isWellFormedJson, type SituationCache } from './staged.js';

/**
 * The binder's engine on one DuckDB file (seed 002 K1–K3): wrapper envelopes in,
 * facts keyed by the idempotency key, quarantine for what is refused, capsules per
 * upsert key, the query primitives, and the audited application of capsules.
 *
 * **Binding a batch** (`ingest`, one transaction per call):
 * 1. If the batch is, byte for byte, one bound before (its digest is in
 *    `binder_batches`, and its records are plain JSON), its outcome is known: every
 *    valid record is stored and every refused one is in quarantine, because facts and
 *    quarantine rows are never removed. The call is answered from that record without
 *    validating again.
 * 2. Otherwise every record is screened (validate.ts' `screenEnvelopes`, secrets
 *    included; fast-envelope.ts' proof stands in for zod where it can) and the valid
 *    ones get their keys, fingerprint and derivations in JS (the fingerprint and upsert
 *    key once per situation, {@link SituationCache}). Their fact rows are staged in
 *    temp tables: each row's own values per row, its situation (TaskSpec, policy,
 *    context and what they determine) and kind (signal and derivations) once per call,
 *    joined back by SQL ({@link STAGE_FULL}). A call is prepared in parts of {@link PART} records, and the
 *    SQL of step 3's insert for one part runs on DuckDB's thread while the next part is
 *    prepared (all in the call's one transaction).
 * 3. Set-based SQL: the first row of each idempotency key not yet stored is inserted
 *    (per part: a key an earlier part stored counts as stored); every other row is
 *    compared with the stored fact: identical content is a
 *    duplicate (counted), other content is an idempotency conflict (quarantined with
 *    the record, never silently dropped).
 * 4. The capsules of the upsert keys that got new facts are brought up to date: the
 *    batch's new facts aggregated by key and added to the stored capsule (exact for
 *    append-only facts, byte for byte what a recompute from all facts gives; see
 *    `capsuleDelta`), or recomputed from all of their facts when a stored capsule was
 *    computed for another mode or version. Aggregated by key before the upsert, so the
 *    statement never holds one key twice (see {@link CAPSULE_UPSERT}).
 * 5. The quarantine rows, the ingest log row and the batch digest, then COMMIT.
 *
 * docs/benchmarks-binder.md has the figures (1,000,000 envelopes) and what dominates.
 *
 * Facts hold nothing that depends on when, from where or in which order they came:
 * replaying a snapshot, in any order or from another process, stores the same rows.
 * (Within a batch, of two envelopes with one idempotency key and different content,
 * the first is stored and the second quarantined as a conflict.)
 */

/** Options of {@link openBinder}. */
export interface OpenBinderOptions {
  /** The binder's DuckDB file (created with its directory), e.g. `.govern/binder/binder.duckdb`; `:memory:` for a throwaway one. */
  file: string;
  /** Rollout, fallback mode, thresholds and policies (config.ts); default: {@link DEFAULT_BINDER_CONFIG} (shadow, strict). */
  config?: BinderConfig;
  /** The clock of ingest log rows, quarantine times, applications and eligibility (default: the wall clock). */
  now?: () => Date;
  /** Secrets known by value, refused in envelopes and redacted from quarantined records (default: the secret-named variables of `process.env`). */
  knownSecrets?: readonly KnownSecret[];
  /** DuckDB settings (`SET` names), over {@link BINDER_SETTINGS}. */
  settings?: Record<string, string>;
  /** Told how long each step of binding a batch took (the benchmark's breakdown; tracing). */
  trace?: (phase: BindPhase, ms: number) => void;
  /** Records per part of an `ingest()` call (default {@link PART}, 12,500): parts are prepared while DuckDB binds the previous one. */
  partSize?: number;
}

/**
 * The steps of an `ingest` call, as reported to {@link OpenBinderOptions.trace}:
 * `digest` (the batch digest), `validate` (screenEnvelopes), `keys` (keys,
 * fingerprints, derivations), `stage` (appending the fact rows to the staging table),
 * `insert` (the anti-join that finds the new rows and their insert: the time the call
 * waits for it, as it runs while the next part is prepared), `compare` (duplicates
 * against conflicts), `capsules` (the capsule update), `bookkeeping` (quarantine rows, the
 * ingest log, the batch record) and `commit`.
 */
export type BindPhase = 'digest' | 'validate' | 'keys' | 'stage' | 'insert' | 'compare' | 'capsules' | 'bookkeeping' | 'commit';

/**
 * Runs `fn` in the call's one write transaction, at the call's place in the binder's
 * write order ({@link BinderStore.inOrder}).
 */
type Write = <T>(fn: (tx: Conn) => Promise<T>) => Promise<T>;

/** Where a batch came from, recorded in the ingest log and on its quarantine rows. */
export interface IngestOptions {
  /** e.g. `file:envelopes.jsonl`, `stdin`, `memoryd:/path/memory.duckdb`. */
  source: string;
}

/** What one `ingest` call did. `received = accepted + duplicates + quarantined`. */
export interface IngestResult {
  received: number;
  /** Envelopes stored now. */
  accepted: number;
  /** Envelopes stored before with the same content (a replay): nothing changed. */
  duplicates: number;
  /** Records in quarantine now: refused by validation, or conflicts. */
  quarantined: number;
  /** Of `quarantined`: valid envelopes whose idempotency key is stored with other content. */
  conflicts: number;
  /** The quarantine id of each quarantined record, in record order. */
  quarantineIds: string[];
  capsules: {
    /** Capsule rows created (upsert keys seen for the first time). */
    created: number;
    /** Existing capsule rows recomputed. */
    updated: number;
    /** Capsules minted by this call (not minted before). */
    minted: number;
  };
  /** `bind`: validated and bound; `known-batch`: an unchanged batch bound before, answered from its record. */
  path: 'bind' | 'known-batch';
  ingestId: number;
}

/** A reason a record is in quarantine: validate.ts's, or the store's own `idempotency-conflict` / `not-canonical`. */
export interface StoredQuarantineReason {
  code: QuarantineCode | 'idempotency-conflict' | 'not-canonical';
  path: string;
  message: string;
}

/** One quarantined record. */
export interface QuarantineEntry {
  quarantine_id: string;
  /** The record as stored: parsed JSON of its canonical form (secrets redacted); a string for text that was not JSON. */
  raw: unknown;
  reasons: StoredQuarantineReason[];
  source: string;
  first_seen_at: string;
  resolved_at: string | null;
  /** The idempotency key the fix was stored under. */
  resolved_key: string | null;
  resolved_source: string | null;
}

/** What `replay` did with a fixed record. */
export interface ReplayResult {
  quarantineId: string;
  idempotencyKey: string;
  /** True when this call stored the envelope; false when it was stored already (a second replay, or the same envelope ingested meanwhile). */
  stored: boolean;
  capsules: IngestResult['capsules'];
}

/** Eligibility of a capsule: eligibility.ts's, plus `not-minted` for a capsule no envelope may mint under the fallback mode. */
export interface CapsuleEligibility {
  eligible: boolean;
  qualified: boolean;
  confidence: number;
  stale: boolean;
  age_days: number | null;
  reasons: Array<EligibilityReason | { code: 'not-minted'; message: string }>;
}

/** One capsule: its upsert key, counters and eligibility at `now`. */
export interface Capsule {
  upsert_key: string;
  scope: string;
  target_kind: string;
  target_id: string;
  action_kind: string;
  failure_reason_code: string;
  fingerprint_hash: string;
  binder_version: string;
  fallback_mode: FallbackMode;
  fallback_version: string;
  envelope_count: number;
  minted: boolean;
  counters: CapsuleCounters;
  eligibility: CapsuleEligibility;
}

/** Which capsules to list (all optional; `eligible` and `minted` filter after eligibility is computed). */
export interface CapsuleFilter {
  upsert_key?: string;
  scope?: string;
  target_kind?: string;
  target_id?: string;
  action_kind?: string;
  failure_reason_code?: string;
  minted?: boolean;
  eligible?: boolean;
  /** At most this many (after filtering); default all. */
  limit?: number;
}

/** `suggest`'s answer. In shadow rollout `suggestions` is empty and `reason` is `mode-shadow`; `qualified` counts what would have been suggested. */
export interface SuggestResult {
  rollout: BinderConfig['rollout'];
  fallback: FallbackMode;
  reason: 'mode-shadow' | null;
  /** Whether `apply` is allowed (prescriptive rollout). */
  applicable: boolean;
  qualified: number;
  suggestions: Capsule[];
}

/** One audited application of a capsule. */
export interface Application {
  application_id: number;
  upsert_key: string;
  actor: string;
  reason: string;
  applied_at: string;
  rollout: BinderConfig['rollout'];
  fallback_mode: FallbackMode;
  confidence: number;
  counters: CapsuleCounters;
  binder_version: string;
}

/** `status`'s answer. */
export interface BinderStatus {
  file: string;
  binder_version: string;
  fallback_version: string;
  schema_version: number;
  config: BinderConfig;
  facts: number;
  quarantine: { open: number; resolved: number };
  capsules: { total: number; minted: number; qualified: number; eligible: number };
  ingests: number;
  applications: number;
  last_ingest_at: string | null;
}

/** The binder on one file. Obtain with {@link openBinder}; `close()` when done. */
export interface Binder {
  readonly file: string;
  readonly config: BinderConfig;
  /** Validates and binds `records` in one transaction. */
  ingest(records: readonly unknown[], opts: IngestOptions): Promise<IngestResult>;
  /** Parses an envelope file (JSON array, one JSON value, or JSON Lines; validate.ts) and binds its records; lines that are not JSON are quarantined. */
  ingestText(text: string, opts: IngestOptions): Promise<IngestResult>;
  /** Binds the wrapper spans of a stopped memoryd's database (facts.ts: the attribute mapping), read-only, in batches. */
  ingestFacts(memoryDbFile: string, opts?: MemoryIngestOptions): Promise<MemoryIngestResult>;
  /** Quarantined records, oldest first (open ones only unless `includeResolved`). */
  quarantine(opts?: { limit?: number; includeResolved?: boolean }): Promise<QuarantineEntry[]>;
  /** Binds a fixed version of a quarantined record and marks the record resolved; replaying again stores nothing more. */
  replay(quarantineId: string, fixedRecord: unknown, opts?: { source?: string }): Promise<ReplayResult>;
  /** Capsules with eligibility at `now`, most recently seen first. */
  capsules(filter?: CapsuleFilter, opts?: { now?: Date }): Promise<Capsule[]>;
  /** Eligible capsules as suggestions per the rollout mode. */
  suggest(filter?: CapsuleFilter, now?: Date): Promise<SuggestResult>;
  /** Applies an eligible capsule (prescriptive rollout only) and records the audit row. */
  apply(upsertKeyHash: string, opts: { actor: string; reason: string; now?: Date }): Promise<Application>;
  /** The audit of applications, oldest first. */
  applications(opts?: { limit?: number }): Promise<Application[]>;
  /** One query primitive (primitives.ts) on one snapshot. */
  query(primitive: string, opts?: QueryOptions): Promise<QueryResult>;
  /** Counts, configuration and versions. */
  status(): Promise<BinderStatus>;
  /** Every fact row, by idempotency key (export, audit, determinism checks: reads the whole table). */
  facts(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** The columns of `binder_envelopes` in table order, with their DuckDB types (the staging document's shape). */
export const FACT_COLUMNS = [
  ['idempotency_key', 'VARCHAR'],
  ['run_id', 'VARCHAR'],
  ['task_id', 'VARCHAR'],
  ['group_id', 'VARCHAR'],
  ['binder_version', 'VARCHAR'],
  ['envelope_schema', 'VARCHAR'],
  ['event_id', 'VARCHAR'],
  ['sequence', 'BIGINT'],
  ['signal', 'VARCHAR'],
  ['anomaly_trigger', 'VARCHAR'],
  ['wrapper_policy_name', 'VARCHAR'],
  ['wrapper_policy_version', 'VARCHAR'],
  ['scope', 'VARCHAR'],
  ['target_kind', 'VARCHAR'],
  ['target_id', 'VARCHAR'],
  ['action_kind', 'VARCHAR'],
  ['failure_reason_code', 'VARCHAR'],
  ['policy_reason_code', 'VARCHAR'],
  ['context', 'VARCHAR'],
  ['evidence', 'VARCHAR'],
  ['observed_at', 'VARCHAR'],
  ['observed_ts', 'VARCHAR'],
  ['fingerprint_hash', 'VARCHAR'],
  ['upsert_key', 'VARCHAR'],
  ['fallback_version', 'VARCHAR'],
  ['strict_derivation', 'VARCHAR'],
  ['strict_minting', 'BOOLEAN'],
  ['hybrid_derivation', 'VARCHAR'],
  ['hybrid_minting', 'BOOLEAN'],
  ['lenient_derivation', 'VARCHAR'],
  ['lenient_minting', 'BOOLEAN'],
] as const;
type FactColumn = (typeof FACT_COLUMNS)[number][0];
/** One fact row as staged (column name → value). */
export type FactRow = { [K in FactColumn]: string | number | boolean | null };

/**
 * The columns that are the envelope itself (the rest are derived from them and the
 * versions). Two envelopes with one idempotency key are duplicates exactly when these
 * are equal.
 */
const CONTENT_COLUMNS: readonly FactColumn[] = [
  'run_id', 'task_id', 'group_id', 'binder_version', 'envelope_schema', 'event_id', 'sequence', 'signal', 'anomaly_trigger', 'wrapper_policy_name',
  'wrapper_policy_version', 'scope', 'target_kind', 'target_id', 'action_kind', 'failure_reason_code', 'policy_reason_code', 'context', 'evidence', 'observed_at',
];

/** The order facts are listed in (a unique key: the same rows give the same list). */
export const FACTS_ORDER = 'idempotency_key';

const FACT_LIST = FACT_COLUMNS.map(([c]) => c).join(', ');


/** The values of a valid envelope's fact row, in {@link FACT_COLUMNS} order: its fields, keys, fingerprint and derivations. */
export function factValues(e: WrapperEnvelope, cache?: SituationCache): FactRow[FactColumn][] {
  const { values: v, sit, kind } = stagedFact(e, cache);
  const s = sit.cols;
  const k = kind.cols;
  return [
    v[0], v[1], v[2], v[3], BINDER_VERSION, k[0], v[4], v[5], k[1], k[2], s[0], s[1], s[2], s[3], s[4], s[5], s[6], v[6], s[7], v[7], v[8], v[9], s[8], s[9], FALLBACK_VERSION,
    k[3], k[4], k[5], k[6], k[7], k[8],
  ];
}

/** The fact row of a valid envelope, by column name ({@link factValues} as an object). */
export function factRow(e: WrapperEnvelope): FactRow {
  const v = factValues(e);
  return Object.fromEntries(FACT_COLUMNS.map(([c], i) => [c, v[i]])) as FactRow;
}

/** The envelope a fact row holds (the inverse of {@link factRow} on the envelope's own fields). */
export function envelopeOf(row: Record<string, unknown>): WrapperEnvelope {
  const str = (k: string) => row[k] as string;
  return {
    schema: str('envelope_schema') as WrapperEnvelope['schema'],
    event_id: str('event_id'),
    sequence: num(row.sequence),
    run_id: str('run_id'),
    task_id: str('task_id'),
    group_id: str('group_id'),
    signal: str('signal') as WrapperEnvelope['signal'],
    ...(row.anomaly_trigger !== null && row.anomaly_trigger !== undefined ? { anomaly_trigger: str('anomaly_trigger') } : {}),
    wrapper_policy: { name: str('wrapper_policy_name'), version: str('wrapper_policy_version') },
    task_spec: { scope: str('scope'), target: { kind: str('target_kind'), id: str('target_id') }, action: { kind: str('action_kind') }, failure_reason_code: str('failure_reason_code') },
    policy_reason_code: (row.policy_reason_code as string | null) ?? null,
    context: JSON.parse(str('context')) as WrapperEnvelope['context'],
    evidence: JSON.parse(str('evidence')) as WrapperEnvelope['evidence'],
    observed_at: str('observed_at'),
  };
}

/** A record on its way to quarantine. */
interface Refused {
  ord: number;
  raw: unknown;
  reasons: StoredQuarantineReason[];
}

/** A batch after validation: fact rows of the valid records, refusals of the others (by record position). */
interface Prepared {
  received: number;
  rows: Array<{ ord: number; fact: StagedFact; raw: unknown }>;
  refused: Refused[];
  /** Whether every record is plain JSON (so its batch digest may be recorded); not computed (false) unless asked. */
  plain: boolean;
}

/**
 * The capsule of each upsert key, from all of its facts, for one fallback mode. One
 * row per key by construction (GROUP BY): DuckDB's `INSERT … ON CONFLICT DO UPDATE`
 * has been seen to drop a row silently when one statement holds the same key twice.
 * `{keys}` selects the upsert keys to recompute.
 */
function capsuleSelect(mode: FallbackMode, keys: string | null): string {
  return `SELECT upsert_key, any_value(scope) AS scope, any_value(target_kind) AS target_kind, any_value(target_id) AS target_id,
      any_value(action_kind) AS action_kind, any_value(failure_reason_code) AS failure_reason_code, any_value(fingerprint_hash) AS fingerprint_hash,
      any_value(binder_version) AS binder_version, '${mode}' AS fallback_mode, '${FALLBACK_VERSION}' AS fallback_version,
      count(*) AS envelope_count,
      count(*) FILTER (WHERE d = 'support') AS support_count,
      count(*) FILTER (WHERE d = 'contradiction') AS contradiction_count,
      count(*) FILTER (WHERE d = 'support' AND signal IN ('failure', 'denial')) AS explicit_count,
      count(*) FILTER (WHERE d = 'support' AND signal = 'anomaly') AS anomaly_count,
      count(*) FILTER (WHERE d = 'support' AND signal = 'denial') AS denial_count,
      coalesce(min(observed_ts) FILTER (WHERE d = 'support'), min(observed_ts)) AS first_seen_ts,
      coalesce(max(observed_ts) FILTER (WHERE d = 'support'), max(observed_ts)) AS last_seen_ts,
      to_json(list_sort(list_distinct(list(wrapper_policy_name || '@' || wrapper_policy_version))))::VARCHAR AS wrapper_policies,
      to_json(list_sort(list_distinct(list(policy_reason_code))))::VARCHAR AS policy_reason_codes,
      bool_or(m) AS minted
    FROM (SELECT *, ${mode}_derivation AS d, ${mode}_minting AS m FROM binder_envelopes${keys ? ` WHERE upsert_key IN (${keys})` : ''})
    GROUP BY upsert_key`;
}

/**
 * The capsules of the upsert keys that got new facts in this batch, without reading
 * their older facts: the batch's new facts (`binder_stage` rows kept by the insert)
 * aggregated by key, added to the stored capsule of the key. Exact because facts are
 * append-only between reconciles (which recompute from all facts): counts add up; first
 * and last seen are the min and max of the support rows' times, or of all rows' when a
 * key has no support row (which the stored support count tells); the policy lists are
 * the sorted union of distinct values; minted is an OR. The same SQL functions build the
 * lists as {@link capsuleSelect}, so the stored text is byte for byte the same.
 * Only for stored capsules of this mode and fallback version (the caller checks).
 */
function capsuleDelta(mode: FallbackMode): string {
  const counts = ['envelope_count', 'support_count', 'contradiction_count', 'explicit_count', 'anomaly_count', 'denial_count'];
  const seen = (col: string, pick: 'least' | 'greatest', support: string, all: string) => `CASE
        WHEN coalesce(c.support_count, 0) > 0 AND b.${support} IS NOT NULL THEN ${pick}(c.${col}, b.${support})
        WHEN coalesce(c.support_count, 0) > 0 THEN c.${col}
        WHEN b.${support} IS NOT NULL THEN b.${support}
        WHEN c.upsert_key IS NOT NULL THEN ${pick}(c.${col}, b.${all})
        ELSE b.${all} END AS ${col}`;
  const union = (col: string, list: string) => `to_json(list_sort(list_distinct(list_concat(coalesce(from_json(c.${col}, '["VARCHAR"]'), []::VARCHAR[]), b.${list}))))::VARCHAR AS ${col}`;
  return `WITH b AS (
      SELECT upsert_key, any_value(scope) AS scope, any_value(target_kind) AS target_kind, any_value(target_id) AS target_id,
        any_value(action_kind) AS action_kind, any_value(failure_reason_code) AS failure_reason_code, any_value(fingerprint_hash) AS fingerprint_hash,
        any_value(binder_version) AS binder_version,
        count(*) AS envelope_count,
        count(*) FILTER (WHERE d = 'support') AS support_count,
        count(*) FILTER (WHERE d = 'contradiction') AS contradiction_count,
        count(*) FILTER (WHERE d = 'support' AND signal IN ('failure', 'denial')) AS explicit_count,
        count(*) FILTER (WHERE d = 'support' AND signal = 'anomaly') AS anomaly_count,
        count(*) FILTER (WHERE d = 'support' AND signal = 'denial') AS denial_count,
        min(observed_ts) FILTER (WHERE d = 'support') AS support_first, min(observed_ts) AS all_first,
        max(observed_ts) FILTER (WHERE d = 'support') AS support_last, max(observed_ts) AS all_last,
        list(wrapper_policy_name || '@' || wrapper_policy_version) AS policies,
        list(policy_reason_code) AS codes,
        bool_or(m) AS minted
      FROM (SELECT *, ${mode}_derivation AS d, ${mode}_minting AS m FROM ${STAGE_FULL} WHERE ord IN (SELECT ord FROM binder_stage_class WHERE rn = 1 AND NOT existing))
      GROUP BY upsert_key)
    SELECT b.upsert_key, b.scope, b.target_kind, b.target_id, b.action_kind, b.failure_reason_code, b.fingerprint_hash, b.binder_version,
      '${mode}' AS fallback_mode, '${FALLBACK_VERSION}' AS fallback_version,
      ${counts.map((k) => `b.${k} + coalesce(c.${k}, 0) AS ${k}`).join(', ')},
      ${seen('first_seen_ts', 'least', 'support_first', 'all_first')},
      ${seen('last_seen_ts', 'greatest', 'support_last', 'all_last')},
      ${union('wrapper_policies', 'policies')},
      ${union('policy_reason_codes', 'codes')},
      coalesce(c.minted, false) OR b.minted AS minted
    FROM b LEFT JOIN binder_capsules c ON c.upsert_key = b.upsert_key`;
}

const CAPSULE_COLUMNS = [
  'upsert_key', 'scope', 'target_kind', 'target_id', 'action_kind', 'failure_reason_code', 'fingerprint_hash', 'binder_version', 'fallback_mode', 'fallback_version',
  'envelope_count', 'support_count', 'contradiction_count', 'explicit_count', 'anomaly_count', 'denial_count', 'first_seen_ts', 'last_seen_ts', 'wrapper_policies',
  'policy_reason_codes', 'minted',
];
/**
 * The upsert of recomputed capsules from `binder_stage_capsules` (one row per key,
 * {@link capsuleSelect}; every column but the key replaced). Materialized first: the
 * same upsert with the aggregate inline took 2.1 s for 10,000 keys over 60,000 facts,
 * against 0.12 s + 0.04 s this way (DuckDB 1.5 plans the inline form badly).
 */
const CAPSULE_UPSERT = `INSERT INTO binder_capsules (${CAPSULE_COLUMNS.join(', ')}) SELECT ${CAPSULE_COLUMNS.join(', ')} FROM binder_stage_capsules
   ON CONFLICT (upsert_key) DO UPDATE SET ${CAPSULE_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`;

const strings = (v: unknown): string[] => (typeof v === 'string' ? (JSON.parse(v) as string[]) : []);

function capsuleOf(r: Row, cfg: BinderConfig, now: Date): Capsule {
  const counters: CapsuleCounters = {
    support_count: num(r.support_count),
    contradiction_count: num(r.contradiction_count),
    explicit_count: num(r.explicit_count),
    anomaly_count: num(r.anomaly_count),
    denial_count: num(r.denial_count),
    first_seen_ts: r.first_seen_ts as string,
    last_seen_ts: r.last_seen_ts as string,
    wrapper_policies: strings(r.wrapper_policies),
    policy_reason_codes: strings(r.policy_reason_codes),
  };
  const minted = r.minted as boolean;
  const el = eligibility(counters, cfg, now);
  const reasons: CapsuleEligibility['reasons'] = minted ? el.reasons : [{ code: 'not-minted', message: `no envelope of this key may mint a capsule under fallback ${r.fallback_mode as string}` }, ...el.reasons];
  return {
    upsert_key: r.upsert_key as string,
    scope: r.scope as string,
    target_kind: r.target_kind as string,
    target_id: r.target_id as string,
    action_kind: r.action_kind as string,
    failure_reason_code: r.failure_reason_code as string,
    fingerprint_hash: r.fingerprint_hash as string,
    binder_version: r.binder_version as string,
    fallback_mode: r.fallback_mode as FallbackMode,
    fallback_version: r.fallback_version as string,
    envelope_count: num(r.envelope_count),
    minted,
    counters,
    eligibility: { eligible: minted && el.eligible, qualified: minted && el.qualified, confidence: el.confidence, stale: el.stale, age_days: el.age_days, reasons },
  };
}

/** BIGINT columns as numbers, the rest as they are. */
function plainRow(r: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[k] = typeof v === 'bigint' ? num(v) : v;
  return out;
}

/**
 * The texts with every secret found replaced by `[REDACTED:<rule>]`: secretlint's
 * preset, @govern/secrets' token rules (the loose ones too: this redacts, it does not
 * refuse) and the known values. The texts are scanned joined by newlines, ~1 MiB a
 * call (secretlint costs ~0.2 ms a call); a finding reaching across texts redacts the
 * part of each text it covers, so joining never lets a secret through.
 */
async function redactTexts(texts: readonly string[], known: readonly KnownSecret[]): Promise<string[]> {
  const out = [...texts];
  let i = 0;
  while (i < texts.length) {
    const first = i;
    const starts: number[] = [];
    let joined = '';
    for (; i < texts.length && (joined.length < 1 << 20 || i === first); i++) {
      starts.push(joined.length);
      joined += `${texts[i]}\n`;
    }
    const cuts = new Map<number, Array<{ start: number; end: number; rule: string }>>();
    for (const f of await findSecrets(joined, { known })) {
      for (let k = 0; k < starts.length; k++) {
        const s = starts[k]!;
        const e = s + texts[first + k]!.length;
        if (f.end <= s || f.start >= e) continue;
        const list = cuts.get(first + k) ?? [];
        list.push({ start: Math.max(f.start, s) - s, end: Math.min(f.end, e) - s, rule: f.rule });
        cuts.set(first + k, list);
      }
    }
    for (const [idx, list] of cuts) {
      const text = texts[idx]!;
      let res = '';
      let at = 0;
      for (const c of list.sort((a, b) => a.start - b.start)) {
        if (c.start < at) continue;
        res += `${text.slice(at, c.start)}[REDACTED:${c.rule}]`;
        at = c.end;
      }
      out[idx] = res + text.slice(at);
    }
  }
  return out;
}

/**
 * A string with each lone surrogate written as its escape text (`\ud800`, six
 * characters): DuckDB's JSON refuses a lone surrogate, and a quarantined record must be
 * stored whatever it holds.
 */
function unpaired(s: string): string {
  return LONE_SURROGATE.test(s) ? s.replace(/\p{Cs}/gu, (c) => `\\u${c.charCodeAt(0).toString(16)}`) : s;
}

/**
 * A record as it is stored in quarantine: made plain JSON ({@link canonicalText}'s
 * rules), every string (keys too) redacted and lone surrogates written as escapes, the
 * values of secret-named `context.env` entries replaced, then canonical text.
 */
async function storedForms(raws: readonly unknown[], known: readonly KnownSecret[]): Promise<string[]> {
  const plain = raws.map((raw) => JSON.parse(canonicalText(raw)) as unknown);
  // Every string of every record, redacted in one pass, then put back by the same walk.
  const texts: string[] = [];
  const collect = (v: unknown, depth: number): void => {
    if (depth > MAX_STORED_DEPTH) return;
    if (typeof v === 'string') texts.push(v);
    else if (Array.isArray(v)) for (const x of v) collect(x, depth + 1);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        texts.push(k);
        collect(x, depth + 1);
      }
    }
  };
  const envs: KnownSecret[] = [...known];
  for (const raw of plain) {
    collect(raw, 0);
    const env = (raw as { context?: { env?: unknown } } | null)?.context?.env;
    if (env && typeof env === 'object') envs.push(...knownSecretsFromEnv(Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'))));
  }
  const redacted = await redactTexts(texts, envs);
  let at = 0;
  const rebuild = (v: unknown, depth: number): unknown => {
    if (depth > MAX_STORED_DEPTH) return '[TOO-DEEP]';
    if (typeof v === 'string') return unpaired(redacted[at++]!);
    if (Array.isArray(v)) return v.map((x) => rebuild(x, depth + 1));
    if (v !== null && typeof v === 'object') {
      // No prototype: a "__proto__" key stays a key.
      const out = Object.create(null) as Record<string, unknown>;
      for (const x of Object.values(v)) {
        let key = unpaired(redacted[at++]!);
        while (Object.hasOwn(out, key)) key = `${key}#`; // two keys redacted alike: both kept
        out[key] = rebuild(x, depth + 1);
      }
      return out;
    }
    return v;
  };
  return plain.map((raw) => {
    const copy = rebuild(raw, 0);
    const env = (copy as { context?: { env?: unknown } } | null)?.context?.env;
    if (env && typeof env === 'object' && !Array.isArray(env)) {
      const rec = env as Record<string, unknown>;
      for (const k of Object.keys(rec)) if (isSecretName(k)) rec[k] = '[REDACTED:secret-name]';
    }
    return canonicalText(copy);
  });
}

/**
 * The batch digest: sha256 of the records' JSON text (null when one has none). It
 * identifies a batch only when every record is plain JSON ({@link isWellFormedJson}:
 * then JSON.stringify is one-to-one), which is checked where it matters instead of
 * here: before a stored digest is trusted (the known-batch answer), and before one is
 * recorded (`Prepared.plain`, which validation mostly knows already).
 */
function recordsDigest(records: readonly unknown[]): string | null {
  const h = createHash('sha256').update(`binder-batch/1\n${BINDER_VERSION}\n${FALLBACK_VERSION}\nrecords\n`);
  try {
    for (let i = 0; i < records.length; i++) {
      const json = JSON.stringify(records[i]) as string | undefined;
      if (json === undefined) return null;
      h.update(json);
      h.update('\n');
    }
  } catch {
    // A bigint or a cycle: not JSON, no digest.
    return null;
  }
  return h.digest('hex');
}

function textDigest(text: string): string {
  return createHash('sha256').update(`binder-batch/1\n${BINDER_VERSION}\n${FALLBACK_VERSION}\ntext\n`).update(text).digest('hex');
}

/**
 * DuckDB settings of a binder file. DuckDB checkpoints (folds the WAL into the file)
 * inside the COMMIT that makes the WAL exceed `checkpoint_threshold` (16 MiB by
 * default): a batch of 20,000 envelopes writes about that much, so every ingest paid
 * for a checkpoint of the facts and their index. Raised as in the memory store;
 * `close()` checkpoints, and durability is unchanged (commits are in the WAL).
 */
export const BINDER_SETTINGS: Record<string, string> = { checkpoint_threshold: '256MiB' };

/** Opens (creating and migrating) a binder file. Refuses (`BinderError`: `locked`, `open-failed`, `schema`) a file it cannot use. */
export async function openBinder(opts: OpenBinderOptions): Promise<Binder> {
  const part = opts.partSize ?? PART;
  if (!Number.isSafeInteger(part) || part < 1) throw new BinderError('invalid-query', `partSize must be a positive integer, not ${String(opts.partSize)}`);
  let db: Db;
  try {
    db = await openDb(opts.file, { settings: { ...BINDER_SETTINGS, ...opts.settings }, lockedHint: 'another govern process is binding into it' });
  } catch (err) {
    throw asBinderError(err);
  }
  try {
    await migrate(db);
    const known = opts.knownSecrets ?? knownSecretsFromEnv(process.env);
    const store = new BinderStore(db, opts.config ?? DEFAULT_BINDER_CONFIG, opts.now ?? (() => new Date()), known, opts.trace, part);
    await store.reconcile();
    return store;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw asBinderError(err);
  }
}

/** A kernel refusal (locked, open-failed, schema) as a BinderError with the same code and details. */
function asBinderError(err: unknown): unknown {
  if (err instanceof DbError && (err.code === 'locked' || err.code === 'open-failed' || err.code === 'schema' || err.code === 'closed')) {
    return new BinderError(err.code, err.message, { details: err.details, cause: err });
  }
  return err;
}

/**
 * The staged rows of a call as fact rows: each row's own values joined with its
 * situation and kind (staged once per call), the versions as constants. Same columns and
 * values as {@link factValues}; `ord` first.
 */
const STAGE_FULL = (() => {
  const from: Record<string, string> = { binder_version: `'${BINDER_VERSION.replace(/'/g, "''")}'`, fallback_version: `'${FALLBACK_VERSION.replace(/'/g, "''")}'` };
  for (const [c] of ROW_COLUMNS) from[c] = `s.${c}`;
  for (const c of SITUATION_COLUMNS) from[c] = `t.${c}`;
  for (const [c] of KIND_COLUMNS) from[c] = `k.${c}`;
  const cols = FACT_COLUMNS.map(([c]) => `${from[c]!} AS ${c}`);
  return `(SELECT s.ord, ${cols.join(', ')} FROM binder_stage s JOIN binder_stage_sit t ON t.sit = s.sit JOIN binder_stage_kind k ON k.kind = s.kind)`;
})();

const STAGE_COLUMNS = `ord INTEGER, sit INTEGER, kind INTEGER, ${ROW_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')}`;
const SIT_COLUMNS = `sit INTEGER, ${SITUATION_COLUMNS.map((c) => `${c} VARCHAR`).join(', ')}`;
const KIND_TABLE_COLUMNS = `kind INTEGER, ${KIND_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')}`;
type Writer = (a: RowAppender, v: RowValues) => void;
const ROW_WRITERS: Writer[] = ROW_COLUMNS.map(([, t], i): Writer => {
  if (t === 'BIGINT') return (a, v) => a.bigint(BigInt(v[i] as number));
  return (a, v) => a.varchar(v[i] as string | null);
});

/** What one call has staged so far: the situations and kinds (by object), with their ids in `binder_stage_sit` / `binder_stage_kind`. */
interface StageState {
  sits: Map<Situation, number>;
  kinds: Map<Kind, number>;
}

/**
 * Records per part of an `ingest()` call. The parts are prepared (validated, keyed) one
 * after another while DuckDB classifies and inserts the previous part on its own thread,
 * so the JavaScript and the SQL of one call overlap on two cores; all parts are bound in
 * one transaction, so the call stays atomic.
 */
const PART = 12_500;

/** The classification of staged rows (one row per staged row). */
const CLASS_COLUMNS = 'ord INTEGER, idempotency_key VARCHAR, upsert_key VARCHAR, rn BIGINT, existing BOOLEAN';

/**
 * Appends one part's rows to the call's staging tables and starts, without awaiting
 * it, the SQL that classifies these rows and inserts the new ones. `state` null: the
 * call's first part (the tables are replaced first). A row is staged as its own values
 * (`binder_stage`: ord, situation id, kind id, {@link ROW_COLUMNS}); its situation and
 * kind once per call (`binder_stage_sit`, `binder_stage_kind`), and {@link STAGE_FULL}
 * joins them back: a third of the appender calls of staging whole fact rows (the
 * appender's per-value cost was the largest DuckDB share on the main thread). Measured
 * before against one JSON document per row expanded by DuckDB (`json_transform`):
 * appending columns was the fastest (1.1 s against 1.7 s and 2.7 s for 100,000 rows).
 *
 * Classification of a part: `rn` is the position of a row among the part's rows of one
 * key, `existing` says the key was stored before the part (by an earlier call, or by an
 * earlier part of this call: same transaction), so a key repeated across parts is
 * compared with the stored fact exactly as one repeated within a part. One SQL text
 * (two statements) so DuckDB runs both without waiting for the event loop in between.
 */
async function stagePart(tx: Conn, rows: Prepared['rows'], state: StageState | null): Promise<{ sql: Promise<unknown>; state: StageState }> {
  if (!state) {
    // Replaced, not emptied: DuckDB keeps the rows a DELETE removed from a temp table, so a
    // binder emptying it per call held every row it ever staged (9 → 371 MiB over 40 calls
    // of 50,000 records in a standalone test, 2026-12-07).
    await tx.run(`CREATE OR REPLACE TEMP TABLE binder_stage (${STAGE_COLUMNS})`);
    await tx.run(`CREATE OR REPLACE TEMP TABLE binder_stage_sit (${SIT_COLUMNS})`);
    await tx.run(`CREATE OR REPLACE TEMP TABLE binder_stage_kind (${KIND_TABLE_COLUMNS})`);
    await tx.run(`CREATE OR REPLACE TEMP TABLE binder_stage_class (${CLASS_COLUMNS})`);
    state = { sits: new Map(), kinds: new Map() };
  }
  const { sits, kinds } = state;
  const newSits: Situation[] = [];
  const newKinds: Kind[] = [];
  for (const r of rows) {
    if (!sits.has(r.fact.sit)) {
      sits.set(r.fact.sit, sits.size);
      newSits.push(r.fact.sit);
    }
    if (!kinds.has(r.fact.kind)) {
      kinds.set(r.fact.kind, kinds.size);
      newKinds.push(r.fact.kind);
    }
  }
  if (newSits.length) {
    await tx.append(
      'binder_stage_sit',
      newSits,
      (a, x) => {
        a.integer(sits.get(x)!);
        for (const v of x.cols) a.varchar(v);
      },
      'temp',
    );
  }
  if (newKinds.length) {
    await tx.append(
      'binder_stage_kind',
      newKinds,
      (a, x) => {
        a.integer(kinds.get(x)!);
        const c = x.cols;
        a.varchar(c[0]);
        a.varchar(c[1]);
        a.varchar(c[2]);
        for (let i = 3; i < 9; i += 2) {
          a.varchar(c[i] as string);
          a.boolean(c[i + 1] as boolean);
        }
      },
      'temp',
    );
  }
  await tx.append(
    'binder_stage',
    rows,
    (a, r) => {
      a.integer(r.ord);
      a.integer(sits.get(r.fact.sit)!);
      a.integer(kinds.get(r.fact.kind)!);
      for (const w of ROW_WRITERS) w(a, r.fact.values);
    },
    'temp',
  );
  // Ords are integers chosen by the binder (record positions), safe to write into the SQL.
  const part = `ord BETWEEN ${rows[0]!.ord} AND ${rows[rows.length - 1]!.ord}`;
  const sql = tx.run(`INSERT INTO binder_stage_class
      SELECT s.ord, s.idempotency_key, t.upsert_key,
             row_number() OVER (PARTITION BY s.idempotency_key ORDER BY s.ord) AS rn,
             s.idempotency_key IN (SELECT f.idempotency_key FROM binder_envelopes f WHERE f.idempotency_key IN (SELECT idempotency_key FROM binder_stage WHERE ${part})) AS existing
      FROM binder_stage s JOIN binder_stage_sit t ON t.sit = s.sit WHERE s.${part};
    INSERT INTO binder_envelopes SELECT ${FACT_LIST} FROM ${STAGE_FULL} WHERE ${part} AND ord IN (SELECT ord FROM binder_stage_class WHERE ${part} AND rn = 1 AND NOT existing)`);
  // Awaited by the caller; meanwhile a failure must not surface as an unhandled rejection.
  sql.catch(() => undefined);
  return { sql, state };
}

class BinderStore implements Binder {
  private readonly situations: SituationCache = new Map();

  constructor(
    private readonly db: Db,
    readonly config: BinderConfig,
    private readonly now: () => Date,
    private readonly known: readonly KnownSecret[],
    private readonly trace?: (phase: BindPhase, ms: number) => void,
    private readonly part = PART,
  ) {}

  /** Runs one step, timing it when traced. */
  private async step<T>(phase: BindPhase, fn: () => Promise<T> | T): Promise<T> {
    if (!this.trace) return fn();
    const t = performance.now();
    try {
      return await fn();
    } finally {
      this.trace(phase, performance.now() - t);
    }
  }

  get file(): string {
    return this.db.file;
  }

  private get mode(): FallbackMode {
    return this.config.fallback;
  }

  /**
   * Brings derived rows in line with this build and configuration, in one transaction:
   * facts derived under another FALLBACK_VERSION are derived again, and capsules
   * computed for another fallback mode or version are recomputed from all facts.
   * Nothing to do on an up-to-date file (two small queries).
   */
  reconcile(): Promise<void> {
    return this.inOrder(async (write) => {
      if (!(FALLBACK_MODES as readonly string[]).includes(this.mode)) throw new Error(`unknown fallback mode ${String(this.mode)}`);
      const stale = await this.db.all(`SELECT count(*) AS n FROM binder_envelopes WHERE fallback_version <> $1`, [FALLBACK_VERSION]);
      const other = await this.db.all(`SELECT count(*) AS n FROM binder_capsules WHERE fallback_mode <> $1 OR fallback_version <> $2`, [this.mode, FALLBACK_VERSION]);
      if (num(stale[0]!.n) === 0 && num(other[0]!.n) === 0) return;
      await write(async (tx) => {
        if (num(stale[0]!.n) > 0) await this.rederive(tx);
        await tx.run('DELETE FROM binder_capsules');
        await tx.run(`INSERT INTO binder_capsules (${CAPSULE_COLUMNS.join(', ')}) ${capsuleSelect(this.mode, null)}`);
        const n = num((await tx.all('SELECT count(*) AS n FROM binder_capsules'))[0]!.n);
        await this.log(tx, { kind: 'recompute', source: 'open', path: 'recompute', received: 0, accepted: 0, duplicates: 0, quarantined: 0, conflicts: 0, created: 0, updated: n, minted: 0, digest: null });
      });
    });
  }

  /** The derivation columns of facts derived under another FALLBACK_VERSION, derived again from their envelopes. */
  private async rederive(tx: Conn): Promise<void> {
    await tx.run('CREATE OR REPLACE TEMP TABLE binder_rederive (idempotency_key VARCHAR, doc VARCHAR)');
    const rows = await tx.all(`SELECT * FROM binder_envelopes WHERE fallback_version <> $1`, [FALLBACK_VERSION]);
    await tx.append(
      'binder_rederive',
      rows,
      (a, r) => {
        const e = envelopeOf(r);
        const d = Object.fromEntries(FALLBACK_MODES.flatMap((m) => {
          const x = derive(e, m);
          return [[`${m}_derivation`, x.derivation], [`${m}_minting`, x.minting]];
        }));
        a.varchar(r.idempotency_key as string);
        a.varchar(JSON.stringify(d));
      },
      'temp',
    );
    const sets = FALLBACK_MODES.flatMap((m) => [`${m}_derivation = json_extract_string(r.doc, '$.${m}_derivation')`, `${m}_minting = CAST(json_extract(r.doc, '$.${m}_minting') AS BOOLEAN)`]);
    await tx.run(`UPDATE binder_envelopes SET ${sets.join(', ')}, fallback_version = '${FALLBACK_VERSION}' FROM binder_rederive r WHERE binder_envelopes.idempotency_key = r.idempotency_key`);
  }

  ingest(records: readonly unknown[], opts: IngestOptions): Promise<IngestResult> {
    return this.inOrder(async (write) => {
      const digest = await this.step('digest', () => recordsDigest(records));
      const parts: Array<() => Promise<Prepared>> = [];
      for (let from = 0; from < records.length || from === 0; from += this.part) {
        const to = Math.min(records.length, from + this.part);
        parts.push(() => this.prepare(records, new Set(), digest !== null, from, to));
      }
      return this.run(write, digest, opts.source, parts, () => records.every((r) => isWellFormedJson(r)));
    });
  }

  /**
   * Every binder write goes through here. The call takes its place in the write order
   * when it is made, so calls that overlap (the next batch handed over before the
   * previous result, an `apply` after an `ingest` still computing its digest) commit in
   * the order they were made, whatever each awaits before its transaction (a digest,
   * the known-batch read, screening). `body` gets `write`, which waits until the
   * previous call has queued its transaction on the write connection (a FIFO queue),
   * queues this call's and lets the next call queue; a call that ends without writing
   * (an error, nothing to do) lets the next one go too.
   */
  private inOrder<T>(body: (write: Write) => Promise<T>): Promise<T> {
    const previous = this.writeOrder;
    let release!: () => void;
    this.writeOrder = new Promise<void>((resolve) => (release = resolve));
    const write: Write = async (fn) => {
      await previous;
      const queued = this.db.transaction(fn);
      release();
      return queued;
    };
    // A body that throws before it returns a promise must release the turn as well.
    return new Promise<T>((resolve) => resolve(body(write))).finally(release);
  }

  private writeOrder: Promise<void> = Promise.resolve();

  ingestText(text: string, opts: IngestOptions): Promise<IngestResult> {
    return this.inOrder((write) => this.run(write, textDigest(text), opts.source, [async () => {
      const entries = parseEnvelopeText(text);
      const records: unknown[] = [];
      const errors: Array<{ ord: number; raw: string; reason: QuarantineReason }> = [];
      entries.forEach((en, ord) => {
        if ('raw' in en) records.push(en.raw);
        else {
          records.push(undefined);
          // What failed to parse (the line in JSON Lines, else the whole text) is the raw record.
          errors.push({ ord, raw: en.text, reason: en.error });
        }
      });
      const p = await this.prepare(records, new Set(errors.map((e) => e.ord)));
      for (const e of errors) p.refused.push({ ord: e.ord, raw: e.raw, reasons: [e.reason] });
      p.refused.sort((a, b) => a.ord - b.ord);
      return p;
    }]));
  }

  ingestFacts(memoryDbFile: string, opts: MemoryIngestOptions = {}): Promise<MemoryIngestResult> {
    return ingestMemoryFacts(this, memoryDbFile, opts);
  }

  /**
   * Screens the records and builds the fact rows of the valid ones (`skip`: positions
   * that are not records). `wantPlain`: also say whether every record is plain JSON.
   * `from`/`to`: only the records at these positions (a part of the call).
   */
  private async prepare(records: readonly unknown[], skip: ReadonlySet<number> = new Set(), wantPlain = false, from = 0, to = records.length): Promise<Prepared> {
    const idx: number[] = [];
    for (let i = from; i < to; i++) if (!skip.has(i)) idx.push(i);
    const verdicts = await this.step('validate', () => screenEnvelopes(
      idx.map((i) => records[i]),
      { known: this.known },
    ));
    const p: Prepared = { received: to - from, rows: [], refused: [], plain: wantPlain };
    // One cache for the binder's life (bounded): a task's situation recurs run after run, batch after batch.
    if (this.situations.size > 100_000) this.situations.clear();
    const cache = this.situations;
    await this.step('keys', () => verdicts.forEach((v, k) => {
      const ord = idx[k]!;
      const raw = records[ord];
      // An envelope fast-envelope.ts proved valid came from a plain record of well-formed strings.
      const proven = v.ok && isProvenPlain(v.envelope);
      if (p.plain && !proven && !isWellFormedJson(raw)) p.plain = false;
      if (!v.ok) {
        p.refused.push({ ord, raw, reasons: v.reasons });
        return;
      }
      // Stored strings must be valid UTF-8 and hashed as RFC 8785 defines: a lone
      // surrogate passes the schema but would be altered (or refused) on the way.
      if (!proven && !isWellFormedJson(v.envelope)) {
        p.refused.push({ ord, raw, reasons: [{ ...NOT_CANONICAL }] });
        return;
      }
      p.rows.push({ ord, fact: stagedFact(v.envelope, cache), raw });
    }));
    return p;
  }

  /** One ingest call: the known-batch answer, or prepare then bind, in one transaction. */
  /**
   * `plainCheck`: for a digest of records (not of a text), whether the records are plain
   * JSON, asked before a stored digest is trusted; such a digest is recorded only when
   * `prepare` found every record plain.
   */
  private async run(write: Write, digest: string | null, source: string, parts: ReadonlyArray<() => Promise<Prepared>>, plainCheck?: () => boolean): Promise<IngestResult> {
    if (digest) {
      // Read on the read connection (committed data): it does not wait behind a batch
      // being bound, so a caller may prepare the next batch meanwhile. A digest committed
      // after this read is only a miss: the full path finds the duplicates.
      const b = await this.db.read('SELECT received, stored, quarantine_ids FROM binder_batches WHERE batch_digest = $1', [digest]);
      let known: { received: number; duplicates: number; quarantined: number; ingestId: number; ids: string[] } | null = null;
      if (b.length && (plainCheck?.() ?? true)) {
        known = await write(async (tx) => {
          const ids = JSON.parse(b[0]!.quarantine_ids as string) as string[];
          const base = { received: num(b[0]!.received), accepted: 0, duplicates: num(b[0]!.stored), quarantined: ids.length, conflicts: 0, created: 0, updated: 0, minted: 0 };
          const ingestId = await this.log(tx, { ...base, kind: 'ingest', source, path: 'known-batch', digest });
          return { ...base, ingestId, ids };
        });
      }
      if (known) {
        return {
          received: known.received,
          accepted: 0,
          duplicates: known.duplicates,
          quarantined: known.quarantined,
          conflicts: 0,
          quarantineIds: known.ids,
          capsules: { created: 0, updated: 0, minted: 0 },
          path: 'known-batch',
          ingestId: known.ingestId,
        };
      }
    }
    let done = 0;
    const result = await write(async (tx) => {
      const prepared = await this.stream(tx, parts);
      // A digest of records that are not all plain JSON identifies nothing: neither logged nor recorded.
      const recorded = digest !== null && (plainCheck === undefined || prepared.plain) ? digest : null;
      const stored = await storedForms(
        prepared.refused.map((r) => r.raw),
        this.known,
      );
      const r = await this.bind(tx, prepared, stored, source, true);
      const t = performance.now();
      const ingestId = await this.log(tx, {
        kind: 'ingest',
        source,
        path: 'bind',
        received: prepared.received,
        accepted: r.accepted,
        duplicates: r.duplicates,
        quarantined: r.quarantineIds.length,
        conflicts: r.conflicts,
        created: r.capsules.created,
        updated: r.capsules.updated,
        minted: r.capsules.minted,
        digest: recorded,
      });
      if (recorded) {
        await tx.run('INSERT OR IGNORE INTO binder_batches VALUES ($1, $2, $3, $4, $5)', [recorded, ingestId, prepared.received, r.accepted + r.duplicates, JSON.stringify(r.quarantineIds)]);
      }
      this.trace?.('bookkeeping', performance.now() - t);
      done = performance.now();
      return {
        received: prepared.received,
        accepted: r.accepted,
        duplicates: r.duplicates,
        quarantined: r.quarantineIds.length,
        conflicts: r.conflicts,
        quarantineIds: r.quarantineIds,
        capsules: r.capsules,
        path: 'bind' as const,
        ingestId,
      };
    });
    this.trace?.('commit', performance.now() - done);
    return result;
  }

  /**
   * Prepares the parts of a call one after another inside its transaction, staging each
   * part's rows and starting its classification and insert ({@link stagePart}) before
   * preparing the next, so DuckDB's work on one part overlaps the JavaScript of the next.
   * Returns the whole call's prepared batch (rows and refusals in record order), staged,
   * classified and its new rows inserted.
   */
  private async stream(tx: Conn, parts: ReadonlyArray<() => Promise<Prepared>>): Promise<Prepared> {
    const all: Prepared = { received: 0, rows: [], refused: [], plain: true };
    let pending: Promise<unknown> | null = null;
    let state: StageState | null = null;
    try {
      for (const part of parts) {
        const p = await part();
        all.received += p.received;
        all.plain &&= p.plain;
        for (const r of p.rows) all.rows.push(r);
        for (const r of p.refused) all.refused.push(r);
        if (!p.rows.length) continue;
        if (pending) await this.step('insert', () => pending);
        const started: { sql: Promise<unknown>; state: StageState } = await this.step('stage', () => stagePart(tx, p.rows, state));
        state = started.state;
        pending = started.sql;
      }
      if (pending) await this.step('insert', () => pending);
    } catch (err) {
      // A part failed while DuckDB still runs the previous one: let it finish before the rollback.
      await pending?.catch(() => undefined);
      throw err;
    }
    all.refused.sort((a, b) => a.ord - b.ord);
    return all;
  }

  /**
   * Stores a prepared batch inside the caller's transaction: facts, duplicates and
   * conflicts, quarantine rows (`storedRefused`: the stored form of each refusal), capsules.
   * `staged`: {@link stream} has staged, classified and inserted its rows already.
   */
  private async bind(
    tx: Conn,
    p: Prepared,
    storedRefused: readonly string[],
    source: string,
    staged = false,
  ): Promise<{ accepted: number; duplicates: number; conflicts: number; quarantineIds: string[]; capsules: IngestResult['capsules']; outcome: Map<number, 'new' | 'duplicate' | 'conflict'> }> {
    // Every valid row is new unless the SQL below finds it a duplicate or a conflict.
    const outcome = new Map<number, 'new' | 'duplicate' | 'conflict'>(p.rows.map((r) => [r.ord, 'new']));
    const refused: Array<Refused & { stored: string }> = p.refused.map((r, i) => ({ ...r, stored: storedRefused[i]! }));
    let capsules = { created: 0, updated: 0, minted: 0 };
    if (p.rows.length) {
      if (!staged) {
        const { sql } = await this.step('stage', () => stagePart(tx, p.rows, null));
        await this.step('insert', () => sql);
      }
      // Every other row against the stored fact of its key (stored before, or just now by its batch's first row).
      const same = CONTENT_COLUMNS.map((c) => `s.${c} IS NOT DISTINCT FROM f.${c}`).join(' AND ');
      const others = await this.step('compare', () => tx.all(`SELECT c.ord, (${same}) AS same, f.event_id AS stored_event_id
        FROM binder_stage_class c JOIN ${STAGE_FULL} s ON s.ord = c.ord JOIN binder_envelopes f ON f.idempotency_key = c.idempotency_key
        WHERE c.rn > 1 OR c.existing`));
      const byOrd = new Map(p.rows.map((r) => [r.ord, r]));
      for (const o of others) {
        const ord = num(o.ord);
        if (o.same) {
          outcome.set(ord, 'duplicate');
          continue;
        }
        outcome.set(ord, 'conflict');
        const r = byOrd.get(ord)!;
        refused.push({
          ord,
          raw: r.raw,
          stored: '',
          reasons: [
            {
              code: 'idempotency-conflict',
              path: '',
              message: `idempotency key ${r.fact.values[0]} (run_id, task_id, group_id, ${BINDER_VERSION}) is stored with other content (event_id ${o.stored_event_id as string}); the stored fact is kept`,
            },
          ],
        });
      }
      capsules = await this.step('capsules', async () => {
        await tx.run('CREATE OR REPLACE TEMP TABLE binder_stage_keys AS SELECT DISTINCT upsert_key FROM binder_stage_class WHERE rn = 1 AND NOT existing');
        return this.recompute(tx);
      });
    }
    // Conflicts were found now: their stored form is computed here (secrets redacted like the others).
    const late = refused.filter((r) => r.stored === '');
    if (late.length) {
      const forms = await storedForms(
        late.map((r) => r.raw),
        this.known,
      );
      late.forEach((r, i) => (r.stored = forms[i]!));
    }
    refused.sort((a, b) => a.ord - b.ord);
    const quarantineIds = await this.step('bookkeeping', () => this.quarantineRows(tx, refused, source));
    let accepted = 0;
    let duplicates = 0;
    let conflicts = 0;
    for (const o of outcome.values()) {
      if (o === 'new') accepted++;
      else if (o === 'duplicate') duplicates++;
      else conflicts++;
    }
    return { accepted, duplicates, conflicts, quarantineIds, capsules, outcome };
  }

  /** Recomputes the capsules of the upsert keys in `binder_stage_keys` (those that got new facts); counts before and after say what changed. */
  private async recompute(tx: Conn): Promise<IngestResult['capsules']> {
    const count = async () =>
      (
        await tx.all(
          `SELECT count(*) AS n, count(*) FILTER (WHERE minted) AS minted, count(*) FILTER (WHERE fallback_mode <> $1 OR fallback_version <> $2) AS stale
           FROM binder_capsules WHERE upsert_key IN (SELECT upsert_key FROM binder_stage_keys)`,
          [this.mode, FALLBACK_VERSION],
        )
      )[0]!;
    const before = await count();
    // The batch's new facts added to the stored capsules; recomputed from all facts when a stored one was computed otherwise.
    const select = num(before.stale) === 0 ? capsuleDelta(this.mode) : capsuleSelect(this.mode, 'SELECT upsert_key FROM binder_stage_keys');
    await tx.run(`CREATE OR REPLACE TEMP TABLE binder_stage_capsules AS ${select}`);
    await tx.run(CAPSULE_UPSERT);
    const after = await count();
    return { created: num(after.n) - num(before.n), updated: num(before.n), minted: num(after.minted) - num(before.minted) };
  }

  /** Inserts the quarantine rows not there yet (first occurrence wins); the id of each refusal in order. */
  private async quarantineRows(tx: Conn, refused: ReadonlyArray<Refused & { stored: string }>, source: string): Promise<string[]> {
    if (!refused.length) return [];
    const at = this.now().toISOString();
    const rows = refused.map((r) => ({ ord: r.ord, id: sha256(r.stored), raw: r.stored, reasons: JSON.stringify(r.reasons) }));
    await tx.run('CREATE TEMP TABLE IF NOT EXISTS binder_stage_quarantine (ord INTEGER, quarantine_id VARCHAR, raw VARCHAR, reasons VARCHAR)');
    await tx.run('DELETE FROM binder_stage_quarantine');
    await tx.append(
      'binder_stage_quarantine',
      rows,
      (a, r) => {
        a.integer(r.ord);
        a.varchar(r.id);
        a.varchar(r.raw);
        a.varchar(r.reasons);
      },
      'temp',
    );
    await tx.run(
      `INSERT INTO binder_quarantine (quarantine_id, raw, reasons, source, first_seen_at)
       SELECT quarantine_id, arg_min(raw, ord), arg_min(reasons, ord), $1, $2 FROM binder_stage_quarantine
       WHERE quarantine_id NOT IN (SELECT quarantine_id FROM binder_quarantine)
       GROUP BY quarantine_id`,
      [source, at],
    );
    return rows.map((r) => r.id);
  }

  private async log(
    tx: Conn,
    r: { kind: string; source: string; path: string; received: number; accepted: number; duplicates: number; quarantined: number; conflicts: number; created: number; updated: number; minted: number; digest: string | null },
  ): Promise<number> {
    const id = num((await tx.all('SELECT coalesce(max(ingest_id), 0) + 1 AS id FROM binder_ingests'))[0]!.id);
    await tx.run('INSERT INTO binder_ingests VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)', [
      id,
      this.now().toISOString(),
      r.kind,
      r.source,
      r.path,
      r.received,
      r.accepted,
      r.duplicates,
      r.quarantined,
      r.conflicts,
      r.created,
      r.updated,
      r.minted,
      r.digest,
      BINDER_VERSION,
      this.mode,
      FALLBACK_VERSION,
    ]);
    return id;
  }

  async quarantine(opts: { limit?: number; includeResolved?: boolean } = {}): Promise<QuarantineEntry[]> {
    const limit = opts.limit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1) throw new BinderError('invalid-query', `limit must be a positive integer, not ${String(limit)}`);
    const rows = await this.db.read(
      `SELECT * FROM binder_quarantine ${opts.includeResolved ? '' : 'WHERE resolved_at IS NULL'} ORDER BY first_seen_at, quarantine_id LIMIT ${limit}`,
    );
    return rows.map((r) => ({
      quarantine_id: r.quarantine_id as string,
      raw: JSON.parse(r.raw as string) as unknown,
      reasons: JSON.parse(r.reasons as string) as StoredQuarantineReason[],
      source: r.source as string,
      first_seen_at: r.first_seen_at as string,
      resolved_at: (r.resolved_at as string | null) ?? null,
      resolved_key: (r.resolved_key as string | null) ?? null,
      resolved_source: (r.resolved_source as string | null) ?? null,
    }));
  }

  replay(quarantineId: string, fixedRecord: unknown, opts: { source?: string } = {}): Promise<ReplayResult> {
    return this.inOrder(async (write) => {
      const source = opts.source ?? `replay:${quarantineId}`;
      const found = await this.db.all('SELECT resolved_key FROM binder_quarantine WHERE quarantine_id = $1', [quarantineId]);
      if (!found.length) throw new BinderError('quarantine-not-found', `no quarantined record has id ${quarantineId}`, { details: { quarantine_id: quarantineId } });
      const p = await this.prepare([fixedRecord]);
      if (p.refused.length) {
        throw new BinderError('replay-invalid', `the fixed record is still not a valid envelope: ${p.refused[0]!.reasons.map((r) => `${r.path || '(record)'}: ${r.message}`).join('; ')}`, {
          details: { quarantine_id: quarantineId, reasons: p.refused[0]!.reasons },
        });
      }
      const key = p.rows[0]!.fact.values[0];
      return write(async (tx) => {
        const q = await tx.all('SELECT resolved_key FROM binder_quarantine WHERE quarantine_id = $1', [quarantineId]);
        const resolvedKey = (q[0]?.resolved_key as string | null) ?? null;
        if (resolvedKey !== null && resolvedKey !== key) {
          throw new BinderError('replay-conflict', `quarantined record ${quarantineId} was resolved already by storing ${resolvedKey}; this fix has key ${key}`, {
            details: { quarantine_id: quarantineId, resolved_key: resolvedKey, idempotency_key: key },
          });
        }
        const r = await this.bind(tx, p, [], source);
        const outcome = r.outcome.get(0);
        if (outcome === 'conflict') {
          throw new BinderError('replay-conflict', `idempotency key ${key} is stored already with other content; the fix would change a fact`, {
            details: { quarantine_id: quarantineId, idempotency_key: key },
          });
        }
        const at = this.now().toISOString();
        await tx.run('UPDATE binder_quarantine SET resolved_at = coalesce(resolved_at, $2), resolved_key = $3, resolved_source = coalesce(resolved_source, $4) WHERE quarantine_id = $1', [
          quarantineId,
          at,
          key,
          source,
        ]);
        await this.log(tx, {
          kind: 'replay',
          source,
          path: 'bind',
          received: 1,
          accepted: r.accepted,
          duplicates: r.duplicates,
          quarantined: 0,
          conflicts: 0,
          created: r.capsules.created,
          updated: r.capsules.updated,
          minted: r.capsules.minted,
          digest: null,
        });
        return { quarantineId, idempotencyKey: key, stored: outcome === 'new', capsules: r.capsules };
      });
    });
  }

  async capsules(filter: CapsuleFilter = {}, opts: { now?: Date } = {}): Promise<Capsule[]> {
    const now = opts.now ?? this.now();
    const where: string[] = [];
    const params: string[] = [];
    for (const k of ['upsert_key', 'scope', 'target_kind', 'target_id', 'action_kind', 'failure_reason_code'] as const) {
      const v = filter[k];
      if (v !== undefined) {
        params.push(v);
        where.push(`${k} = $${params.length}`);
      }
    }
    if (filter.minted !== undefined) where.push(filter.minted ? 'minted' : 'NOT minted');
    if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 1)) throw new BinderError('invalid-query', `limit must be a positive integer, not ${String(filter.limit)}`);
    const rows = await this.db.read(`SELECT * FROM binder_capsules ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_seen_ts DESC, upsert_key`, params);
    let out = rows.map((r) => capsuleOf(r, this.config, now));
    if (filter.eligible !== undefined) out = out.filter((c) => c.eligibility.eligible === filter.eligible);
    return filter.limit !== undefined ? out.slice(0, filter.limit) : out;
  }

  async suggest(filter: CapsuleFilter = {}, now?: Date): Promise<SuggestResult> {
    const { eligible: _ignored, limit, ...rest } = filter;
    const all = await this.capsules({ ...rest, minted: true }, { now: now ?? this.now() });
    const qualified = all.filter((c) => c.eligibility.qualified);
    // Most trusted first; the key breaks ties, so the order is total.
    qualified.sort((a, b) => b.eligibility.confidence - a.eligibility.confidence || b.counters.support_count - a.counters.support_count || (a.upsert_key < b.upsert_key ? -1 : 1));
    const shadow = this.config.rollout === 'shadow';
    const suggestions = shadow ? [] : qualified.filter((c) => c.eligibility.eligible);
    return {
      rollout: this.config.rollout,
      fallback: this.mode,
      reason: shadow ? 'mode-shadow' : null,
      applicable: this.config.rollout === 'prescriptive',
      qualified: qualified.length,
      suggestions: limit !== undefined ? suggestions.slice(0, limit) : suggestions,
    };
  }

  apply(upsertKeyHash: string, opts: { actor: string; reason: string; now?: Date }): Promise<Application> {
    return this.inOrder(async (write) => {
      if (this.config.rollout !== 'prescriptive') {
        throw new BinderError('not-prescriptive', `rollout is ${this.config.rollout}: capsules are applied only in prescriptive rollout`, { details: { rollout: this.config.rollout, upsert_key: upsertKeyHash } });
      }
      if (!opts.actor?.trim() || !opts.reason?.trim()) throw new BinderError('invalid-query', 'apply needs a non-empty actor and reason (they are audited)');
      const now = opts.now ?? this.now();
      return write(async (tx) => {
        const rows = await tx.all('SELECT * FROM binder_capsules WHERE upsert_key = $1', [upsertKeyHash]);
        if (!rows.length) throw new BinderError('capsule-not-found', `no capsule has upsert key ${upsertKeyHash}`, { details: { upsert_key: upsertKeyHash } });
        const c = capsuleOf(rows[0]!, this.config, now);
        if (!c.eligibility.eligible) {
          throw new BinderError('not-eligible', `capsule ${upsertKeyHash} is not eligible: ${c.eligibility.reasons.map((r) => r.message).join('; ')}`, {
            details: { upsert_key: upsertKeyHash, reasons: c.eligibility.reasons, confidence: c.eligibility.confidence },
          });
        }
        const id = num((await tx.all('SELECT coalesce(max(application_id), 0) + 1 AS id FROM binder_applications'))[0]!.id);
        const app: Application = {
          application_id: id,
          upsert_key: upsertKeyHash,
          actor: opts.actor,
          reason: opts.reason,
          applied_at: now.toISOString(),
          rollout: this.config.rollout,
          fallback_mode: this.mode,
          confidence: c.eligibility.confidence,
          counters: c.counters,
          binder_version: BINDER_VERSION,
        };
        await tx.run('INSERT INTO binder_applications VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
          id,
          upsertKeyHash,
          app.actor,
          app.reason,
          app.applied_at,
          app.rollout,
          app.fallback_mode,
          app.confidence,
          canonicalText(app.counters),
          BINDER_VERSION,
        ]);
        return app;
      });
    });
  }

  async applications(opts: { limit?: number } = {}): Promise<Application[]> {
    const limit = opts.limit ?? 1000;
    const rows = await this.db.read(`SELECT * FROM binder_applications ORDER BY application_id LIMIT ${Math.max(1, Math.floor(limit))}`);
    return rows.map((r) => ({
      application_id: num(r.application_id),
      upsert_key: r.upsert_key as string,
      actor: r.actor as string,
      reason: r.reason as string,
      applied_at: r.applied_at as string,
      rollout: r.rollout as BinderConfig['rollout'],
      fallback_mode: r.fallback_mode as FallbackMode,
      confidence: r.confidence as number,
      counters: JSON.parse(r.counters as string) as CapsuleCounters,
      binder_version: r.binder_version as string,
    }));
  }

  async query(primitive: string, opts: QueryOptions = {}): Promise<QueryResult> {
    const q = primitiveSql(primitive, opts);
    const rows = await this.db.snapshot((read) => read(q.sql, q.params));
    return { primitive: q.primitive, filters: q.filters, limit: q.limit, rows: rows.slice(0, q.limit).map(plainRow), truncated: rows.length > q.limit };
  }

  async status(): Promise<BinderStatus> {
    const now = this.now();
    return this.db.snapshot(async (read) => {
      const c = (
        await read(`SELECT (SELECT count(*) FROM binder_envelopes) AS facts,
          (SELECT count(*) FROM binder_quarantine WHERE resolved_at IS NULL) AS q_open,
          (SELECT count(*) FROM binder_quarantine WHERE resolved_at IS NOT NULL) AS q_resolved,
          (SELECT count(*) FROM binder_capsules) AS capsules,
          (SELECT count(*) FROM binder_ingests) AS ingests,
          (SELECT count(*) FROM binder_applications) AS applications,
          (SELECT max(ingested_at) FROM binder_ingests WHERE kind <> 'recompute') AS last_ingest_at`)
      )[0]!;
      const minted = (await read('SELECT * FROM binder_capsules WHERE minted')).map((r) => capsuleOf(r, this.config, now));
      return {
        file: this.db.file,
        binder_version: BINDER_VERSION,
        fallback_version: FALLBACK_VERSION,
        schema_version: SCHEMA_VERSION,
        config: this.config,
        facts: num(c.facts),
        quarantine: { open: num(c.q_open), resolved: num(c.q_resolved) },
        capsules: { total: num(c.capsules), minted: minted.length, qualified: minted.filter((x) => x.eligibility.qualified).length, eligible: minted.filter((x) => x.eligibility.eligible).length },
        ingests: num(c.ingests),
        applications: num(c.applications),
        last_ingest_at: (c.last_ingest_at as string | null) ?? null,
      };
    });
  }

  async facts(): Promise<Record<string, unknown>[]> {
    return (await this.db.read(`SELECT * FROM binder_envelopes ORDER BY ${FACTS_ORDER}`)).map(plainRow);
  }

  async close(): Promise<void> {
    return this.db.close();
  }
}
