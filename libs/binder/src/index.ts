/**
 * @govern/binder — Binder v1 (seed 002 K1–K3): wrapper envelopes in (with
 * quarantine), deterministic idempotency and upsert keys, sha256 fingerprints,
 * capsules with support, staleness and contradictions, Strict/Hybrid/Lenient
 * fallback and shadow/guided/prescriptive rollout, on one DuckDB file.
 *
 * Callers (the CLI, the MCP tools) open a binder with {@link openBinder} and use
 * its methods; the pure parts (keys, fingerprints, validation, modes, eligibility,
 * configuration) are exported for tests, tools and other consumers. DuckDB's native
 * addon loads only when a file is opened.
 */
export { BINDER_SETTINGS, canonicalText, envelopeOf, FACT_COLUMNS, factRow, FACTS_ORDER, factValues, isWellFormedJson, openBinder } from './store.js';
export type {
  Application,
  Binder,
  BinderStatus,
  BindPhase,
  Capsule,
  CapsuleEligibility,
  CapsuleFilter,
  FactRow,
  IngestOptions,
  IngestResult,
  OpenBinderOptions,
  QuarantineEntry,
  ReplayResult,
  SituationCache,
  StoredQuarantineReason,
  SuggestResult,
} from './store.js';
export { BinderError } from './errors.js';
export type { BinderErrorCode } from './errors.js';
export { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
export { DEFAULT_LIMIT, MAX_LIMIT, PRIMITIVE_FILTERS, PRIMITIVE_ORDER, PRIMITIVES, primitiveSql } from './primitives.js';
export type { Primitive, QueryOptions, QueryResult } from './primitives.js';
export { envelopeFromSpan, ingestMemoryFacts, isoFromNs, MEMORY_ATTRS, WRAPPER_PREFIXES } from './facts.js';
export type { MemoryIngestOptions, MemoryIngestResult, MemorySpanRow } from './facts.js';

// The pure rules the store is built on.
export { BINDER_VERSION } from './version.js';
export { fingerprintHash, fingerprintInput, isVolatileEnvName, normalizeVersion, sha256Hex, VOLATILE_ENV_NAMES } from './fingerprint.js';
export type { FingerprintInput } from './fingerprint.js';
export { idempotencyKey, upsertKey } from './keys.js';
export type { IdempotencyKey, UpsertKey } from './keys.js';
export { checkEnvelope, parseEnvelopeText, screenEnvelopes } from './validate.js';
export type { CheckResult, EnvelopeTextEntry, QuarantineCode, QuarantineReason, ScreenOptions } from './validate.js';
export { acceptsTrigger, ANOMALY_TRIGGERS, derive, FALLBACK_MODES, FALLBACK_VERSION } from './modes.js';
export type { Derivation, DerivationRule, FallbackMode } from './modes.js';
export { confidence, eligibility, policyAccepted } from './eligibility.js';
export type { CapsuleCounters, EligibilityReason } from './eligibility.js';
export { BinderConfigSchema, binderConfig, DEFAULT_BINDER_CONFIG, parsePolicyRef, ROLLOUT_MODES } from './config.js';
export type { BinderConfig, BinderConfigDiagnostic, Locate, RolloutMode } from './config.js';
